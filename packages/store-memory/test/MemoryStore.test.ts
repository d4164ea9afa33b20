import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Arbitrary from "effect/Arbitrary"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as MemoryStore from "@tokenrequest/store-memory/MemoryStore"
import * as ObjectStoreContract from "@tokenrequest/testkit/ObjectStoreContract"

ObjectStoreContract.suite("memory", MemoryStore.layer, { numRuns: 50 })

describe("MemoryStore", () => {
  it.effect("creationTimestamp comes from Effect's Clock (whole seconds)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-01-02T03:04:05.678Z"))
      const store = yield* ObjectStore
      const sa = yield* store.create(ObjectStoreContract.object("ServiceAccount", "default", "builder"))
      assert.strictEqual(DateTime.formatIso(sa.metadata.creationTimestamp!), "2026-01-02T03:04:05.000Z")
    }).pipe(Effect.provide(MemoryStore.layer)))

  it.effect("layerWithObjects seeds the store, each object with its own uid", () =>
    Effect.gen(function*() {
      const store = yield* ObjectStore
      const pods = yield* store.list("Pod")
      assert.deepStrictEqual(pods.map((p) => p.metadata.name), ["a", "b"])
      assert.notStrictEqual(pods[0]!.metadata.uid, pods[1]!.metadata.uid)
      assert.isTrue(Option.isSome(yield* store.get("Node", "", "node-1")))
    }).pipe(Effect.provide(MemoryStore.layerWithObjects([
      ObjectStoreContract.object("Pod", "default", "b"),
      ObjectStoreContract.object("Pod", "default", "a"),
      ObjectStoreContract.object("Node", "", "node-1")
    ]))))

  it.effect("layerWithObjects refuses two objects with the same key", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.provide(
        ObjectStore,
        MemoryStore.layerWithObjects([
          ObjectStoreContract.object("Pod", "default", "a"),
          ObjectStoreContract.object("Pod", "default", "a")
        ])
      ))
      assert.strictEqual(error.message, `pods "a" already exists`)
    }))

  // The store keeps objects packed (compact JSON) and reads them back: what it hands out must be
  // what `KubeObject.stamp` makes of the input, whatever the input holds.
  const stampedAs = (input: KubeObject.KubeObject, created: KubeObject.KubeObject) =>
    KubeObject.stamp(input, {
      uid: created.metadata.uid!,
      now: created.metadata.creationTimestamp!,
      resourceVersion: created.metadata.resourceVersion!
    })

  const roundTrip = (input: KubeObject.KubeObject) =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      const created = yield* store.create(input)
      assert.deepStrictEqual(created, stampedAs(input, created))
      const key = KubeObject.keyOf(created)
      assert.deepStrictEqual(Option.getOrThrow(yield* store.get(key.kind, key.namespace, key.name)), created)
      assert.deepStrictEqual(yield* store.list(key.kind), [created])
      assert.deepStrictEqual(yield* store.delete(key.kind, key.namespace, key.name), created)
    })

  // Effect's arbitrary puts the extra keys first; objects as clients send them open with
  // apiVersion and kind. Both orders are drawn.
  const anyObject = FastCheck.tuple(Arbitrary.make(KubeObject.KubeObject), FastCheck.boolean()).map(
    ([object, usual]): KubeObject.KubeObject => {
      if (!usual) return object
      const { apiVersion, kind, ...rest } = object
      return { apiVersion, kind, ...rest }
    }
  )

  // Objects as clients send them: JSON (any Unicode, numbers including -0) under free keys.
  const reserved = new Set(["apiVersion", "kind", "metadata", "name", "namespace", "uid", "resourceVersion",
    "creationTimestamp", "deletionTimestamp", "generateName", "labels", "annotations", "__proto__"])
  const freeKeys = FastCheck.dictionary(
    FastCheck.fullUnicodeString().filter((key) => !reserved.has(key)),
    FastCheck.unicodeJsonValue({ maxDepth: 3 }),
    { maxKeys: 4 }
  )
  const sentObject = FastCheck.record({
    kind: FastCheck.constantFrom(...KubeObject.ObjectKind.literals),
    name: FastCheck.fullUnicodeString({ minLength: 1 }),
    namespace: FastCheck.fullUnicodeString(),
    labels: FastCheck.option(FastCheck.dictionary(FastCheck.fullUnicodeString(), FastCheck.fullUnicodeString()), { nil: undefined }),
    moreMetadata: freeKeys,
    more: freeKeys
  }).map(({ kind, labels, more, moreMetadata, name, namespace }): KubeObject.KubeObject => ({
    apiVersion: "v1",
    kind,
    metadata: { ...moreMetadata, name, namespace, ...(labels === undefined ? {} : { labels }) },
    ...more
  }))

  it.effect.prop("objects read back equal the stamped input", [FastCheck.oneof(sentObject, anyObject)], ([input]) =>
    roundTrip(input), { fastCheck: { numRuns: 300 } })

  it.effect("values JSON does not keep are kept as they are", () =>
    Effect.gen(function*() {
      const symbol = Symbol("extra")
      const sparse: Array<number> = [1]
      sparse[2] = 3
      const inputs: Array<KubeObject.KubeObject> = [
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "dying", namespace: "default", deletionTimestamp: DateTime.unsafeMake(1_700_000_000_000) }
        },
        { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default", labels: undefined } },
        { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" }, data: { zero: -0 } },
        { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" }, list: sparse },
        { apiVersion: "v1", kind: "Node", metadata: { name: "n" }, [symbol]: "kept" } as KubeObject.KubeObject,
        { apiVersion: "v1", kind: "Node", metadata: { name: "n" }, bytes: new Uint8Array([1, 2]) },
        { apiVersion: "v1", kind: "Node", metadata: { name: "n" }, deep: JSON.parse("[".repeat(100) + "]".repeat(100)) },
        { apiVersion: "v1", kind: "Node", metadata: { name: "n" }, spec: JSON.parse(`{"__proto__":{"a":1}}`) },
        JSON.parse(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"},"__proto__":{"a":1}}`),
        { kind: "Namespace", apiVersion: "v1", metadata: { name: "reordered" } }
      ]
      // Packed, with the JSON pieces the packed form abbreviates (and the control characters it
      // abbreviates them with) inside names, keys and values.
      const tricky = [`,"uid":"`, `{"metadata":{"name":"`, `"}}`, "\u0001\u0002\u0010\u001f", `\\"},"spec":{`, "\"\\"]
      inputs.push({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: tricky.join(""), namespace: tricky[0]!, labels: Object.fromEntries(tricky.map((t) => [t, t])) },
        spec: { serviceAccountName: tricky[2]!, containers: [{ name: tricky[3]!, image: tricky[4]! }] },
        data: { [tricky[5]!]: tricky }
      })
      for (const input of inputs) yield* roundTrip(input)
    }))

  it.effect("more objects than are kept unpacked read back equal, by get, list and delete", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      const created: Array<KubeObject.KubeObject> = []
      for (let i = 0; i < 3000; i++) {
        created.push(yield* store.create(ObjectStoreContract.object("Pod", `ns-${i % 7}`, `pod-${i}`, {
          spec: { serviceAccountName: `sa-${i}`, containers: [{ name: "c", image: "nginx" }] }
        })))
      }
      for (const object of created) {
        const got = yield* store.get("Pod", object.metadata.namespace!, object.metadata.name!)
        assert.deepStrictEqual(Option.getOrThrow(got), object)
      }
      assert.deepStrictEqual(yield* store.list("Pod"), [...created].sort(KubeObject.order))
      assert.deepStrictEqual(yield* store.list("Pod", "ns-3"), created.filter((o) => o.metadata.namespace === "ns-3").sort(KubeObject.order))
      for (const object of created.slice(0, 1500)) {
        assert.deepStrictEqual(yield* store.delete("Pod", object.metadata.namespace!, object.metadata.name!), object)
      }
      assert.deepStrictEqual(yield* store.list("Pod"), created.slice(1500).sort(KubeObject.order))
      assert.isTrue(Option.isNone(yield* store.get("Pod", created[0]!.metadata.namespace!, created[0]!.metadata.name!)))
    }))

  it.effect("a get returns the same object until it is displaced, and equal ones after", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      const sa = yield* store.create(ObjectStoreContract.object("ServiceAccount", "default", "builder"))
      assert.strictEqual(Option.getOrThrow(yield* store.get("ServiceAccount", "default", "builder")), sa)
      for (let i = 0; i < 2000; i++) yield* store.create(ObjectStoreContract.object("Secret", "default", `s-${i}`))
      assert.deepStrictEqual(Option.getOrThrow(yield* store.get("ServiceAccount", "default", "builder")), sa)
    }))
})
