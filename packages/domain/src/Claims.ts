/**
 * The claims of an issued token (`claims.go`, go-jose's builder): their exact layout, the
 * `kubernetes.io` private claim, NumericDates truncated to whole seconds, and the payload text as Go
 * marshals it (compact, keys sorted at every level, Go string escapes). Also the reverse: reading the
 * claims of a verified token the way Go's `encoding/json` decodes them.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import type { Binding, ObjectReference } from "./BoundObject.js"
import { UnknownReason } from "./Errors.js"
import type { Lifetime } from "./Expiration.js"
import { field, marshal } from "./internal/goJson.js"

/**
 * A `{name, uid}` reference inside `kubernetes.io`; empty fields are omitted.
 *
 * @since 0.1.0
 * @category models
 */
export interface Ref {
  readonly name?: string
  readonly uid?: string
}

/**
 * The `kubernetes.io` private claim.
 *
 * @since 0.1.0
 * @category models
 */
export interface KubernetesClaim {
  readonly namespace?: string
  readonly serviceaccount: Ref
  readonly pod?: Ref
  readonly secret?: Ref
  readonly node?: Ref
  readonly warnafter?: number
}

/**
 * Every claim of a service-account token.
 *
 * @since 0.1.0
 * @category models
 */
export interface Claims {
  readonly iss?: string
  readonly sub?: string
  readonly aud?: ReadonlyArray<string>
  readonly exp?: number
  readonly iat?: number
  readonly nbf?: number
  readonly jti?: string
  readonly "kubernetes.io"?: KubernetesClaim
}

/**
 * `system:serviceaccount:<namespace>:<name>` (`MakeUsername`).
 *
 * @since 0.1.0
 * @category formatting
 */
export const subject = (namespace: string, name: string): string => `system:serviceaccount:${namespace}:${name}`

/**
 * A NumericDate: Unix seconds, sub-seconds truncated (`t.Unix()`).
 *
 * @since 0.1.0
 * @category formatting
 */
export const numericDate = (instant: DateTime.DateTime): number => Math.floor(DateTime.toEpochMillis(instant) / 1000)

/**
 * Claims-building error of a Secret bound together with a Pod or a Node.
 *
 * @since 0.1.0
 * @category constants
 */
export const oneObjectTypeMessage = "internal error, token can only be bound to one object type"

/**
 * The inputs of claims minting: one `now` for every time claim.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClaimsInput {
  readonly issuer: string
  readonly namespace: string
  readonly serviceAccount: ObjectReference
  readonly audiences: ReadonlyArray<string>
  readonly binding: Binding
  readonly lifetime: Lifetime
  readonly now: DateTime.DateTime
  /** `""` leaves the `jti` out. */
  readonly jti: string
}

const ref = (r: ObjectReference): Ref =>
  r.name !== "" ? (r.uid !== "" ? { name: r.name, uid: r.uid } : { name: r.name }) : r.uid !== "" ? { uid: r.uid } : {}

/**
 * Step T14: the claims of a new token. A Secret bound together with a Pod or a Node fails with the
 * plain upstream error (`UnknownReason`, HTTP 500 with an empty reason).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: ClaimsInput): Either.Either<Claims, UnknownReason> => {
  const { binding } = input
  if (binding.secret !== undefined && (binding.pod !== undefined || binding.node !== undefined)) {
    return Either.left(new UnknownReason({ error: oneObjectTypeMessage }))
  }
  const now = numericDate(input.now)
  // Built with keys in code-point order, the order `serialize` writes them in (no sort needed).
  const kubernetes: { -readonly [K in keyof KubernetesClaim]: KubernetesClaim[K] } = {} as never
  if (input.namespace !== "") kubernetes.namespace = input.namespace
  if (binding.node !== undefined) kubernetes.node = ref(binding.node)
  if (binding.pod !== undefined) kubernetes.pod = ref(binding.pod)
  if (binding.secret !== undefined) kubernetes.secret = ref(binding.secret)
  kubernetes.serviceaccount = ref(input.serviceAccount)
  if (input.lifetime.warnAfterSeconds !== 0) kubernetes.warnafter = now + input.lifetime.warnAfterSeconds
  const claims: { -readonly [K in keyof Claims]: Claims[K] } = {}
  if (input.audiences.length > 0) claims.aud = input.audiences
  claims.exp = now + input.lifetime.expirationSeconds
  claims.iat = now
  claims.iss = input.issuer
  if (input.jti !== "") claims.jti = input.jti
  claims["kubernetes.io"] = kubernetes
  claims.nbf = now
  claims.sub = subject(input.namespace, input.serviceAccount.name)
  return Either.right(claims)
}

/**
 * The payload text: Go `json.Marshal` of go-jose's merged claim map (compact, keys sorted at every
 * level, `<` `>` `&` U+2028 U+2029 escaped as `\u....`).
 *
 * @since 0.1.0
 * @category encoding
 */
