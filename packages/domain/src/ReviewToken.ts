/**
 * The TokenReview program and the service-account token authenticator behind it (`jwt.go`,
 * `claims.go` validator, `tokenreview/storage.go`): issuer pre-check, signature, issuer, audiences,
 * time window with 60 s leeway, then every bound object's existence and UID.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Audiences from "./Audiences.js"
import * as Claims from "./Claims.js"
import { Config } from "./Config.js"
import { BadRequest, InternalError, ServiceUnavailable } from "./Errors.js"
import { goQuote } from "./FieldError.js"
import * as Jwt from "./Jwt.js"
import * as Legacy from "./Legacy.js"
import { KeySet } from "./KeySet.js"
import type { ObjectStore } from "./ObjectStore.js"
import * as ServiceAccountUser from "./ServiceAccountUser.js"
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
) => Effect.Effect<ServiceAccountUser.ServiceAccountInfo, Validator.Rejected | ServiceUnavailable, ObjectStore>

/**
 * `jwtTokenAuthenticator.AuthenticateToken` for a set of issuers and a validator: the unverified
 * issuer pre-check, parsing, the key set, the verified issuer, audiences, then the validator.
 */
const authenticateJwt = (
  issuers: ReadonlyArray<string>,
  validate: Validate,
  token: string,
  requested: ReadonlyArray<string>
): Effect.Effect<Outcome, ServiceUnavailable, ObjectStore | KeySet | Config> =>
  Effect.gen(function*() {
    const config = yield* Config
    // `hasCorrectIssuer`, then go-jose's parse: both decline alike, so parse once and read the issuer from it
    const parsed = Jwt.parse(token)
    if (Option.isNone(parsed)) return { _tag: "NotHandled" } as const
    const unverified = Jwt.unverifiedIssuerOf(token, parsed.value)
    if (Option.isNone(unverified) || !issuers.includes(unverified.value)) return { _tag: "NotHandled" } as const
    const keys = yield* KeySet
    const verification = yield* keys.verify(parsed.value.signed).pipe(
      Effect.catchTag("KeySetError", (e) =>
        e.reason === "Unavailable"
          ? Effect.fail(new ServiceUnavailable({ reason: e.description }))
          : Effect.succeed("NoKeys" as const))
    )
    if (verification === "NoKeys") return failed(messages.noKeys)
    if (verification === "Failed") return failed(messages.cryptographicPrimitive)
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
  })

/** The validator's verdict on verified claims as an outcome. */
const validated = (
  claims: Claims.DecodedClaims,
  audiences: ReadonlyArray<string>,
  validation: Effect.Effect<ServiceAccountUser.ServiceAccountInfo, Validator.Rejected | ServiceUnavailable, ObjectStore>
): Effect.Effect<Outcome, ServiceUnavailable, ObjectStore> =>
  validation.pipe(
    Effect.map((info): Outcome => ({ _tag: "Ok", info, audiences, warnafter: claims.kubernetes.warnafter, claims })),
    Effect.catchTag("Rejected", (r) => Effect.succeed(failed(r.message)))
  )

/**
 * Bound tokens of the configured issuers. With a `TokenCache` in the context, a token verified
 * before skips the signature and claims decoding — never the validator, which checks the time
 * window and every bound object against the store on each review.
 */
const authenticateBound = (
  issuers: ReadonlyArray<string>,
  token: string,
  requested: ReadonlyArray<string>,
  now: DateTime.DateTime
): Effect.Effect<Outcome, ServiceUnavailable, ObjectStore | KeySet | Config> =>
  Effect.flatMap(Effect.serviceOption(TokenCache), (cache) => {
    const validate = (claims: Claims.DecodedClaims) => Validator.validate(claims, now)
    if (Option.isNone(cache)) return authenticateJwt(issuers, validate, token, requested)
    const nowMillis = DateTime.toEpochMillis(now)
    const hit = cache.value.lookup(token, requested, nowMillis)
    if (hit !== undefined) return validated(hit.claims, hit.audiences, validate(hit.claims))
    return Effect.tap(authenticateJwt(issuers, validate, token, requested), (outcome) =>
      Effect.sync(() => {
        if (outcome._tag === "Ok") {
          cache.value.remember(token, requested, { claims: outcome.claims, audiences: outcome.audiences }, nowMillis)
        }
      }))
  })

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
  Effect.gen(function*() {
    const config = yield* Config
    const now = yield* DateTime.now
    const bearer = bearerToken(token)
    if (bearer === "") return { _tag: "Unauthenticated", error: invalidBearerToken } as const
    const requested = Audiences.defaulted(audiences, config.apiAudiences)
    // The token union: bound tokens of the configured issuers, then legacy secret-based tokens.
    const bound = yield* authenticateBound(config.issuers, bearer, requested, now)
    const outcome = bound._tag === "Ok" ? bound : yield* Effect.map(
      authenticateJwt([Legacy.issuer], (_, payload) => Legacy.validate(payload, bearer), bearer, requested),
      (legacy) => (legacy._tag === "Ok" ? legacy : bound._tag === "Failed" ? bound : legacy)
    )
    switch (outcome._tag) {
      case "NotHandled":
        return { _tag: "Unauthenticated", error: composeError(Option.none()) } as const
      case "Failed":
        return { _tag: "Unauthenticated", error: composeError(Option.some(outcome.message)) } as const
      case "Ok": {
        const nowMillis = DateTime.toEpochMillis(now)
        const user = ServiceAccountUser.withAuthenticatedGroup(ServiceAccountUser.userInfo(outcome.info))
        return {
          _tag: "Authenticated",
          user,
          audiences: outcome.audiences,
          ...(outcome.info.credentialId !== "" ? { credentialId: outcome.info.credentialId } : {}),
          ...(outcome.warnafter !== undefined && outcome.warnafter !== 0 && nowMillis > outcome.warnafter * 1000
            ? { staleSeconds: Math.floor((nowMillis - outcome.warnafter * 1000) / 1000) }
            : {})
        } as const
      }
    }
  })

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
 * `reviewToken`, also returning the `Authentication` behind the answer.
 *
 * @since 0.1.0
 * @category programs
 */
export const review = (
  request: TokenReview
): Effect.Effect<Reviewed, ReviewTokenError, ObjectStore | KeySet | Config> =>
  Effect.gen(function*() {
    if (request.spec.token === "") return yield* Effect.fail(new BadRequest({ reason: messages.tokenRequired }))
    const config = yield* Config
    const requested = Audiences.defaulted(request.spec.audiences, config.apiAudiences)
    const authentication = yield* authenticate(request.spec.token, request.spec.audiences)
    const base = {
      kind: "TokenReview",
      apiVersion,
      metadata: { ...request.metadata, creationTimestamp: null },
      spec: request.spec
    }
    if (authentication._tag === "Unauthenticated") {
      const error = authentication.error
      return {
        tokenReview: { ...base, status: { authenticated: false, user: {}, ...(error !== "" ? { error } : {}) } },
        authentication
      }
    }
    if (requested.length > 0 && Audiences.intersect(authentication.audiences, requested).length === 0) {
      return yield* Effect.fail(new InternalError({ error: messages.errorValidatingAudiences }))
    }
    return {
      tokenReview: {
        ...base,
        status: { authenticated: true, user: authentication.user, audiences: authentication.audiences }
      },
      authentication
    }
  })

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
