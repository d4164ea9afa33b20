/**
 * HTTP load with autocannon against a loopback server: a fixed number of connections for a bounded
 * duration, reduced to successful requests per second and the latency percentiles.
 *
 * @since 0.1.0
 */
import autocannon from "autocannon"

/**
 * One request of the cycle each connection sends.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string | undefined
}

/**
 * A load run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly url: string
  readonly requests: ReadonlyArray<Request>
  readonly connections: number
  readonly durationSeconds: number
}

/**
 * What a run measured: successful (2xx) requests per second, latency percentiles in milliseconds,
 * and the failures (non-2xx answers, connection errors, timeouts).
 *
 * @since 0.1.0
 * @category models
 */
export interface Measurement {
  readonly requestsPerSecond: number
  readonly p50: number
  readonly p99: number
  readonly completed: number
  readonly non2xx: number
  readonly errors: number
}

const loopback = /^http:\/\/(127\.0\.0\.1|\[::1\]):\d+$/

/**
 * Runs autocannon. Refuses any target that is not loopback.
 *
 * @since 0.1.0
 * @category running
 */
export const run = async (options: Options): Promise<Measurement> => {
  if (!loopback.test(options.url)) throw new Error(`refusing a non-loopback target: ${options.url}`)
  const durationSeconds = Math.max(0.2, options.durationSeconds)
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    duration: durationSeconds,
    timeout: 10,
    requests: options.requests.map((r) => ({
      method: r.method,
      path: r.path,
      headers: { ...r.headers },
      ...(r.body !== undefined ? { body: r.body } : {})
    }))
  })
  const ok = result["2xx"]
  return {
    requestsPerSecond: ok / Math.max(result.duration, 0.001),
    p50: result.latency.p50,
    p99: result.latency.p99,
    completed: ok,
    non2xx: result.non2xx,
    errors: result.errors
  }
}

/**
 * Sends one request with `fetch` and returns status and JSON body (sanity checks, token minting).
 *
 * @since 0.1.0
 * @category running
 */
export const once = async (url: string, request: Request): Promise<{ status: number; body: unknown }> => {
  if (!loopback.test(url)) throw new Error(`refusing a non-loopback target: ${url}`)
  const response = await fetch(`${url}${request.path}`, {
    method: request.method,
    headers: { ...request.headers },
    ...(request.body !== undefined ? { body: request.body } : {}),
    signal: AbortSignal.timeout(10_000)
  })
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body }
}
