/**
 * The conformance suite against the reference server, started from the built CLI exactly as users run
 * it: on the defaults (HTTPS, self-signed CA from the written kubeconfig) nothing may fail; with a
 * maximum expiration the clamp check runs; with the extension disabled it is reported as skipped.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Report from "@tokenrequest/conformance/Report"
import * as Suite from "@tokenrequest/conformance/Suite"
import * as Effect from "effect/Effect"
import { serve } from "./server.js"

const outcomes = (report: Report.Report) => Object.fromEntries(report.results.map((r) => [r.id, r.outcome]))

const failures = (report: Report.Report) =>
  report.results.filter((r) => r.outcome === "failed").map((r) => `${r.id}: ${r.message}`)

describe("conformance suite against `tokenrequest serve`", () => {
  it.live("defaults (HTTPS, kubeconfig credentials): every check passes, the clamp is skipped", () =>
    Effect.scoped(Effect.gen(function*() {
      const served = yield* serve()
      assert.match(served.endpoint.server, /^https:\/\/127\.0\.0\.1:\d+$/)
      assert.isDefined(served.endpoint.certificateAuthority)
      const report = yield* Suite.run({ ...served.endpoint, server: served.endpoint.server! })
      assert.deepStrictEqual(failures(report), [])
      assert.deepStrictEqual(report.cleanupErrors, [])
      const o = outcomes(report)
      assert.strictEqual(o["expiration.clamp"], "skipped")
      assert.strictEqual(o["expiration.extension"], "passed")
      assert.strictEqual(o["keys.verify"], "passed")
      assert.isAbove(Report.counts(report).passed, 40)
      assert.match(Report.summary(report), /^\d+ passed, 0 failed, 1 skipped$/)
    })), 120_000)

  it.live("--service-account-max-token-expiration 2h: the clamp is checked; 3607 s is still extended", () =>
    Effect.scoped(Effect.gen(function*() {
      const served = yield* serve(["--service-account-max-token-expiration", "2h"])
      const report = yield* Suite.run({
        ...served.endpoint,
        server: served.endpoint.server!,
        only: ["discovery.", "defaulting.", "validation.", "expiration.", "keys."]
      })
      assert.deepStrictEqual(failures(report), [])
      const o = outcomes(report)
      assert.strictEqual(o["expiration.clamp"], "passed")
      assert.strictEqual(o["expiration.extension"], "passed")
      assert.strictEqual(o["expiration.extension-conditions"], "passed")
    })), 120_000)

  it.live("--service-account-extend-token-expiration=false: the extension checks are skipped, not failed", () =>
    Effect.scoped(Effect.gen(function*() {
      const served = yield* serve(["--service-account-extend-token-expiration=false"])
      const report = yield* Suite.run({
        ...served.endpoint,
        server: served.endpoint.server!,
        only: ["discovery.", "defaulting.", "expiration.", "keys."]
      })
      assert.deepStrictEqual(failures(report), [])
      const o = outcomes(report)
      assert.strictEqual(o["expiration.extension"], "skipped")
      assert.strictEqual(o["expiration.extension-conditions"], "skipped")
    })), 120_000)
})
