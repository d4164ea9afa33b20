/**
 * The `TokenSigner` port: turns a claims payload into a signed compact JWS. The domain builds the
 * payload bytes (sorted keys, exactly as upstream); the signer adds the header and signature. A local
 * key (`@tokenrequest/signer-jose`) writes the header `{"alg","kid"}`; an external signer may write
 * its own.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

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
    /** The algorithm and key id new tokens are signed with right now. */
    readonly current: Effect.Effect<{ readonly algorithm: SigningAlgorithm; readonly keyId: string }, TokenSignerError>
  }
>() {}
