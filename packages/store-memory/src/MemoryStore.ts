/**
 * The `ObjectStore` port in memory: per kind, a `Map` of namespaces to a `Map` of names (O(1) get,
 * create and delete), Kubernetes identity on create (UUID v4 `uid`, `creationTimestamp` from
 * Effect's `Clock`, an increasing `resourceVersion`), and a watch fed by a `PubSub` in commit order.
 *
 * Objects are kept packed (one compact JSON string each, about 200 bytes for a Pod instead of over a
 * kilobyte as an object graph) and turned back into objects when read; the most recently created or
 * read ones are also kept as objects, so the lookups of every token request and review cost no
 * decoding. What `get`, `list`, `create`, `delete` and the watch hand out is equal to what was
 * stored.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Stream from "effect/Stream"
import { AlreadyExists, NotFound } from "@tokenrequest/domain/Errors"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import { ObjectStore, type ObjectEvent } from "@tokenrequest/domain/ObjectStore"
import * as ManifestLoader from "./ManifestLoader.js"
import { flat, pack, unpack } from "./internal/packed.js"

/** A stored object: its packed form, or the object itself when it does not pack. */
type Slot = string | KubeObject.KubeObject

/** How many objects are also kept unpacked (the most recently created or read). */
const unpackedCapacity = 1024

/**
 * Builds an empty in-memory store. Each call gives an independent store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<ObjectStore["Type"]> = Effect.gen(function*() {
  // kind → namespace ("" for cluster-scoped kinds) → name → object
  const objects: { readonly [K in KubeObject.ObjectKind]: Map<string, Map<string, Slot>> } = {
    Namespace: new Map(),
    ServiceAccount: new Map(),
    Pod: new Map(),
    Secret: new Map(),
    Node: new Map()
  }
  // packed form → object, in insertion order (the oldest is dropped first)
  const unpacked = new Map<string, KubeObject.KubeObject>()
  const events = yield* PubSub.unbounded<ObjectEvent>()
  let revision = 0

  const remember = (packed: string, object: KubeObject.KubeObject) => {
    if (unpacked.size >= unpackedCapacity) unpacked.delete(unpacked.keys().next().value!)
    unpacked.set(packed, object)
  }
  const read = (kind: KubeObject.ObjectKind, slot: Slot): KubeObject.KubeObject => {
    if (typeof slot !== "string") return slot
    const known = unpacked.get(slot)
    if (known !== undefined) return known
    const object = unpack(kind, slot)
    remember(slot, object)
    return object
  }
  const namespaceOf = (kind: KubeObject.ObjectKind, namespace: string) =>
    KubeObject.kinds[kind].namespaced ? namespace : ""

  const unsafeGet: NonNullable<ObjectStore["Type"]["unsafeGet"]> = (kind, namespace, name) => {
    const slot = objects[kind].get(namespaceOf(kind, namespace))?.get(name)
    return Either.right(slot === undefined ? Option.none() : Option.some(read(kind, slot)))
  }
  const get: ObjectStore["Type"]["get"] = (kind, namespace, name) => Effect.suspend(() => unsafeGet(kind, namespace, name))

  const list: ObjectStore["Type"]["list"] = (kind, namespace) =>
    Effect.sync(() => {
      const result: Array<KubeObject.KubeObject> = []
      // A listing does not displace the objects kept unpacked.
      const add = (names: Map<string, Slot>) => {
        for (const slot of names.values()) {
          result.push(typeof slot === "string" ? (unpacked.get(slot) ?? unpack(kind, slot)) : slot)
        }
      }
      if (namespace !== undefined && KubeObject.kinds[kind].namespaced) {
        const names = objects[kind].get(namespace)
        if (names !== undefined) add(names)
      } else {
        for (const names of objects[kind].values()) add(names)
      }
      return result.sort(KubeObject.order)
    })

  // A create or delete checks, changes the maps and publishes its event in one synchronous step, so
  // the maps and the event order always agree without a lock (and a bulk load stays cheap).
  const create: ObjectStore["Type"]["create"] = (object) =>
    Effect.clockWith((clock) =>
      Effect.suspend(() => {
        const key = KubeObject.keyOf(object)
        const namespaces = objects[key.kind]
        if (namespaces.get(key.namespace)?.has(key.name) === true) {
          return Effect.fail(
            new AlreadyExists({ group: "", resource: KubeObject.kinds[key.kind].resource, name: key.name })
          )
        }
        revision += 1
        // `randomUUID` answers a rope of sixteen strings; flat, the uid is a tenth of that.
        const stamped = KubeObject.stamp(object, {
          uid: flat(randomUUID()),
          now: DateTime.unsafeMake(clock.unsafeCurrentTimeMillis()),
          resourceVersion: String(revision)
        })
        const packed = pack(stamped)
        // The object handed out is the packed one read back: equal, and a third of the size of the
        // stamped one (whose spread copies give every object hidden classes of its own).
        const stored = packed === undefined ? stamped : unpack(key.kind, packed)
        if (packed !== undefined) remember(packed, stored)
        let names = namespaces.get(key.namespace)
        if (names === undefined) {
          names = new Map()
          namespaces.set(flat(key.namespace), names)
        }
        names.set(flat(key.name), packed ?? stored)
        events.unsafeOffer({ type: "ADDED", object: stored })
        return Effect.succeed(stored)
      })
    )

  const del: ObjectStore["Type"]["delete"] = (kind, namespace, name) =>
    Effect.suspend(() => {
      const namespaces = objects[kind]
      const key = namespaceOf(kind, namespace)
      const names = namespaces.get(key)
      const slot = names?.get(name)
      if (names === undefined || slot === undefined) {
        return Effect.fail(new NotFound({ group: "", resource: KubeObject.kinds[kind].resource, name }))
      }
      let existing: KubeObject.KubeObject
      if (typeof slot === "string") {
        existing = unpacked.get(slot) ?? unpack(kind, slot)
        unpacked.delete(slot)
      } else {
        existing = slot
      }
      names.delete(name)
      if (names.size === 0) namespaces.delete(key)
      revision += 1
      events.unsafeOffer({ type: "DELETED", object: existing })
      return Effect.succeed(existing)
    })

  return ObjectStore.of({ get, unsafeGet, list, create, delete: del, watch: Stream.fromPubSub(events) })
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
