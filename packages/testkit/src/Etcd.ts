/**
 * A real etcd for tests: the `etcd` binary (Debian `etcd-server`, or `$ETCD_BIN`) on free loopback
 * ports with a temporary data directory. It can be killed, stopped and started again on the same
 * ports and data, and the scope that started it kills it and removes the directory.
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import * as path from "node:path"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"

/**
 * etcd could not be started, or did not become healthy in time.
 *
 * @since 0.1.0
 * @category errors
 */
export class EtcdStartError extends Data.TaggedError("EtcdStartError")<{ readonly message: string }> {}

/**
 * A running (or stopped) test etcd.
 *
 * @since 0.1.0
 * @category models
 */
export interface EtcdServer {
  /** `http://127.0.0.1:<port>`, for `--etcd-servers` and the etcd store's `endpoints`. */
  readonly endpoint: string
  readonly dataDir: string
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  readonly kill: Effect.Effect<void>
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  readonly stop: Effect.Effect<void>
  /** Starts etcd again on the same ports and data directory and waits until it is healthy. */
  readonly start: Effect.Effect<void, EtcdStartError>
  /** Whether the process is running. */
  readonly running: Effect.Effect<boolean>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Etcd extends Context.Tag("@tokenrequest/testkit/Etcd")<Etcd, EtcdServer>() {}

/** Processes still running, killed if this process exits before their scope closes. */
const live = new Set<ChildProcess>()
let exitHookInstalled = false
const track = (child: ChildProcess) => {
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once("exit", () => {
      for (const c of live) c.kill("SIGKILL")
    })
  }
  live.add(child)
  child.once("exit", () => live.delete(child))
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once("exit", () => resolve()))

const healthy = async (endpoint: string): Promise<boolean> => {
  try {
    const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) })
    const body = (await response.json()) as { health?: string }
    return response.ok && body.health === "true"
  } catch {
    return false
  }
}

/**
 * Starts etcd and registers its clean-up (kill, remove the data directory) in the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: {
  /** How long to wait for `/health` on each start; default 20 s. */
  readonly startTimeoutMillis?: number | undefined
}): Effect.Effect<EtcdServer, EtcdStartError, Scope.Scope> =>
  Effect.gen(function*() {
    const binary = process.env["ETCD_BIN"] ?? "etcd"
    const timeout = options?.startTimeoutMillis ?? 20_000
    const dataDir = yield* Effect.acquireRelease(
      Effect.promise(() => mkdtemp(path.join(tmpdir(), "tokenrequest-etcd-"))),
      (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )
    const clientPort = yield* Effect.promise(freePort)
    const peerPort = yield* Effect.promise(freePort)
    const endpoint = `http://127.0.0.1:${clientPort}`
    const peer = `http://127.0.0.1:${peerPort}`
    let child: ChildProcess | undefined
    let output = ""

    const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null

    const startOnce = Effect.tryPromise({
      try: async () => {
        output = ""
        const proc = spawn(binary, [
          "--name", "test",
          "--data-dir", path.join(dataDir, "data"),
          "--listen-client-urls", endpoint,
          "--advertise-client-urls", endpoint,
          "--listen-peer-urls", peer,
          "--initial-advertise-peer-urls", peer,
          "--initial-cluster", `test=${peer}`,
          "--logger", "zap",
          "--log-level", "error"
        ], { stdio: ["ignore", "pipe", "pipe"] })
        child = proc
        track(proc)
        const keep = (chunk: Buffer) => {
          output = (output + chunk.toString("utf8")).slice(-4000)
        }
        proc.stdout?.on("data", keep)
        proc.stderr?.on("data", keep)
        const failedToSpawn = new Promise<never>((_, reject) => proc.once("error", reject))
        failedToSpawn.catch(() => {})
        const deadline = Date.now() + timeout
        while (Date.now() < deadline) {
          if (!isRunning()) throw new Error(`etcd exited with ${proc.exitCode ?? proc.signalCode}: ${output.trim()}`)
          if (await Promise.race([healthy(endpoint), failedToSpawn])) return
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        proc.kill("SIGKILL")
        await exited(proc)
        throw new Error(`etcd at ${endpoint} not healthy after ${timeout} ms: ${output.trim()}`)
      },
      catch: (error) => new EtcdStartError({ message: `cannot start ${binary}: ${(error as Error).message ?? error}` })
    })

    const kill = Effect.promise(async () => {
      if (child === undefined || !isRunning()) return
      child.kill("SIGKILL")
      await exited(child)
    })

    const stop = Effect.promise(async () => {
      if (child === undefined || !isRunning()) return
      const proc = child
      proc.kill("SIGTERM")
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000)
      await exited(proc)
      clearTimeout(timer)
    })

    const start = Effect.suspend(() => (isRunning() ? Effect.void : startOnce))

    yield* Effect.acquireRelease(start, () => kill)
    return { endpoint, dataDir, kill, stop, start, running: Effect.sync(isRunning) } satisfies EtcdServer
  })

/**
 * A test etcd for the lifetime of the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Parameters<typeof make>[0]): Layer.Layer<Etcd, EtcdStartError> =>
  Layer.scoped(Etcd, make(options))
