/**
 * The reference server as a value: `layer(options)` starts it (configuration checked first, then the
 * store, keys, TLS, listener and kubeconfig) and provides the running `Server`; `serve(options)` runs
 * it until interrupted (SIGTERM/SIGINT through the runtime), printing `listening on <url>` as the
 * first stdout line. The CLI's `tokenrequest serve` and the testkit's in-process fake server are thin
 * wrappers over these two.
 *
 * Every request passes through one dispatcher: health and OIDC discovery are public; everything else
 * is authenticated (`Authentication`), authorized (`Authorization`, attributes from `RequestInfo`),
 * then answered by the discovery documents, the metrics, the object API, or the token API of
 * `@tokenrequest/http` with the caller provided.
 *
 * @since 0.1.0
 */
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as crypto from "node:crypto"
import * as fs from "node:fs/promises"
import * as http from "node:http"
import * as https from "node:https"
import type * as tls from "node:tls"
import * as DomainConfig from "@tokenrequest/domain/Config"
import { IdGenerator } from "@tokenrequest/domain/IdGenerator"
import { KeySet } from "@tokenrequest/domain/KeySet"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as Steps from "@tokenrequest/domain/Steps"
import type * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as TokenCache from "@tokenrequest/domain/TokenCache"
import { TokenSigner } from "@tokenrequest/domain/TokenSigner"
import * as HttpApp from "@tokenrequest/http/App"
import * as AuditSink from "@tokenrequest/http/AuditSink"
import * as Caller from "@tokenrequest/http/Caller"
import * as RequestBody from "@tokenrequest/http/RequestBody"
import * as RequestUrl from "@tokenrequest/http/RequestUrl"
import * as Routes from "@tokenrequest/http/Routes"
import * as Status from "@tokenrequest/http/Status"
import * as KeyRing from "@tokenrequest/signer-jose/KeyRing"
import * as ManifestLoader from "@tokenrequest/store-memory/ManifestLoader"
import * as MemoryStore from "@tokenrequest/store-memory/MemoryStore"
import * as ApiDiscovery from "./ApiDiscovery.js"
import * as AuditLog from "./AuditLog.js"
import * as Authentication from "./Authentication.js"
import * as Authorization from "./Authorization.js"
import * as Configuration from "./Configuration.js"
import * as FastPath from "./FastPath.js"
import * as Kubeconfig from "./Kubeconfig.js"
import * as Metrics from "./Metrics.js"
import * as ObjectApi from "./ObjectApi.js"
import * as RequestInfo from "./RequestInfo.js"
import type * as ServingCertificate from "./ServingCertificate.js"

/**
 * The flags plus what only a program can choose.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Configuration.Options {
  /** Receives the startup lines for stdout (`listening on <url>` first). Default: print nothing. */
  readonly print?: ((line: string) => void) | undefined
  /** Receives warnings for stderr. Default: nothing. */
  readonly printWarning?: ((line: string) => void) | undefined
  /** Reload key files on SIGHUP (the CLI does). Default `false`. */
  readonly reloadKeysOnSignal?: boolean | undefined
  /**
   * The cache of verified tokens (`TokenCache`: upstream's 10 s success cache, but a deleted or
   * re-created bound object still rejects at once). Default `{}` (10 s, 4096 tokens); `false` turns
   * it off.
   */
  readonly tokenCache?: TokenCache.Options | false | undefined
  /** Limits of the listener; each unset field takes its value from `defaultLimits`. */
  readonly limits?: Partial<Limits> | undefined
  /**
   * Receives every audit event (TokenRequest, TokenReview, failed authentication), in addition to
   * `auditLogPath`'s file. Its `record` must not block.
   */
  readonly auditSink?: AuditSink.AuditSink["Type"] | undefined
  /**
   * The object store to use instead of the one `store` names (`Workers` gives each worker a replica
   * of the primary's memory store). Seeding and everything else are unchanged.
   */
  readonly objectStore?: Layer.Layer<ObjectStore, Configuration.ConfigurationError> | undefined
  /**
   * Answer JSON TokenRequests and TokenReviews on the Node listener, before the general app
   * (`FastPath`: same answers and metrics, a fraction of the cost). Used only when every port has a
   * synchronous form (`Steps.syncPorts`: the memory store and local keys have them, etcd and an
   * external signer do not) and no audit sink listens. Default `true`.
   */
  readonly fastPath?: boolean | undefined
}

