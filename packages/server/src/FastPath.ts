/**
 * The fast path of the reference server: the two hot endpoints — `POST …/serviceaccounts/{name}/token`
 * and `POST /apis/authentication.k8s.io/v1/tokenreviews` — answered straight on the Node listener,
 * in JSON, by one synchronous run of authentication, authorization, decoding and the domain program.
 *
 * It answers only what it is sure to answer as the general path would: a JSON request with a
 * declared length within the limit, no query, a bearer token, a plain or TLS connection without a
 * client certificate, authenticated and allowed, a body that decodes without warnings, a program
 * that succeeds synchronously. Anything else — including every error answer — is handed, body
 * included, to the general `@effect/platform` app, which then answers exactly as without this path.
 * Metrics are recorded as the general path records them.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import type { IncomingMessage, ServerResponse } from "node:http"
import type * as tls from "node:tls"
import type { Config } from "@tokenrequest/domain/Config"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import type { IdGenerator } from "@tokenrequest/domain/IdGenerator"
import type { KeySet } from "@tokenrequest/domain/KeySet"
import type { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import * as TokenReview from "@tokenrequest/domain/TokenReview"
import type { TokenSigner } from "@tokenrequest/domain/TokenSigner"
import * as Negotiation from "@tokenrequest/http/Negotiation"
import * as RequestBody from "@tokenrequest/http/RequestBody"
import * as RequestUrl from "@tokenrequest/http/RequestUrl"
import * as Routes from "@tokenrequest/http/Routes"
import * as Status from "@tokenrequest/http/Status"
import * as Authentication from "./Authentication.js"
import type * as Authorization from "./Authorization.js"
import type * as Metrics from "./Metrics.js"
import * as RequestInfo from "./RequestInfo.js"

/**
 * The services of the programs.
 *
 * @since 0.1.0
 * @category models
 */
export type Ports = ObjectStore | TokenSigner | KeySet | IdGenerator | Config

/**
 * What the fast path runs with: the same runtime (ports, configuration, token cache), authentication
 * options, authorizer and metrics as the general path.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly runtime: Runtime.Runtime<Ports>
  readonly authentication: Authentication.Options
  readonly authorizer: Authorization.Authorizer
  readonly metrics: Metrics.Registry
  readonly maxRequestBodyBytes: number
  /** The handler timeout: a body still incomplete by then is answered `504 Timeout`, as the general path does. */
  readonly handlerTimeoutMillis: number
  /** Called with the authentication behind every answered review, as `Routes.Options.onReviewed`. */
  readonly onReviewed: (authentication: ReviewToken.Authentication) => void
}

/**
 * A Node listener that answers a request itself or calls `next` (after handing over the body it read).
 *
 * @since 0.1.0
 * @category models
 */
export type Listener = (req: IncomingMessage, res: ServerResponse, next: () => void) => void

// Names of characters URL parsing leaves alone (no `%`, `#`, `\`, `?` or non-ASCII), so that the
// general path would read the same namespace and name from the same URL.
const tokenPath = /^\/api\/v1\/namespaces\/([A-Za-z0-9._-]+)\/serviceaccounts\/([A-Za-z0-9._-]+)\/token$/

const encodeIssued = (issued: TokenRequest.IssuedTokenRequest) =>
  TokenRequest.encodeIssuedCommonShape(issued) ?? Schema.encodeSync(TokenRequest.IssuedTokenRequest)(issued)
const encodeReview = (review: TokenReview.TokenReview) =>
  TokenReview.encodeCommonShape(review) ?? Schema.encodeSync(TokenReview.TokenReview)(review)

/** An answer: code, JSON text, extra headers. `undefined` hands the request to the general path. */
interface Answer {
  readonly code: number
  readonly text: string
  readonly headers: Record<string, string>
}

/** The request's endpoint, when the fast path may take it at all (decided from the head alone). */
type Endpoint =
  | { readonly _tag: "TokenRequest"; readonly namespace: string; readonly name: string }
  | { readonly _tag: "TokenReview" }

const endpointOf = (req: IncomingMessage, maxBytes: number): Endpoint | undefined => {
  if (req.method !== "POST") return undefined
  const url = req.url ?? ""
  const length = Number(req.headers["content-length"])
  if (!(length >= 0 && length <= maxBytes)) return undefined
  if (req.headers["content-encoding"] !== undefined) return undefined
  const accept = req.headers["accept"]
  if (Negotiation.formatOfContentType(req.headers["content-type"]) !== "json") return undefined
  if (!Negotiation.isAcceptable(accept) || Negotiation.formatOfAccept(accept) !== "json") return undefined
  if (req.headers["authorization"] === undefined) return undefined
  if ((req.socket as tls.TLSSocket).encrypted === true && Authentication.certificateOf(req.socket as tls.TLSSocket)) {
    return undefined
  }
  if (url === Routes.paths.tokenReviews) return { _tag: "TokenReview" }
  const match = tokenPath.exec(url)
  if (match === null || RequestUrl.hasDotSegment(url)) return undefined
  return { _tag: "TokenRequest", namespace: match[1]!, name: match[2]! }
}

const resourceLabel = (info: RequestInfo.RequestInfo) =>
  info.subresource === "" ? info.resource : `${info.resource}/${info.subresource}`

