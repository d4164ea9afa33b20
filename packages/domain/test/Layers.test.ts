import { assert, describe, it } from "@effect/vitest"
import * as Config from "@tokenrequest/domain/Config"
import * as Discovery from "@tokenrequest/domain/Discovery"
import * as IdGenerator from "@tokenrequest/domain/IdGenerator"
import * as KeySet from "@tokenrequest/domain/KeySet"
import * as ObjectStore from "@tokenrequest/domain/ObjectStore"
import * as ServiceAccountUser from "@tokenrequest/domain/ServiceAccountUser"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Fixtures from "./fixtures.js"

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("ObjectStore.layerMemory", () => {
  it.effect("keeps initial objects as given and fills what is missing", () =>
    Effect.gen(function*() {
      const store = yield* ObjectStore.ObjectStore
      const sa = Option.getOrThrow(yield* store.get("ServiceAccount", "ns-a", "bob"))
      assert.strictEqual(sa.metadata.uid, Fixtures.saUid)
      assert.isDefined(sa.metadata.resourceVersion)
      const ns = Option.getOrThrow(yield* store.get("Namespace", "", "ns-a"))
      assert.match(ns.metadata.uid!, uuidV4)
      assert.isTrue(Option.isNone(yield* store.get("Pod", "ns-b", "pod-1")))
    }).pipe(
      Effect.provide(
        ObjectStore.layerMemory([Fixtures.serviceAccount(), { apiVersion: "v1", kind: "Namespace", metadata: { name: "ns-a" } }])
      )
    ))

  it.effect("create assigns uid, creationTimestamp (Clock) and increasing resourceVersions; rejects duplicates", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 5, 1))
      const store = yield* ObjectStore.ObjectStore
      const a = yield* store.create(Fixtures.pod("p1", { uid: "ignored" }))
      const b = yield* store.create(Fixtures.pod("p2"))
      assert.match(a.metadata.uid!, uuidV4)
      assert.notStrictEqual(a.metadata.uid, "ignored")
      assert.notStrictEqual(a.metadata.uid, b.metadata.uid)
      assert.strictEqual(DateTime.toEpochMillis(a.metadata.creationTimestamp!), Date.UTC(2026, 5, 1))
      assert.isBelow(Number(a.metadata.resourceVersion), Number(b.metadata.resourceVersion))
      const dup = yield* Effect.flip(store.create(Fixtures.pod("p1")))
      assert.strictEqual(dup.message, `pods "p1" already exists`)
      assert.deepStrictEqual((yield* store.list("Pod")).map((p) => p.metadata.name), ["p1", "p2"])
      assert.deepStrictEqual(yield* store.list("Pod", "elsewhere"), [])
    }).pipe(Effect.provide(ObjectStore.layerMemory())))

  it.effect("delete removes and returns; a missing object is NotFound", () =>
    Effect.gen(function*() {
      const store = yield* ObjectStore.ObjectStore
      const removed = yield* store.delete("Node", "", "node-1")
      assert.strictEqual(removed.metadata.uid, Fixtures.nodeUid)
      const again = yield* Effect.flip(store.delete("Node", "", "node-1"))
      assert.strictEqual(again.message, `nodes "node-1" not found`)
    }).pipe(Effect.provide(ObjectStore.layerMemory([Fixtures.node()]))))

  it.scoped("watch streams changes in commit order from subscription on", () =>
    Effect.gen(function*() {
      const store = yield* ObjectStore.ObjectStore
      yield* store.create(Fixtures.secret("before"))
      const fiber = yield* store.watch.pipe(Stream.take(2), Stream.runCollect, Effect.fork)
      // let the forked subscriber start (the scheduler is cooperative, so this is deterministic)
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      yield* store.create(Fixtures.secret("s1"))
      yield* store.delete("Secret", "ns-a", "s1")
      const events = [...(yield* Fiber.join(fiber))]
      assert.deepStrictEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ["ADDED s1", "DELETED s1"])
    }).pipe(Effect.provide(ObjectStore.layerMemory())))
})