/**
 * Limits of the listener against slow, oversized or too many clients. Request bodies are limited
 * separately (3 MiB, as kube-apiserver's `MaxRequestBodyBytes`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  /** Time to receive a request's headers; a slower client is cut off (kube-apiserver's `ReadHeaderTimeout`). */
  readonly headersTimeoutMillis: number
  /** Time to receive a whole request; beyond, Node answers 408 and closes the connection. */
  readonly requestTimeoutMillis: number
  /** How long an idle keep-alive connection stays open. */
  readonly idleTimeoutMillis: number
  /** Size of the request line plus headers; beyond, Node answers 431. */
  readonly maxHeaderBytes: number
  /** Open connections; further ones are closed at once. */
  readonly maxConnections: number
  /** Time to answer a request once it arrived (kube-apiserver's `--request-timeout`): beyond, `504 Timeout`. */
  readonly handlerTimeoutMillis: number
}

/**
 * The default limits: headers within 32 s and idle connections closed after 90 s (kube-apiserver's
 * values), a request received within 60 s and answered within another 60 s (its default
 * `--request-timeout`), 16 KiB of headers (Node's default), 1024 connections.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultLimits: Limits = {
  headersTimeoutMillis: 32_000,
  requestTimeoutMillis: 60_000,
  idleTimeoutMillis: 90_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 1024,
  handlerTimeoutMillis: 60_000
}

/**
 * A running server.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningServer {
  /** `https://127.0.0.1:<port>` (or `http://` with `--insecure-plain-http`). */
  readonly url: string
  readonly port: number
  /** The issuers, the first signs. */
  readonly issuers: ReadonlyArray<string>
  readonly apiAudiences: ReadonlyArray<string>
  /** PEM clients trust the server with (the serving certificate chain), when TLS. */
  readonly certificateAuthority: string | undefined
  /** Where the serving certificate is on disk, when it is. */
  readonly certificateFile: string | undefined
  /** The admin bearer token (generated or given; none with a token file). */
  readonly adminToken: Redacted.Redacted<string> | undefined
  /** The kubeconfig text for this server and the admin token. */
  readonly kubeconfig: string
  /** The metrics registry. */
  readonly metrics: Metrics.Registry
  /** The object store the server reads and writes (the same objects as the object API). */
  readonly store: ObjectStore["Type"]
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Server extends Context.Tag("@tokenrequest/server/Server")<Server, RunningServer>() {}

/**
 * What can stop the start: a configuration problem (exit code 2), or the listener failing.
 *
 * @since 0.1.0
 * @category errors
 */
export type StartError = Configuration.ConfigurationError

const urlHost = (address: string): string => {
  const shown = address === "0.0.0.0" ? "127.0.0.1" : address === "::" ? "::1" : address
  return shown.includes(":") ? `[${shown}]` : shown
}

const reasonOfCode: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  500: "InternalError",
  503: "ServiceUnavailable"
}

const clientCertificateOf = (
  request: HttpServerRequest.HttpServerRequest
): Authentication.ClientCertificate | undefined => {
  let socket: tls.TLSSocket
  try {
    socket = NodeHttpServerRequest.toIncomingMessage(request).socket as tls.TLSSocket
  } catch {
    return undefined
  }
  return Authentication.certificateOf(socket)
}

