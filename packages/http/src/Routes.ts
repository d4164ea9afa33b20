/**
 * The token endpoints of the Kubernetes API as an `@effect/platform` router: TokenRequest,
 * TokenReview, SelfSubjectReview, OIDC discovery and JWKS. Every handler answers its own failures as
 * Kubernetes `Status` objects, so the router can be mounted into any other router as is.
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Audit from "@tokenrequest/domain/Audit"
import type { Config } from "@tokenrequest/domain/Config"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import * as Discovery from "@tokenrequest/domain/Discovery"
import type { IdGenerator } from "@tokenrequest/domain/IdGenerator"
import * as KeySet from "@tokenrequest/domain/KeySet"
import type { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as SelfSubjectReview from "@tokenrequest/domain/SelfSubjectReview"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import * as TokenReview from "@tokenrequest/domain/TokenReview"
import type { TokenSigner } from "@tokenrequest/domain/TokenSigner"
import * as Cause from "effect/Cause"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as AuditSink from "./AuditSink.js"
import * as Caller from "./Caller.js"
import * as Negotiation from "./Negotiation.js"
import * as LazyProtobuf from "./internal/protobuf.js"
import type * as Protobuf from "./Protobuf.js"
import * as RequestBody from "./RequestBody.js"
import * as Status from "./Status.js"

/**
 * The services the token endpoints need: the domain's ports and configuration.
 *
 * @since 0.1.0
 * @category models
 */
export type Ports = ObjectStore | TokenSigner | KeySet.KeySet | IdGenerator | Config

/**
 * Options of the app.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Request body limit in bytes; default 3 MiB as kube-apiserver. */
  readonly maxRequestBodyBytes?: number | undefined
  /**
   * Time to answer a request, reading its body included; default 60 s (kube-apiserver's
   * `--request-timeout`). Beyond, the answer is `504 Timeout` and the handler is abandoned
   * (`App.make` applies it; `Infinity` for none, when the host applies its own around the app).
   */
  readonly handlerTimeoutMillis?: number | undefined
  /**
   * Called with the authentication behind every answered TokenReview (authenticated or not, with
   * its staleness), for the host's metrics; must not throw.
   */
  readonly onReviewed?: ((authentication: ReviewToken.Authentication) => void) | undefined
}

/**
 * `authentication.k8s.io/v1`.
 *
 * @since 0.1.0
 * @category constants
 */
export const authenticationGroupVersion = { group: "authentication.k8s.io", version: "v1" } as const

const authenticationKinds = ["TokenRequest", "TokenReview", "SelfSubjectReview"]

/**
 * The served paths and their methods (router syntax), used for 405 answers.
 *
 * @since 0.1.0
 * @category constants
 */
export const paths = {
  tokenRequest: "/api/v1/namespaces/:namespace/serviceaccounts/:name/token",
  tokenReviews: "/apis/authentication.k8s.io/v1/tokenreviews",
  selfSubjectReviews: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
  openidConfiguration: "/.well-known/openid-configuration",
  jwks: "/openid/v1/jwks"
} as const

/**
 * Each served path with the one method it allows.
 *
 * @since 0.1.0
 * @category constants
 */
export const routeTable: ReadonlyArray<{ readonly method: string; readonly path: string }> = [
  { method: "POST", path: paths.tokenRequest },
  { method: "POST", path: paths.tokenReviews },
  { method: "POST", path: paths.selfSubjectReviews },
  { method: "GET", path: paths.openidConfiguration },
  { method: "GET", path: paths.jwks }
]

/**
 * Escapes a warning text as Go's `NewWarningHeader` does and formats the header value
 * `299 - "<text>"`. The value is a byte string: non-ASCII text goes out as its UTF-8 bytes (what Go
 * writes), and control characters, which no HTTP header may carry, become spaces.
 *
 * @since 0.1.0
 * @category encoding
 */
