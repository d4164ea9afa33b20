/**
 * Bound-object resolution (step T11 of `token.go`): the reference's GroupVersionKind, the per-kind
 * lookups (Pod, Secret, Node) with their upstream errors, the Pod's node, and the UID precondition.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { BoundObjectReference } from "./BoundObjectReference.js"
import type { InternalError, ServiceUnavailable } from "./Errors.js"
import { BadRequest, Conflict, NotFound } from "./Errors.js"
import { goQuote } from "./FieldError.js"
import { lookup, require } from "./internal/storeError.js"
import * as KubeObject from "./KubeObject.js"
import type { ObjectStore } from "./ObjectStore.js"
import * as Steps from "./Steps.js"

/**
 * `schema.GroupVersionKind`.
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupVersionKind {
  readonly group: string
  readonly version: string
  readonly kind: string
}

/**
 * `FromAPIVersionAndKind`: `v1` and `""` give group `""`; `g/v` gives group `g`; an unparsable
 * apiVersion (two or more `/`) gives an empty group and version.
 *
 * @since 0.1.0
 * @category parsing
 */
export const groupVersionKind = (apiVersion: string, kind: string): GroupVersionKind => {
  if (apiVersion === "" || apiVersion === "/") return { group: "", version: "", kind }
  const slashes = apiVersion.split("/").length - 1
  if (slashes === 0) return { group: "", version: apiVersion, kind }
  if (slashes === 1) {
    const i = apiVersion.indexOf("/")
    return { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1), kind }
  }
  return { group: "", version: "", kind }
}

/**
 * `GroupVersionKind.String()`: `group/version, Kind=kind`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatGroupVersionKind = (gvk: GroupVersionKind): string => `${gvk.group}/${gvk.version}, Kind=${gvk.kind}`

/**
 * A name and UID as they appear in the `kubernetes.io` claim (`uid` is `""` for a Pod's node that
 * was not found).
 *
 * @since 0.1.0
 * @category models
 */
export interface ObjectReference {
  readonly name: string
  readonly uid: string
}

/**
 * What a token is bound to: nothing, a Pod (and its node), a Secret, or a Node.
 *
 * @since 0.1.0
 * @category models
 */
export interface Binding {
  readonly pod?: ObjectReference | undefined
  readonly secret?: ObjectReference | undefined
  readonly node?: ObjectReference | undefined
}

/**
 * The unbound binding.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unbound: Binding = {}

/**
 * @since 0.1.0
 * @category errors
 */
export type ResolveError = NotFound | BadRequest | Conflict | InternalError | ServiceUnavailable

/**
 * `cannot bind token for serviceaccount "<sa>" to pod running with different serviceaccount name.`
 *
 * @since 0.1.0
 * @category formatting
 */
export const podServiceAccountMismatch = (serviceAccount: string): string =>
  `cannot bind token for serviceaccount ${goQuote(serviceAccount)} to pod running with different serviceaccount name.`

/**
 * The Conflict of a bound-reference UID precondition. The resource is the Kind (`Pod`), as upstream.
 *
 * @since 0.1.0
 * @category constructors
 */
export const uidConflict = (gvk: GroupVersionKind, name: string, requestedUid: string): Conflict =>
  new Conflict({
    group: gvk.group,
    resource: gvk.kind,
    name,
    reason:
      `the UID in the bound object reference (${requestedUid}) does not match the UID in record. The object might have been deleted and then recreated`
  })

const uidOf = (object: KubeObject.KubeObject) => object.metadata.uid ?? ""

/**
 * Step T11 as steps (see `Steps`): resolves the reference of a request for the service account
 * `serviceAccount` in `namespace`. No reference → unbound.
 *
 * @since 0.1.0
 * @category rules
 */
export function* resolveSteps(
  namespace: string,
  serviceAccount: string,
  ref: BoundObjectReference | null | undefined
): Steps.Steps<Binding, ResolveError> {
  if (ref === null || ref === undefined) return unbound
  const name = ref.name ?? ""
  const gvk = groupVersionKind(ref.apiVersion ?? "", ref.kind ?? "")
  let binding: Binding
  let uid: string
  if (gvk.group === "" && gvk.kind === "Pod") {
    const pod = yield* require("Pod", namespace, name)
    if (KubeObject.podServiceAccountName(pod) !== serviceAccount) {
      return yield* Steps.fail(new BadRequest({ reason: podServiceAccountMismatch(serviceAccount) }))
    }
    uid = uidOf(pod)
    const nodeName = KubeObject.podNodeName(pod)
    let node: ObjectReference | undefined
    if (nodeName !== "") {
      const found = yield* lookup("Node", "", nodeName)
      node = { name: nodeName, uid: Option.isSome(found) ? uidOf(found.value) : "" }
    }
    binding = { pod: { name: pod.metadata.name ?? name, uid }, node }
  } else if (gvk.group === "" && gvk.kind === "Secret") {
    const secret = yield* require("Secret", namespace, name)
    uid = uidOf(secret)
    binding = { secret: { name: secret.metadata.name ?? name, uid } }
  } else if (gvk.group === "" && gvk.kind === "Node") {
    const node = yield* require("Node", "", name)
    uid = uidOf(node)
    binding = { node: { name: node.metadata.name ?? name, uid } }
  } else {
    return yield* Steps.fail(
      new BadRequest({ reason: `cannot bind token to object of type ${formatGroupVersionKind(gvk)}` })
    )
  }
  const requestedUid = ref.uid ?? ""
  if (requestedUid !== "" && requestedUid !== uid) return yield* Steps.fail(uidConflict(gvk, name, requestedUid))
  return binding
}

/**
 * Step T11: resolves the reference of a request for the service account `serviceAccount` in
 * `namespace`. No reference → unbound.
 *
 * @since 0.1.0
 * @category rules
 */
export const resolve = (
  namespace: string,
  serviceAccount: string,
  ref: BoundObjectReference | null | undefined
): Effect.Effect<Binding, ResolveError, ObjectStore> =>
  Steps.toEffect(() => resolveSteps(namespace, serviceAccount, ref))