const unauthenticatedEvent = (
  request: HttpServerRequest.HttpServerRequest,
  info: RequestInfo.RequestInfo,
  reason: string
): AuditSink.AuditEvent => {
  const now = new Date().toISOString()
  const userAgent = request.headers["user-agent"]
  return {
    auditID: crypto.randomUUID(),
    stage: "ResponseComplete",
    verb: info.verb,
    requestURI: request.url,
    sourceIPs: Option.toArray(request.remoteAddress),
    ...(userAgent === undefined ? {} : { userAgent }),
    ...(info.isResourceRequest
      ? {
        objectRef: {
          resource: info.resource,
          ...(info.subresource === "" ? {} : { subresource: info.subresource }),
          ...(info.namespace === "" ? {} : { namespace: info.namespace }),
          ...(info.name === "" ? {} : { name: info.name }),
          apiGroup: info.apiGroup,
          apiVersion: info.apiVersion
        }
      }
      : {}),
    responseStatus: { code: 401, reason: "Unauthorized", message: "Unauthorized" },
    authenticationError: reason,
    requestReceivedTimestamp: now,
    stageTimestamp: now,
    annotations: {}
  }
}

const text = (body: string, status = 200, contentType = "text/plain; charset=utf-8") =>
  HttpServerResponse.text(body, { status, contentType })

const json = (body: unknown) => HttpServerResponse.text(JSON.stringify(body), { status: 200, contentType: "application/json" })

const isOidcPath = (pathname: string) =>
  pathname === Routes.paths.openidConfiguration || pathname === Routes.paths.jwks

/**
 * Counts an answered TokenReview: its outcome, and for an authenticated token whether it was stale.
 */
const countReview = (metrics: Metrics.Registry) => (authentication: ReviewToken.Authentication): void => {
  if (authentication._tag === "Authenticated") {
    metrics.serviceAccountToken(authentication.staleSeconds !== undefined)
    metrics.tokenReviewed("authenticated")
  } else {
    metrics.tokenReviewed("unauthenticated")
  }
}

/**
 * The token cache over the store's watch. With a local key ring, the cache is emptied whenever the
 * keys in force change, so a removed verification key also stops cached tokens at once.
 */
const tokenCacheFor = (
  store: ObjectStore["Type"],
  keyContext: Context.Context<never>,
  options: TokenCache.Options
): Effect.Effect<TokenCache.TokenCache["Type"], never, Scope.Scope> =>
  Effect.gen(function*() {
    const built = yield* Layer.build(TokenCache.layer(options).pipe(Layer.provide(Layer.succeed(ObjectStore, store))))
    const cache = Context.get(built, TokenCache.TokenCache)
    const ring = Context.getOption(keyContext as Context.Context<KeyRing.KeyRing>, KeyRing.KeyRing)
    if (Option.isNone(ring)) return cache
    let inForce: KeyRing.Keys | undefined
    const followKeys = () => {
      const keys = ring.value.unsafeKeys()
      if (keys !== inForce) {
        inForce = keys
        cache.clear()
      }
    }
    return TokenCache.TokenCache.of({
      ...cache,
      lookup: (token, audiences, nowMillis) => {
        followKeys()
        return cache.lookup(token, audiences, nowMillis)
      },
      remember: (token, audiences, verified, nowMillis) => {
        followKeys()
        cache.remember(token, audiences, verified, nowMillis)
      }
    })
  })

const wrapStore = (store: ObjectStore["Type"], metrics: Metrics.Registry): ObjectStore["Type"] => {
  const count = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.tapError(effect, (error) =>
      Effect.sync(() => {
        if (error._tag === "ObjectStoreError") metrics.storeError((error as unknown as { reason: string }).reason)
      }))
  return ObjectStore.of({
    get: (kind, namespace, name) => count(store.get(kind, namespace, name)),
    list: (kind, namespace) => count(store.list(kind, namespace)),
    create: (object) => count(store.create(object)),
    delete: (kind, namespace, name) => count(store.delete(kind, namespace, name)),
    watch: store.watch
  })
}

const storeLayer = (
  configuration: Configuration.Configuration
): Layer.Layer<ObjectStore, Configuration.ConfigurationError> => {
  if (configuration.store._tag === "Etcd") {
    const servers = configuration.store.servers
    const prefix = configuration.store.prefix
    // Loaded only when used: the etcd client and gRPC weigh on every process's memory otherwise.
    return Layer.unwrapEffect(
      Effect.map(Effect.promise(() => import("@tokenrequest/store-etcd/EtcdStore")), (EtcdStore) =>
        EtcdStore.layer({ endpoints: servers, prefix }).pipe(
          Layer.mapError((error) =>
            new Configuration.ConfigurationError({ description: `--etcd-servers ${servers.join(",")}: ${error.description}` })
          )
        ))
    )
  }
  return MemoryStore.layer
}

