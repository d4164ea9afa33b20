/**
 * The `TokenSigner` port: turns a claims payload into a signed compact JWS. The domain builds the
 * payload bytes (sorted keys, exactly as upstream); the signer adds the header and signature. A local
 * key (`@tokenrequest/signer-jose`) writes the header `{"alg","kid"}`; an external signer may write
 * its own.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { insecureSign } from "./internal/insecureSignature.js"

/**
 * The algorithms Kubernetes signs service-account tokens with.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SigningAlgorithm = Schema.Literal("RS256", "ES256", "ES384", "ES512")

/**
 * @since 0.1.0
 * @category models
 */
export type SigningAlgorithm = typeof SigningAlgorithm.Type

/**
 * A signing failure: `Unavailable` (an external signer cannot be reached) or `Failed`.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenSignerError extends Schema.TaggedError<TokenSignerError>("@tokenrequest/domain/TokenSignerError")(
  "TokenSignerError",
  {
    reason: Schema.Literal("Unavailable", "Failed"),
    description: Schema.String,
    cause: Schema.optional(Schema.Defect)
  }
) {
  override get message(): string {
    return this.description
  }
}

/**
 * @since 0.1.0
 * @category tags
 */
export class TokenSigner extends Context.Tag("@tokenrequest/domain/TokenSigner")<
  TokenSigner,
  {
    /**
     * Signs the claims: `payload` is the exact JSON text of the second JWT segment (before base64url).
     * Returns `header.payload.signature`, each segment unpadded base64url.
     */
    readonly sign: (payload: string) => Effect.Effect<string, TokenSignerError>
    /** `sign` at once, for local keys (see `Steps.SyncPorts`); must agree with `sign`. */
    readonly unsafeSign?: (payload: string) => Either.Either<string, TokenSignerError>
    /** The algorithm and key id new tokens are signed with right now. */
    readonly current: Effect.Effect<{ readonly algorithm: SigningAlgorithm; readonly keyId: string }, TokenSignerError>
  }
>() {}

/**
 * Options of the insecure test signer.
 *
 * @since 0.1.0
 * @category models
 */
export interface InsecureKey {
  readonly keyId: string
  readonly algorithm: SigningAlgorithm
}

/**
 * A signer for programs' tests ONLY: it writes the header `{"alg","kid"}` like a local key, but its
 * "signature" is a deterministic non-cryptographic hash that anyone can forge. Pair it with
 * `KeySet.layerInsecure`. NOT SECURE.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerInsecure = (
  key: InsecureKey = { keyId: "insecure-test-key", algorithm: "ES256" }
): Layer.Layer<TokenSigner> =>
  Layer.succeed(TokenSigner, {
    sign: (payload) => Effect.sync(() => insecureSign(key.keyId, key.algorithm, payload)),
    unsafeSign: (payload) => Either.right(insecureSign(key.keyId, key.algorithm, payload)),
    current: Effect.succeed({ algorithm: key.algorithm, keyId: key.keyId })
  })

/**
 * A signer that always fails with the given error (tests of the T15 error path).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFailing = (error: TokenSignerError): Layer.Layer<TokenSigner> =>
  Layer.succeed(TokenSigner, { sign: () => Effect.fail(error), current: Effect.fail(error) })
