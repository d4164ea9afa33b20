/**
 * Runs the conformance suite against an endpoint: creates the fixture, runs every check in order,
 * deletes the fixture (also on failure or interruption) and returns the report.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Checks from "./Checks.js"
import type { Endpoint } from "./Endpoint.js"
import * as Fixture from "./Fixture.js"
import type { CheckResult, Report } from "./Report.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends Endpoint {
  /** Run only the checks whose id starts with one of these prefixes (default: all). */
  readonly only?: ReadonlyArray<string> | undefined
  /** How long a deletion may take to invalidate a token in TokenReview; default 16 s. */
  readonly invalidationWaitMillis?: number | undefined
  /** Called after each check (progress output). */
  readonly onResult?: ((result: CheckResult) => void) | undefined
}

const messageOf = (error: unknown): string => {
  if (typeof error === "object" && error !== null) {
    const tagged = error as { _tag?: string; reason?: unknown; message?: unknown }
    if ((tagged._tag === "CheckFailed" || tagged._tag === "Skipped") && typeof tagged.reason === "string") return tagged.reason
    if (typeof tagged.message === "string" && tagged.message !== "") return tagged.message
  }
  return String(error)
}

const runCheck = (check: Checks.Check, context: Checks.Context): Effect.Effect<CheckResult> =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const exit = yield* Effect.exit(check.run(context))
    const durationMillis = (yield* Clock.currentTimeMillis) - start
    const base = { id: check.id, title: check.title, chapter: check.chapter, durationMillis }
    if (Exit.isSuccess(exit)) return { ...base, outcome: "passed" as const }
    const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
    if (failure !== undefined && (failure as { _tag?: string })._tag === "Skipped") {
      return { ...base, outcome: "skipped" as const, message: messageOf(failure) }
    }
    return {
      ...base,
      outcome: "failed" as const,
      message: failure !== undefined ? messageOf(failure) : `defect: ${messageOf(exit.cause._tag === "Die" ? exit.cause.defect : exit.cause)}`
    }
  })

/**
 * Runs the suite. Never fails: problems become failed results (a fixture that cannot be created is
 * the failed check `fixture.setup`; cleanup problems are listed in `cleanupErrors`).
 *
 * @since 0.1.0
 * @category running
 */
export const run = (options: Options): Effect.Effect<Report> =>
  Effect.gen(function*() {
    const cleanupErrors: Array<string> = []
    const results: Array<CheckResult> = []
    const push = (result: CheckResult) => {
      results.push(result)
      options.onResult?.(result)
    }
    const selected = Checks.all.filter((c) => options.only === undefined || options.only.some((p) => c.id.startsWith(p)))
    const scope = yield* Scope.make()
    yield* Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const fixture = yield* Effect.either(Scope.extend(Fixture.make(options, (m) => cleanupErrors.push(m)), scope))
      if (fixture._tag === "Left") {
        push({
          id: "fixture.setup",
          title: "create the namespace, service accounts, node, pods and secrets the checks use",
          chapter: "README.md",
          outcome: "failed",
          message: fixture.left.message,
          durationMillis: (yield* Clock.currentTimeMillis) - start
        })
        return
      }
      const context: Checks.Context = {
        endpoint: options,
        fixture: fixture.right,
        tokens: [],
        invalidationWaitMillis: options.invalidationWaitMillis
      }
      for (const check of selected) push(yield* runCheck(check, context))
    }).pipe(Effect.ensuring(Scope.close(scope, Exit.void)))
    return { server: options.server, results, cleanupErrors }
  })

/**
 * `run` as a Promise.
 *
 * @since 0.1.0
 * @category running
 */
export const runPromise = (options: Options): Promise<Report> => Effect.runPromise(run(options))
