/**
 * `--audit-log-path`: the audit events of `@tokenrequest/http`'s `AuditSink` (plus the server's
 * failed authentications) appended to a file as JSON lines, one event a line.
 *
 * The file is created with mode 0600 when missing (an existing file keeps its mode) and only ever
 * appended to. Recording never waits for the disk: events queue in memory and one fiber appends
 * every queued line at a time, reopening the file by its path (so a rotated file is recreated). A
 * failed write loses its events, counts them, and is logged once; the request it audits is not
 * affected. Closing the log's scope writes what is still queued (bounded).
 *
 * @since 0.1.0
 */
import * as AuditSink from "@tokenrequest/http/AuditSink"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs/promises"
import { ConfigurationError } from "./Configuration.js"

/**
 * How a running log reports lost events: `WriteFailed` (the write failed) or `BufferFull` (too many
 * events waiting for the disk). The first failed write is also logged, once, at error level.
 *
 * @since 0.1.0
 * @category models
 */
export type OnLost = (reason: "WriteFailed" | "BufferFull", events: number) => void

/**
 * An open audit log.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuditLog {
  readonly path: string
  readonly sink: AuditSink.AuditSink["Type"]
}

/**
 * The most events waiting for the disk; beyond, new events are dropped and counted.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxQueuedEvents = 100_000

/**
 * How long closing the log waits for the last write.
 *
 * @since 0.1.0
 * @category constants
 */
export const closeTimeout = Duration.seconds(5)

/**
 * Opens (creating it 0600 when missing) the audit log at `path`, failing with a `ConfigurationError`
 * naming the flag when it cannot be opened for appending. One fiber of the scope writes the queued
 * events; closing the scope writes what is still queued (bounded by `closeTimeout`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const open = (path: string, onLost: OnLost): Effect.Effect<AuditLog, ConfigurationError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* Effect.tryPromise({
      try: async () => {
        const handle = await fs.open(path, "a", 0o600)
        await handle.close()
      },
      catch: (cause) => new ConfigurationError({ description: `--audit-log-path ${path}: ${(cause as Error).message}` })
    })
    const queue = yield* Queue.dropping<string>(maxQueuedEvents)
    let failed = false
    const write = (lines: Iterable<string>) => {
      const batch = Array.from(lines)
      if (batch.length === 0) return Effect.void
      return Effect.tryPromise({
        try: () => fs.appendFile(path, batch.join(""), { flag: "a", mode: 0o600 }),
        catch: (cause) => (cause instanceof Error ? cause.message : String(cause))
      }).pipe(
        Effect.catchAll((error) =>
          Effect.suspend(() => {
            onLost("WriteFailed", batch.length)
            if (failed) return Effect.void
            failed = true
            return Effect.logError(
              `audit log: writing to --audit-log-path ${path} failed, ${batch.length} event(s) lost (further failures are only counted in tokenrequest_audit_write_errors_total): ${error}`
            )
          })
        ),
        Effect.uninterruptible
      )
    }
    const writer = yield* Queue.takeBetween(queue, 1, 10_000).pipe(
      Effect.flatMap(write),
      Effect.forever,
      Effect.forkDaemon
    )
    // the writer stops after its current write; then what is still queued is written
    yield* Effect.addFinalizer(() =>
      Fiber.interrupt(writer).pipe(
        Effect.zipRight(Effect.flatMap(Queue.takeAll(queue), write)),
        Effect.timeoutOption(closeTimeout),
        Effect.asVoid
      )
    )
    const record = (event: AuditSink.AuditEvent) =>
      Effect.flatMap(Queue.offer(queue, `${JSON.stringify(event)}\n`), (accepted) =>
        accepted ? Effect.void : Effect.sync(() => onLost("BufferFull", 1)))
    return { path, sink: { record } }
  })
