/**
 * The map key of an object in the memory store.
 *
 * @internal
 */
import * as KubeObject from "@tokenrequest/domain/KubeObject"

/** `kind/namespace/name`, the map key of an object. */
export const keyString = (kind: KubeObject.ObjectKind, namespace: string, name: string): string =>
  `${kind}/${KubeObject.kinds[kind].namespaced ? namespace : ""}/${name}`
