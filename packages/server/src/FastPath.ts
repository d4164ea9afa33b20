/**
 * The fast path of the reference server: the two hot endpoints — `POST …/serviceaccounts/{name}/token`
 * and `POST /apis/authentication.k8s.io/v1/tokenreviews` — answered straight on the Node listener,
 * in JSON, by one synchronous run of authentication, authorization, decoding and the domain program's
 * steps (`Steps.runSync`) with ports that answer at once — no fiber per request. The answers are
 * written at the end of the event loop's turn, all those of the turn together.
 *
 * It answers only what it is sure to answer as the general path would: a JSON request with a
 * declared length within the limit, no query, a bearer token, a plain or TLS connection without a
 * client certificate, authenticated and allowed, a body that decodes without warnings, a program
 * that succeeds without any port failing. Anything else — including every error answer — is handed, body
 * included, to the general `@effect/platform` app, which then answers exactly as without this path.
 * Metrics are recorded as the general path records them.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { IncomingMessage, ServerResponse } from "node:http"
import type * as tls from "node:tls"
import type { Config } from "@tokenrequest/domain/Config"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as Steps from "@tokenrequest/domain/Steps"
import type { TokenCache } from "@tokenrequest/domain/TokenCache"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import * as TokenReview from "@tokenrequest/domain/TokenReview"
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
 * What the fast path runs with: the synchronous forms of the general path's ports, and its
 * configuration, token cache, authentication options, authorizer and metrics.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The ports' synchronous forms (`Steps.syncPorts`), without metrics: a port failure hands the request over. */
  readonly ports: Steps.SyncPorts
  readonly config: Config["Type"]
  readonly tokenCache: TokenCache["Type"] | undefined
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

/** `RequestInfo.resolve` of the fast path's URLs, remembered (at most 1 024, then started afresh). */
const requestInfos = () => {
  const known = new Map<string, { readonly info: RequestInfo.RequestInfo; readonly resource: string }>()
  return (url: string) => {
    let found = known.get(url)
    if (found === undefined) {
      if (known.size >= 1024) known.clear()
      const info = RequestInfo.resolve("POST", url)
      found = { info, resource: resourceLabel(info) }
      known.set(url, found)
    }
    return found
  }
}

/**
 * Answers written at the end of the event loop's turn, all together (`setImmediate` runs after the
 * loop has read every connection that was ready). A client on the same machine — a test, a sidecar,
 * a load generator — is then woken once for the lot instead of once per answer; on a machine whose
 * cores are shared, those wake-ups cost as much as the rest of the answer. One write that throws
 * closes its own connection and leaves the others' alone.
 */
const endOfTurnWriter = () => {
  let pending: Array<() => void> = []
  const flush = () => {
    const batch = pending
    pending = []
    for (const write of batch) write()
  }
  return (write: () => void) => {
    if (pending.length === 0) setImmediate(flush)
    pending.push(write)
  }
}

