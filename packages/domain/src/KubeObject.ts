/**
 * The core/v1 objects the TokenRequest API looks up (ServiceAccount, Pod, Secret, Node) and the
 * reference server stores (those and Namespace). Only the fields the rules read are typed; every
 * other field is kept as sent.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import type * as Order from "effect/Order"
import * as Schema from "effect/Schema"
import { arbitrary } from "./internal/openStruct.js"
import { ObjectMeta } from "./ObjectMeta.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const ObjectKind = Schema.Literal("Namespace", "ServiceAccount", "Pod", "Secret", "Node")

/**
 * @since 0.1.0
 * @category models
 */
export type ObjectKind = typeof ObjectKind.Type

/**
 * Per kind: the resource (plural, as in URLs, Status details and etcd keys) and whether it lives in a
 * namespace.
 *
 * @since 0.1.0
 * @category constants
 */
export const kinds: { readonly [K in ObjectKind]: { readonly resource: string; readonly namespaced: boolean } } = {
  Namespace: { resource: "namespaces", namespaced: false },
  ServiceAccount: { resource: "serviceaccounts", namespaced: true },
  Pod: { resource: "pods", namespaced: true },
  Secret: { resource: "secrets", namespaced: true },
  Node: { resource: "nodes", namespaced: false }
}

/**
 * The kind served under a resource name (`pods` → `Pod`).
 *
 * @since 0.1.0
 * @category constants
 */
export const kindOfResource = (resource: string): Option.Option<ObjectKind> =>
  Option.fromNullable((Object.keys(kinds) as Array<ObjectKind>).find((k) => kinds[k].resource === resource))

const Rest = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const kubeObjectFields = {
  apiVersion: Schema.Literal("v1"),
  kind: ObjectKind,
  metadata: ObjectMeta
}

/**
 * Any stored object: `apiVersion: v1`, one of the five kinds, metadata, and the rest kept verbatim.
 * Stores hand these out with `metadata.name`, `uid`, `creationTimestamp` and `resourceVersion` set.
 *
 * @since 0.1.0
 * @category schemas
 */
export const KubeObject = Schema.Struct(kubeObjectFields, Rest).annotations({
  identifier: "KubeObject",
  arbitrary: arbitrary(kubeObjectFields)
})

/**
 * @since 0.1.0
 * @category models
 */
export type KubeObject = typeof KubeObject.Type

/**
 * The part of a Pod's `spec` the binding rules read.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PodSpec = Schema.Struct(
  {
    serviceAccountName: Schema.optional(Schema.String),
    nodeName: Schema.optional(Schema.String)
  },
  Rest
)

/**
 * The service account a Pod runs as (`spec.serviceAccountName`, empty when unset).
 *
 * @since 0.1.0
 * @category accessors
 */
export const podServiceAccountName = (pod: KubeObject): string => podSpec(pod).serviceAccountName ?? ""

/**
 * The node a Pod is scheduled on (`spec.nodeName`, empty when not scheduled).
 *
 * @since 0.1.0
 * @category accessors
 */
export const podNodeName = (pod: KubeObject): string => podSpec(pod).nodeName ?? ""

const decodePodSpec = Schema.decodeUnknownOption(PodSpec)
const podSpec = (pod: KubeObject) => Option.getOrElse(decodePodSpec(pod["spec"] ?? {}), () => ({}) as typeof PodSpec.Type)

/**
 * An object's identity for stores and events.
 *
 * @since 0.1.0
 * @category models
 */
export interface ObjectKey {
  readonly kind: ObjectKind
  /** Empty for cluster-scoped kinds (Namespace, Node). */
  readonly namespace: string
  readonly name: string
}

/**
 * The key of a stored object.
 *
 * @since 0.1.0
 * @category accessors
 */
export const keyOf = (object: KubeObject): ObjectKey => ({
  kind: object.kind,
  namespace: kinds[object.kind].namespaced ? (object.metadata.namespace ?? "") : "",
  name: object.metadata.name ?? ""
})

/**
 * The order `ObjectStore.list` returns: by namespace, then by name.
 *
 * @since 0.1.0
 * @category ordering
 */
export const order: Order.Order<KubeObject> = (a, b) => {
  const x = keyOf(a)
  const y = keyOf(b)
  if (x.namespace !== y.namespace) return x.namespace < y.namespace ? -1 : 1
  return x.name < y.name ? -1 : x.name > y.name ? 1 : 0
}

/**
 * What every store does to an object on create: `uid` and `creationTimestamp` (whole seconds, as
 * `metav1.Time` keeps it) replaced, `namespace` kept only for namespaced kinds, and `resourceVersion`
 * set — or removed when the store assigns it later (etcd's mod revision).
 *
 * @since 0.1.0
 * @category constructors
 */
export const stamp = (
  object: KubeObject,
  fields: { readonly uid: string; readonly now: DateTime.DateTime; readonly resourceVersion?: string }
): KubeObject => {
  const key = keyOf(object)
  const { namespace: _namespace, resourceVersion: _resourceVersion, ...metadata } = object.metadata
  return {
    ...object,
    metadata: {
      ...metadata,
      name: key.name,
      ...(kinds[object.kind].namespaced ? { namespace: key.namespace } : {}),
      uid: fields.uid,
      creationTimestamp: DateTime.unsafeMake(Math.floor(DateTime.toEpochMillis(fields.now) / 1000) * 1000),
      ...(fields.resourceVersion === undefined ? {} : { resourceVersion: fields.resourceVersion })
    }
  }
}
