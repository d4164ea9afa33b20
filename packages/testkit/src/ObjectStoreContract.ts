/**
 * The contract every `ObjectStore` adapter keeps, as one suite: get, list, create and delete with
 * Kubernetes semantics and messages, UUID v4 identities, watch events in commit order, and a
 * property over random create/delete/re-create sequences checked against a plain `Map` model.
 *
 * Give it a layer that builds an empty store every time it is built (each test builds its own).
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { assert, it } from "@effect/vitest"
import { afterAll, beforeAll, describe } from "vitest"
import * as DateTime from "effect/DateTime"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import { ObjectStore, type ObjectEvent } from "@tokenrequest/domain/ObjectStore"

/**
 * The shape of `metadata.uid`: a random (version 4) UUID, lowercase, hyphenated.
 *
 * @since 0.1.0
 * @category constants
 */
export const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/**
 * A minimal valid object of a kind (`namespace` is ignored for Namespace and Node).
 *
 * @since 0.1.0
 * @category constructors
 */
export const object = (
  kind: KubeObject.ObjectKind,
  namespace: string,
  name: string,
  extra?: Record<string, unknown>
): KubeObject.KubeObject => ({
  apiVersion: "v1",
  kind,
  metadata: KubeObject.kinds[kind].namespaced ? { name, namespace } : { name },
  ...extra
})

const syncPrefix = "contract-watch-sync-"

/**
 * Subscribes to `watch` and returns a reader of the next events. Because a stream subscribes only
 * when it starts running, this creates marker Namespaces until one is seen, so that every change
 * made afterwards is observed; marker events are not handed out.
 *
 * @since 0.1.0
 * @category watch
 */
export const subscribe = (
  store: ObjectStore["Type"],
  options?: { readonly timeout?: number | undefined }
): Effect.Effect<
  { readonly take: (n: number) => Effect.Effect<ReadonlyArray<ObjectEvent>, string> },
  string,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const timeout = options?.timeout ?? 5000
    const events = yield* Queue.unbounded<ObjectEvent>()
    const synced = yield* Deferred.make<void>()
    const watchFailed = yield* Deferred.make<void, string>()
    yield* store.watch.pipe(
      Stream.runForEach((event) =>
        event.object.kind === "Namespace" && (event.object.metadata.name ?? "").startsWith(syncPrefix)
          ? Deferred.succeed(synced, undefined)
          : Queue.offer(events, event)
      ),
      Effect.catchAll((error) => Deferred.fail(watchFailed, `watch failed: ${error.message}`)),
      Effect.forkScoped
    )
    const marker = `${syncPrefix}${randomUUID()}`
    // Give the forked subscriber a chance to start before the first marker.
    yield* Effect.sleep("5 millis")
    let attempt = 0
    while (true) {
      yield* Effect.orElseSucceed(store.create(object("Namespace", "", `${marker}-${attempt}`)), () => undefined)
      const seen = yield* Deferred.await(synced).pipe(
        Effect.raceFirst(Deferred.await(watchFailed)),
        Effect.timeout("100 millis"),
        Effect.option
      )
      if (Option.isSome(seen)) break
      attempt += 1
      if (attempt * 100 > timeout) return yield* Effect.fail(`watch delivered no event within ${timeout} ms`)
    }
    const take = (n: number) =>
      Queue.takeBetween(events, n, n).pipe(
        Effect.map((chunk) => Array.from(chunk)),
        Effect.timeoutFail({ duration: timeout, onTimeout: () => `expected ${n} watch events within ${timeout} ms` })
      )
    return { take }
  })

const isoSeconds = (d: DateTime.DateTime) => Math.floor(DateTime.toEpochMillis(d) / 1000)

/**
 * Registers the contract suite for an adapter. `store` must build an empty store each time; the
 * optional `environment` is built once for the whole suite (a real etcd, say).
 *
 * @since 0.1.0
 * @category suites
 */
