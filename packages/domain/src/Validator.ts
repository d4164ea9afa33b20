/**
 * The bound-token validator (`claims.go` `validator.Validate`): the time window with go-jose's
 * 60-second leeway, then the ServiceAccount and every bound object (Secret, Pod, Node) by existence,
 * UID and deletion, UID checks before deletion checks, every message verbatim.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as DateTime from "effect/DateTime"
import type * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { DecodedClaims } from "./Claims.js"
import { NotFound, ServiceUnavailable } from "./Errors.js"
import type * as KubeObject from "./KubeObject.js"
import type { ObjectStore } from "./ObjectStore.js"
import * as Steps from "./Steps.js"
import type { ServiceAccountInfo } from "./ServiceAccountUser.js"
import { lookup } from "./internal/reviewLookup.js"

/**
 * go-jose `DefaultLeeway`: one minute, also the deletion grace.
 *
 * @since 0.1.0
 * @category constants
 */
export const leewaySeconds = 60

/**
 * A token the authenticator handled and rejected; `message` is the upstream error text.
 *
 * @since 0.1.0
 * @category errors
 */
export class Rejected extends Data.TaggedError("Rejected")<{ readonly message: string }> {}

/**
 * The upstream messages of the validator.
 *
 * @since 0.1.0
 * @category constants
 */
export const messages = {
  notValidYet: "service account token is not valid yet",
  expired: "service account token has expired",
  issuedInTheFuture: "service account token is issued in the future",
  invalidated: "service account token has been invalidated",
  serviceAccountUid: (actual: string, claim: string) => `service account UID (${actual}) does not match claim (${claim})`,
  serviceAccountDeleted: (namespace: string, name: string) => `service account ${namespace}/${name} has been deleted`,
  secretUid: (actual: string, claim: string) =>
    `secret UID (${actual}) does not match service account secret ref claim (${claim})`,
  podUid: (actual: string, claim: string) => `pod UID (${actual}) does not match service account pod ref claim (${claim})`,
  nodeUid: (actual: string, claim: string) =>
    `node UID (${actual}) does not match service account node ref claim (${claim})`
} as const

/**
 * go-jose `Claims.Validate` with the default leeway: nbf, then exp, then iat; absent claims skipped;
 * strict comparisons of whole-second claims against a sub-second `now`.
 *
 * @since 0.1.0
 * @category rules
 */
export const validateTime = (
  claims: Pick<DecodedClaims, "nbf" | "exp" | "iat">,
  now: DateTime.DateTime
): Option.Option<string> => {
  const ms = DateTime.toEpochMillis(now)
  const leeway = leewaySeconds * 1000
  if (claims.nbf !== undefined && ms + leeway < claims.nbf * 1000) return Option.some(messages.notValidYet)
  if (claims.exp !== undefined && ms - leeway > claims.exp * 1000) return Option.some(messages.expired)
  if (claims.iat !== undefined && ms + leeway < claims.iat * 1000) return Option.some(messages.issuedInTheFuture)
  return Option.none()
}

/**
 * Whether an object was deleted before `now − 60s` (a deletion within the grace, or in the future,
 * still counts as present).
 *
 * @since 0.1.0
 * @category rules
 */
export const deletedBeforeGrace = (object: KubeObject.KubeObject, now: DateTime.DateTime): boolean => {
  const deletion = object.metadata.deletionTimestamp
  return deletion !== undefined && deletion !== null &&
    DateTime.toEpochMillis(deletion) < DateTime.toEpochMillis(now) - leewaySeconds * 1000
}

const reject = (message: string) => Steps.fail(new Rejected({ message }))


/**
 * `validate` as steps (see `Steps`).
 *
 * @since 0.1.0
 * @category rules
 */
export function* validateSteps(
  claims: DecodedClaims,
  now: DateTime.DateTime
): Steps.Steps<ServiceAccountInfo, Rejected | ServiceUnavailable> {
  const timeError = validateTime(claims, now)
  if (Option.isSome(timeError)) return yield* reject(timeError.value)
  const { namespace, serviceaccount, pod, secret, node } = claims.kubernetes
  const serviceAccount = yield* lookup("ServiceAccount", namespace, serviceaccount.name)
  if (Option.isNone(serviceAccount)) {
    return yield* reject(new NotFound({ group: "", resource: "serviceaccounts", name: serviceaccount.name }).message)
  }
  const saUid = serviceAccount.value.metadata.uid ?? ""
  if (saUid !== serviceaccount.uid) return yield* reject(messages.serviceAccountUid(saUid, serviceaccount.uid))
  if (deletedBeforeGrace(serviceAccount.value, now)) {
    return yield* reject(messages.serviceAccountDeleted(namespace, serviceaccount.name))
  }
  function* check(
    kind: KubeObject.ObjectKind,
    ns: string,
    ref: { readonly name: string; readonly uid: string },
    mismatch: (actual: string, claim: string) => string
  ): Steps.Steps<void, Rejected | ServiceUnavailable> {
    const found = yield* lookup(kind, ns, ref.name)
    if (Option.isNone(found)) return yield* reject(messages.invalidated)
    const uid = found.value.metadata.uid ?? ""
    if (ref.uid !== uid) return yield* reject(mismatch(uid, ref.uid))
    if (deletedBeforeGrace(found.value, now)) return yield* reject(messages.invalidated)
  }
  if (secret !== undefined) yield* check("Secret", namespace, secret, messages.secretUid)
  if (pod !== undefined) yield* check("Pod", namespace, pod, messages.podUid)
  if (node !== undefined && pod === undefined) yield* check("Node", "", node, messages.nodeUid)
  return {
    namespace,
    name: serviceaccount.name,
    uid: serviceaccount.uid,
    podName: pod?.name ?? "",
    podUid: pod?.uid ?? "",
    nodeName: node?.name ?? "",
    nodeUid: node?.uid ?? "",
    credentialId: claims.jti !== "" ? `JTI=${claims.jti}` : ""
  }
}

/**
 * Validates verified claims at `now` against the store. Fails with `Rejected` (the token is invalid)
 * or `ServiceUnavailable` (the store cannot be reached).
 *
 * @since 0.1.0
 * @category rules
 */
export const validate = (
  claims: DecodedClaims,
  now: DateTime.DateTime
): Effect.Effect<ServiceAccountInfo, Rejected | ServiceUnavailable, ObjectStore> =>
  Steps.toEffect(() => validateSteps(claims, now))