export const warningHeader = (text: string): string => {
  const escaped = text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, " ")
  const bytes = new TextEncoder().encode(escaped)
  let value = ""
  for (let i = 0; i < bytes.length; i += 4096) value += String.fromCharCode(...bytes.subarray(i, i + 4096))
  return `299 - "${value}"`
}

const encodableKinds: ReadonlySet<string> = new Set<Protobuf.EncodableKind>([
  "TokenRequest",
  "TokenReview",
  "SelfSubjectReview",
  "Status"
])

/**
 * Answers an object in the negotiated format: the JSON text of its wire shape, or the protobuf
 * envelope when the client accepts only protobuf and the kind has a protobuf message here (other
 * kinds, such as the object API's, are always answered in JSON).
 *
 * @since 0.1.0
 * @category responses
 */
export const respondObject = (
  code: number,
  apiVersion: string,
  kind: string,
  wire: Record<string, unknown>,
  headers: Record<string, string> = {}
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(Negotiation.responseFormat, (format) =>
    format === "protobuf" && encodableKinds.has(kind)
      ? Effect.map(LazyProtobuf.load, (Protobuf) =>
        HttpServerResponse.uint8Array(
          Protobuf.encodeEnvelope({
            apiVersion,
            kind,
            raw: Protobuf.fromJsonShape(kind as Protobuf.EncodableKind, wire)
          }),
          { status: code, contentType: Protobuf.mediaType, headers }
        ))
      : Effect.succeed(HttpServerResponse.text(JSON.stringify(wire), {
        status: code,
        contentType: Negotiation.jsonMediaType,
        headers
      })))

/**
 * Answers a `Status` with its code, in the negotiated format.
 *
 * @since 0.1.0
 * @category responses
 */
export const respondStatus = (
  status: Status.Status
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> =>
  respondObject(Status.httpCode(status), "v1", "Status", Status.ordered(status))

/**
 * Turns every failure and defect of a handler into its `Status` answer. Defects and unmapped
 * failures (500s nobody expected) are also logged at error level with their cause.
 *
 * @since 0.1.0
 * @category responses
 */
export const handleFailures = <E, R>(
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | HttpServerRequest.HttpServerRequest> =>
  Effect.catchAllCause(handler, (cause) => {
    const failure = Cause.failureOption(cause)
    const expected = Option.isSome(failure) && Status.isMappedError(failure.value)
    const answer = respondStatus(Status.fromCause(cause))
    return expected || Cause.isInterruptedOnly(cause)
      ? answer
      : Effect.zipRight(Effect.logError("request failed unexpectedly", cause), answer)
  })

/**
 * The wire object of an answer with `kind` first and `apiVersion` second, as the API server writes
 * them (the JSON text of an answer is `JSON.stringify` of this).
 *
 * @since 0.1.0
 * @category encoding
 */
export const typed = (kind: string, wire: unknown): Record<string, unknown> => {
  const record = wire as Record<string, unknown>
  if (record["kind"] === kind && record["apiVersion"] === TokenRequest.apiVersion && startsWithTypeMeta(record)) return record
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = record
  return { kind, apiVersion: TokenRequest.apiVersion, ...rest }
}

/** Whether `kind` and `apiVersion` are the first two keys (the order `typed` writes them in). */
const startsWithTypeMeta = (record: Record<string, unknown>): boolean => {
  let i = 0
  for (const key in record) {
    if (key !== (i === 0 ? "kind" : "apiVersion")) return false
    if (++i === 2) return true
  }
  return false
}

const userInfoFields: RequestBody.FieldTree = { username: true, uid: true, groups: true, extra: true }

/**
 * The JSON fields of each token kind, for server-side field validation.
 *
 * @since 0.1.0
 * @category field validation
 */
export const fields: { readonly [K in "TokenRequest" | "TokenReview" | "SelfSubjectReview"]: RequestBody.FieldTree } = {
  TokenRequest: {
    apiVersion: true,
    kind: true,
    metadata: RequestBody.objectMetaFields,
    spec: {
      audiences: true,
      expirationSeconds: true,
      boundObjectRef: { kind: true, apiVersion: true, name: true, uid: true }
    },
    status: { token: true, expirationTimestamp: true }
  },
  TokenReview: {
    apiVersion: true,
    kind: true,
    metadata: RequestBody.objectMetaFields,
    spec: { token: true, audiences: true },
    status: { authenticated: true, user: userInfoFields, audiences: true, error: true }
  },
  SelfSubjectReview: {
    apiVersion: true,
    kind: true,
    metadata: RequestBody.objectMetaFields,
    status: { userInfo: userInfoFields }
  }
}

/**
 * How the bodies of TokenRequest and TokenReview are decoded (`RequestBody.DecodeOptions` but the
 * size limit): kind and version, schema, the plain decoder of the common shape, protobuf message,
 * sibling kinds and fields.
 *
 * @since 0.1.0
 * @category decoding
 */
export const bodies = {
  TokenRequest: {
    gvk: { ...authenticationGroupVersion, kind: "TokenRequest" },
    schema: TokenRequest.TokenRequest,
    decodeCommonShape: TokenRequest.decodeCommonShape,
    protobuf: "TokenRequest",
    siblingKinds: authenticationKinds,
    fields: fields.TokenRequest
  },
  TokenReview: {
    gvk: { ...authenticationGroupVersion, kind: "TokenReview" },
    schema: TokenReview.TokenReview,
    decodeCommonShape: TokenReview.decodeCommonShape,
    protobuf: "TokenReview",
    siblingKinds: authenticationKinds,
    fields: fields.TokenReview
  }
} as const satisfies {
  readonly TokenRequest: RequestBody.DecodeOptions<TokenRequest.TokenRequest, typeof TokenRequest.TokenRequest.Encoded>
  readonly TokenReview: RequestBody.DecodeOptions<TokenReview.TokenReview, typeof TokenReview.TokenReview.Encoded>
}

/**
 * The `Warning` header for some texts (no header when there are none).
 *
 * @since 0.1.0
 * @category encoding
 */
export const warningHeaders = (texts: ReadonlyArray<string>): Record<string, string> => {
  const unique = [...new Set(texts.filter((text) => text !== ""))]
  if (unique.length === 0) return {}
  return { warning: truncateWarnings(unique).map(warningHeader).join(", ") }
}

/** The apiserver's warning recorder limits: 4096 runes in total, then 256 runes per warning. */
const truncateAtTotalRunes = 4 * 1024
const truncateItemRunes = 256

/**
 * The apiserver's warning recorder (`filters/warning.go`): warnings are added whole while their
 * total stays within 4096 runes; the one that would pass it switches to truncation, the warnings so
 * far are replayed cut to 256 runes each, later ones are cut too, and once the total reaches 4096
 * runes the rest are dropped.
 */
const truncateWarnings = (texts: ReadonlyArray<string>): ReadonlyArray<string> => {
  const cut = (runes: ReadonlyArray<string>) => (runes.length > truncateItemRunes ? runes.slice(0, truncateItemRunes) : runes)
  const recorded: Array<ReadonlyArray<string>> = []
  let kept: Array<ReadonlyArray<string>> = []
  let written = 0
  let truncating = false
  for (const text of texts) {
    if (truncating && written >= truncateAtTotalRunes) break
    const runes = [...text]
    recorded.push(runes)
    const item = truncating ? cut(runes) : runes
    if (truncating || written + item.length <= truncateAtTotalRunes) {
      kept.push(item)
      written += item.length
      continue
    }
    truncating = true
    kept = recorded.map(cut)
    written = kept.reduce((total, r) => total + r.length, 0)
  }
  return kept.map((runes) => runes.join(""))
}

const param = (name: string) => Effect.map(HttpRouter.params, (params) => params[name] ?? "")

const credentialIdExtra = "authentication.kubernetes.io/credential-id"

const boundReference = (ref: {
  readonly kind?: string | undefined
  readonly apiVersion?: string | undefined
  readonly name?: string | undefined
  readonly uid?: string | undefined
}) => ({
  ...(ref.kind === undefined ? {} : { kind: ref.kind }),
  ...(ref.apiVersion === undefined ? {} : { apiVersion: ref.apiVersion }),
  ...(ref.name === undefined ? {} : { name: ref.name }),
  ...(ref.uid === undefined ? {} : { uid: ref.uid })
})

/** What a handler learns for its audit event while it runs. */
interface AuditNote {
  /** Whether a sink listens: without one, the handlers skip the event's extra work. */
  readonly enabled: boolean
  readonly annotations: Array<Audit.Annotation>
  tokenRequest?: AuditSink.TokenRequestDetails
  tokenReview?: AuditSink.TokenReviewDetails
}

/** What a review's audit event reports: the outcome, and the annotations of an authenticated token. */
const noteReview = (note: AuditNote, review: TokenReview.TokenReview, reviewed: TokenReview.TokenReview, nowMillis: number) => {
  const status = reviewed.status
  if (status?.authenticated !== true) {
    note.tokenReview = {
      audiences: review.spec.audiences ?? [],
      authenticated: false,
      ...(status?.error === undefined || status.error === "" ? {} : { error: status.error })
    }
    return
  }
  const credentialId = status.user?.extra?.[credentialIdExtra]?.[0]
  note.tokenReview = {
    audiences: review.spec.audiences ?? [],
    authenticated: true,
    subject: AuditSink.auditUser(status.user ?? {}),
    grantedAudiences: status.audiences ?? [],
    ...(credentialId === undefined ? {} : { credentialId })
  }
  note.annotations.push(
    ...AuditSink.reviewAnnotations(
      status.user?.username ?? "",
      AuditSink.claimsOf(review.spec.token),
      Math.floor(nowMillis / 1000)
    )
  )
}

/**
 * Runs a handler and records its audit event once it ended, whatever the outcome: the answer's code,
 * or the `Status` its failure becomes.
 */
const audited = <E, R>(
  objectRef: AuditSink.ObjectRef,
  handler: (note: AuditNote) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
) =>
  Effect.gen(function*() {
    if (Option.isNone(yield* Effect.serviceOption(AuditSink.AuditSink))) {
      return yield* handler({ enabled: false, annotations: [] })
    }
    const request = yield* HttpServerRequest.HttpServerRequest
    const user = yield* Caller.current
    const received = yield* DateTime.now
    const note: AuditNote = { enabled: true, annotations: [] }
    return yield* Effect.onExit(handler(note), (exit) =>
      Effect.gen(function*() {
        const completed = yield* DateTime.now
        let responseStatus: AuditSink.ResponseStatus
        if (Exit.isSuccess(exit)) {
          responseStatus = { code: exit.value.status }
        } else {
          const status = Status.fromCause(exit.cause)
          responseStatus = { code: Status.httpCode(status), reason: status.reason, message: status.message }
        }
        const userAgent = request.headers["user-agent"]
        yield* AuditSink.record({
          auditID: globalThis.crypto.randomUUID(),
          stage: "ResponseComplete",
          verb: "create",
          requestURI: request.url,
          user: AuditSink.auditUser(user),
          sourceIPs: Option.toArray(request.remoteAddress),
          ...(userAgent === undefined ? {} : { userAgent }),
          objectRef,
          responseStatus,
          requestReceivedTimestamp: DateTime.formatIso(received),
          stageTimestamp: DateTime.formatIso(completed),
          annotations: AuditSink.annotationsOf(note.annotations),
          ...(note.tokenRequest === undefined ? {} : { tokenRequest: note.tokenRequest }),
          ...(note.tokenReview === undefined ? {} : { tokenReview: note.tokenReview })
        })
      }))
  })

/**
 * `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`: 201 with the issued TokenRequest and
 * the clamp warnings as `Warning` headers.
 *
 * @since 0.1.0
 * @category handlers
 */
export const createToken = (options: Options = {}) =>
  handleFailures(Effect.gen(function*() {
    const namespace = yield* param("namespace")
    const name = yield* param("name")
    return yield* audited(
      { resource: "serviceaccounts", subresource: "token", namespace, name, apiGroup: "", apiVersion: "v1" },
      (note) =>
        Effect.gen(function*() {
          const { object: request, warnings } = yield* RequestBody.decodeWithWarnings({
            ...bodies.TokenRequest,
            maxBytes: options.maxRequestBodyBytes
          })
          const bound = request.spec.boundObjectRef
          note.tokenRequest = {
            audiences: request.spec.audiences ?? [],
            ...(bound === undefined || bound === null ? {} : { boundObjectRef: boundReference(bound) }),
            ...(request.spec.expirationSeconds === undefined || request.spec.expirationSeconds === null
              ? {}
              : { requestedExpirationSeconds: request.spec.expirationSeconds }),
            warnings
          }
          const metadata = yield* RequestBody.ensureNamespace(namespace, request.metadata)
          const issued = yield* CreateToken.createToken(namespace, name, { ...request, metadata })
          const wire = TokenRequest.encodeIssuedCommonShape(issued.tokenRequest) ??
            (yield* Schema.encode(TokenRequest.IssuedTokenRequest)(issued.tokenRequest))
          const exp = note.enabled ? AuditSink.claimsOf(issued.tokenRequest.status.token)?.["exp"] : undefined
          note.tokenRequest = {
            ...note.tokenRequest,
            audiences: issued.tokenRequest.spec.audiences ?? [],
            expirationSeconds: issued.tokenRequest.spec.expirationSeconds ?? undefined,
            expirationTimestamp: DateTime.formatIso(issued.tokenRequest.status.expirationTimestamp),
            ...(typeof exp === "number" ? { exp } : {}),
            warnings: [...warnings, ...issued.warnings]
          }
          if (issued.jti !== "") note.annotations.push(Audit.issuedCredentialId(issued.jti))
          const headers = warningHeaders([...warnings, ...issued.warnings])
          return yield* respondObject(201, TokenRequest.apiVersion, "TokenRequest", typed("TokenRequest", wire), headers)
        })
    )
  }))

/**
 * `POST /apis/authentication.k8s.io/v1/tokenreviews`: 201 with `status` filled in, also for invalid
 * tokens (`status.error`).
 *
 * @since 0.1.0
 * @category handlers
 */
export const reviewToken = (options: Options = {}) =>
  handleFailures(audited(
    { resource: "tokenreviews", apiGroup: authenticationGroupVersion.group, apiVersion: authenticationGroupVersion.version },
    (note) =>
      Effect.gen(function*() {
        const { object: review, warnings } = yield* RequestBody.decodeWithWarnings({
          ...bodies.TokenReview,
          maxBytes: options.maxRequestBodyBytes
        })
        note.tokenReview = { audiences: review.spec.audiences ?? [] }
        const { authentication, tokenReview: reviewed } = yield* ReviewToken.review(review)
        options.onReviewed?.(authentication)
        if (note.enabled) noteReview(note, review, reviewed, DateTime.toEpochMillis(yield* DateTime.now))
        const wire = TokenReview.encodeCommonShape(reviewed) ?? (yield* Schema.encode(TokenReview.TokenReview)(reviewed))
        return yield* respondObject(
          201,
          TokenRequest.apiVersion,
          "TokenReview",
          typed("TokenReview", wire),
          warningHeaders(warnings)
        )
      })
  ))

/**
 * `POST /apis/authentication.k8s.io/v1/selfsubjectreviews`: 201 with the caller's user info
 * (`kubectl auth whoami`).
 *
 * @since 0.1.0
 * @category handlers
 */
export const selfSubjectReview = (options: Options = {}) =>
  handleFailures(Effect.gen(function*() {
    const { object: review, warnings } = yield* RequestBody.decodeWithWarnings({
      gvk: { ...authenticationGroupVersion, kind: "SelfSubjectReview" },
      schema: SelfSubjectReview.SelfSubjectReview,
      protobuf: "SelfSubjectReview",
      siblingKinds: authenticationKinds,
      maxBytes: options.maxRequestBodyBytes,
      fields: fields.SelfSubjectReview
    })
    const userInfo = yield* Caller.current
    const now = yield* DateTime.now
    const wire = yield* Schema.encode(SelfSubjectReview.SelfSubjectReview)({
      metadata: { ...review.metadata, creationTimestamp: now },
      status: { userInfo }
    })
    return yield* respondObject(
      201,
      TokenRequest.apiVersion,
      "SelfSubjectReview",
      typed("SelfSubjectReview", wire),
      warningHeaders(warnings)
    )
  }))

const cached = (contentType: string, body: unknown, maxAge: number) =>
  HttpServerResponse.text(JSON.stringify(body), {
    status: 200,
    contentType,
    headers: { "cache-control": `public, max-age=${Math.max(0, Math.floor(maxAge))}` }
  })

/**
 * `GET /.well-known/openid-configuration` (`application/json`, `Cache-Control: public, max-age=<n>`).
 *
 * @since 0.1.0
 * @category handlers
 */
export const openidConfiguration = handleFailures(Effect.gen(function*() {
  const { cacheMaxAgeSeconds, document } = yield* Discovery.openidConfiguration
  const body = yield* Schema.encode(Discovery.OpenIdConfiguration)(document)
  return cached("application/json", body, cacheMaxAgeSeconds)
}))

/**
 * `GET /openid/v1/jwks` (`application/jwk-set+json`, `Cache-Control: public, max-age=<n>`).
 *
 * @since 0.1.0
 * @category handlers
 */
export const jwks = handleFailures(Effect.gen(function*() {
  const { cacheMaxAgeSeconds, document } = yield* Discovery.jwks
  const body = yield* Schema.encode(KeySet.JsonWebKeySet)(document)
  return cached("application/jwk-set+json", body, cacheMaxAgeSeconds)
}))

/**
 * The router with the five endpoints. Unknown paths fail with `RouteNotFound` (mount it into a host
 * router, or use `App.make` which answers them with 404/405 `Status`).
 *
 * @since 0.1.0
 * @category routers
 */
export const make = (options: Options = {}) =>
  HttpRouter.empty.pipe(
    HttpRouter.post(paths.tokenRequest, createToken(options)),
    HttpRouter.post(paths.tokenReviews, reviewToken(options)),
    HttpRouter.post(paths.selfSubjectReviews, selfSubjectReview(options)),
    HttpRouter.get(paths.openidConfiguration, openidConfiguration),
    HttpRouter.get(paths.jwks, jwks)
  )

/**
 * The router with default options.
 *
 * @since 0.1.0
 * @category routers
 */
export const router = make()

/**
 * Whether some served path matches `pathname` (with any method), for 405 answers.
 *
 * @since 0.1.0
 * @category routing
 */
export const isServedPath = (pathname: string): boolean => isServedPathIn(routeTable, pathname)

/**
 * Whether some path of a route table (router syntax, `:param` segments) matches `pathname`. A host
 * that adds routes uses it with its own table for its 405 answers.
 *
 * @since 0.1.0
 * @category routing
 */
export const isServedPathIn = (
  table: ReadonlyArray<{ readonly path: string }>,
  pathname: string
): boolean =>
  table.some(({ path }) =>
    new RegExp(`^${path.replace(/[.]/g, "\\.").replace(/:[a-zA-Z]+/g, "[^/]+")}/?$`).test(pathname)
  )
