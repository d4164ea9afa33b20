/**
 * The conformance suite against the reference server, started from the built CLI exactly as users run
 * it: on the defaults (HTTPS, self-signed CA from the written kubeconfig) nothing may fail; with a
 * maximum expiration the clamp check runs; with the extension disabled it is reported as skipped.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Endpoint from "@tokenrequest/conformance/Endpoint"
import * as Report from "@tokenrequest/conformance/Report"
import * as Suite from "@tokenrequest/conformance/Suite"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bin, serve, stopChild } from "./server.js"

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

  it.live("--service-account-signing-endpoint at `tokenrequest signer serve`: every check passes, as with a local key", () =>
    Effect.scoped(Effect.gen(function*() {
      const signer = yield* signerServe()
      const served = yield* serve(["--service-account-signing-endpoint", signer.socket])
      const report = yield* Suite.run({ ...served.endpoint, server: served.endpoint.server! })
      assert.deepStrictEqual(failures(report), [])
      assert.deepStrictEqual(report.cleanupErrors, [])
      const o = outcomes(report)
      assert.strictEqual(o["expiration.extension"], "passed")
      assert.strictEqual(o["keys.verify"], "passed")
      // As upstream: with an external signer and no --service-account-max-token-expiration, the signer's
      // maximum (one year here) becomes the cap, so the clamp is in force and checked.
      assert.strictEqual(o["expiration.clamp"], "passed")
      assert.match(Report.summary(report), /^\d+ passed, 0 failed, 0 skipped$/)
    })), 120_000)
})

/** `tokenrequest signer serve` from the built CLI on a fresh key, until the socket exists. */
const signerServe = () =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "tokenrequest-signer-"))),
      (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
    )
    const keyFile = path.join(dir, "signing.key")
    const generated = yield* runBin(["keys", "generate", "--algorithm", "ES256", "--out", keyFile])
    assert.strictEqual(generated.code, 0, generated.stderr)
    const socket = path.join(dir, "signer.sock")
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, [bin, "signer", "serve", "--socket", socket, "--key-file", keyFile], {
          stdio: ["ignore", "ignore", "pipe"]
        })
      ),
      stopChild
    )
    let stderr = ""
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    for (let i = 0; i < 100 && !fs.existsSync(socket); i++) {
      if (child.exitCode !== null) break
      yield* Effect.sleep("100 millis")
    }
    if (!fs.existsSync(socket)) return yield* Effect.fail(new Error(`signer serve did not create ${socket}: ${stderr}`))
    return { socket }
  })

const runBin = (args: ReadonlyArray<string>) =>
  Effect.async<{ code: number | null; stdout: string; stderr: string }>((resume) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")))
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
    child.once("exit", (code) => resume(Effect.succeed({ code, stdout, stderr })))
  })

const runCli = (args: ReadonlyArray<string>) =>
  Effect.async<{ code: number | null; stdout: string; stderr: string }>((resume) => {
    const child = spawn(process.execPath, [bin, "conformance", ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")))
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000)
    child.once("exit", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, stdout, stderr }))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

const leftovers = (endpoint: Endpoint.Endpoint) =>
  Effect.gen(function*() {
    const names: Array<string> = []
    for (const path of ["/api/v1/namespaces", "/api/v1/nodes"]) {
      const response = yield* Endpoint.request(endpoint, "GET", path)
      const items = ((response.json as { items?: Array<{ metadata: { name: string } }> }).items ?? [])
      names.push(...items.map((i) => i.metadata.name).filter((n) => n.startsWith("conformance-")))
    }
    return names
  })

describe("`tokenrequest conformance` and cleanup", () => {
  it.live("the command: JUnit to --output, summary on stderr, exit 0; a bad token: exit 1", () =>
    Effect.scoped(Effect.gen(function*() {
      const served = yield* serve()
      const output = path.join(served.dir, "report.xml")
      const ok = yield* runCli(["--kubeconfig", served.kubeconfig, "--format", "junit", "--output", output, "--only", "validation.", "--only", "keys."])
      assert.strictEqual(ok.code, 0, ok.stderr)
      assert.match(ok.stderr, /^7 passed, 0 failed, 0 skipped\n$/)
      const xml = fs.readFileSync(output, "utf8")
      assert.include(xml, `<testsuite name="tokenrequest-conformance" tests="7" failures="0"`)
      const tap = yield* runCli(["--kubeconfig", served.kubeconfig, "--only", "validation.minimum"])
      assert.strictEqual(tap.code, 0, tap.stderr)
      assert.match(tap.stdout, /^TAP version 13\n1\.\.2\nok 1 validation\.minimum - /)
      const bad = yield* runCli(["--kubeconfig", served.kubeconfig, "--token", "wrong-token", "--only", "validation."])
      assert.strictEqual(bad.code, 1)
      assert.match(bad.stdout, /not ok 1 fixture\.setup/)
      assert.match(bad.stderr, /^0 passed, 1 failed, 0 skipped\n$/)
      assert.deepStrictEqual(yield* leftovers(served.endpoint as Endpoint.Endpoint), [])
    })), 120_000)

  it.live("an interrupted run deletes what it created", () =>
    Effect.scoped(Effect.gen(function*() {
      const served = yield* serve()
      const endpoint = served.endpoint as Endpoint.Endpoint
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(Suite.run({
        ...endpoint,
        onResult: () => Deferred.unsafeDone(started, Effect.void)
      }))
      yield* Deferred.await(started)
      assert.isNotEmpty(yield* leftovers(endpoint))
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* leftovers(endpoint), [])
    })), 120_000)
})
