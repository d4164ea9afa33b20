/**
 * `TokenRequest` (authentication.k8s.io/v1), the body and answer of
 * `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`. Decoding applies the v1 defaulter
 * (`expirationSeconds` 3600); encoding reproduces the upstream JSON (`"boundObjectRef":null`,
 * second-precision `expirationTimestamp`).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { BoundObjectReference } from "./BoundObjectReference.js"
import { ObjectMeta } from "./ObjectMeta.js"
import { Time } from "./Time.js"

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