/**
 * Builds the fast path.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Listener => {
  const { authorizer, metrics } = options
  const runSyncExit = Runtime.runSyncExit(options.runtime)

  /** Authentication and authorization as the general path does them; `undefined` when not allowed. */
  const admit = (req: IncomingMessage, info: RequestInfo.RequestInfo) =>
    Effect.map(
      Authentication.authenticate(options.authentication, {
        authorization: req.headers["authorization"],
        certificate: undefined
      }),
      (authenticated) => {
        if (authenticated._tag !== "Authenticated") return undefined
        if (!authorizer.authorize(authenticated.user, info).allowed) return undefined
        return authenticated
      }
    )

  const issue = (req: IncomingMessage, endpoint: Endpoint & { _tag: "TokenRequest" }, body: Uint8Array, info: RequestInfo.RequestInfo) =>
    Effect.gen(function*() {
      const authenticated = yield* admit(req, info)
      if (authenticated === undefined) return undefined
      const decoded = RequestBody.decodeJson(Routes.bodies.TokenRequest, body, "Warn")
      if (Either.isLeft(decoded) || decoded.right.warnings.length > 0) return undefined
      const request = decoded.right.object
      const namespace = request.metadata.namespace ?? ""
      if (namespace !== "" && namespace !== endpoint.namespace) return undefined
      const issued = yield* Effect.option(CreateToken.createToken(endpoint.namespace, endpoint.name, {
        ...request,
        metadata: { ...request.metadata, namespace: endpoint.namespace }
      }))
      if (issued._tag === "None") return undefined
      // encoded before anything is counted: a failure from here on hands the request over
      const wire = Routes.typed("TokenRequest", encodeIssued(issued.value.tokenRequest))
      if (authenticated.method === "service-account") metrics.serviceAccountToken(authenticated.staleSeconds !== undefined)
      metrics.tokenIssued("success")
      return { code: 201, text: JSON.stringify(wire), headers: Routes.warningHeaders(issued.value.warnings) } satisfies Answer
    })

  const review = (req: IncomingMessage, body: Uint8Array, info: RequestInfo.RequestInfo) =>
    Effect.gen(function*() {
      const authenticated = yield* admit(req, info)
      if (authenticated === undefined) return undefined
      const decoded = RequestBody.decodeJson(Routes.bodies.TokenReview, body, "Warn")
      if (Either.isLeft(decoded) || decoded.right.warnings.length > 0) return undefined
      const reviewed = yield* Effect.option(ReviewToken.review(decoded.right.object))
      if (reviewed._tag === "None") return undefined
      const { authentication, tokenReview } = reviewed.value
      const wire = Routes.typed("TokenReview", encodeReview(tokenReview))
      if (authenticated.method === "service-account") metrics.serviceAccountToken(authenticated.staleSeconds !== undefined)
      options.onReviewed(authentication)
      return { code: 201, text: JSON.stringify(wire), headers: {} } satisfies Answer
    })

  /** Runs a program synchronously; an asynchronous one (a slow store) is stopped and handed over. */
  const run = (program: Effect.Effect<Answer | undefined, never, Ports>) => {
    const exit = runSyncExit(program)
    if (Exit.isSuccess(exit)) return exit.value
    const defect = Cause.dieOption(exit.cause)
    if (Option.isSome(defect) && Runtime.isAsyncFiberException(defect.value)) {
      defect.value.fiber.unsafeInterruptAsFork(defect.value.fiber.id())
    }
    return undefined
  }

  return (req, res, next) => {
    const endpoint = endpointOf(req, options.maxRequestBodyBytes)
    if (endpoint === undefined) return next()
    const started = performance.now()
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      chunks.push(chunk)
    }
    const onError = () => {
      cleanup()
      res.destroy()
    }
    const send = (answer: Answer) => {
      res.writeHead(answer.code, {
        ...answer.headers,
        "content-type": Negotiation.jsonMediaType,
        "content-length": Buffer.byteLength(answer.text)
      })
      res.end(answer.text)
    }
    // The general path's timeout, for a body that does not arrive (the rest is synchronous).
    const timer = Number.isFinite(options.handlerTimeoutMillis)
      ? setTimeout(() => {
        cleanup()
        send({ code: 504, text: Status.toJson(Status.handlerTimeout), headers: {} })
        const info = RequestInfo.resolve("POST", req.url ?? "")
        metrics.request({ verb: info.verb, resource: resourceLabel(info), code: 504 }, (performance.now() - started) / 1000)
      }, options.handlerTimeoutMillis)
      : undefined
    const cleanup = () => {
      clearTimeout(timer)
      req.off("data", onData)
      req.off("end", onEnd)
      req.off("error", onError)
    }
    const onEnd = () => {
      cleanup()
      const body: Uint8Array = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
      const info = RequestInfo.resolve("POST", req.url ?? "")
      const answer = run(
        endpoint._tag === "TokenRequest" ? issue(req, endpoint, body, info) : review(req, body, info)
      )
      if (answer === undefined) {
        RequestBody.rememberNodeBody(req, body)
        return next()
      }
      send(answer)
      metrics.request({ verb: info.verb, resource: resourceLabel(info), code: answer.code }, (performance.now() - started) / 1000)
    }
    req.on("data", onData)
    req.on("end", onEnd)
    req.on("error", onError)
  }
}
