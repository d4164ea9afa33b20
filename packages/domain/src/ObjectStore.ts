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
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import type { AlreadyExists, NotFound } from "./Errors.js"
import type { KubeObject, ObjectKind } from "./KubeObject.js"

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