/**
 * Builds the fast path.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Listener => {
  const { authorizer, config, metrics, tokenCache } = options
  const infoOf = requestInfos()
  const atEndOfTurn = endOfTurnWriter()
  // A port that fails makes the run hand the request over (the general path answers and counts it).
  let portFailed = false
  const noted = <A, E>(result: Either.Either<A, E>) => {
    if (Either.isLeft(result)) portFailed = true
    return result
  }
  const ports: Steps.SyncPorts = {
    get: (kind, namespace, name) => noted(options.ports.get(kind, namespace, name)),
    sign: (payload) => noted(options.ports.sign(payload)),
    verify: (token) => noted(options.ports.verify(token)),
    nextId: options.ports.nextId,
    nowMillis: options.ports.nowMillis
  }
  /** Runs steps; `undefined` when they failed or a port did. */
  const run = <A, E>(steps: Steps.Steps<A, E>): A | undefined => {
    portFailed = false
    const result = Steps.runSync(steps, ports)
    return Either.isRight(result) && !portFailed ? result.right : undefined
  }

  /** Authentication and authorization as the general path does them; `undefined` when not allowed. */
  const admit = (req: IncomingMessage, info: RequestInfo.RequestInfo) => {
    const authenticated = run(Authentication.authenticateSteps(options.authentication, config, tokenCache, {
      authorization: req.headers["authorization"],
      certificate: undefined
    }))
    if (authenticated === undefined || authenticated._tag !== "Authenticated") return undefined
    if (!authorizer.authorize(authenticated.user, info).allowed) return undefined
    return authenticated
  }

  const issue = (
    req: IncomingMessage,
    endpoint: Endpoint & { _tag: "TokenRequest" },
    body: Uint8Array,
    info: RequestInfo.RequestInfo
  ): Answer | undefined => {
    const authenticated = admit(req, info)
    if (authenticated === undefined) return undefined
    const decoded = RequestBody.decodeJson(Routes.bodies.TokenRequest, body, "Warn")
    if (Either.isLeft(decoded) || decoded.right.warnings.length > 0) return undefined
    const request = decoded.right.object
    const namespace = request.metadata.namespace ?? ""
    if (namespace !== "" && namespace !== endpoint.namespace) return undefined
    const issued = run(CreateToken.createTokenSteps(config, endpoint.namespace, endpoint.name, {
      ...request,
      metadata: { ...request.metadata, namespace: endpoint.namespace }
    }))
    if (issued === undefined) return undefined
    // encoded before anything is counted: a failure from here on hands the request over
    const wire = Routes.typed("TokenRequest", encodeIssued(issued.tokenRequest))
    if (authenticated.method === "service-account") metrics.serviceAccountToken(authenticated.staleSeconds !== undefined)
    metrics.tokenIssued("success")
    return { code: 201, text: JSON.stringify(wire), headers: Routes.warningHeaders(issued.warnings) }
  }

  const review = (req: IncomingMessage, body: Uint8Array, info: RequestInfo.RequestInfo): Answer | undefined => {
    const authenticated = admit(req, info)
    if (authenticated === undefined) return undefined
    const decoded = RequestBody.decodeJson(Routes.bodies.TokenReview, body, "Warn")
    if (Either.isLeft(decoded) || decoded.right.warnings.length > 0) return undefined
    const reviewed = run(ReviewToken.reviewSteps(config, tokenCache, decoded.right.object))
    if (reviewed === undefined) return undefined
    const wire = Routes.typed("TokenReview", encodeReview(reviewed.tokenReview))
    if (authenticated.method === "service-account") metrics.serviceAccountToken(authenticated.staleSeconds !== undefined)
    options.onReviewed(reviewed.authentication)
    return { code: 201, text: JSON.stringify(wire), headers: {} }
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
      try {
        const headers: Record<string, string | number> = {}
        for (const name in answer.headers) headers[name] = answer.headers[name]!
        headers["content-type"] = Negotiation.jsonMediaType
        headers["content-length"] = Buffer.byteLength(answer.text)
        res.writeHead(answer.code, headers)
        res.end(answer.text)
      } catch {
        res.destroy()
      }
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
      const { info, resource } = infoOf(req.url ?? "")
      let answer: Answer | undefined
      try {
        answer = endpoint._tag === "TokenRequest" ? issue(req, endpoint, body, info) : review(req, body, info)
      } catch {
        // a defect: the general path answers it as it answers every defect
        answer = undefined
      }
      if (answer === undefined) {
        RequestBody.rememberNodeBody(req, body)
        return next()
      }
      const ready = answer
      atEndOfTurn(() => send(ready))
      metrics.request({ verb: info.verb, resource, code: answer.code }, (performance.now() - started) / 1000)
    }
    req.on("data", onData)
    req.on("end", onEnd)
    req.on("error", onError)
  }
}
