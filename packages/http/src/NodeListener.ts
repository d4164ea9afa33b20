/**
 * The app as a Node `(req, res)` listener for `http.createServer`, `https.createServer` or any
 * framework that hands out Node requests: the request is bridged to a web `Request`, the web
 * handler answers, and the `Response` is streamed back. No `@effect/platform-node` needed.
 *
 * @since 0.1.0
 */
import type { UserInfo } from "@tokenrequest/domain/UserInfo"
import * as Context from "effect/Context"
import type * as Layer from "effect/Layer"
import type { IncomingMessage, ServerResponse } from "node:http"
import { Readable } from "node:stream"
import * as App from "./App.js"
import * as Caller from "./Caller.js"
import * as RequestUrl from "./RequestUrl.js"
import type * as Routes from "./Routes.js"
import * as Status from "./Status.js"

/**
 * A Node request listener.
 *
 * @since 0.1.0
 * @category models
 */
export type Listener = (req: IncomingMessage, res: ServerResponse) => void

/**
 * Options of the listener.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Routes.Options {
  /** The caller of a request (the host's authentication); anonymous when absent or `undefined`. */
  readonly caller?: ((req: IncomingMessage) => UserInfo | undefined) | undefined
}

/**
 * Converts a Node request to a web `Request` (body streamed, aborted when the client goes away).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toRequest = (req: IncomingMessage, signal?: AbortSignal): Request => {
  const secure = "encrypted" in req.socket && (req.socket as { encrypted?: boolean }).encrypted === true
  const url = RequestUrl.parse(req.url ?? "/", `${secure ? "https" : "http"}://${req.headers.host ?? "localhost"}`)
  const headers = new Headers()
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!
    if (name.startsWith(":")) continue
    headers.append(name, req.rawHeaders[i + 1]!)
  }
  const method = req.method ?? "GET"
  const hasBody = method !== "GET" && method !== "HEAD"
  return new Request(url, {
    method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>, duplex: "half" } : {}),
    ...(signal ? { signal } : {})
  } as RequestInit)
}

/**
 * Writes a web `Response` to a Node response.
 *
 * @since 0.1.0
 * @category conversions
 */
export const writeResponse = async (response: Response, res: ServerResponse): Promise<void> => {
  res.statusCode = response.status
  const grouped = new Map<string, Array<string>>()
  response.headers.forEach((value, name) => {
    grouped.set(name, [...(grouped.get(name) ?? []), value])
  })
  for (const [name, values] of grouped) res.setHeader(name, values.length === 1 ? values[0]! : values)
  if (response.body === null) {
    res.end()
    return
  }
  const body = Readable.fromWeb(response.body as unknown as import("node:stream/web").ReadableStream)
  await new Promise<void>((resolve, reject) => {
    body.on("error", reject)
    res.on("error", reject)
    res.on("finish", resolve)
    res.on("close", resolve)
    body.pipe(res)
  })
}

/**
 * Bridges a web handler to a Node listener. A handler failure answers a 500 `Status`.
 *
 * @since 0.1.0
 * @category conversions
 */
export const fromWebHandler = (
  handler: (request: Request, context?: Context.Context<never>) => Promise<Response>,
  caller?: Options["caller"]
): Listener =>
(req, res) => {
  // URL parsing would resolve dot segments into another path; no object is named `.` or `..`
  if (RequestUrl.hasDotSegment(req.url ?? "/")) {
    res.writeHead(404, { "content-type": "application/json" })
    res.end(Status.toJson(Status.pathNotFound))
    return
  }
  const controller = new AbortController()
  res.on("close", () => {
    if (!res.writableFinished) controller.abort()
  })
  const run = async () => {
    const user = caller?.(req)
    const context = user === undefined ? undefined : (Context.make(Caller.Caller, user) as Context.Context<never>)
    const response = await handler(toRequest(req, controller.signal), context)
    await writeResponse(response, res)
  }
  run().catch((error: unknown) => {
    if (res.headersSent) {
      res.destroy()
      return
    }
    const status = Status.internalError(error instanceof Error ? error.message : String(error))
    res.writeHead(500, { "content-type": "application/json" })
    res.end(Status.toJson(status))
  })
}

/**
 * The app as a Node listener over the given ports. Call `dispose` to release the ports' resources.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <E>(
  ports: Layer.Layer<Routes.Ports, E>,
  options: Options = {}
): { readonly listener: Listener; readonly dispose: () => Promise<void> } => {
  const { dispose, handler } = App.toWebHandler(ports, options)
  return { listener: fromWebHandler(handler, options.caller), dispose }
}
