import { assert, describe, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
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
})
