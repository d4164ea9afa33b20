/**
 * Test fixture: the reference server as users run it, the built CLI (`node packages/cli/dist/bin.js
 * serve --port 0 --write-kubeconfig FILE ...`) on loopback, read back through the kubeconfig it wrote.
 * `npm test` builds before it runs vitest; the child process and temp dir go away with the scope.
 */
import * as Kubeconfig from "@tokenrequest/conformance/Kubeconfig"
import type { Endpoint } from "@tokenrequest/conformance/Endpoint"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
export const bin = path.join(root, "packages/cli/dist/bin.js")

export interface Served {
  readonly url: string
  readonly endpoint: Endpoint
  readonly kubeconfig: string
  readonly dir: string
}

/** Stops a child process: SIGTERM, then SIGKILL after 5 s; done at once when it already exited. */
export const stopChild = (c: ChildProcess): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (c.exitCode !== null || c.signalCode !== null) return resume(Effect.void)
    const timer = setTimeout(() => c.kill("SIGKILL"), 5_000)
    c.once("exit", () => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    c.kill("SIGTERM")
  })

/** Starts `tokenrequest serve` with extra flags; resolves once `listening on <url>` was printed. */
export const serve = (flags: ReadonlyArray<string> = []): Effect.Effect<Served, Error, Scope.Scope> =>
  Effect.gen(function*() {
    if (!fs.existsSync(bin)) return yield* Effect.fail(new Error(`${bin} is missing: run npx tsc -b first`))
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "tokenrequest-conformance-"))),
      (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
    )
    const kubeconfig = path.join(dir, "kubeconfig")
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, [bin, "serve", "--port", "0", "--cert-dir", path.join(dir, "certs"), "--write-kubeconfig", kubeconfig, ...flags], {
          cwd: dir,
          stdio: ["ignore", "pipe", "pipe"]
        })
      ),
      stopChild
    )
    let stderr = ""
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    const url = yield* Effect.async<string, Error>((resume) => {
      let stdout = ""
      const timer = setTimeout(() => resume(Effect.fail(new Error(`no "listening on" line within 30 s; stderr: ${stderr}`))), 30_000)
      child.stdout!.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8")
        const first = stdout.split("\n")[0]!
        if (stdout.includes("\n")) {
          clearTimeout(timer)
          const match = /^listening on (\S+)$/.exec(first)
          resume(match ? Effect.succeed(match[1]!) : Effect.fail(new Error(`unexpected first line: ${first}`)))
        }
      })
      child.once("exit", (code) => {
        clearTimeout(timer)
        resume(Effect.fail(new Error(`serve exited with ${code}: ${stderr}`)))
      })
    })
    // The kubeconfig is written around the first line; wait for it briefly.
    for (let i = 0; i < 50 && !fs.existsSync(kubeconfig); i++) yield* Effect.sleep("100 millis")
    const read = yield* Effect.mapError(Kubeconfig.read(kubeconfig), (e) => new Error(e.message))
    return { url, kubeconfig, dir, endpoint: { server: read.server ?? url, ...read } }
  })
