/**
 * The etcd store against a real etcd (started by the testkit on free loopback ports): the contract
 * suite, two replicas on one etcd, and etcd killed and restarted under a live store.
 */
import { assert, describe, it } from "@effect/vitest"
import { randomUUID } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import { Etcd3 } from "etcd3"
import { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as EtcdStore from "@tokenrequest/store-etcd/EtcdStore"
import * as Etcd from "@tokenrequest/testkit/Etcd"
import * as ObjectStoreContract from "@tokenrequest/testkit/ObjectStoreContract"
import { afterAll, beforeAll } from "vitest"

const { object } = ObjectStoreContract

// The contract: each test gets its own prefix on one shared etcd, so each store starts empty.
ObjectStoreContract.suite(
  "etcd",
  Layer.unwrapEffect(Effect.map(Etcd.Etcd, (etcd) =>
    EtcdStore.layer({ endpoints: [etcd.endpoint], prefix: `/contract-${randomUUID()}` }))),
  { environment: Etcd.layer(), numRuns: 15 }
)

/** A store, built in the test's scope. */
const store = (endpoint: string, prefix: string, options?: Partial<EtcdStore.Options>) =>
  Effect.map(Layer.build(EtcdStore.layer({ endpoints: [endpoint], prefix, ...options })), (ctx) => ctx.unsafeMap.get(ObjectStore.key) as ObjectStore["Type"])

/** Polls until `check` holds, for at most `millis`; fails with `what` otherwise. */
const eventually = <E>(what: string, check: Effect.Effect<boolean, E>, millis = 5000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + millis
    while (Date.now() < deadline) {
      if (yield* Effect.orElseSucceed(check, () => false)) return
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.dieMessage(`not within ${millis} ms: ${what}`)
  })

/** Runs `effect`, failing the test if it does not finish within `millis` (a hang). */
const bounded = <A, E, R>(millis: number, effect: Effect.Effect<A, E, R>) =>
  Effect.timeoutFail(effect, { duration: `${millis} millis`, onTimeout: () => `hung for more than ${millis} ms` })

describe("EtcdStore", () => {
  const scope = Effect.runSync(Scope.make())
  let runtime: Runtime.Runtime<Etcd.Etcd>
  beforeAll(async () => {
    runtime = await Effect.runPromise(Layer.toRuntime(Etcd.layer()).pipe(Scope.extend(scope), Effect.orDie))
  }, 60_000)
  afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)), 60_000)
  const withEtcd = <A, E>(f: (etcd: Etcd.EtcdServer) => Effect.Effect<A, E, Scope.Scope>) =>
    Effect.suspend(() => Effect.scoped(Effect.flatMap(Etcd.Etcd, f)).pipe(Effect.provide(runtime)))

  it("keys follow the Kubernetes layout", () => {
    assert.strictEqual(EtcdStore.key("/registry", "ServiceAccount", "demo", "builder"), "/registry/serviceaccounts/demo/builder")
    assert.strictEqual(EtcdStore.key("/registry/", "Node", "", "node-1"), "/registry/nodes/node-1")
    assert.strictEqual(EtcdStore.key("registry", "Namespace", "x", "demo"), "/registry/namespaces/demo")
  })

  it.live("stores JSON under <prefix>/<resource>/<namespace>/<name>, resourceVersion = mod revision", () =>
    withEtcd((etcd) =>
      Effect.gen(function*() {
        const prefix = `/t-${randomUUID()}`
        const s = yield* store(etcd.endpoint, prefix)
        const pod = yield* s.create(object("Pod", "demo", "web", { spec: { serviceAccountName: "builder" } }))
        const client = new Etcd3({ hosts: etcd.endpoint })
        const raw = yield* Effect.promise(() => client.get(`${prefix}/pods/demo/web`).exec())
        client.close()
        assert.strictEqual(raw.kvs.length, 1)
        const kv = raw.kvs[0]!
        assert.strictEqual(pod.metadata.resourceVersion, kv.mod_revision)
        const json = JSON.parse(kv.value.toString("utf8"))
        assert.strictEqual(json.kind, "Pod")
        assert.strictEqual(json.metadata.uid, pod.metadata.uid)
        assert.strictEqual(json.metadata.namespace, "demo")
        assert.match(json.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
        assert.strictEqual(json.metadata.resourceVersion, undefined)
        assert.deepStrictEqual(json.spec, { serviceAccountName: "builder" })
      })))

  it.live("two replicas on one etcd see each other's creates and deletes", () =>
    withEtcd((etcd) =>
      Effect.gen(function*() {
        const prefix = `/t-${randomUUID()}`
        const a = yield* store(etcd.endpoint, prefix)
        const b = yield* store(etcd.endpoint, prefix)
        const created = yield* a.create(object("ServiceAccount", "demo", "builder"))
        // read-your-writes on the writer, no waiting
        assert.deepStrictEqual(Option.getOrThrow(yield* a.get("ServiceAccount", "demo", "builder")), created)
        yield* eventually("b sees a's create", Effect.map(b.get("ServiceAccount", "demo", "builder"), (o) =>
          Option.isSome(o) && o.value.metadata.uid === created.metadata.uid))
        assert.deepStrictEqual(Option.getOrThrow(yield* b.get("ServiceAccount", "demo", "builder")), created)
        const conflict = yield* Effect.flip(b.create(object("ServiceAccount", "demo", "builder")))
        assert.strictEqual(conflict.message, `serviceaccounts "builder" already exists`)

        const deleted = yield* b.delete("ServiceAccount", "demo", "builder")
        assert.strictEqual(deleted.metadata.uid, created.metadata.uid)
        assert.isTrue(Option.isNone(yield* b.get("ServiceAccount", "demo", "builder")))
        // deletions reach the other replica within a second
        yield* eventually("a sees b's delete", Effect.map(a.get("ServiceAccount", "demo", "builder"), Option.isNone), 1000)
        const again = yield* Effect.flip(a.delete("ServiceAccount", "demo", "builder"))
        assert.strictEqual(again.message, `serviceaccounts "builder" not found`)

        const recreated = yield* a.create(object("ServiceAccount", "demo", "builder"))
        assert.notStrictEqual(recreated.metadata.uid, created.metadata.uid)
        yield* eventually("b sees the re-created object's new uid", Effect.map(b.get("ServiceAccount", "demo", "builder"), (o) =>
          Option.isSome(o) && o.value.metadata.uid === recreated.metadata.uid), 1000)
        assert.deepStrictEqual(yield* b.list("ServiceAccount"), yield* a.list("ServiceAccount"))
      })))

  it.live("two replicas creating the same name at once: exactly one wins, and the losers read the winner", () =>
    withEtcd((etcd) =>
      Effect.gen(function*() {
        const prefix = `/t-${randomUUID()}`
        const a = yield* store(etcd.endpoint, prefix)
        const b = yield* store(etcd.endpoint, prefix)
        const loser: Array<typeof a> = []
        for (let i = 0; i < 10; i++) {
          const results = yield* Effect.all(
            [a, b, a, b].map((s) => Effect.either(s.create(object("Secret", "demo", `race-${i}`)))),
            { concurrency: "unbounded" }
          )
          const winners = results.filter(Either.isRight)
          assert.strictEqual(winners.length, 1, `race ${i}`)
          for (const r of results.filter(Either.isLeft)) assert.strictEqual(r.left.message, `secrets "race-${i}" already exists`)
          const uid = winners[0]!.right.metadata.uid
          // a replica told "already exists" reads the object at once (no waiting for its watch)
          results.forEach((result, j) => {
            if (Either.isLeft(result)) loser.push([a, b, a, b][j]!)
          })
          for (const replica of loser.splice(0)) {
            assert.strictEqual(Option.getOrUndefined(yield* replica.get("Secret", "demo", `race-${i}`))?.metadata.uid, uid)
          }
          yield* eventually(`both replicas hold the winner of race ${i}`, Effect.map(
            Effect.all([a.get("Secret", "demo", `race-${i}`), b.get("Secret", "demo", `race-${i}`)]),
            ([x, y]) => Option.getOrUndefined(x)?.metadata.uid === uid && Option.getOrUndefined(y)?.metadata.uid === uid
          ))
        }
      })))

  it.live("a replica started later loads what is already stored", () =>
    withEtcd((etcd) =>
      Effect.gen(function*() {
        const prefix = `/t-${randomUUID()}`
        const a = yield* store(etcd.endpoint, prefix)
        const node = yield* a.create(object("Node", "", "node-1"))
        const ns = yield* a.create(object("Namespace", "", "demo"))
        const b = yield* store(etcd.endpoint, prefix)
        assert.deepStrictEqual(yield* b.list("Node"), [node])
        assert.deepStrictEqual(Option.getOrThrow(yield* b.get("Namespace", "", "demo")), ns)
      })))

  it.live("building the store fails with Unavailable when etcd is not there, without hanging", () =>
    Effect.gen(function*() {
      const result = yield* bounded(10_000, Effect.either(Effect.scoped(store("http://127.0.0.1:1", "/x", { requestTimeout: "1 second" }))))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) {
        assert.strictEqual(result.left._tag, "ObjectStoreError")
        assert.strictEqual(result.left.reason, "Unavailable")
      }
    }))

  it.live("etcd killed: operations fail Unavailable within the bound; restarted: the same store recovers, nothing lost", () =>
    withEtcd((etcd) =>
      Effect.gen(function*() {
        const prefix = `/t-${randomUUID()}`
        const options = { requestTimeout: "2 seconds", staleAfter: "1 second" } as const
        const a = yield* store(etcd.endpoint, prefix, options)
        const b = yield* store(etcd.endpoint, prefix, options)
        const kept = yield* a.create(object("Pod", "demo", "kept"))
        const gone = yield* a.create(object("Pod", "demo", "gone"))
        yield* eventually("b sees both pods", Effect.map(b.list("Pod"), (pods) => pods.length === 2))

        yield* etcd.kill

        // Writes fail at once or within requestTimeout (plus slack), never hang.
        for (const s of [a, b]) {
          const created = yield* bounded(4000, Effect.either(s.create(object("Pod", "demo", "during-outage"))))
          assert.isTrue(Either.isLeft(created))
          if (Either.isLeft(created)) {
            assert.strictEqual(created.left._tag, "ObjectStoreError")
            if (created.left._tag === "ObjectStoreError") assert.strictEqual(created.left.reason, "Unavailable")
          }
          const deleted = yield* bounded(4000, Effect.either(s.delete("Pod", "demo", "kept")))
          assert.isTrue(Either.isLeft(deleted))
          if (Either.isLeft(deleted)) assert.strictEqual(deleted.left._tag, "ObjectStoreError")
        }
        // Reads are served from the cache only while it is provably recent, then fail Unavailable.
        yield* eventually("reads fail Unavailable once the cache is stale", Effect.map(
          Effect.either(bounded(4000, a.get("Pod", "demo", "kept"))),
          (r) => Either.isLeft(r) && r.left !== undefined && typeof r.left === "object" && r.left._tag === "ObjectStoreError" && r.left.reason === "Unavailable"
        ), 4000)
        const listed = yield* bounded(4000, Effect.either(b.list("Pod")))
        assert.isTrue(Either.isLeft(listed))

        yield* etcd.start

        // The same store instances recover, and every committed object survived.
        yield* eventually("a serves reads again", Effect.map(Effect.either(a.list("Pod")), Either.isRight), 15_000)
        yield* eventually("b serves reads again", Effect.map(Effect.either(b.list("Pod")), Either.isRight), 15_000)
        assert.deepStrictEqual((yield* a.list("Pod")).map((p) => p.metadata.uid), [gone.metadata.uid, kept.metadata.uid])
        assert.isTrue(Option.isNone(yield* a.get("Pod", "demo", "during-outage")))
        // Writes work again, and the other replica still follows.
        const deleted = yield* a.delete("Pod", "demo", "gone")
        assert.strictEqual(deleted.metadata.uid, gone.metadata.uid)
        yield* eventually("b sees the delete after recovery", Effect.map(b.get("Pod", "demo", "gone"), Option.isNone), 1000)
        const after = yield* b.create(object("Pod", "demo", "after"))
        yield* eventually("a sees b's create after recovery", Effect.map(a.get("Pod", "demo", "after"), (o) =>
          Option.isSome(o) && o.value.metadata.uid === after.metadata.uid))
      })), 60_000)

  it.live("a watch subscribed before an outage sees changes made during and after it", () =>
    withEtcd((etcd) =>
      Effect.gen(function*() {
        const prefix = `/t-${randomUUID()}`
        const a = yield* store(etcd.endpoint, prefix)
        const watcher = yield* ObjectStoreContract.subscribe(a, { timeout: 15_000 })
        const before = yield* a.create(object("Secret", "demo", "before"))
        yield* etcd.stop
        yield* etcd.start
        // Another client writes while `a` may still be reconnecting; `a` catches up by re-listing.
        const b = yield* store(etcd.endpoint, prefix)
        const during = yield* b.create(object("Secret", "demo", "during"))
        yield* b.delete("Secret", "demo", "before")
        const events = yield* watcher.take(3)
        const seen = events.map((e) => [e.type, e.object.metadata.uid])
        assert.deepStrictEqual(seen[0], ["ADDED", before.metadata.uid])
        assert.sameDeepMembers(seen.slice(1), [["ADDED", during.metadata.uid], ["DELETED", before.metadata.uid]])
      })), 60_000)
})
