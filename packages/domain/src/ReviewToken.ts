/**
 * The TokenReview program and the service-account token authenticator behind it (`jwt.go`,
 * `claims.go` validator, `tokenreview/storage.go`): issuer pre-check, signature, issuer, audiences,
 * time window with 60 s leeway, then every bound object's existence and UID.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Audiences from "./Audiences.js"
import * as Claims from "./Claims.js"
import { Config } from "./Config.js"
import { BadRequest, InternalError, ServiceUnavailable } from "./Errors.js"
import { goQuote } from "./FieldError.js"
import * as Jwt from "./Jwt.js"
import * as Legacy from "./Legacy.js"
import type { KeySet } from "./KeySet.js"
import type { ObjectStore } from "./ObjectStore.js"
import * as ServiceAccountUser from "./ServiceAccountUser.js"
import type { ServiceAccountInfo } from "./ServiceAccountUser.js"
import * as Steps from "./Steps.js"
import { TokenCache } from "./TokenCache.js"
import type { TokenReview } from "./TokenReview.js"
import { apiVersion } from "./TokenRequest.js"
import type { UserInfo } from "./UserInfo.js"
import * as Validator from "./Validator.js"

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

type Mutable<A> = { -readonly [K in keyof A]: A[K] }

/**
 * The error of the bearer-token wrapper when no authenticator handled a token.
 *
 * @since 0.1.0
 * @category constants
 */
export const invalidBearerToken = "invalid bearer token"

/**
 * @since 0.1.0
 * @category constants
 */
export const messages = {
  noKeys: "invalid signature, no keys found",
  cryptographicPrimitive: "go-jose/go-jose: error in cryptographic primitive",
  invalidIssuer: (iss: string) => `token issuer ${goQuote(iss)} is invalid`,
  tokenRequired: "token is required for TokenReview in authentication",
  errorValidatingAudiences: "error validating audiences"
} as const

/**
 * How the authenticator chain composes errors (§11.1): a handled-and-failed token gives
 * `[invalid bearer token, <m>]`; an unhandled one `invalid bearer token`. Identical texts collapse.
 *
 * @since 0.1.0
 * @category formatting
 */
export const composeError = (handledError: Option.Option<string>): string =>
  Option.match(handledError, {
    onNone: () => invalidBearerToken,
    onSome: (m) => (m === invalidBearerToken ? m : `[${invalidBearerToken}, ${m}]`)
  })

type Outcome =
  | { readonly _tag: "NotHandled" }
  | { readonly _tag: "Failed"; readonly message: string }
  | {
    readonly _tag: "Ok"
    readonly info: ServiceAccountUser.ServiceAccountInfo
    readonly audiences: ReadonlyArray<string>
    readonly warnafter: number | undefined
    readonly claims: Claims.DecodedClaims
  }

const failed = (message: string): Outcome => ({ _tag: "Failed", message })

type Validate = (
  claims: Claims.DecodedClaims,
  payload: unknown
) => Steps.Steps<ServiceAccountInfo, Validator.Rejected | ServiceUnavailable>

/**
 * `jwtTokenAuthenticator.AuthenticateToken` for a set of issuers and a validator: the unverified
 * issuer pre-check, parsing, the key set, the verified issuer, audiences, then the validator.
 */
function* authenticateJwt(
  config: Config["Type"],
  issuers: ReadonlyArray<string>,
  validate: Validate,
  token: string,
  requested: ReadonlyArray<string>
): Steps.Steps<Outcome, ServiceUnavailable> {
  // `hasCorrectIssuer`, then go-jose's parse: both decline alike, so parse once and read the issuer from it
  const parsed = Jwt.parse(token)
  if (Option.isNone(parsed)) return { _tag: "NotHandled" } as const
  const unverified = Jwt.unverifiedIssuerOf(token, parsed.value)
  if (Option.isNone(unverified) || !issuers.includes(unverified.value)) return { _tag: "NotHandled" } as const
  const verification = yield* Steps.verify(parsed.value.signed)
  if (Either.isLeft(verification)) {
    if (verification.left.reason === "Unavailable") {
      return yield* Steps.fail(new ServiceUnavailable({ reason: verification.left.description }))
    }
    return failed(messages.noKeys)
  }
  if (verification.right === "NoKeys") return failed(messages.noKeys)
  if (verification.right === "Failed") return failed(messages.cryptographicPrimitive)
  const decoded = Claims.decode(parsed.value.payload)
  if (decoded._tag === "Left") return failed(decoded.left)
  const claims = decoded.right
  if (!issuers.includes(claims.iss)) return failed(messages.invalidIssuer(claims.iss))
  const tokenAudiences = claims.aud.length === 0 ? config.apiAudiences : claims.aud
  const auds = Audiences.intersect(tokenAudiences, requested)
  if (auds.length === 0 && config.apiAudiences.length !== 0) {
    return failed(Audiences.invalidMessage(tokenAudiences, requested))
  }
  return yield* validated(claims, auds, validate(claims, parsed.value.payload))
}

