/**
 * What every store does to an object on create: the identity fields the server owns.
 *
 * @internal
 */
import * as DateTime from "effect/DateTime"
import * as KubeObject from "@tokenrequest/domain/KubeObject"

/** `kind/namespace/name`, the map key of an object. */
export const keyString = (kind: KubeObject.ObjectKind, namespace: string, name: string): string =>
  `${kind}/${KubeObject.kinds[kind].namespaced ? namespace : ""}/${name}`

/** Orders objects by namespace, then name. */
export const byNamespaceThenName = (a: KubeObject.KubeObject, b: KubeObject.KubeObject): number => {
  const na = a.metadata.namespace ?? ""
  const nb = b.metadata.namespace ?? ""
  if (na !== nb) return na < nb ? -1 : 1
  const ma = a.metadata.name ?? ""
  const mb = b.metadata.name ?? ""
  return ma < mb ? -1 : ma > mb ? 1 : 0
}

/**
 * The object as stored: `uid`, `creationTimestamp` (whole seconds, as `metav1.Time` keeps it) and
 * `resourceVersion` replaced; `namespace` set for namespaced kinds and removed for cluster-scoped ones.
 */
export const stamp = (
  object: KubeObject.KubeObject,
  fields: { readonly uid: string; readonly now: DateTime.Utc; readonly resourceVersion: string }
): KubeObject.KubeObject => {
  const key = KubeObject.keyOf(object)
  const { namespace: _namespace, ...metadata } = object.metadata
  return {
    ...object,
    metadata: {
      ...metadata,
      name: key.name,
      ...(KubeObject.kinds[object.kind].namespaced ? { namespace: key.namespace } : {}),
      uid: fields.uid,
      creationTimestamp: DateTime.unsafeMake(Math.floor(DateTime.toEpochMillis(fields.now) / 1000) * 1000),
      resourceVersion: fields.resourceVersion
    }
  }
}
