/**
 * The CLI's HTTP client for the Kubernetes API: JSON over `node:https` (custom CA, client
 * certificate, `--insecure-skip-tls-verify`) or `node:http`, bearer-token authentication, and the
 * `Warning` headers of the answer (RFC 7234 `299 - "<text>"`), as client-go reads them.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as http from "node:http"
import * as https from "node:https"
import * as CommandError from "./CommandError.js"

/**
 * Where and how to connect: client-go's `rest.Config`, reduced to what the CLI uses.
 *
 * @since 0.1.0
 * @category models
 */
export interface RestConfig {
  /** The server URL, `https://host:port` with an optional path prefix. */
  readonly server: string
  readonly bearerToken: Redacted.Redacted<string> | undefined
  /** PEM bundle of the CAs that sign the serving certificate; the system roots when absent. */
  readonly certificateAuthority: Buffer | undefined
  readonly insecureSkipTlsVerify: boolean
  readonly tlsServerName: string | undefined
  readonly clientCertificate: Buffer | undefined
  readonly clientKey: Buffer | undefined
  /** Give up on a request after this long (client-go's `--request-timeout`). */
  readonly timeoutMillis: number
}

/**
 * An HTTP answer: status code, the warning texts, and the body (parsed JSON when it is JSON).
 *
 * @since 0.1.0
 * @category models
 */
export interface RestResponse {
  readonly statusCode: number
  readonly warnings: ReadonlyArray<string>
  readonly text: string
  readonly json: unknown
}

/**
 * Splits `Warning` header values into their texts: `299 - "a", 299 - "b \"c\""` → `a`, `b "c"`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseWarnings = (values: ReadonlyArray<string>): ReadonlyArray<string> => {
  const texts: Array<string> = []
  for (const value of values) {
    const pattern = /\s*(\d{3})\s+(\S+)\s+"((?:[^"\\]|\\.)*)"(?:\s+"(?:[^"\\]|\\.)*")?\s*(?:,|$)/gy
    let match: RegExpExecArray | null
    let consumed = 0
    while ((match = pattern.exec(value)) !== null) {
      if (match[1] === "299") texts.push(match[3]!.replace(/\\(.)/g, "$1"))
      consumed = pattern.lastIndex
      if (consumed >= value.length) break
    }
    if (consumed === 0 && value.trim() !== "") texts.push(value.trim())
  }
  return texts
}

/**
 * Joins the server URL and an API path.
 *
 * @since 0.1.0
 * @category urls
 */
export const urlOf = (config: Pick<RestConfig, "server">, path: string): URL => {
  const base = config.server.replace(/\/+$/, "")
  return new URL(`${base}${path}`)
}

const warningValues = (response: http.IncomingMessage): Array<string> => {
  const values: Array<string> = []
  for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) {
    if (response.rawHeaders[i]!.toLowerCase() === "warning") values.push(response.rawHeaders[i + 1]!)
  }
  return values
}

/**
 * Sends one request with a JSON body (or none) and reads the whole answer. Connection, TLS and
 * timeout failures are `OperationError`s shaped like Go's (`Post "<url>": <cause>`).
 *
 * @since 0.1.0
 * @category requests
 */
export const request = (
  config: RestConfig,
  method: "GET" | "POST",
  path: string,
  body?: unknown
): Effect.Effect<RestResponse, CommandError.OperationError | CommandError.UsageError> =>
  Effect.gen(function*() {
    const url = yield* Effect.try({
      try: () => urlOf(config, path),
      catch: () => CommandError.usage(`invalid server URL ${JSON.stringify(config.server)}`)
    })
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      return yield* Effect.fail(
        CommandError.usage(`invalid server URL ${JSON.stringify(config.server)}: scheme must be https or http`)
      )
    }
    const verb = method === "GET" ? "Get" : "Post"
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8")
    const headers: Record<string, string> = {
      Accept: "application/json, */*",
      "User-Agent": "tokenrequest/0.1.0"
    }
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json"
      headers["Content-Length"] = String(payload.length)
    }
    if (config.bearerToken !== undefined) headers.Authorization = `Bearer ${Redacted.value(config.bearerToken)}`
    return yield* Effect.async<RestResponse, CommandError.OperationError>((resume) => {
      const options: https.RequestOptions = { method, headers, timeout: config.timeoutMillis }
      if (url.protocol === "https:") {
        if (config.certificateAuthority !== undefined) options.ca = config.certificateAuthority
        if (config.insecureSkipTlsVerify) options.rejectUnauthorized = false
        if (config.tlsServerName !== undefined) options.servername = config.tlsServerName
        if (config.clientCertificate !== undefined) options.cert = config.clientCertificate
        if (config.clientKey !== undefined) options.key = config.clientKey
      }
      const fail = (cause: string) =>
        resume(Effect.fail(CommandError.operation(`${verb} ${JSON.stringify(url.toString())}: ${cause}`)))
      const onResponse = (response: http.IncomingMessage) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("error", (e) => fail(e.message))
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8")
          let json: unknown = undefined
          try {
            json = text === "" ? undefined : JSON.parse(text)
          } catch {
            json = undefined
          }
          resume(Effect.succeed({
            statusCode: response.statusCode ?? 0,
            warnings: parseWarnings(warningValues(response)),
            text,
            json
          }))
        })
      }
      const req = url.protocol === "https:"
        ? https.request(url, options, onResponse)
        : http.request(url, options, onResponse)
      req.on("timeout", () => req.destroy(new Error("context deadline exceeded (Client.Timeout exceeded)")))
      req.on("error", (e) => fail(e.message))
      req.end(payload)
      return Effect.sync(() => req.destroy())
    })
  })

/**
 * A Kubernetes `Status` failure in an answer body, or `undefined`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const statusOf = (
  response: RestResponse
): { readonly message: string; readonly reason: string | undefined; readonly code: number } | undefined => {
  const body = response.json as Record<string, unknown> | undefined
  if (body === undefined || body === null || typeof body !== "object" || body.kind !== "Status") return undefined
  return {
    message: typeof body.message === "string" ? body.message : "",
    reason: typeof body.reason === "string" ? body.reason : undefined,
    code: typeof body.code === "number" ? body.code : response.statusCode
  }
}

/**
 * The message client-go gives a failed answer: the `Status` message, or a generic text naming the
 * code when the body is not a `Status`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const errorMessage = (response: RestResponse): string => {
  const status = statusOf(response)
  if (status !== undefined && status.message !== "") return status.message
  switch (response.statusCode) {
    case 401:
      return "Unauthorized"
    case 403:
      return "Forbidden"
    case 404:
      return "the server could not find the requested resource"
    default: {
      const snippet = response.text.trim().slice(0, 200)
      return snippet === ""
        ? `the server responded with the status code ${response.statusCode} but did not return more information`
        : `an error on the server (${JSON.stringify(snippet)}) has prevented the request from succeeding`
    }
  }
}