/** The validator's verdict on verified claims as an outcome. */
function* validated(
  claims: Claims.DecodedClaims,
  audiences: ReadonlyArray<string>,
  steps: Steps.Steps<ServiceAccountInfo, Validator.Rejected | ServiceUnavailable>
): Steps.Steps<Outcome, ServiceUnavailable> {
  // a rejection is this token's outcome; the validator's other failures pass through
  const validation = yield* Steps.either(steps)
  if (Either.isLeft(validation)) {
    return validation.left._tag === "Rejected" ? failed(validation.left.message) : yield* Steps.fail(validation.left)
  }
  return { _tag: "Ok", info: validation.right, audiences, warnafter: claims.kubernetes.warnafter, claims }
}

/** `DateTime.unsafeMake`, the last one remembered (reviews under load come many to a millisecond). */
let lastNow: DateTime.Utc | undefined
const dateTimeAt = (millis: number): DateTime.Utc =>
  lastNow !== undefined && lastNow.epochMillis === millis ? lastNow : (lastNow = DateTime.unsafeMake(millis))

/**
 * Bound tokens of the configured issuers. With a `TokenCache`, a token verified before skips the
 * signature and claims decoding — never the validator, which checks the time window and every bound
 * object against the store on each review.
 */
function* authenticateBound(
  config: Config["Type"],
  cache: TokenCache["Type"] | undefined,
  token: string,
  requested: ReadonlyArray<string>,
  nowMillis: number
): Steps.Steps<Outcome, ServiceUnavailable> {
  const now = dateTimeAt(nowMillis)
  const validate = (claims: Claims.DecodedClaims) => Validator.validateSteps(claims, now)
  if (cache === undefined) return yield* authenticateJwt(config, config.issuers, validate, token, requested)
  const hit = cache.lookup(token, requested, nowMillis)
  if (hit !== undefined) return yield* validated(hit.claims, hit.audiences, validate(hit.claims))
  const outcome = yield* authenticateJwt(config, config.issuers, validate, token, requested)
  if (outcome._tag === "Ok") {
    cache.remember(token, requested, { claims: outcome.claims, audiences: outcome.audiences }, nowMillis)
  }
  return outcome
}

/**
 * The bearer token the apiserver would read from `Authorization: Bearer <token>`: the first
 * whitespace-separated field.
 *
 * @since 0.1.0
 * @category parsing
 */
export const bearerToken = (token: string): string =>
  // a token without white space is its own first field (the common case: no scan, no array)
  whiteSpace.test(token) ? (token.trim().split(/\s+/)[0] ?? "") : token

const whiteSpace = /\s/

/**
 * `authenticate` as steps (see `Steps`), with the configuration and the token cache (if any) given.
 *
 * @since 0.1.0
 * @category programs
 */
export function* authenticateSteps(
  config: Config["Type"],
  cache: TokenCache["Type"] | undefined,
  token: string,
  audiences: ReadonlyArray<string>
): Steps.Steps<Authentication, ServiceUnavailable> {
  const nowMillis = yield* Steps.nowMillis()
  const bearer = bearerToken(token)
  if (bearer === "") return { _tag: "Unauthenticated", error: invalidBearerToken } as const
  const requested = Audiences.defaulted(audiences, config.apiAudiences)
  // The token union: bound tokens of the configured issuers, then legacy secret-based tokens.
  const bound = yield* authenticateBound(config, cache, bearer, requested, nowMillis)
  let outcome = bound
  if (bound._tag !== "Ok") {
    const legacy = yield* authenticateJwt(
      config,
      [Legacy.issuer],
      (_, payload) => Legacy.validateSteps(payload, bearer),
      bearer,
      requested
    )
    outcome = legacy._tag === "Ok" ? legacy : bound._tag === "Failed" ? bound : legacy
  }
  switch (outcome._tag) {
    case "NotHandled":
      return { _tag: "Unauthenticated", error: composeError(Option.none()) } as const
    case "Failed":
      return { _tag: "Unauthenticated", error: composeError(Option.some(outcome.message)) } as const
    case "Ok": {
      const { audiences, info, warnafter } = outcome
      const user = ServiceAccountUser.withAuthenticatedGroup(ServiceAccountUser.userInfo(info))
      // (optional fields added, not spread: this runs on every review)
      const authenticated: Mutable<Extract<Authentication, { _tag: "Authenticated" }>> = {
        _tag: "Authenticated",
        user,
        audiences
      }
      if (info.credentialId !== "") authenticated.credentialId = info.credentialId
      if (warnafter !== undefined && warnafter !== 0 && nowMillis > warnafter * 1000) {
        authenticated.staleSeconds = Math.floor((nowMillis - warnafter * 1000) / 1000)
      }
      return authenticated
    }
  }
}

