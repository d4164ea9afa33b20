/**
 * Authentication of API requests as kube-apiserver's chain does it (semantics §11.1, §11.8): an x509
 * client certificate verified against `--client-ca-file` (CN = user, O = groups); a bearer token
 * from the static token file, else a service-account token this server issued for one of the API
 * audiences (through the domain's `authenticate`); anonymous only with `--anonymous-auth` and only
 * when no credential was presented. Everyone authenticated is in `system:authenticated`. Tokens are
 * never part of a result or a log line.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as crypto from "node:crypto"
import type * as tls from "node:tls"
import type { Config } from "@tokenrequest/domain/Config"
import type { KeySet } from "@tokenrequest/domain/KeySet"
import type { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as Steps from "@tokenrequest/domain/Steps"
import type { TokenCache } from "@tokenrequest/domain/TokenCache"
import type { UserInfo } from "@tokenrequest/domain/UserInfo"
import * as TokenFile from "./TokenFile.js"
import { perObject } from "./internal/perObject.js"

/**
 * What the TLS layer established about a client certificate.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientCertificate {
  /** The chain verified against the client CA bundle. */
  readonly authorized: boolean
  /** Why not, when not. */
  readonly error?: string | undefined
  readonly commonName: string
  readonly organizations: ReadonlyArray<string>
  /** The extended key usage allows client authentication (or there is none). */
  readonly clientAuth: boolean
}

/**
 * The credentials of one request.
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  /** The `Authorization` header, if any. */
  readonly authorization: string | undefined
  /** A presented client certificate, if any. */
  readonly certificate: ClientCertificate | undefined
}

/**
 * How the request authenticated, or why it did not (`reason` is for the server log only; the client
 * gets `Unauthorized`).
 *
 * @since 0.1.0
 * @category models
 */
export type Result =
  | {
    readonly _tag: "Authenticated"
    readonly user: UserInfo
    readonly method: "x509" | "token-file" | "service-account" | "anonymous"
    /** For service-account tokens: seconds past `warnafter`, when stale. */
    readonly staleSeconds?: number | undefined
  }
  | { readonly _tag: "Unauthenticated"; readonly reason: string }

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly tokenFile: TokenFile.TokenFile | undefined
  /** Whether `--client-ca-file` is configured. */
  readonly clientCertificates: boolean
  readonly anonymous: boolean
  /** The API audiences service-account tokens must carry one of. */
  readonly apiAudiences: ReadonlyArray<string>
}

/**
 * `system:anonymous` in `system:unauthenticated`.
 *
 * @since 0.1.0
 * @category constants
 */
export const anonymousUser: UserInfo = { username: "system:anonymous", groups: ["system:unauthenticated"] }

/** A token file's users as authenticated, each made once (the file's users live as long as the file). */
const tokenFileUser = perObject((user: UserInfo) => withAuthenticatedGroup(user))

/**
 * Upstream's `AuthenticatedGroupAdder`: adds `system:authenticated` unless the user already is in it
 * or in `system:unauthenticated`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withAuthenticatedGroup = (user: UserInfo): UserInfo => {
  const groups = user.groups ?? []
  if (groups.includes("system:authenticated") || groups.includes("system:unauthenticated")) return user
  return { ...user, groups: [...groups, "system:authenticated"] }
}

/**
 * The bearer token of an `Authorization` header (`Bearer <token>`, case-insensitive scheme), as
 * upstream's `bearertoken` reads it; `undefined` when there is none.
 *
 * @since 0.1.0
 * @category parsing
 */
export const bearerToken = (authorization: string | undefined): string | undefined => {
  if (authorization === undefined) return undefined
  const parts = authorization.trim().split(" ")
  if (parts.length !== 2 || parts[0]!.toLowerCase() !== "bearer" || parts[1] === "") return undefined
  return parts[1]
}