describe("IdGenerator", () => {
  it.effect("layerRandom gives distinct lowercase UUID v4s", () =>
    Effect.gen(function*() {
      const ids = yield* IdGenerator.IdGenerator
      const a = yield* ids.next
      const b = yield* ids.next
      assert.match(a, uuidV4)
      assert.notStrictEqual(a, b)
    }).pipe(Effect.provide(IdGenerator.layerRandom)))

  it.effect("layerSequence and layerFixed are deterministic", () =>
    Effect.gen(function*() {
      const seq = yield* Effect.provide(Effect.flatMap(IdGenerator.IdGenerator, (ids) => Effect.all([ids.next, ids.next])), IdGenerator.layerSequence)
      assert.deepStrictEqual(seq, ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"])
      assert.match(seq[0], uuidV4)
      const fixed = yield* Effect.provide(Effect.flatMap(IdGenerator.IdGenerator, (ids) => ids.next), IdGenerator.layerFixed("x"))
      assert.strictEqual(fixed, "x")
    }))
})

describe("Discovery", () => {
  it.effect("builds the document with sorted, de-duplicated algorithms and the key set's max-age", () =>
    Effect.gen(function*() {
      const config = yield* Discovery.openidConfiguration
      assert.deepStrictEqual(config, {
        document: {
          issuer: "https://issuer.example/",
          jwks_uri: "https://issuer.example/openid/v1/jwks",
          response_types_supported: ["id_token"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["ES256", "ES384", "RS256"]
        },
        cacheMaxAgeSeconds: 120
      })
      const jwks = yield* Discovery.jwks
      assert.deepStrictEqual(jwks.document.keys.map((k) => k.kid), ["r", "e1", "e2", "e3"])
      assert.strictEqual(jwks.cacheMaxAgeSeconds, 120)
    }).pipe(
      Effect.provide(
        Layer.merge(
          KeySet.layerInsecure(
            [
              { keyId: "r", algorithm: "RS256" },
              { keyId: "e1", algorithm: "ES256" },
              { keyId: "e2", algorithm: "ES384" },
              { keyId: "e3", algorithm: "ES256" }
            ],
            120
          ),
          Config.layer({ issuers: ["https://issuer.example/"] })
        )
      )
    ))

  it.effect("uses an explicit jwks_uri and the first issuer", () =>
    Effect.gen(function*() {
      const config = yield* Discovery.openidConfiguration
      assert.strictEqual(config.document.issuer, "https://a")
      assert.strictEqual(config.document.jwks_uri, "https://keys.example/jwks")
      assert.strictEqual(config.cacheMaxAgeSeconds, 3600)
    }).pipe(
      Effect.provide(
        Layer.merge(KeySet.layerInsecure(), Config.layer({ issuers: ["https://a", "https://b"], jwksUri: "https://keys.example/jwks" }))
      )
    ))
})

describe("ServiceAccountUser", () => {
  const info: ServiceAccountUser.ServiceAccountInfo = {
    namespace: "ns",
    name: "sa",
    uid: "u",
    podName: "",
    podUid: "",
    nodeName: "",
    nodeUid: "",
    credentialId: ""
  }
  it("has no extra when there is nothing to say", () => {
    assert.deepStrictEqual(ServiceAccountUser.userInfo(info), {
      username: "system:serviceaccount:ns:sa",
      uid: "u",
      groups: ["system:serviceaccounts", "system:serviceaccounts:ns"]
    })
  })
  it("sets pod extras only with both name and uid, node uid only with a node name", () => {
    assert.isUndefined(ServiceAccountUser.userInfo({ ...info, podName: "p" }).extra)
    assert.isUndefined(ServiceAccountUser.userInfo({ ...info, nodeUid: "nu" }).extra)
    assert.deepStrictEqual(ServiceAccountUser.userInfo({ ...info, nodeName: "n" }).extra, {
      "authentication.kubernetes.io/node-name": ["n"]
    })
  })
  it("adds system:authenticated once", () => {
    const user = ServiceAccountUser.withAuthenticatedGroup(ServiceAccountUser.userInfo(info))
    assert.deepStrictEqual(user.groups, ["system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"])
    assert.deepStrictEqual(ServiceAccountUser.withAuthenticatedGroup(user).groups, user.groups)
  })
})