export const serialize = (claims: Claims): string => marshal(claims)

/**
 * Claims read from a verified token. Absent time claims are `undefined` (skipped by the time checks).
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodedClaims {
  readonly iss: string
  readonly sub: string
  readonly aud: ReadonlyArray<string>
  readonly exp: number | undefined
  readonly iat: number | undefined
  readonly nbf: number | undefined
  readonly jti: string
  readonly kubernetes: {
    readonly namespace: string
    readonly serviceaccount: { readonly name: string; readonly uid: string }
    readonly pod: { readonly name: string; readonly uid: string } | undefined
    readonly secret: { readonly name: string; readonly uid: string } | undefined
    readonly node: { readonly name: string; readonly uid: string } | undefined
    readonly warnafter: number | undefined
  }
}

class DecodeFailure {
  constructor(readonly message: string) {}
}

const str = (object: unknown, name: string, where: string): string => {
  const v = field(object, name)
  if (v === undefined || v === null) return ""
  if (typeof v !== "string") throw new DecodeFailure(`json: cannot unmarshal ${typeof v} into Go struct field ${where}.${name} of type string`)
  return v
}

const date = (object: unknown, name: string): number | undefined => {
  const v = field(object, name)
  if (v === undefined || v === null) return undefined
  if (typeof v !== "number") throw new DecodeFailure("square/go-jose/jwt: expected number for numeric date")
  return Math.trunc(v)
}

const obj = (object: unknown, name: string, where: string): unknown => {
  const v = field(object, name)
  if (v === undefined || v === null) return undefined
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new DecodeFailure(`json: cannot unmarshal ${Array.isArray(v) ? "array" : typeof v} into Go struct field ${where}.${name}`)
  }
  return v
}

const decodeRef = (object: unknown, name: string) => {
  const v = obj(object, name, "kubernetes")
  return v === undefined ? undefined : { name: str(v, "name", "ref"), uid: str(v, "uid", "ref") }
}

const audience = (object: unknown): ReadonlyArray<string> => {
  const v = field(object, "aud")
  if (v === undefined || v === null) return []
  if (typeof v === "string") return [v]
  if (Array.isArray(v) && v.every((e) => typeof e === "string")) return v as Array<string>
  throw new DecodeFailure("square/go-jose/jwt: expected string or array value to unmarshal to Audience")
}

/**
 * Reads the claims of a verified payload as Go decodes them into go-jose's `jwt.Claims` and the
 * `privateClaims` struct: field names match case-insensitively, `aud` may be a string or an array,
 * NumericDates are truncated to integers. Fails with a decoding message on a type mismatch.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (payload: unknown): Either.Either<DecodedClaims, string> => {
  try {
    if (payload !== null && (typeof payload !== "object" || Array.isArray(payload))) {
      throw new DecodeFailure("json: cannot unmarshal non-object into Go value of type jwt.Claims")
    }
    const k = obj(payload, "kubernetes.io", "privateClaims")
    const sa = obj(k, "serviceaccount", "kubernetes")
    return Either.right({
      iss: str(payload, "iss", "Claims"),
      sub: str(payload, "sub", "Claims"),
      aud: audience(payload),
      exp: date(payload, "exp"),
      iat: date(payload, "iat"),
      nbf: date(payload, "nbf"),
      jti: str(payload, "jti", "Claims"),
      kubernetes: {
        namespace: str(k, "namespace", "kubernetes"),
        serviceaccount: { name: str(sa, "name", "ref"), uid: str(sa, "uid", "ref") },
        pod: decodeRef(k, "pod"),
        secret: decodeRef(k, "secret"),
        node: decodeRef(k, "node"),
        warnafter: date(k, "warnafter")
      }
    })
  } catch (e) {
    if (e instanceof DecodeFailure) return Either.left(e.message)
    throw e
  }
}
