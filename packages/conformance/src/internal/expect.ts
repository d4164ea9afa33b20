/** Assertions of the checks: each failure is a `CheckFailed` carrying a one-line explanation. */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type { Response } from "../Endpoint.js"

export class CheckFailed extends Data.TaggedError("CheckFailed")<{ readonly reason: string }> {}

export class Skipped extends Data.TaggedError("Skipped")<{ readonly reason: string }> {}

export const fail = (reason: string): Effect.Effect<never, CheckFailed> => Effect.fail(new CheckFailed({ reason }))

export const skip = (reason: string): Effect.Effect<never, Skipped> => Effect.fail(new Skipped({ reason }))

/** JSON with object keys sorted at every level: key order never matters to a comparison. */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v)

export const show = (value: unknown): string => (value === undefined ? "undefined" : JSON.stringify(value))

/** Collects every mismatch of a check, then fails once with all of them. */
export class Expectations {
  readonly problems: Array<string> = []
  equal(what: string, actual: unknown, expected: unknown): this {
    if (canonical(actual) !== canonical(expected)) {
      this.problems.push(`${what}: expected ${show(expected)}, got ${show(actual)}`)
    }
    return this
  }
  that(what: string, ok: boolean, detail?: string): this {
    if (!ok) this.problems.push(detail === undefined ? what : `${what}: ${detail}`)
    return this
  }
  get done(): Effect.Effect<void, CheckFailed> {
    return this.problems.length === 0 ? Effect.void : fail(this.problems.join("; "))
  }
}

export const record = (u: unknown): Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : {}

export const describeResponse = (response: Response): string =>
  `HTTP ${response.status} ${response.text.length > 300 ? response.text.slice(0, 300) + "…" : response.text}`

/** The expected Kubernetes Status answer: code, reason, exact message, and optionally the details. */
export const status = (
  response: Response,
  expected: {
    readonly code: number
    readonly reason: string | undefined
    readonly message: string
    /** `null`: no details; `undefined`: not checked. */
    readonly details?: Record<string, unknown> | null | undefined
  }
): Effect.Effect<void, CheckFailed> => {
  const body = record(response.json)
  const e = new Expectations()
  e.equal("HTTP status", response.status, expected.code)
  e.equal("kind", body["kind"], "Status")
  e.equal("apiVersion", body["apiVersion"], "v1")
  e.equal("status", body["status"], "Failure")
  e.equal("code", body["code"], expected.code)
  e.equal("reason", body["reason"], expected.reason)
  e.equal("message", body["message"], expected.message)
  if (expected.details === null) e.equal("details", body["details"], undefined)
  else if (expected.details !== undefined) e.equal("details", body["details"], expected.details)
  return e.done
}
