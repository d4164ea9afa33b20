/**
 * The `KeySet` port: the public keys tokens are verified with, and their JWKS. Selection follows
 * upstream: a token with a `kid` is tried against the keys with that key id only; a token without one
 * against every key.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { encodeString } from "./internal/base64url.js"
import { equalBytes, insecureSignature } from "./internal/insecureSignature.js"

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
    /** `verify` at once, for local keys (see `Steps.SyncPorts`); must agree with `verify`. */
    readonly unsafeVerify?: (token: SignedToken) => Either.Either<Verification, KeySetError>
    /** The keys published for OIDC discovery, in key-set order. */
    readonly jwks: Effect.Effect<JsonWebKeySet, KeySetError>
    /** `Cache-Control: max-age` for the discovery documents (3600 for static keys). */
    readonly cacheMaxAgeSeconds: Effect.Effect<number>
  }
>() {}

/**
 * One key of the insecure test key set.
 *
 * @since 0.1.0
 * @category models
 */
export interface InsecureKey {
  readonly keyId: string
  readonly algorithm: "RS256" | "ES256" | "ES384" | "ES512"
}

const fakeJwk = (key: InsecureKey): JsonWebKey => {
  const filler = encodeString(`insecure:${key.keyId}`)
  if (key.algorithm === "RS256") return { use: "sig", kty: "RSA", kid: key.keyId, alg: "RS256", n: filler, e: "AQAB" }
  const crv = key.algorithm === "ES256" ? "P-256" : key.algorithm === "ES384" ? "P-384" : "P-521"
  return { use: "sig", kty: "EC", kid: key.keyId, crv, alg: key.algorithm, x: filler, y: filler }
}

/**
 * A key set for programs' tests ONLY, the counterpart of `TokenSigner.layerInsecure`: it checks the
 * deterministic non-cryptographic "signature" that signer writes, with upstream key selection (a
 * `kid` selects keys by id, `NoKeys` when none match; no `kid` tries every key; a key accepts only its
 * own algorithm). Its JWKS holds placeholder key material. NOT SECURE.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerInsecure = (
  keys: ReadonlyArray<InsecureKey> = [{ keyId: "insecure-test-key", algorithm: "ES256" }],
  cacheMaxAgeSeconds = 3600
): Layer.Layer<KeySet> =>
  Layer.sync(KeySet, () => {
    const check = (token: SignedToken): Verification => {
      const candidates = token.keyId === "" ? keys : keys.filter((k) => k.keyId === token.keyId)
      if (candidates.length === 0) return "NoKeys"
      return candidates.some((k) =>
          k.algorithm === token.algorithm &&
          equalBytes(insecureSignature(k.keyId, k.algorithm, token.signingInput), token.signature)
        )
        ? "Verified"
        : "Failed"
    }
    return {
      verify: (token) => Effect.sync(() => check(token)),
      unsafeVerify: (token) => Either.right(check(token)),
      jwks: Effect.succeed({ keys: keys.map(fakeJwk) }),
      cacheMaxAgeSeconds: Effect.succeed(cacheMaxAgeSeconds)
    }
  })
