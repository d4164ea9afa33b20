/**
 * What every store does to an object on create (the same rules as `@tokenrequest/store-memory`,
 * which this package may not import).
 *
 * @internal
 */
import * as DateTime from "effect/DateTime"
import * as KubeObject from "@tokenrequest/domain/KubeObject"

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
 * The object as stored: `uid` and `creationTimestamp` (whole seconds) replaced, `resourceVersion`
 * removed (etcd's mod revision is the resource version), `namespace` kept only for namespaced kinds.
 */
export const stamp = (
  object: KubeObject.KubeObject,
  fields: { readonly uid: string; readonly now: DateTime.Utc }
): KubeObject.KubeObject => {
  const key = KubeObject.keyOf(object)
  const { namespace: _namespace, resourceVersion: _resourceVersion, ...metadata } = object.metadata
  return {
    ...object,
    metadata: {
      ...metadata,
      name: key.name,
      ...(KubeObject.kinds[object.kind].namespaced ? { namespace: key.namespace } : {}),
      uid: fields.uid,
      creationTimestamp: DateTime.unsafeMake(Math.floor(DateTime.toEpochMillis(fields.now) / 1000) * 1000)
    }
  }
}

/** The object with `metadata.resourceVersion` set. */
export const withResourceVersion = (object: KubeObject.KubeObject, revision: bigint): KubeObject.KubeObject => ({
  ...object,
  metadata: { ...object.metadata, resourceVersion: revision.toString() }
})
