/**
 * The server's metrics in the Prometheus text exposition format (`GET /metrics`): tokens issued and
 * reviewed by result, request latency, object-store, signer and audit-log errors, and the stale-token counter
 * upstream keeps for tokens used past their `kubernetes.io.warnafter` (semantics §5.6).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"

type Labels = Readonly<Record<string, string>>

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')

const labelText = (labels: Labels): string => {
  const entries = Object.entries(labels)
  return entries.length === 0 ? "" : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`
}

/** The series key of a label set: the values in order (each metric always uses the same names). */
const seriesKey = (labels: Labels): string => {
  let key = ""
  for (const name in labels) key += `${labels[name]}\u0000`
  return key
}

class Counter {
  readonly values = new Map<string, { labels: Labels; value: number }>()
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1) {
    const key = seriesKey(labels)
    const entry = this.values.get(key)
    if (entry) entry.value += by
    else this.values.set(key, { labels, value: by })
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`]
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`)
    return lines.join("\n")
  }
}

class Histogram {
  readonly series = new Map<string, { labels: Labels; counts: Array<number>; sum: number; count: number }>()
  constructor(readonly name: string, readonly help: string, readonly buckets: ReadonlyArray<number>) {}
  observe(labels: Labels, value: number) {
    const key = seriesKey(labels)
    let entry = this.series.get(key)
    if (!entry) {
      entry = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }
      this.series.set(key, entry)
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) entry.counts[i]!++
    entry.sum += value
    entry.count++
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`]
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${labelText({ ...labels, le: String(bound) })} ${counts[i]}`)
      })
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: "+Inf" })} ${count}`)
      lines.push(`${this.name}_sum${labelText(labels)} ${sum}`)
      lines.push(`${this.name}_count${labelText(labels)} ${count}`)
    }
    return lines.join("\n")
  }
}

/**
 * The registry: record with the methods, read with `render`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Registry {
  /** A TokenRequest answered: `result` is `success` or the Status reason (`NotFound`, `Invalid`, …). */
  readonly tokenIssued: (result: string) => void
  /** A TokenReview answered: `authenticated`, `unauthenticated`, or the Status reason of an error. */
  readonly tokenReviewed: (result: string) => void
  /** One request: verb and resource as authorization saw them, the HTTP code, the seconds taken. */
  readonly request: (labels: { verb: string; resource: string; code: number }, seconds: number) => void
  /** An object-store failure (`Unavailable`, `Unexpected`). */
  readonly storeError: (reason: string) => void
  /** A signing or key-set failure. */
  readonly signerError: (reason: string) => void
  /** Audit events lost: a failed write to `--audit-log-path` (counted per event) or a full buffer. */
  readonly auditWriteError: (reason: string, events: number) => void
  /** A service-account token authenticated: stale (past `warnafter`) or not. */
  readonly serviceAccountToken: (stale: boolean) => void
  /** The exposition text. */
  readonly render: () => string
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (): Registry => {
  const issued = new Counter("tokenrequest_tokens_issued_total", "TokenRequests answered, by result.")
  const reviewed = new Counter("tokenrequest_tokens_reviewed_total", "TokenReviews answered, by result.")
  const duration = new Histogram(
    "tokenrequest_request_duration_seconds",
    "Request latency by verb, resource and HTTP code.",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
  )
  const requests = new Counter("tokenrequest_requests_total", "Requests by verb, resource and HTTP code.")
  const storeErrors = new Counter("tokenrequest_store_errors_total", "Object store failures, by reason.")
  const signerErrors = new Counter("tokenrequest_signer_errors_total", "Signer and key set failures, by reason.")
  const stale = new Counter(
    "serviceaccount_stale_tokens_total",
    "Service account tokens used after their kubernetes.io.warnafter time (they still authenticate)."
  )
  const valid = new Counter("serviceaccount_valid_tokens_total", "Service account tokens used before any warnafter time.")
  const auditErrors = new Counter(
    "tokenrequest_audit_write_errors_total",
    "Audit events not written to --audit-log-path, by reason (WriteFailed, BufferFull)."
  )
  stale.inc({}, 0)
  valid.inc({}, 0)
  const all = [issued, reviewed, requests, duration, storeErrors, signerErrors, auditErrors, stale, valid]
  return {
    tokenIssued: (result) => issued.inc({ result }),
    tokenReviewed: (result) => reviewed.inc({ result }),
    request: (labels, seconds) => {
      const l = { verb: labels.verb, resource: labels.resource, code: String(labels.code) }
      requests.inc(l)
      duration.observe(l, seconds)
    },
    storeError: (reason) => storeErrors.inc({ reason }),
    signerError: (reason) => signerErrors.inc({ reason }),
    auditWriteError: (reason, events) => auditErrors.inc({ reason }, events),
    serviceAccountToken: (isStale) => (isStale ? stale : valid).inc(),
    render: () => all.map((metric) => metric.render()).join("\n") + "\n"
  }
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Metrics extends Context.Tag("@tokenrequest/server/Metrics")<Metrics, Registry>() {}
