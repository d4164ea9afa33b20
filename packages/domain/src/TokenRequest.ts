/**
 * `TokenRequest` (authentication.k8s.io/v1), the body and answer of
 * `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`. Decoding applies the v1 defaulter
 * (`expirationSeconds` 3600); encoding reproduces the upstream JSON (`"boundObjectRef":null`,
 * second-precision `expirationTimestamp`).
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"
import { BoundObjectReference } from "./BoundObjectReference.js"
import { isRecord, keysWithin, openBody, stringArray, withTypeMeta } from "./internal/plainShape.js"
import { ObjectMeta } from "./ObjectMeta.js"
import { format as formatTime, Time } from "./Time.js"

/**
 * `apiVersion` of TokenRequest and TokenReview.
 *
 * @since 0.1.0
 * @category constants
 */
export const apiVersion = "authentication.k8s.io/v1"

/**
 * The default `spec.expirationSeconds` (`SetDefaults_TokenRequestSpec`).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultExpirationSeconds = 60 * 60

/**
 * @since 0.1.0
 * @category schemas
 */
export const TokenRequestSpec = Schema.Struct({
  audiences: Schema.optionalWith(Schema.Array(Schema.String), { nullable: true, default: () => [] }),
  expirationSeconds: Schema.optionalWith(Schema.Int, { nullable: true, default: () => defaultExpirationSeconds }),
  boundObjectRef: Schema.optionalWith(Schema.NullOr(BoundObjectReference), { default: () => null })
}).annotations({ identifier: "TokenRequestSpec" })

/**
 * @since 0.1.0
 * @category models
 */
export type TokenRequestSpec = typeof TokenRequestSpec.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const TokenRequestStatus = Schema.Struct({
  token: Schema.String,
  expirationTimestamp: Time
}).annotations({ identifier: "TokenRequestStatus" })

/**
 * @since 0.1.0
 * @category models
 */
export type TokenRequestStatus = typeof TokenRequestStatus.Type

/**
 * The whole object. `status` is ignored on input (the server clears it) and always set on output.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TokenRequest = Schema.Struct({
  kind: Schema.optional(Schema.String),
  apiVersion: Schema.optional(Schema.String),
  metadata: Schema.optionalWith(ObjectMeta, { nullable: true, default: () => ({}) }),
  spec: Schema.optionalWith(TokenRequestSpec, {
    nullable: true,
    default: () => ({ audiences: [], expirationSeconds: defaultExpirationSeconds, boundObjectRef: null })
  }),
  status: Schema.optional(Schema.Unknown)
}).annotations({ identifier: "TokenRequest" })

/**
 * @since 0.1.0
 * @category models
 */
export type TokenRequest = typeof TokenRequest.Type

/**
 * The answer: the request after the server's changes, with `status` filled in.
 *
 * @since 0.1.0
 * @category schemas
 */
export const IssuedTokenRequest = Schema.Struct({
  kind: Schema.Literal("TokenRequest"),
  apiVersion: Schema.Literal(apiVersion),
  metadata: ObjectMeta,
  spec: TokenRequestSpec,
  status: TokenRequestStatus
}).annotations({ identifier: "IssuedTokenRequest" })

/**
 * @since 0.1.0
 * @category models
 */
export type IssuedTokenRequest = typeof IssuedTokenRequest.Type

const requestKeys = new Set(["apiVersion", "kind", "metadata", "spec"])
const specKeys = new Set(["audiences", "expirationSeconds", "boundObjectRef"])
const referenceKeys = new Set(["kind", "apiVersion", "name", "uid"])

const plainReference = (value: unknown): BoundObjectReference | null | undefined => {
  if (value === undefined || value === null) return null
  if (!isRecord(value) || !keysWithin(value, referenceKeys)) return undefined
  const reference: Record<string, string> = {}
  for (const key in value) {
    const field = value[key]
    if (typeof field !== "string") return undefined
    reference[key] = field
  }
  return reference as BoundObjectReference
}

/**
 * `Schema.decodeUnknown(TokenRequest)` for the shapes clients send — no metadata (or `{}`), a spec
 * of audiences, expirationSeconds and a bound object reference of strings — in plain code, for a
 * server's fast path; `undefined` for any other input (decode it with the schema). Property-tested
 * to agree with the schema.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeCommonShape = (input: unknown): TokenRequest | undefined => {
  const body = openBody(input, requestKeys)
  if (body === undefined || !keysWithin(body.spec, specKeys)) return undefined
  const { spec } = body
  const audiences = spec["audiences"] === undefined || spec["audiences"] === null ? [] : stringArray(spec["audiences"])
  const expirationSeconds = spec["expirationSeconds"] ?? defaultExpirationSeconds
  const boundObjectRef = plainReference(spec["boundObjectRef"])
  if (audiences === undefined || !Number.isSafeInteger(expirationSeconds) || boundObjectRef === undefined) return undefined
  return withTypeMeta(body.typeMeta, body.metadata, {
    audiences,
    expirationSeconds: expirationSeconds as number,
    boundObjectRef
  })
}

const issuedMetadataKeys = new Set(["name", "namespace", "uid", "creationTimestamp"])

/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the years `Time` encodes. */
const timeRange = [-62167219200000, 253402300799999] as const

const plainTime = (value: unknown): string | undefined => {
  if (!DateTime.isDateTime(value)) return undefined
  const millis = DateTime.toEpochMillis(value)
  return millis < timeRange[0] || millis > timeRange[1] ? undefined : formatTime(value)
}

/**
 * `Schema.encodeSync(IssuedTokenRequest)` for the common answer — metadata of name, namespace, uid
 * and creationTimestamp only — in plain code, for a server's fast path; `undefined` for any other
 * value (encode it with the schema). Property-tested to give the same JSON as the schema.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeIssuedCommonShape = (issued: IssuedTokenRequest): Record<string, unknown> | undefined => {
  const { metadata, spec, status } = issued
  if (!keysWithin(metadata, issuedMetadataKeys)) return undefined
  const creationTimestamp = metadata.creationTimestamp === undefined ? undefined : plainTime(metadata.creationTimestamp)
  const expirationTimestamp = plainTime(status.expirationTimestamp)
  if ((metadata.creationTimestamp !== undefined && creationTimestamp === undefined) || expirationTimestamp === undefined) {
    return undefined
  }
  const reference = spec.boundObjectRef === null ? null : plainReference(spec.boundObjectRef)
  if (reference === undefined) return undefined
  return {
    kind: issued.kind,
    apiVersion: issued.apiVersion,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      uid: metadata.uid,
      creationTimestamp
    },
    spec: {
      audiences: spec.audiences,
      expirationSeconds: spec.expirationSeconds,
      boundObjectRef: reference === null
        ? null
        : { kind: reference.kind, apiVersion: reference.apiVersion, name: reference.name, uid: reference.uid }
    },
    status: { token: status.token, expirationTimestamp }
  }
}
