/**
 * The whole token API as one `HttpApp`: the routes, 404 `Status` for unknown paths, 405 for a wrong
 * method, and a 500 `Status` for any defect. Exported for the three ways of embedding it: an Effect
 * layer serving it on the host's `HttpServer`, a web-standard `Request → Promise<Response>` handler,
 * and (in `NodeListener`) a Node `(req, res)` listener. Each takes the domain's ports as a layer.
 *
 * @since 0.1.0
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as RequestUrl from "./RequestUrl.js"
import * as Routes from "./Routes.js"
import * as Status from "./Status.js"

/**
 * Answers a request the router did not match: 405 when the path is served with another method, 404
 * otherwise. A host with more routes passes its whole route table.
 *
 * @since 0.1.0
 * @category responses
 */
export const notMatched = (
  request: HttpServerRequest.HttpServerRequest,
  table: ReadonlyArray<{ readonly path: string }> = Routes.routeTable
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> => {
  const pathname = RequestUrl.parse(request.url).pathname
  return Routes.respondStatus(Routes.isServedPathIn(table, pathname) ? Status.methodNotAllowed : Status.pathNotFound)
}

/**
 * The longest path parameter (namespace, name) the router matches: 16 KiB, Node's default limit of
 * the whole request head.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxPathParameterLength = 16 * 1024

/**
 * The default handler timeout: 60 s, kube-apiserver's default `--request-timeout`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultHandlerTimeoutMillis = 60_000

/**
 * Answers `504 Timeout` when `handler` has not answered within `millis`; the handler keeps running
 * detached until it notices its interruption, so a stuck port cannot hold the answer.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withHandlerTimeout = (millis: number) =>
<E, R>(
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  // One detached fiber and one timer per request (`Effect.disconnect` + `Effect.timeout` fork three
  // fibers): the handler runs in its own fiber; the first of its end and the timer decides. The
  // host runs apps uninterruptibly (HttpApp.toHandled); the timeout must be able to interrupt.
  Effect.interruptible(Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.forkDaemon(restore(handler)), (fiber) =>
      restore(endsWithin(fiber, millis)).pipe(
        Effect.onInterrupt(() => Effect.fiberIdWith((id) => fiber.interruptAsFork(id))),
        Effect.flatMap((ended) =>
          ended
            ? Fiber.join(fiber)
            : Effect.zipRight(
              Effect.fiberIdWith((id) => fiber.interruptAsFork(id)),
              Routes.respondStatus(Status.handlerTimeout)
            )
        )
      ))
  ))

/** Whether `fiber` ends within `millis` (`false` when the time runs out first). */
const endsWithin = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, millis: number): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    let timer: ReturnType<typeof setTimeout> | undefined = undefined
    const observer = () => {
      if (timer !== undefined) clearTimeout(timer)
      resume(Effect.succeed(true))
    }
    fiber.addObserver(observer)
    if (fiber.unsafePoll() !== null) return
    timer = setTimeout(() => {
      fiber.removeObserver(observer)
      resume(Effect.succeed(false))
    }, Math.min(Math.max(0, millis), 2_147_483_647))
    return Effect.sync(() => {
      clearTimeout(timer)
      fiber.removeObserver(observer)
    })
  })

/**
 * The app: every answer is a Kubernetes object or `Status`; it never fails.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Routes.Options = {}): HttpApp.Default<never, Routes.Ports> => {
  // Built once: a router builds its route tree the first time it runs, so a router made per request
  // would rebuild the tree for every request.
  const router = Routes.make(options)
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    RequestUrl.hasDotSegment(request.url) ? Routes.respondStatus(Status.pathNotFound) : router).pipe(
    // The router's default 100-character limit on a path parameter would turn a long but valid
    // name (up to 253 characters, percent-encoded up to three times that) into a 405; the request
    // line is already bounded by Node's header limit.
    HttpRouter.withRouterConfig({ maxParamLength: maxPathParameterLength }),
    Effect.catchTag("RouteNotFound", (error) => notMatched(error.request)),
    Effect.catchAllCause((cause) => Routes.respondStatus(Status.fromCause(cause))),
    timeoutOf(options.handlerTimeoutMillis ?? defaultHandlerTimeoutMillis)
  )
}

/** `withHandlerTimeout`, or nothing for an infinite time (a host applying its own around the app). */
const timeoutOf = (millis: number) =>
<E, R>(
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  millis === Number.POSITIVE_INFINITY ? handler : withHandlerTimeout(millis)(handler)

/**
 * The app with default options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const app: HttpApp.Default<never, Routes.Ports> = make()

/**
 * Serves the app on the host's `HttpServer` (for example `NodeHttpServer.layer`), with the ports
 * from the context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Routes.Options = {}
): Layer.Layer<never, never, HttpServer.HttpServer | Routes.Ports> => HttpServer.serve(make(options))

/**
 * A web-standard handler (`Request → Promise<Response>`) over the given ports. The optional second
 * argument of `handler` is a per-request context, for example `Context.make(Caller, user)`. Call
 * `dispose` to release the ports' resources.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toWebHandler = <E>(
  ports: Layer.Layer<Routes.Ports, E>,
  options: Routes.Options = {}
): {
  readonly handler: (request: Request, context?: Context.Context<never>) => Promise<Response>
  readonly dispose: () => Promise<void>
} => HttpApp.toWebHandlerLayer(make(options), ports)
