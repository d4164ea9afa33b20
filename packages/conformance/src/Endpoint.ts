/**
 * Where the suite talks to: the API server URL, the bearer token and the TLS trust, and the plain
 * HTTP(S)+JSON exchange with it (no Kubernetes client library, so any endpoint can be tested).
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as http from "node:http"
import * as https from "node:https"

/**
 * @since 0.1.0
 * @category models
 */
export interface Endpoint {
  /** `https://host:port` (a path prefix is kept). */
  readonly server: string
  /**
   * The bearer token of a caller allowed to create and delete namespaces, service accounts, pods,
   * secrets and nodes, and to create tokens and token reviews.
   */
  readonly token?: string | undefined
  /** PEM client certificate and key, instead of (or besides) the token. */
  readonly clientCertificate?: string | undefined
  readonly clientKey?: string | undefined
  /** PEM certificates trusted for the server's TLS certificate. */
  readonly certificateAuthority?: string | undefined
  /** Accept any server certificate. */
  readonly insecureSkipTlsVerify?: boolean | undefined
  /** Per-request timeout, default 15 s. */
  readonly timeoutMillis?: number | undefined
}

/**
 * A response as the suite sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Response {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  /** The texts of the `Warning: 299 - "<text>"` headers. */
  readonly warnings: ReadonlyArray<string>
  readonly text: string
  /** The body parsed as JSON, `undefined` when it is not JSON. */
  readonly json: unknown
}

/**
 * The request could not be sent or no answer came.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Data.TaggedError("@tokenrequest/conformance/TransportError")<{
  readonly method: string
  readonly path: string
  readonly description: string
}> {
  override get message(): string {
    return `${this.method} ${this.path}: ${this.description}`
  }
}

/**
 * Reads the texts out of `Warning` headers (`299 - "text"`, several per header allowed).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseWarnings = (header: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> => {
  if (header === undefined) return []
  const values = typeof header === "string" ? [header] : header
  const texts: Array<string> = []
  for (const value of values) {
    for (const match of value.matchAll(/\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/g)) {
      texts.push(match[1]!.replace(/\\(.)/g, "$1"))
    }
  }
  return texts
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * Sends one request. A JSON `body` is sent as `application/json`; the answer is read whole.
 *
 * @since 0.1.0
 * @category requests
 */
export const request = (
  endpoint: Endpoint,
  method: string,
  path: string,
  body?: unknown,
  options: { readonly authenticate?: boolean } = {}
): Effect.Effect<Response, TransportError> =>
  Effect.async<Response, TransportError>((resume, signal) => {
    const url = new URL(endpoint.server.replace(/\/$/, "") + path)
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const headers: Record<string, string> = { accept: "application/json" }
    if (options.authenticate !== false && endpoint.token !== undefined && endpoint.token !== "") headers["authorization"] = `Bearer ${endpoint.token}`
    if (payload !== undefined) {
      headers["content-type"] = "application/json"
      headers["content-length"] = String(payload.length)
    }
    const fail = (description: string) => resume(Effect.fail(new TransportError({ method, path, description })))
    const common = { method, headers, signal, timeout: endpoint.timeoutMillis ?? 15_000 }
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("error", (e) => fail(e.message))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        resume(Effect.succeed({
          status: res.statusCode ?? 0,
          headers: res.headers,
          warnings: parseWarnings(res.headers["warning"]),
          text,
          json: parseJson(text)
        }))
      })
    }
    const req = url.protocol === "https:"
      ? https.request(url, {
        ...common,
        ...(endpoint.certificateAuthority !== undefined ? { ca: endpoint.certificateAuthority } : {}),
        ...(endpoint.clientCertificate !== undefined ? { cert: endpoint.clientCertificate } : {}),
        ...(endpoint.clientKey !== undefined ? { key: endpoint.clientKey } : {}),
        rejectUnauthorized: endpoint.insecureSkipTlsVerify !== true
      }, onResponse)
      : http.request(url, common, onResponse)
    req.on("timeout", () => req.destroy(new Error("timed out")))
    req.on("error", (e) => fail(e.message))
    req.end(payload)
  })