/**
 * The user of the generated admin token.
 *
 * @since 0.1.0
 * @category constants
 */
export const adminUser = { username: "admin", uid: "admin", groups: ["system:masters"] }

const shutdownGraceMillis = 2_000

/**
 * The first ServiceAccount a Pod runs as. A function of its own: a closure inside `start` would keep
 * the set (one string per Pod) for as long as the server runs.
 */
const withPod = (
  serviceAccounts: ReadonlyArray<KubeObject.KubeObject>,
  podServiceAccounts: ReadonlySet<string>
): KubeObject.KubeObject | undefined =>
  serviceAccounts.find((sa) => podServiceAccounts.has(`${sa.metadata.namespace}\u0000${sa.metadata.name}`))

const defaultObjects: ReadonlyArray<KubeObject.KubeObject> = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } },
  { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "default" } }
]

/**
 * Starts the server in the layer's scope and provides it. Fails with a `ConfigurationError` before
 * anything listens when a flag, file or key is bad.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Server, StartError> =>
  Layer.scoped(Server, start(options))

/**
 * Starts the server in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (options: Options = {}): Effect.Effect<RunningServer, StartError, Scope.Scope> =>
  // `options` reaches the body as `this`, not as a captured variable: the closures made below live as
  // long as the server and keep every variable they can see, and must not keep the objects given at
  // start (see after the seeding).
  Effect.gen(options, function*() {
    let options: Options = this
    const print = options.print ?? (() => {})
    const printWarning = options.printWarning ?? (() => {})
    let configuration = yield* Configuration.resolve(options)
    const fail = (description: string) => new Configuration.ConfigurationError({ description })

    // TLS material.
    if (configuration.temporaryCertDir) {
      yield* Effect.addFinalizer(() =>
        Effect.promise(() => fs.rm(configuration.certDir!, { recursive: true, force: true }))
      )
    }
    const serving = configuration.plainHttp
      ? undefined
      : configuration.servingCertificate ??
        // x509 is loaded only to make a serving certificate (as gRPC only with an external signer).
        (yield* Effect.flatMap(Effect.promise(() => import("./ServingCertificate.js")), (ServingCertificate) => ServingCertificate.inDirectory(configuration.certDir!, [
          configuration.bindAddress,
          "localhost",
          "127.0.0.1"
        ])).pipe(Effect.mapError((error) => fail(error.message))))

    // Ports.
    const metrics = Metrics.make()
    // The audit log is opened first so that it closes last, after the listener drained.
    const auditLog = configuration.auditLogPath === undefined
      ? undefined
      : yield* AuditLog.open(configuration.auditLogPath, (reason, events) => metrics.auditWriteError(reason, events))
    const auditSinks = [auditLog?.sink, options.auditSink].filter((sink) => sink !== undefined)
    const external = configuration.signingEndpoint === undefined
      ? undefined
      : yield* Effect.flatMap(Effect.promise(() => import("@tokenrequest/signer-external/ExternalSigner")), (ExternalSigner) => ExternalSigner.connect({
        endpoint: configuration.signingEndpoint!,
        apiVersion: "auto",
        maxExpirationSeconds: configuration.maxExpirationSeconds,
        extendExpiration: configuration.extendExpiration
      })).pipe(Effect.mapError((error) => fail(error.description)))
    for (const warning of external?.warnings ?? []) printWarning(`warning: ${warning}`)
    const keyContext: Context.Context<TokenSigner | KeySet> = external !== undefined
      ? external.context
      : yield* Layer.build(
        KeyRing.layer(configuration.keys, {
          watch: configuration.keys._tag === "Files",
          reloadOnSignal: options.reloadKeysOnSignal === true,
          onReloadFailure: () => Effect.sync(() => metrics.signerError("KeyReloadFailed"))
        })
      ).pipe(Effect.mapError((error) => fail(error.description)))
    const storeContext = yield* Layer.build(options.objectStore ?? storeLayer(configuration))
    const rawStore = Context.get(storeContext, ObjectStore)
    const store = wrapStore(rawStore, metrics)
    const seeded = yield* ManifestLoader.seed(configuration.objects, { skipExisting: configuration.store._tag === "Etcd" }).pipe(
      Effect.tap(ManifestLoader.seed(defaultObjects, { skipExisting: true })),
      Effect.provideService(ObjectStore, store),
      Effect.mapError((error) => fail(`--objects: ${error.message}`))
    )
    // The objects given at start are in the store now: let go of them (a second copy otherwise).
    options = { ...options, initialObjects: undefined }
    configuration = { ...configuration, objects: [] }
    const signer = Context.get(keyContext, TokenSigner)
    const keySet = Context.get(keyContext, KeySet)
    const countSigner = <A, E extends { readonly reason: string }, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.tapError(effect, (error) => Effect.sync(() => metrics.signerError(error.reason)))
    const idGenerator = { next: Effect.sync(() => crypto.randomUUID()), unsafeNext: () => crypto.randomUUID() }
    const rawPorts = Context.make(ObjectStore, rawStore).pipe(
      Context.add(TokenSigner, signer),
      Context.add(KeySet, keySet),
      Context.add(IdGenerator, idGenerator)
    )
    const ports = Context.make(ObjectStore, store).pipe(
      Context.add(TokenSigner, {
        sign: (payload) => countSigner(signer.sign(payload)),
        current: countSigner(signer.current)
      }),
      Context.add(KeySet, {
        verify: (token) => countSigner(keySet.verify(token)),
        jwks: countSigner(keySet.jwks),
        cacheMaxAgeSeconds: keySet.cacheMaxAgeSeconds
      }),
      Context.add(IdGenerator, idGenerator)
    )

    // Listener.
    const limits = { ...defaultLimits, ...options.limits }
    const listenerOptions = {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout: limits.requestTimeoutMillis,
      headersTimeout: Math.min(limits.headersTimeoutMillis, limits.requestTimeoutMillis),
      keepAliveTimeout: limits.idleTimeoutMillis,
      // how often Node enforces the two timeouts (its default, 30 s, would let them overrun)
      connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headersTimeoutMillis / 4))
    }
    const nodeServer = serving === undefined
      ? http.createServer(listenerOptions)
      : https.createServer({
        ...listenerOptions,
        cert: serving.certificate,
        key: serving.privateKey,
        ...(configuration.clientCa === undefined
          ? {}
          : { ca: configuration.clientCa, requestCert: true, rejectUnauthorized: false })
      })
    nodeServer.maxConnections = limits.maxConnections
    nodeServer.headersTimeout = listenerOptions.headersTimeout
    nodeServer.keepAliveTimeout = limits.idleTimeoutMillis
    const httpServer = yield* NodeHttpServer.make(() => nodeServer, {
      port: configuration.port,
      host: configuration.bindAddress
    }).pipe(Effect.mapError((error) => fail(`--bind-address ${configuration.bindAddress} --port ${configuration.port}: ${String((error.cause as Error)?.message ?? error.cause)}`)))
    // Shutdown: the listener stops accepting and idle connections close at once; requests still in
    // flight (watches never end by themselves) get a short grace period, then their connections close.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        setTimeout(() => nodeServer.closeAllConnections(), shutdownGraceMillis).unref()
      })
    )
    const address = httpServer.address
    const port = address._tag === "TcpAddress" ? address.port : configuration.port
    const hostPort = `${urlHost(configuration.bindAddress)}:${port}`
    const url = `${serving === undefined ? "http" : "https"}://${hostPort}`

    const issuers = (configuration.issuers.length > 0 ? configuration.issuers : [url]) as [string, ...Array<string>]
    const tokenConfig = DomainConfig.make({
      issuers,
      apiAudiences: configuration.apiAudiences,
      maxExpirationSeconds: external?.limits.maxExpirationSeconds ?? configuration.maxExpirationSeconds,
      ...(external === undefined ? {} : { maxExtendedExpirationSeconds: external.limits.maxExtendedExpirationSeconds }),
      extendExpiration: configuration.extendExpiration,
      ...(configuration.jwksUri === undefined ? {} : { jwksUri: configuration.jwksUri })
    })
    const tokenCache = options.tokenCache === false
      ? undefined
      : yield* tokenCacheFor(store, keyContext as Context.Context<never>, options.tokenCache ?? {})
    const context = tokenCache === undefined
      ? ports.pipe(Context.add(DomainConfig.Config, tokenConfig))
      : ports.pipe(Context.add(DomainConfig.Config, tokenConfig), Context.add(TokenCache.TokenCache, tokenCache))
    const authenticationOptions: Authentication.Options = {
      tokenFile: configuration.tokenFile ?? {
        users: configuration.adminToken === undefined ? [] : [{ token: configuration.adminToken, user: adminUser }],
        warnings: []
      },
      clientCertificates: configuration.clientCa !== undefined,
      anonymous: configuration.anonymous,
      apiAudiences: tokenConfig.apiAudiences
    }
    // No timeout of its own: it runs inside the dispatcher, which applies the same one around it.
    const tokenApp = HttpApp.make({ handlerTimeoutMillis: Number.POSITIVE_INFINITY, onReviewed: countReview(metrics) })

    // Every sink gets every event, with the connection's source address when it has none.
    const auditSinkFor = (request: HttpServerRequest.HttpServerRequest): AuditSink.AuditSink["Type"] => ({
      record: (event) => {
        const withSource = event.sourceIPs.length > 0
          ? event
          : { ...event, sourceIPs: Option.toArray(request.remoteAddress) }
        return Effect.forEach(auditSinks, (sink) => sink.record(withSource), { discard: true })
      }
    })

    // Answered reviews are counted by `countReview`; here only the refused ones.
    const reviewWithMetrics = (request: HttpServerRequest.HttpServerRequest, user: Authentication.Result & { _tag: "Authenticated" }) =>
      Effect.gen(function*() {
        const body = yield* RequestBody.readBody().pipe(Effect.either)
        if (body._tag === "Left") return yield* Routes.respondStatus(body.left.status)
        // The token app reads the same bytes again (`readBody` remembers them for the request).
        const response = yield* tokenApp.pipe(Caller.provide(user.user))
        if (response.status !== 201) metrics.tokenReviewed(reasonOfCode[response.status] ?? String(response.status))
        return response
      })

    const dispatch = (
      request: HttpServerRequest.HttpServerRequest,
      info: RequestInfo.RequestInfo,
      pathname: string
    ) =>
      Effect.gen(function*() {
        if (ApiDiscovery.isHealthPath(pathname)) return text("ok")
        if (isOidcPath(pathname)) return yield* tokenApp
        const authenticated = yield* Authentication.authenticate(authenticationOptions, {
          authorization: request.headers["authorization"],
          certificate: clientCertificateOf(request)
        })
        if (authenticated._tag === "Unauthenticated") {
          yield* Effect.logDebug(`Unable to authenticate the request: ${authenticated.reason}`)
          if (auditSinks.length > 0) yield* AuditSink.record(unauthenticatedEvent(request, info, authenticated.reason))
          return yield* Routes.respondStatus(Status.make(401, "Unauthorized", "Unauthorized"))
        }
        if (authenticated.method === "service-account") {
          metrics.serviceAccountToken(authenticated.staleSeconds !== undefined)
        }
        const decision = configuration.authorizer.authorize(authenticated.user, info)
        if (!decision.allowed) {
          return yield* Routes.respondStatus(
            Status.fromError(Authorization.forbidden(authenticated.user, info, decision.reason))
          )
        }
        if (pathname === "/metrics" && request.method === "GET") {
          return text(metrics.render(), 200, "text/plain; version=0.0.4; charset=utf-8")
        }
        if (!info.isResourceRequest) {
          const document = ApiDiscovery.documentFor(pathname, hostPort)
          if (document !== undefined && (request.method === "GET" || request.method === "HEAD")) return json(document)
        }
        if (ObjectApi.isObjectRequest(info)) return yield* ObjectApi.handle(info, request)
        if (
          info.isResourceRequest && info.resource === "tokenreviews" && info.apiGroup === "authentication.k8s.io" &&
          request.method === "POST"
        ) {
          return yield* reviewWithMetrics(request, authenticated)
        }
        const response = yield* Caller.provide(authenticated.user)(tokenApp)
        if (info.isResourceRequest && info.resource === "serviceaccounts" && info.subresource === "token" && info.verb === "create") {
          metrics.tokenIssued(response.status === 201 ? "success" : reasonOfCode[response.status] ?? String(response.status))
        }
        return response
      })

    const app = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      // URL parsing would resolve `.../serviceaccounts/..` into the namespace; kube takes `..` as a
      // name and refuses it, so nothing with a dot segment reaches authorization or the handlers
      if (RequestUrl.hasDotSegment(request.url)) return yield* Routes.respondStatus(Status.pathNotFound)
      const started = performance.now()
      const requestUrl = RequestUrl.parse(request.url)
      const info = RequestInfo.resolve(request.method, requestUrl.pathname, requestUrl.searchParams)
      const response = yield* dispatch(request, info, requestUrl.pathname).pipe(
        auditSinks.length === 0 ? (self) => self : Effect.provideService(AuditSink.AuditSink, auditSinkFor(request)),
        Effect.catchAllCause((cause) => Routes.respondStatus(Status.fromCause(cause))),
        HttpApp.withHandlerTimeout(limits.handlerTimeoutMillis)
      )
      metrics.request(
        {
          verb: info.verb,
          resource: info.isResourceRequest
            ? info.subresource === "" ? info.resource : `${info.resource}/${info.subresource}`
            : "",
          code: response.status
        },
        (performance.now() - started) / 1000
      )
      return response
    }).pipe(Effect.provide(context))

    yield* HttpServer.serveEffect(app).pipe(
      // No tracer is installed here: the per-request server span of @effect/platform would only cost.
      HttpMiddleware.withTracerDisabledWhenEffect(() => true),
      Effect.provideService(HttpServer.HttpServer, httpServer)
    )
    // The fast path needs ports that answer synchronously (memory store, local keys) and has no
    // audit events of its own. It reads the ports without metrics: a port failure hands over.
    const syncPorts = Steps.syncPorts(rawPorts, yield* Effect.clock)
    if (options.fastPath !== false && auditSinks.length === 0 && Option.isSome(syncPorts)) {
      const fast = FastPath.make({
        ports: syncPorts.value,
        config: tokenConfig,
        tokenCache,
        authentication: authenticationOptions,
        authorizer: configuration.authorizer,
        metrics,
        maxRequestBodyBytes: RequestBody.defaultMaxRequestBodyBytes,
        handlerTimeoutMillis: limits.handlerTimeoutMillis,
        onReviewed: countReview(metrics)
      })
      const general = nodeServer.listeners("request") as Array<http.RequestListener>
      nodeServer.removeAllListeners("request")
      nodeServer.on("request", (req: http.IncomingMessage, res: http.ServerResponse) =>
        fast(req, res, () => {
          for (const listener of general) listener.call(nodeServer, req, res)
        }))
    }

    // Kubeconfig and banner.
    const adminToken = configuration.adminToken ??
      (configuration.tokenFile?.users[0] === undefined ? undefined : configuration.tokenFile.users[0].token)
    const kubeconfig = Kubeconfig.render({
      server: url,
      certificateAuthority: serving?.certificate,
      token: adminToken === undefined ? undefined : Redacted.value(adminToken)
    })
    if (configuration.writeKubeconfig !== undefined) {
      yield* Effect.tryPromise({
        try: () => Kubeconfig.write(configuration.writeKubeconfig!, {
          server: url,
          certificateAuthority: serving?.certificate,
          token: adminToken === undefined ? undefined : Redacted.value(adminToken)
        }),
        catch: (cause) => fail(`--write-kubeconfig ${configuration.writeKubeconfig}: ${(cause as Error).message}`)
      })
    }

    for (const warning of configuration.warnings) printWarning(`warning: ${warning}`)
    print(`listening on ${url}`)
    const certificateFile = serving === undefined
      ? undefined
      : "certificateFile" in serving
      ? (serving as ServingCertificate.ServingCertificate).certificateFile
      : options.tlsCertFile
    const pods = seeded.filter((o) => o.kind === "Pod")
    const serviceAccounts = seeded.filter((o) => o.kind === "ServiceAccount")
    // One pass over the pods (a nested search is quadratic with many objects).
    const podServiceAccounts = new Set(
      pods.map((pod) => `${pod.metadata.namespace}\u0000${KubeObject.podServiceAccountName(pod)}`)
    )
    const example = withPod(serviceAccounts, podServiceAccounts) ?? serviceAccounts[0] ??
      { metadata: { name: "default", namespace: "default" } }
    const saName = example.metadata.name ?? "default"
    const saNamespace = example.metadata.namespace ?? "default"
    const examplePod = pods.find((pod) =>
      pod.metadata.namespace === saNamespace && KubeObject.podServiceAccountName(pod) === saName
    )
    if (configuration.adminToken !== undefined) {
      print(`admin token (user "admin", group "system:masters"): ${Redacted.value(configuration.adminToken)}`)
    }
    if (certificateFile !== undefined) print(`serving certificate: ${certificateFile}`)
    if (configuration.writeKubeconfig !== undefined) {
      print(`kubeconfig: ${configuration.writeKubeconfig}`)
      print("")
      print("Try:")
      print(`  export KUBECONFIG=${configuration.writeKubeconfig}`)
      print(`  kubectl create token ${saName} -n ${saNamespace} --audience https://example.com --duration 1h`)
      if (examplePod !== undefined) {
        print(
          `  kubectl create token ${saName} -n ${saNamespace} --bound-object-kind Pod --bound-object-name ${examplePod.metadata.name}`
        )
      }
      print("  kubectl get serviceaccounts,pods,secrets -A")
      print("  kubectl auth whoami")
    }
    const curlTls = (certificateFile === undefined ? "" : `--cacert ${certificateFile} `) + (hostPort.startsWith("[") ? "-g " : "")
    if (adminToken !== undefined) {
      print(
        `  curl ${curlTls}-H "Authorization: Bearer ${
          configuration.adminToken === undefined ? "<token>" : Redacted.value(adminToken)
        }" -H "Content-Type: application/json" -d '{"spec":{"audiences":["https://example.com"]}}' ${url}/api/v1/namespaces/${saNamespace}/serviceaccounts/${saName}/token`
      )
    }
    print(`  curl ${curlTls}${url}/.well-known/openid-configuration`)

    return {
      url,
      port,
      issuers,
      apiAudiences: tokenConfig.apiAudiences,
      certificateAuthority: serving?.certificate,
      certificateFile,
      adminToken,
      kubeconfig,
      metrics,
      store
    }
  })

/**
 * Runs the server until interrupted, printing the startup lines on stdout, warnings and log lines on
 * stderr.
 *
 * @since 0.1.0
 * @category running
 */
export const serve = (options: Options = {}): Effect.Effect<never, StartError> =>
  Effect.scoped(
    Effect.zipRight(
      start({
        print: (line) => process.stdout.write(`${line}\n`),
        printWarning: (line) => process.stderr.write(`${line}\n`),
        reloadKeysOnSignal: true,
        ...options
      }),
      Effect.never
    )
  ).pipe(
    // logfmt lines on stderr, in place of the default logger and of the pretty logger that
    // `NodeRuntime.runMain` installs (it writes to stdout, whose lines belong to the banner)
    Effect.provide(Layer.scopedDiscard(Effect.locallyScopedWith(FiberRef.currentLoggers, (loggers) =>
      loggers.pipe(
        HashSet.remove(Logger.defaultLogger),
        HashSet.remove(Logger.prettyLoggerDefault),
        HashSet.add(stderrLogger)
      ))))
  )

const stderrLogger = Logger.make((options) => {
  process.stderr.write(`${Logger.logfmtLogger.log(options)}\n`)
})
