/**
 * `--audit-log-path`: the audit events of `@tokenrequest/http`'s `AuditSink` (plus the server's
 * failed authentications) appended to a file as JSON lines, one event a line.
 *
 * The file is created with mode 0600 when missing (an existing file keeps its mode) and only ever
 * appended to. Recording never waits for the disk: events queue in memory and one write at a time
 * appends every queued line, reopening the file by its path (so a rotated file is recreated). A
 * failed write loses its events, counts them, and is logged once; the request it audits is not
 * affected. Closing the log's scope waits for the queue to drain (bounded).
 *
 * @since 0.1.0
 */
import * as AuditSink from "@tokenrequest/http/AuditSink"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs/promises"
import { ConfigurationError } from "./Configuration.js"

/**
 * How a running log reports its failures.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reporting {
  /** Events lost: `WriteFailed` (the write failed) or `BufferFull` (too many events queued). */
  readonly lost: (reason: "WriteFailed" | "BufferFull", events: number) => void
  /** Called once, on the first failure, with a one-line description. */
  readonly logOnce: (message: string) => void
}

/**
 * An open audit log.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuditLog {
  readonly path: string
  readonly sink: AuditSink.AuditSink["Type"]
  /** Waits until every event recorded so far is written (or lost). */
  readonly flush: Effect.Effect<void>
}

/**
 * The most events waiting for the disk; beyond, new events are dropped and counted.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxQueuedEvents = 100_000

/**
 * How long closing the log waits for the queue to drain.
 *
 * @since 0.1.0
 * @category constants
 */
export const closeTimeout = Duration.seconds(5)

/**
 * Opens (creating it 0600 when missing) the audit log at `path`, failing with a `ConfigurationError`
 * naming the flag when it cannot be opened for appending. The queue is drained when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const open = (path: string, reporting: Reporting): Effect.Effect<AuditLog, ConfigurationError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* Effect.tryPromise({
      try: async () => {
        const handle = await fs.open(path, "a", 0o600)
        await handle.close()
      },
      catch: (cause) => new ConfigurationError({ description: `--audit-log-path ${path}: ${(cause as Error).message}` })
    })
    const log = make(path, reporting)
    yield* Effect.addFinalizer(() => log.flush.pipe(Effect.timeoutOption(closeTimeout), Effect.asVoid))
    return log
  })

/**
 * The log over a path, without checking it first.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (path: string, reporting: Reporting): AuditLog => {
  let queued: Array<string> = []
  let writing = false
  let failed = false
  let waiters: Array<() => void> = []

  const settle = () => {
    if (writing || queued.length > 0) return
    const ready = waiters
    waiters = []
    for (const resolve of ready) resolve()
  }

  const drain = () => {
    if (writing || queued.length === 0) return settle()
    writing = true
    const batch = queued
    queued = []
    fs.appendFile(path, batch.join(""), { flag: "a", mode: 0o600 }).then(
      () => {},
      (error: Error) => {
        reporting.lost("WriteFailed", batch.length)
        if (!failed) {
          failed = true
          reporting.logOnce(
            `audit log: writing to --audit-log-path ${path} failed, ${batch.length} event(s) lost (further failures are only counted in tokenrequest_audit_write_errors_total): ${error.message}`
          )
        }
      }
    ).finally(() => {
      writing = false
      drain()
    })
  }

  const record = (event: AuditSink.AuditEvent) =>
    Effect.sync(() => {
      if (queued.length >= maxQueuedEvents) {
        reporting.lost("BufferFull", 1)
        return
      }
      queued.push(`${JSON.stringify(event)}\n`)
      drain()
    })

  const flush = Effect.async<void>((resume) => {
    waiters.push(() => resume(Effect.void))
    drain()
  })

  return { path, sink: { record }, flush }
}
