/**
 * The TokenRequest program (`TokenREST.Create`): checks, lookups, defaulting, clamping, extension,
 * binding, claims and signing, in upstream order, with one clock reading per request.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Audiences from "./Audiences.js"
import * as BoundObject from "./BoundObject.js"
import * as Claims from "./Claims.js"
import { Config } from "./Config.js"
import type { BadRequest, Invalid, UnknownReason } from "./Errors.js"
import type { ServiceUnavailable } from "./Errors.js"
import { Conflict, InternalError, NotFound } from "./Errors.js"
import * as Expiration from "./Expiration.js"
import type { IdGenerator } from "./IdGenerator.js"
import { require } from "./internal/storeError.js"
import type { ObjectStore } from "./ObjectStore.js"
import type { IssuedTokenRequest, TokenRequest } from "./TokenRequest.js"
import { apiVersion } from "./TokenRequest.js"
import type { TokenSigner } from "./TokenSigner.js"
import * as Steps from "./Steps.js"
import * as Validation from "./Validation.js"

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
 * The Conflict of step T5 (request UID ≠ ServiceAccount UID).
 *
 * @since 0.1.0
 * @category constructors
 */
export const uidConflict = (name: string, requestedUid: string, serviceAccountUid: string): Conflict =>
  new Conflict({
    group: Validation.group,
    resource: "TokenRequest",
    name,
    reason:
      `the UID in the token request (${requestedUid}) does not match the UID of the service account (${serviceAccountUid})`
  })

/**
 * `createToken` as steps (see `Steps`), with the configuration given.
 *
 * @since 0.1.0
 * @category programs
 */
export function* createTokenSteps(
  config: Config["Type"],
  namespace: string,
  name: string,
  request: TokenRequest
): Steps.Steps<Issued, CreateTokenError> {
  // T1–T3
  yield* Steps.orFail(Validation.validateMetadata(namespace, name, request))
  // T4
  const serviceAccount = yield* require("ServiceAccount", namespace, name)
  const serviceAccountUid = serviceAccount.metadata.uid ?? ""
  // T5
  const requestedUid = request.metadata.uid ?? ""
  if (requestedUid !== "" && requestedUid !== serviceAccountUid) {
    return yield* Steps.fail(uidConflict(name, requestedUid, serviceAccountUid))
  }
  // T6
  const audiences = Audiences.defaulted(request.spec.audiences, config.apiAudiences)
  // T8
  // One reading, in whole seconds: every time on the wire (NumericDates, metav1.Time) has second precision.
  const nowMillis = Math.floor((yield* Steps.nowMillis()) / 1000) * 1000
  const now = DateTime.unsafeMake(nowMillis)
  // T9
  yield* Steps.orFail(Validation.validate(request))
  // T11
  const binding = yield* BoundObject.resolveSteps(namespace, name, request.spec.boundObjectRef)
  // T12
  const clamped = Expiration.clamp(request.spec.expirationSeconds, config.maxExpirationSeconds)
  // T13
  const lifetime = Expiration.extend({
    expirationSeconds: clamped.expirationSeconds,
    extendExpiration: config.extendExpiration,
    maxExtendedExpirationSeconds: config.maxExtendedExpirationSeconds,
    podBound: binding.pod !== undefined,
    audiences,
    apiAudiences: config.apiAudiences
  })
  // T14
  const jti = yield* Steps.nextId()
  const claims = yield* Steps.orFail(Claims.make({
    issuer: config.issuers[0],
    namespace,
    serviceAccount: { name, uid: serviceAccountUid },
    audiences,
    binding,
    lifetime,
    now,
    jti
  }))
  // T15
  const token = yield* Steps.orFail(Either.mapLeft(
    yield* Steps.sign(Claims.serialize(claims)),
    (e) => new InternalError({ error: `failed to generate token: ${e.description}` })
  ))
  // T16
  const tokenRequest: IssuedTokenRequest = {
    kind: "TokenRequest",
    apiVersion,
    metadata: {
      ...request.metadata,
      name,
      namespace,
      uid: requestedUid !== "" ? requestedUid : serviceAccountUid,
      creationTimestamp: now
    },
    spec: {
      audiences,
      expirationSeconds: clamped.expirationSeconds,
      boundObjectRef: request.spec.boundObjectRef
    },
    status: {
      token,
      expirationTimestamp: DateTime.unsafeMake(nowMillis + clamped.expirationSeconds * 1000)
    }
  }
  return { tokenRequest, warnings: Option.toArray(clamped.warning), jti }
}

/**
 * Issues a token for the service account `name` in `namespace`.
 *
 * Steps (semantics §4): T1–T3 metadata checks; T4 ServiceAccount lookup; T5 UID precondition; T6
 * audience defaulting; T7 name/namespace/uid from the ServiceAccount; T8 one `now`; T9 static
 * validation; T11 bound object; T12 clamp (warning); T13 extension; T14 claims; T15 signing; T16 the
 * answer, whose `expirationTimestamp` is `now` + the clamped (never the extended) lifetime.
 *
 * @since 0.1.0
 * @category programs
 */
export const createToken = (
  namespace: string,
  name: string,
  request: TokenRequest
): Effect.Effect<Issued, CreateTokenError, ObjectStore | TokenSigner | IdGenerator | Config> =>
  Effect.flatMap(
    Config,
    (config) =>
      Steps.toEffect<Issued, CreateTokenError, ObjectStore | TokenSigner | IdGenerator>(() =>
        createTokenSteps(config, namespace, name, request)
      )
  )
