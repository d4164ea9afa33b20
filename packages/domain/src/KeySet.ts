/**
 * The `KeySet` port: the public keys tokens are verified with, and their JWKS. Selection follows
 * upstream: a token with a `kid` is tried against the keys with that key id only; a token without one
 * against every key.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * One JSON Web Key as Kubernetes publishes it, in go-jose's field order.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JsonWebKey = Schema.Struct({
  use: Schema.Literal("sig"),
  kty: Schema.Literal("RSA", "EC"),
  kid: Schema.String,
  crv: Schema.optional(Schema.Literal("P-256", "P-384", "P-521")),
  alg: Schema.String,
  x: Schema.optional(Schema.String),
  y: Schema.optional(Schema.String),
  n: Schema.optional(Schema.String),
  e: Schema.optional(Schema.String)
}).annotations({ identifier: "JsonWebKey" })

/**
 * @since 0.1.0
 * @category models
 */
export type JsonWebKey = typeof JsonWebKey.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const JsonWebKeySet = Schema.Struct({ keys: Schema.Array(JsonWebKey) }).annotations({
  identifier: "JsonWebKeySet"
})

/**
 * @since 0.1.0
 * @category models
 */
export type JsonWebKeySet = typeof JsonWebKeySet.Type

/**
 * The parts of a compact JWS a verifier needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignedToken {
  /** The `kid` header, `""` when absent. */
  readonly keyId: string
  /** The `alg` header as sent (it may name an algorithm no key accepts: `none`, `HS256`). */
  readonly algorithm: string
  /** `base64url(header) + "." + base64url(payload)`, the bytes the signature covers. */
  readonly signingInput: string
  /** The decoded third segment. */
  readonly signature: Uint8Array
}

/**
 * The outcome of a verification: `Verified`; `NoKeys` (no key has the token's kid:
 * `invalid signature, no keys found`); `Failed` (every candidate key rejected it:
 * `go-jose/go-jose: error in cryptographic primitive`).
 *
 * @since 0.1.0
 * @category models
 */
export type Verification = "Verified" | "NoKeys" | "Failed"

/**
 * A key-source failure (an external signer unreachable, keys not loaded).
 *
 * @since 0.1.0
 * @category errors
 */
export class KeySetError extends Schema.TaggedError<KeySetError>("@tokenrequest/domain/KeySetError")("KeySetError", {
  reason: Schema.Literal("Unavailable", "Failed"),
  description: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.description
  }
}

/**
 * @since 0.1.0
 * @category tags
 */
export class KeySet extends Context.Tag("@tokenrequest/domain/KeySet")<
  KeySet,
  {
    /**
     * Verifies the signature with the candidate keys. Each key accepts only its own algorithm (RSA →
     * RS256, P-256 → ES256, P-384 → ES384, P-521 → ES512); `none` and HMAC never verify.
     */
    readonly verify: (token: SignedToken) => Effect.Effect<Verification, KeySetError>
    /** The keys published for OIDC discovery, in key-set order. */
    readonly jwks: Effect.Effect<JsonWebKeySet, KeySetError>
    /** `Cache-Control: max-age` for the discovery documents (3600 for static keys). */
    readonly cacheMaxAgeSeconds: Effect.Effect<number>
  }
>() {}
