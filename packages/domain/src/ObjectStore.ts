/**
 * The `ObjectStore` port: where ServiceAccounts, Pods, Secrets, Nodes and Namespaces live. The
 * programs only read (`get`); the reference server also creates, deletes, lists and watches.
 *
 * Adapters: `@tokenrequest/store-memory`, `@tokenrequest/store-etcd`; the contract suite in
 * `@tokenrequest/testkit` holds every adapter to the same behaviour.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { AlreadyExists, NotFound } from "./Errors.js"
import { randomV4 } from "./internal/uuid.js"
import type { KubeObject, ObjectKind } from "./KubeObject.js"
import { keyOf, kinds, order, stamp as stampObject } from "./KubeObject.js"

/**
 * A store failure that is not about the object: `Unavailable` (the backend cannot be reached; the
 * caller may retry, HTTP 503) or `Unexpected` (anything else, HTTP 500).
 *
 * @since 0.1.0
 * @category errors
 */
export class ObjectStoreError extends Schema.TaggedError<ObjectStoreError>("@tokenrequest/domain/ObjectStoreError")(
  "ObjectStoreError",
  {
    reason: Schema.Literal("Unavailable", "Unexpected"),
    description: Schema.String,
    cause: Schema.optional(Schema.Defect)
  }
) {
  override get message(): string {
    return this.description
  }
}

/**
 * A change, in the Kubernetes watch vocabulary.
 *
 * @since 0.1.0
 * @category models
 */
export interface ObjectEvent {
  readonly type: "ADDED" | "DELETED"
  readonly object: KubeObject
}

/**
 * @since 0.1.0
 * @category tags
 */
export class ObjectStore extends Context.Tag("@tokenrequest/domain/ObjectStore")<
  ObjectStore,
  {
    /** The object, or `None` when absent. `namespace` is `""` for Namespace and Node. */
    readonly get: (
      kind: ObjectKind,
      namespace: string,
      name: string
    ) => Effect.Effect<Option.Option<KubeObject>, ObjectStoreError>
    /** `get` at once, for stores that answer synchronously (see `Steps.SyncPorts`); must agree with `get`. */
    readonly unsafeGet?: (
      kind: ObjectKind,
      namespace: string,
      name: string
    ) => Either.Either<Option.Option<KubeObject>, ObjectStoreError>
    /** All objects of a kind, in one namespace when given, sorted by namespace then name. */
    readonly list: (kind: ObjectKind, namespace?: string) => Effect.Effect<ReadonlyArray<KubeObject>, ObjectStoreError>
    /**
     * Stores a new object and returns it as stored: a fresh `metadata.uid` (UUID v4), `creationTimestamp`
     * (now) and `resourceVersion` are assigned whatever the input carried.
     */
    readonly create: (object: KubeObject) => Effect.Effect<KubeObject, AlreadyExists | ObjectStoreError>
    /** Removes an object at once and returns it as it was. */
    readonly delete: (
      kind: ObjectKind,
      namespace: string,
      name: string
    ) => Effect.Effect<KubeObject, NotFound | ObjectStoreError>
    /** Changes from the moment of subscription on, in commit order. */
    readonly watch: Stream.Stream<ObjectEvent, ObjectStoreError>
  }
>() {}

const storeKey = (kind: ObjectKind, namespace: string, name: string) => `${kind}\u0000${namespace}\u0000${name}`

/**
 * An in-memory store (a `Map`, replaced on every write) for programs' tests and embedding: UUID v4
 * uids from Effect's `Random`, `creationTimestamp` from the `Clock` (both of the calling fiber),
 * increasing `resourceVersion`s, and a `PubSub`-fed watch. `initial` objects are stored as given,
 * with `uid`, `creationTimestamp` and `resourceVersion` filled in only where missing. Reads have a
 * synchronous form (`unsafeGet`), so `Steps.syncPorts` accepts it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (initial: ReadonlyArray<KubeObject> = []): Layer.Layer<ObjectStore> =>
  Layer.scoped(
    ObjectStore,
    Effect.gen(function*() {
      // Written only under `lock`, each write a new `Map`: a read sees one state, at once.
      let objects = new Map<string, KubeObject>()
      const version = yield* Ref.make(0)
      const lock = yield* Effect.makeSemaphore(1)
      const events = yield* Effect.acquireRelease(PubSub.unbounded<ObjectEvent>(), PubSub.shutdown)
      // Created objects get fresh identity fields; initial ones keep what they carry.
      const stamp = (object: KubeObject, fresh: boolean) =>
        Effect.gen(function*() {
          const now = yield* DateTime.now
          const resourceVersion = String(yield* Ref.updateAndGet(version, (n) => n + 1))
          if (fresh) return stampObject(object, { uid: yield* randomV4, now, resourceVersion })
          const { uid, creationTimestamp } = object.metadata
          return {
            ...object,
            metadata: {
              ...object.metadata,
              uid: uid ?? (yield* randomV4),
              creationTimestamp: creationTimestamp ?? now,
              resourceVersion: object.metadata.resourceVersion ?? resourceVersion
            }
          } satisfies KubeObject
        })
      for (const object of initial) {
        const k = keyOf(object)
        const stored = yield* stamp(object, false)
        objects = new Map(objects).set(storeKey(k.kind, k.namespace, k.name), stored)
      }
      const find = (kind: ObjectKind, namespace: string, name: string) =>
        Option.fromNullable(objects.get(storeKey(kind, namespace, name)))
      return ObjectStore.of({
        get: (kind, namespace, name) => Effect.sync(() => find(kind, namespace, name)),
        unsafeGet: (kind, namespace, name) => Either.right(find(kind, namespace, name)),
        list: (kind, namespace) =>
          Effect.sync(() =>
            [...objects.values()]
              .filter((o) => o.kind === kind && (namespace === undefined || keyOf(o).namespace === namespace))
              .sort(order)),
        create: (object) =>
          lock.withPermits(1)(Effect.gen(function*() {
            const k = keyOf(object)
            const id = storeKey(k.kind, k.namespace, k.name)
            if (objects.has(id)) {
              return yield* Effect.fail(new AlreadyExists({ group: "", resource: kinds[k.kind].resource, name: k.name }))
            }
            const stored = yield* stamp(object, true)
            objects = new Map(objects).set(id, stored)
            yield* PubSub.publish(events, { type: "ADDED", object: stored } as ObjectEvent)
            return stored
          })),
        delete: (kind, namespace, name) =>
          lock.withPermits(1)(Effect.gen(function*() {
            const id = storeKey(kind, namespace, name)
            const existing = objects.get(id)
            if (existing === undefined) {
              return yield* Effect.fail(new NotFound({ group: "", resource: kinds[kind].resource, name }))
            }
            const next = new Map(objects)
            next.delete(id)
            objects = next
            yield* PubSub.publish(events, { type: "DELETED", object: existing } as ObjectEvent)
            return existing
          })),
        watch: Stream.fromPubSub(events)
      })
    })
  )