/**
 * Runs steps that need the review's configuration and token cache (when the context has one) as an
 * Effect.
 *
 * @since 0.1.0
 * @category running
 */
export const withReviewContext = <A, E>(
  make: (config: Config["Type"], cache: TokenCache["Type"] | undefined) => Steps.Steps<A, E>
): Effect.Effect<A, E, ObjectStore | KeySet | Config> =>
  Effect.flatMap(
    Effect.zip(Config, Effect.serviceOption(TokenCache)),
    ([config, cache]) => Steps.toEffect<A, E, ObjectStore | KeySet>(() => make(config, Option.getOrUndefined(cache)))
  )

/**
 * Authenticates a bearer token against the requested audiences (the API audiences when empty), as
 * the API server's authenticator chain does. Reads the clock once.
 *
 * @since 0.1.0
 * @category programs
 */
export const authenticate = (
  token: string,
  audiences: ReadonlyArray<string>
): Effect.Effect<Authentication, ServiceUnavailable, ObjectStore | KeySet | Config> =>
  withReviewContext((config, cache) => authenticateSteps(config, cache, token, audiences))

/**
 * @since 0.1.0
 * @category errors
 */
export type ReviewTokenError = BadRequest | InternalError | ServiceUnavailable

/**
 * A review's answer and the authentication behind it (for metrics and audit: staleness, credential
 * id), so that nobody decodes the token again to learn them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reviewed {
  readonly tokenReview: TokenReview
  readonly authentication: Authentication
}

/**
 * `review` as steps (see `Steps`), with the configuration and the token cache (if any) given.
 *
 * @since 0.1.0
 * @category programs
 */
export function* reviewSteps(
  config: Config["Type"],
  cache: TokenCache["Type"] | undefined,
  request: TokenReview
): Steps.Steps<Reviewed, ReviewTokenError> {
  if (request.spec.token === "") return yield* Steps.fail(new BadRequest({ reason: messages.tokenRequired }))
  const requested = Audiences.defaulted(request.spec.audiences, config.apiAudiences)
  const authentication = yield* authenticateSteps(config, cache, request.spec.token, request.spec.audiences)
  const metadata = { ...request.metadata, creationTimestamp: null }
  if (authentication._tag === "Unauthenticated") {
    const error = authentication.error
    const status = error !== "" ? { authenticated: false, user: {}, error } : { authenticated: false, user: {} }
    return { tokenReview: { kind: "TokenReview", apiVersion, metadata, spec: request.spec, status }, authentication }
  }
  if (requested.length > 0 && Audiences.intersect(authentication.audiences, requested).length === 0) {
    return yield* Steps.fail(new InternalError({ error: messages.errorValidatingAudiences }))
  }
  const status = { authenticated: true, user: authentication.user, audiences: authentication.audiences }
  return { tokenReview: { kind: "TokenReview", apiVersion, metadata, spec: request.spec, status }, authentication }
}

/**
 * `reviewToken`, also returning the `Authentication` behind the answer.
 *
 * @since 0.1.0
 * @category programs
 */
export const review = (
  request: TokenReview
): Effect.Effect<Reviewed, ReviewTokenError, ObjectStore | KeySet | Config> =>
  withReviewContext((config, cache) => reviewSteps(config, cache, request))

/**
 * Reviews a token: the answer is the TokenReview with `status` set. Invalid tokens are not errors
 * (upstream answers 201 with `status.error`); only a missing token (400) and audience sanity
 * failures (500) are.
 *
 * @since 0.1.0
 * @category programs
 */
export const reviewToken = (
  tokenReview: TokenReview
): Effect.Effect<TokenReview, ReviewTokenError, ObjectStore | KeySet | Config> =>
  Effect.map(review(tokenReview), (reviewed) => reviewed.tokenReview)
