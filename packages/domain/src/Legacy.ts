/**
 * Legacy secret-based service-account tokens (`legacy.go`): issuer `kubernetes/serviceaccount`, the
 * flat `kubernetes.io/serviceaccount/...` private claims, and their validator with ServiceAccount
 * lookup (`--service-account-lookup`, on by default): the Secret must still hold this very token.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { NotFound, ServiceUnavailable } from "./Errors.js"
import * as base64std from "./internal/base64std.js"
import { field } from "./internal/goJson.js"
import type * as KubeObject from "./KubeObject.js"
import type { ObjectStore } from "./ObjectStore.js"
import * as Steps from "./Steps.js"
import type { ServiceAccountInfo } from "./ServiceAccountUser.js"
import { Rejected } from "./Validator.js"
import { lookup } from "./internal/reviewLookup.js"

/**
 * The issuer of legacy tokens.
 *
 * @since 0.1.0
 * @category constants
 */
export const issuer = "kubernetes/serviceaccount"

/**
 * The private claim keys of a legacy token.
 *
 * @since 0.1.0
 * @category constants
 */
export const claimKeys = {
  namespace: "kubernetes.io/serviceaccount/namespace",
  secretName: "kubernetes.io/serviceaccount/secret.name",
  serviceAccountName: "kubernetes.io/serviceaccount/service-account.name",
  serviceAccountUid: "kubernetes.io/serviceaccount/service-account.uid"
} as const

/**
 * The label that marks a legacy token invalid.
 *
 * @since 0.1.0
 * @category constants
 */
export const invalidSinceLabel = "kubernetes.io/legacy-token-invalid-since"

/**
 * The upstream messages of the legacy validator.
 *
 * @since 0.1.0
 * @category constants
 */
export const messages = {
  subMissing: "sub claim is missing",
  namespaceMissing: "namespace claim is missing",
  secretNameMissing: "secretName claim is missing",
  serviceAccountNameMissing: "serviceAccountName claim is missing",
  serviceAccountUidMissing: "serviceAccountUID claim is missing",
  subInvalid: "sub claim is invalid",
  invalidated: "Token has been invalidated",
  mismatch: "Token does not match server's copy",
  serviceAccountDeleted: (namespace: string, name: string) => `ServiceAccount ${namespace}/${name} has been deleted`,
  serviceAccountUid: (actual: string, claim: string) => `ServiceAccount UID (${actual}) does not match claim (${claim})`,
  markedInvalid: (namespace: string, secret: string, serviceAccount: string) =>
    `the token in secret ${namespace}/${secret} for service account ${namespace}/${serviceAccount} has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the '${invalidSinceLabel}' label from the secret to temporarily allow use of this token`
} as const

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/**
 * `SplitUsername`: `system:serviceaccount:<ns>:<name>` with a valid namespace (DNS-1123 label) and
 * name (DNS-1123 subdomain).
 *
 * @since 0.1.0
 * @category parsing
 */
export const splitUsername = (username: string): Option.Option<{ readonly namespace: string; readonly name: string }> => {
  const prefix = "system:serviceaccount:"
  if (!username.startsWith(prefix)) return Option.none()
  const parts = username.slice(prefix.length).split(":")
  if (parts.length !== 2) return Option.none()
  const [namespace, name] = parts as [string, string]
  return namespace.length <= 63 && dns1123Label.test(namespace) && name.length <= 253 && dns1123Subdomain.test(name)
    ? Option.some({ namespace, name })
    : Option.none()
}

const text = (payload: unknown, key: string): string => {
  const v = field(payload, key)
  return typeof v === "string" ? v : ""
}

const reject = (message: string) => Steps.fail(new Rejected({ message }))


const secretToken = (secret: KubeObject.KubeObject): Uint8Array => {
  const data = secret["data"]
  const value = data !== null && typeof data === "object" ? (data as Record<string, unknown>)["token"] : undefined
  return typeof value === "string" ? (base64std.decode(value) ?? new Uint8Array()) : new Uint8Array()
}

/**
 * `validate` as steps (see `Steps`).
 *
 * @since 0.1.0
 * @category rules
 */
export function* validateSteps(
  payload: unknown,
  token: string
): Steps.Steps<ServiceAccountInfo, Rejected | ServiceUnavailable> {
  const sub = text(payload, "sub")
  const namespace = text(payload, claimKeys.namespace)
  const secretName = text(payload, claimKeys.secretName)
  const serviceAccountName = text(payload, claimKeys.serviceAccountName)
  const serviceAccountUid = text(payload, claimKeys.serviceAccountUid)
  if (sub === "") return yield* reject(messages.subMissing)
  if (namespace === "") return yield* reject(messages.namespaceMissing)
  if (secretName === "") return yield* reject(messages.secretNameMissing)
  if (serviceAccountName === "") return yield* reject(messages.serviceAccountNameMissing)
  if (serviceAccountUid === "") return yield* reject(messages.serviceAccountUidMissing)
  const split = splitUsername(sub)
  if (Option.isNone(split) || split.value.namespace !== namespace || split.value.name !== serviceAccountName) {
    return yield* reject(messages.subInvalid)
  }
  const secret = yield* lookup("Secret", namespace, secretName)
  if (Option.isNone(secret) || secret.value.metadata.deletionTimestamp != null) {
    return yield* reject(messages.invalidated)
  }
  const stored = secretToken(secret.value)
  const presented = new TextEncoder().encode(token)
  if (stored.length !== presented.length || !stored.every((b, i) => b === presented[i])) {
    return yield* reject(messages.mismatch)
  }
  const serviceAccount = yield* lookup("ServiceAccount", namespace, serviceAccountName)
  if (Option.isNone(serviceAccount)) {
    return yield* reject(new NotFound({ group: "", resource: "serviceaccounts", name: serviceAccountName }).message)
  }
  if (serviceAccount.value.metadata.deletionTimestamp != null) {
    return yield* reject(messages.serviceAccountDeleted(namespace, serviceAccountName))
  }
  const uid = serviceAccount.value.metadata.uid ?? ""
  if (uid !== serviceAccountUid) return yield* reject(messages.serviceAccountUid(uid, serviceAccountUid))
  if ((secret.value.metadata.labels?.[invalidSinceLabel] ?? "") !== "") {
    return yield* reject(messages.markedInvalid(namespace, secretName, serviceAccountName))
  }
  return {
    namespace,
    name: serviceAccountName,
    uid: serviceAccountUid,
    podName: "",
    podUid: "",
    nodeName: "",
    nodeUid: "",
    credentialId: ""
  }
}

/**
 * The legacy validator: required claims in upstream order, `sub` consistency, then (lookup on) the
 * Secret (present, not deleting, holding this very token), the ServiceAccount (present, not
 * deleting, same UID), and the invalid-since label.
 *
 * @since 0.1.0
 * @category rules
 */
export const validate = (
  payload: unknown,
  token: string
): Effect.Effect<ServiceAccountInfo, Rejected | ServiceUnavailable, ObjectStore> =>
  Steps.toEffect(() => validateSteps(payload, token))