export const suite = <E, R, E2 = never>(
  name: string,
  store: Layer.Layer<ObjectStore, E, R>,
  options?: {
    readonly environment?: Layer.Layer<R, E2> | undefined
    /** Random sequences per property; default 25. */
    readonly numRuns?: number | undefined
    /** Longest wait for a watch event, in milliseconds; default 5000. */
    readonly watchTimeout?: number | undefined
  }
): void => {
  const environment = (options?.environment ?? Layer.empty) as Layer.Layer<R, E2>
  const numRuns = options?.numRuns ?? 25
  const watchTimeout = options?.watchTimeout ?? 5000
  const scope = Effect.runSync(Scope.make())
  let runtime: Runtime.Runtime<R> | undefined
  const withStore = <A, E3>(program: (s: ObjectStore["Type"]) => Effect.Effect<A, E3, Scope.Scope>) =>
    Effect.suspend(() =>
      runtime === undefined
        ? Effect.dieMessage("the suite's environment was not built")
        : Effect.scoped(Effect.flatMap(ObjectStore, program)).pipe(Effect.provide(store), Effect.provide(runtime))
    )

  // Not `@effect/vitest`'s `layer(...)`: that one replaces the module-wide `it.effect` of the caller's file.
  describe(`ObjectStore contract: ${name}`, () => {
    beforeAll(async () => {
      runtime = await Effect.runPromise(Layer.toRuntime(environment).pipe(Scope.extend(scope), Effect.orDie))
    }, 120_000)
    afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)), 60_000)

    it.live("an empty store has nothing", () =>
      withStore((s) =>
        Effect.gen(function*() {
          assert.isTrue(Option.isNone(yield* s.get("Pod", "default", "web")))
          assert.isTrue(Option.isNone(yield* s.get("Node", "", "node-1")))
          assert.deepStrictEqual(yield* s.list("Pod"), [])
          assert.deepStrictEqual(yield* s.list("ServiceAccount", "default"), [])
        })
      ))

    it.live("create assigns uid, creationTimestamp and resourceVersion, and keeps the rest", () =>
      withStore((s) =>
        Effect.gen(function*() {
          const before = isoSeconds(yield* DateTime.now)
          const input = object("Pod", "demo", "web", {
            spec: { serviceAccountName: "builder", nodeName: "node-1", containers: [{ name: "c", image: "nginx" }] }
          })
          const stamped = {
            ...input,
            metadata: { ...input.metadata, labels: { app: "web" }, uid: "caller-chosen", resourceVersion: "42" }
          }
          const created = yield* s.create(stamped)
          const after = isoSeconds(yield* DateTime.now)
          assert.match(created.metadata.uid ?? "", uuidV4)
          assert.notStrictEqual(created.metadata.uid, "caller-chosen")
          assert.isString(created.metadata.resourceVersion)
          assert.isAbove((created.metadata.resourceVersion ?? "").length, 0)
          assert.notStrictEqual(created.metadata.resourceVersion, "42")
          const ts = created.metadata.creationTimestamp
          assert.isTrue(ts !== undefined && ts !== null)
          const seconds = isoSeconds(ts!)
          assert.isTrue(seconds >= before && seconds <= after, `creationTimestamp ${seconds} not in [${before}, ${after}]`)
          assert.strictEqual(DateTime.toEpochMillis(ts!) % 1000, 0, "creationTimestamp has whole seconds")
          assert.strictEqual(created.metadata.name, "web")
          assert.strictEqual(created.metadata.namespace, "demo")
          assert.deepStrictEqual(created.metadata.labels, { app: "web" })
          assert.deepStrictEqual(created["spec"], input["spec"])
          assert.strictEqual(KubeObject.podServiceAccountName(created), "builder")
          const got = yield* s.get("Pod", "demo", "web")
          assert.deepStrictEqual(Option.getOrThrow(got), created)
          assert.deepStrictEqual(yield* s.list("Pod", "demo"), [created])
        })
      ))

    it.live("cluster-scoped kinds have no namespace", () =>
      withStore((s) =>
        Effect.gen(function*() {
          const node = yield* s.create({ apiVersion: "v1", kind: "Node", metadata: { name: "node-1", namespace: "ignored" } })
          assert.strictEqual(node.metadata.namespace, undefined)
          assert.deepStrictEqual(Option.getOrThrow(yield* s.get("Node", "", "node-1")), node)
          assert.deepStrictEqual(yield* s.list("Node"), [node])
          const ns = yield* s.create(object("Namespace", "", "demo"))
          assert.deepStrictEqual(yield* s.list("Namespace"), [ns])
        })
      ))

    it.live("create of an existing object is AlreadyExists, with the upstream message", () =>
      withStore((s) =>
        Effect.gen(function*() {
          const first = yield* s.create(object("Pod", "default", "x"))
          const error = yield* Effect.flip(s.create(object("Pod", "default", "x")))
          assert.strictEqual(error._tag, "AlreadyExists")
          assert.strictEqual(error.message, `pods "x" already exists`)
          if (error._tag === "AlreadyExists") {
            assert.strictEqual(error.group, "")
            assert.strictEqual(error.resource, "pods")
            assert.strictEqual(error.name, "x")
          }
          const nodeError = yield* Effect.flip(
            Effect.zipRight(s.create(object("Node", "", "n")), s.create(object("Node", "", "n")))
          )
          assert.strictEqual(nodeError.message, `nodes "n" already exists`)
          assert.deepStrictEqual(Option.getOrThrow(yield* s.get("Pod", "default", "x")), first)
        })
      ))

    it.live("the same name in another namespace or kind is another object", () =>
      withStore((s) =>
        Effect.gen(function*() {
          const a = yield* s.create(object("ServiceAccount", "a", "x"))
          const b = yield* s.create(object("ServiceAccount", "b", "x"))
          const c = yield* s.create(object("Secret", "a", "x"))
          assert.strictEqual(new Set([a.metadata.uid, b.metadata.uid, c.metadata.uid]).size, 3)
          assert.deepStrictEqual(yield* s.list("ServiceAccount"), [a, b])
          assert.deepStrictEqual(yield* s.list("ServiceAccount", "b"), [b])
          assert.deepStrictEqual(yield* s.list("Secret"), [c])
        })
      ))

    it.live("list is sorted by namespace, then name", () =>
      withStore((s) =>
        Effect.gen(function*() {
          for (const [ns, n] of [["b", "a"], ["a", "z"], ["a", "b"], ["c", "c"], ["a", "a"]] as const) {
            yield* s.create(object("Pod", ns, n))
          }
          const listed = (yield* s.list("Pod")).map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
          assert.deepStrictEqual(listed, ["a/a", "a/b", "a/z", "b/a", "c/c"])
        })
      ))

    it.live("delete returns the object and removes it; deleting again is NotFound", () =>
      withStore((s) =>
        Effect.gen(function*() {
          const created = yield* s.create(object("Pod", "default", "x"))
          const deleted = yield* s.delete("Pod", "default", "x")
          assert.strictEqual(deleted.metadata.uid, created.metadata.uid)
          assert.strictEqual(deleted.metadata.name, "x")
          assert.isTrue(Option.isNone(yield* s.get("Pod", "default", "x")))
          assert.deepStrictEqual(yield* s.list("Pod"), [])
          const error = yield* Effect.flip(s.delete("Pod", "default", "x"))
          assert.strictEqual(error._tag, "NotFound")
          assert.strictEqual(error.message, `pods "x" not found`)
          if (error._tag === "NotFound") {
            assert.strictEqual(error.group, "")
            assert.strictEqual(error.resource, "pods")
          }
          const nsError = yield* Effect.flip(s.delete("Namespace", "", "gone"))
          assert.strictEqual(nsError.message, `namespaces "gone" not found`)
        })
      ))

    it.live("re-create after delete gives a new uid and a newer resourceVersion", () =>
      withStore((s) =>
        Effect.gen(function*() {
          const first = yield* s.create(object("Secret", "default", "token"))
          yield* s.delete("Secret", "default", "token")
          const second = yield* s.create(object("Secret", "default", "token"))
          assert.notStrictEqual(second.metadata.uid, first.metadata.uid)
          assert.match(second.metadata.uid ?? "", uuidV4)
          assert.isTrue(BigInt(second.metadata.resourceVersion!) > BigInt(first.metadata.resourceVersion!))
          assert.deepStrictEqual(Option.getOrThrow(yield* s.get("Secret", "default", "token")), second)
        })
      ))

    it.live("watch reports creates and deletes in commit order", () =>
      withStore((s) =>
        Effect.gen(function*() {
          const watcher = yield* subscribe(s, { timeout: watchTimeout })
          const a = yield* s.create(object("Pod", "default", "a"))
          const b = yield* s.create(object("Node", "", "b"))
          yield* s.delete("Pod", "default", "a")
          const a2 = yield* s.create(object("Pod", "default", "a"))
          const events = yield* watcher.take(4)
          assert.deepStrictEqual(
            events.map((e) => [e.type, e.object.kind, e.object.metadata.name, e.object.metadata.uid]),
            [
              ["ADDED", "Pod", "a", a.metadata.uid],
              ["ADDED", "Node", "b", b.metadata.uid],
              ["DELETED", "Pod", "a", a.metadata.uid],
              ["ADDED", "Pod", "a", a2.metadata.uid]
            ]
          )
          assert.deepStrictEqual(events[0]!.object, a)
        })
      ))

    it.live("a failed create or delete emits no event", () =>
      withStore((s) =>
        Effect.gen(function*() {
          const watcher = yield* subscribe(s, { timeout: watchTimeout })
          yield* s.create(object("Pod", "default", "a"))
          yield* Effect.either(s.create(object("Pod", "default", "a")))
          yield* Effect.either(s.delete("Pod", "default", "missing"))
          yield* s.delete("Pod", "default", "a")
          const events = yield* watcher.take(2)
          assert.deepStrictEqual(events.map((e) => e.type), ["ADDED", "DELETED"])
        })
      ))

    const kinds = ["Pod", "Secret", "ServiceAccount", "Node"] as const
    const operation = FastCheck.record({
      op: FastCheck.constantFrom("create", "delete", "get"),
      kind: FastCheck.constantFrom(...kinds),
      namespace: FastCheck.constantFrom("a", "b"),
      name: FastCheck.constantFrom("x", "y")
    })

    it.live.prop(
      "random create/delete/re-create sequences agree with a Map model; uids never repeat",
      [FastCheck.array(operation, { minLength: 1, maxLength: 30 })],
      ([ops]) =>
        withStore((s) =>
          Effect.gen(function*() {
            const watcher = yield* subscribe(s, { timeout: watchTimeout })
            const model = new Map<string, string>()
            const uids = new Set<string>()
            const expected: Array<[string, string]> = []
            for (const { kind, name, namespace: ns, op } of ops) {
              const namespace = KubeObject.kinds[kind].namespaced ? ns : ""
              const id = `${kind}/${namespace}/${name}`
              const resource = KubeObject.kinds[kind].resource
              if (op === "create") {
                const result = yield* Effect.either(s.create(object(kind, namespace, name)))
                if (model.has(id)) {
                  assert.isTrue(Either.isLeft(result), `create ${id} should fail`)
                  if (Either.isLeft(result)) assert.strictEqual(result.left.message, `${resource} "${name}" already exists`)
                } else {
                  assert.isTrue(Either.isRight(result), `create ${id} should succeed`)
                  const uid = Either.getOrThrow(result).metadata.uid!
                  assert.match(uid, uuidV4)
                  assert.isFalse(uids.has(uid), `uid ${uid} repeated`)
                  uids.add(uid)
                  model.set(id, uid)
                  expected.push(["ADDED", uid])
                }
              } else if (op === "delete") {
                const result = yield* Effect.either(s.delete(kind, namespace, name))
                const uid = model.get(id)
                if (uid === undefined) {
                  assert.isTrue(Either.isLeft(result), `delete ${id} should fail`)
                  if (Either.isLeft(result)) assert.strictEqual(result.left.message, `${resource} "${name}" not found`)
                } else {
                  assert.strictEqual(Either.getOrThrow(result).metadata.uid, uid)
                  model.delete(id)
                  expected.push(["DELETED", uid])
                }
              } else {
                const got = yield* s.get(kind, namespace, name)
                assert.strictEqual(Option.getOrUndefined(got)?.metadata.uid, model.get(id), `get ${id}`)
              }
            }
            for (const kind of kinds) {
              const listed = (yield* s.list(kind)).map((o) => `${kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}=${o.metadata.uid}`)
              const modelled = [...model].filter(([id]) => id.startsWith(`${kind}/`)).map(([id, uid]) => `${id}=${uid}`).sort()
              assert.deepStrictEqual(listed, modelled)
            }
            const events = yield* watcher.take(expected.length)
            assert.deepStrictEqual(events.map((e) => [e.type, e.object.metadata.uid]), expected)
          })
        ),
      { fastCheck: { numRuns } }
    )
  })
}
