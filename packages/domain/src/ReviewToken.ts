/**
 * The TokenReview program and the service-account token authenticator behind it (`jwt.go`,
 * `claims.go` validator, `tokenreview/storage.go`): issuer pre-check, signature, issuer, audiences,
 * time window with 60 s leeway, then every bound object's existence and UID.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { Config } from "./Config.js"
import type { BadRequest, InternalError, ServiceUnavailable } from "./Errors.js"
import type { KeySet } from "./KeySet.js"
import type { ObjectStore } from "./ObjectStore.js"
import type { TokenReview } from "./TokenReview.js"
import type { UserInfo } from "./UserInfo.js"

/**
 * The outcome of authenticating a bearer token. `Unauthenticated.error` is the exact
 * `status.error` text of a TokenReview (`[invalid bearer token, service account token has expired]`,
 * or `invalid bearer token` when no authenticator handled the token).
 *
 * @since 0.1.0
 * @category models
 */
export type Authentication =
  | {
    readonly _tag: "Authenticated"
    /** Includes `system:authenticated`. */
    readonly user: UserInfo
    /** The intersection of the token's audiences with the requested ones, in requested order. */
    readonly audiences: ReadonlyArray<string>
    /** `JTI=<jti>` when the token has a jti. */
    readonly credentialId?: string
    /** Set when `kubernetes.io.warnafter` has passed: seconds past the threshold. */
    readonly staleSeconds?: number
  }
  | { readonly _tag: "Unauthenticated"; readonly error: string }

/**
 * Authenticates a bearer token against the requested audiences (the API audiences when empty), as
 * the API server's authenticator chain does.
 *
 * @since 0.1.0
 * @category programs
 */
export const authenticate = (
  token: string,
  audiences: ReadonlyArray<string>
): Effect.Effect<Authentication, ServiceUnavailable, ObjectStore | KeySet | Config> =>
  Effect.dieMessage(`authenticate(${token.length} chars, ${audiences.join(",")}): not implemented yet`)

/**
 * @since 0.1.0
 * @category errors
 */
export type ReviewTokenError = BadRequest | InternalError | ServiceUnavailable

/**
 * Reviews a token: the answer is the TokenReview with `status` set. Invalid tokens are not errors
 * (upstream answers 201 with `status.error`); only a missing token (400) and audience sanity
 * failures (500) are.
 *
 * @since 0.1.0
 * @category programs
 */
export const reviewToken = (
  review: TokenReview
): Effect.Effect<TokenReview, ReviewTokenError, ObjectStore | KeySet | Config> =>
  Effect.dieMessage(`reviewToken(${review.spec.audiences.join(",")}): not implemented yet`)
