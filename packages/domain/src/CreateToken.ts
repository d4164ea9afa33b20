/**
 * The TokenRequest program (`TokenREST.Create`): checks, lookups, defaulting, clamping, extension,
 * binding, claims and signing, in upstream order, with one clock reading per request.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { Config } from "./Config.js"
import type { BadRequest, Conflict, InternalError, Invalid, NotFound, ServiceUnavailable, UnknownReason } from "./Errors.js"
import type { IdGenerator } from "./IdGenerator.js"
import type { ObjectStore } from "./ObjectStore.js"
import type { IssuedTokenRequest, TokenRequest } from "./TokenRequest.js"
import type { TokenSigner } from "./TokenSigner.js"

/**
 * A created token: the answer object, the `Warning` texts (the clamp), and the `jti` for audit.
 *
 * @since 0.1.0
 * @category models
 */
export interface Issued {
  readonly tokenRequest: IssuedTokenRequest
  readonly warnings: ReadonlyArray<string>
  readonly jti: string
}

/**
 * @since 0.1.0
 * @category errors
 */
export type CreateTokenError =
  | Invalid
  | NotFound
  | Conflict
  | BadRequest
  | InternalError
  | UnknownReason
  | ServiceUnavailable

/**
 * Issues a token for the service account `name` in `namespace`.
 *
 * @since 0.1.0
 * @category programs
 */
export const createToken = (
  namespace: string,
  name: string,
  request: TokenRequest
): Effect.Effect<Issued, CreateTokenError, ObjectStore | TokenSigner | IdGenerator | Config> =>
  Effect.dieMessage(`createToken(${namespace}, ${name}, ${JSON.stringify(request)}): not implemented yet`)