const fromCertificate = (certificate: ClientCertificate): UserInfo | string => {
  if (!certificate.authorized) return `verifying certificate failed: ${certificate.error ?? "unknown authority"}`
  if (!certificate.clientAuth) return "verifying certificate failed: x509: certificate specifies an incompatible key usage"
  if (certificate.commonName === "") return "common name of the certificate is empty"
  return {
    username: certificate.commonName,
    ...(certificate.organizations.length > 0 ? { groups: [...certificate.organizations] } : {})
  }
}

/**
 * Authenticates one request's credentials, as steps (see `Steps`): only a service-account token
 * needs the ports.
 *
 * @since 0.1.0
 * @category authentication
 */
export function* authenticateSteps(
  options: Options,
  config: Config["Type"],
  cache: TokenCache["Type"] | undefined,
  credentials: Credentials
): Steps.Steps<Result> {
  const errors: Array<string> = []
  if (credentials.certificate !== undefined && options.clientCertificates) {
    const user = fromCertificate(credentials.certificate)
    if (typeof user !== "string") return { _tag: "Authenticated", user: withAuthenticatedGroup(user), method: "x509" }
    errors.push(user)
  }
  const token = bearerToken(credentials.authorization)
  if (token === undefined) return withoutToken(options, errors)
  const fromFile = options.tokenFile === undefined ? undefined : TokenFile.lookup(options.tokenFile, token)
  if (fromFile !== undefined) return { _tag: "Authenticated", user: tokenFileUser(fromFile), method: "token-file" }
  const outcome = yield* Steps.either(ReviewToken.authenticateSteps(config, cache, token, options.apiAudiences))
  if (Either.isLeft(outcome)) return withoutToken(options, [...errors, `[invalid bearer token, ${outcome.left.message}]`])
  if (outcome.right._tag === "Unauthenticated") return withoutToken(options, [...errors, outcome.right.error])
  return {
    _tag: "Authenticated",
    user: withAuthenticatedGroup(outcome.right.user),
    method: "service-account",
    staleSeconds: outcome.right.staleSeconds
  }
}

/**
 * Authenticates one request's credentials.
 *
 * @since 0.1.0
 * @category authentication
 */
export const authenticate = (
  options: Options,
  credentials: Credentials
): Effect.Effect<Result, never, ObjectStore | KeySet | Config> =>
  ReviewToken.withReviewContext((config, cache) => authenticateSteps(options, config, cache, credentials))

/** The verdict when no credential authenticated: the errors, else anonymous when enabled. */
const withoutToken = (options: Options, errors: ReadonlyArray<string>): Result => {
  if (errors.length > 0) return { _tag: "Unauthenticated", reason: errors.join(", ") }
  if (options.anonymous) return { _tag: "Authenticated", user: anonymousUser, method: "anonymous" }
  return { _tag: "Unauthenticated", reason: "no credentials" }
}

/**
 * The client certificate a TLS connection presented, as authentication reads it; `undefined` for
 * plain connections and when none was presented.
 *
 * @since 0.1.0
 * @category x509
 */
export const certificateOf = (socket: tls.TLSSocket | undefined): ClientCertificate | undefined => {
  if (socket === undefined || typeof socket.getPeerCertificate !== "function") return undefined
  const peer = socket.getPeerCertificate()
  if (peer === undefined || peer === null || peer.raw === undefined) return undefined
  const list = (value: string | Array<string> | undefined) =>
    value === undefined ? [] : Array.isArray(value) ? value : [value]
  let clientAuth = true
  try {
    const usages = new crypto.X509Certificate(peer.raw).keyUsage
    if (usages !== undefined && usages.length > 0) {
      clientAuth = usages.includes("1.3.6.1.5.5.7.3.2") || usages.includes("2.5.29.37.0")
    }
  } catch {
    clientAuth = false
  }
  const subject = peer.subject as unknown as Record<string, string | Array<string> | undefined>
  return {
    authorized: socket.authorized,
    error: socket.authorizationError === null || socket.authorizationError === undefined
      ? undefined
      : String(socket.authorizationError),
    commonName: list(subject["CN"])[0] ?? "",
    organizations: list(subject["O"]),
    clientAuth
  }
}
