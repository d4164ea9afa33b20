/**
 * The `ObjectStore` port in memory: one `Map` keyed by kind, namespace and name (O(1) get, create and
 * delete), Kubernetes identity on create (UUID v4 `uid`, `creationTimestamp` from Effect's `Clock`,
 * an increasing `resourceVersion`), and a watch fed by a `PubSub` in commit order.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Stream from "effect/Stream"
import { AlreadyExists, NotFound } from "@tokenrequest/domain/Errors"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import { ObjectStore, type ObjectEvent } from "@tokenrequest/domain/ObjectStore"
import * as ManifestLoader from "./ManifestLoader.js"
import { keyString } from "./internal/keyString.js"

/**
 * Builds an empty in-memory store. Each call gives an independent store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<ObjectStore["Type"]> = Effect.gen(function*() {
  const objects = new Map<string, KubeObject.KubeObject>()
  const events = yield* PubSub.unbounded<ObjectEvent>()
  // One writer at a time, so that the map and the event order always agree.
  const writer = yield* Effect.makeSemaphore(1)
  let revision = 0

  const get: ObjectStore["Type"]["get"] = (kind, namespace, name) =>
    Effect.sync(() => Option.fromNullable(objects.get(keyString(kind, namespace, name))))

  const list: ObjectStore["Type"]["list"] = (kind, namespace) =>
    Effect.sync(() => {
      const result: Array<KubeObject.KubeObject> = []
      for (const object of objects.values()) {
        if (object.kind !== kind) continue
        if (namespace !== undefined && KubeObject.kinds[kind].namespaced && object.metadata.namespace !== namespace) {
          continue
        }
        result.push(object)
      }
      return result.sort(KubeObject.order)
    })

  const create: ObjectStore["Type"]["create"] = (object) =>
    Effect.gen(function*() {
      const key = KubeObject.keyOf(object)
      const id = keyString(key.kind, key.namespace, key.name)
      if (objects.has(id)) {
        return yield* new AlreadyExists({ group: "", resource: KubeObject.kinds[key.kind].resource, name: key.name })
      }
      const now = yield* DateTime.now
      revision += 1
      const stored = KubeObject.stamp(object, { uid: randomUUID(), now, resourceVersion: String(revision) })
      objects.set(id, stored)
      yield* PubSub.publish<ObjectEvent>(events, { type: "ADDED", object: stored })
      return stored
    }).pipe(writer.withPermits(1))

  const del: ObjectStore["Type"]["delete"] = (kind, namespace, name) =>
    Effect.gen(function*() {
      const id = keyString(kind, namespace, name)
      const existing = objects.get(id)
      if (existing === undefined) {
        return yield* new NotFound({ group: "", resource: KubeObject.kinds[kind].resource, name })
      }
      objects.delete(id)
      revision += 1
      yield* PubSub.publish<ObjectEvent>(events, { type: "DELETED", object: existing })
      return existing
    }).pipe(writer.withPermits(1))

  return ObjectStore.of({ get, list, create, delete: del, watch: Stream.fromPubSub(events) })
})

/**
 * An empty in-memory store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<ObjectStore> = Layer.effect(ObjectStore, make)

/**
 * An in-memory store seeded with objects (each created as by `create`, so each gets its own `uid`);
 * fails with `AlreadyExists` when two objects share a key.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithObjects = (objects: Iterable<KubeObject.KubeObject>): Layer.Layer<ObjectStore, AlreadyExists> =>
  Layer.effect(
    ObjectStore,
    Effect.gen(function*() {
      const store = yield* make
      for (const object of objects) {
        yield* Effect.catchTag(store.create(object), "ObjectStoreError", Effect.die)
      }
      return store
    })
  )

/**
 * An in-memory store seeded from manifest files (the server's `--objects`); fails with a
 * `ManifestError` naming each bad file and document, and then nothing is loaded.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromManifests = (
  paths: ReadonlyArray<string>
): Layer.Layer<ObjectStore, ManifestLoader.ManifestError> =>
  Layer.unwrapEffect(Effect.map(ManifestLoader.load(paths), (objects) =>
    // `load` already rejected duplicates, so creating cannot conflict.
    Layer.orDie(layerWithObjects(objects))
  ))
