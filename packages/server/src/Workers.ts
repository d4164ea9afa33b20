/**
 * `tokenrequest serve --workers N`: the reference server in N worker processes (`node:cluster`)
 * sharing one listening socket, with the behaviour of one server. The primary process resolves once
 * everything that must be the same in every worker — the configuration (checked once, errors as in
 * one process), the generated admin token, the generated signing key, the serving certificate
 * directory and, with `--port 0`, the port — and starts each worker's `Server.start` with those
 * explicit options. Objects: with `--store etcd` every worker uses etcd; with the memory store the
 * primary holds the store and each worker a replica (`ReplicatedStore`), so a write through one
 * worker is visible on every worker before it returns.
 *
 * The first worker (the leader) loads `--objects`, writes the kubeconfig and prints the startup
 * lines, which the primary prints once every worker is up. A worker that dies is replaced (logged
 * on stderr); SIGTERM/SIGINT of the primary stop every worker gracefully; SIGHUP is passed on
 * (key files reload). Workers ignore SIGTERM/SIGINT/SIGHUP sent to them directly (a terminal's
 * Ctrl-C reaches the whole process group): they follow the primary, and stop when it is gone.
 *
 * @since 0.1.0
 */
import cluster, { type Worker } from "node:cluster"
import * as fs from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import type { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as MemoryStore from "@tokenrequest/store-memory/MemoryStore"
import * as Configuration from "./Configuration.js"
import * as Wire from "./internal/storeWire.js"
import * as ReplicatedStore from "./ReplicatedStore.js"
import * as Server from "./Server.js"
import * as ServingCertificate from "./ServingCertificate.js"

/**
 * A running group of workers, as one server.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningWorkers extends Omit<Server.RunningServer, "metrics" | "store"> {
  /** The primary's object store with the memory store (write it through the workers' API only). */
  readonly store: ObjectStore["Type"] | undefined
  /** The process ids of the workers alive now. */
  readonly workers: () => ReadonlyArray<number>
}

/**
 * The worker processes' entry module (`worker.js` next to this one).
 *
 * @since 0.1.0
 * @category constants
 */
export const workerEntry: string = fileURLToPath(new URL("./worker.js", import.meta.url))

const tag = "tokenrequest/workers" as const

/** The options a worker receives: the serializable part of `Server.Options`. */
type WorkerOptions = Omit<Server.Options, "print" | "printWarning" | "auditSink" | "objectStore" | "initialObjects" | "limits"> & {
  readonly initialObjects?: ReadonlyArray<Wire.Encoded> | undefined
  /** `Infinity` ("no limit") as the text `"Infinity"`: IPC messages are JSON, which has no infinite numbers. */
  readonly limits?: Readonly<Record<string, number | "Infinity">> | undefined
}

const encodeLimits = (limits: Partial<Server.Limits>): Record<string, number | "Infinity"> =>
  Object.fromEntries(Object.entries(limits).map(([name, value]) => [name, value === Infinity ? "Infinity" : value]))

const decodeLimits = (limits: Readonly<Record<string, number | "Infinity">>): Partial<Server.Limits> =>
  Object.fromEntries(Object.entries(limits).map(([name, value]) => [name, value === "Infinity" ? Infinity : value]))

type ToWorker =
  | {
    readonly t: typeof tag
    readonly op: "start"
    readonly leader: boolean
    readonly replicated: boolean
    /** The leader adopts the objects the primary seeded. */
    readonly adopt: boolean
    readonly options: WorkerOptions
  }
  | { readonly t: typeof tag; readonly op: "stop" }

type Ready = Omit<RunningWorkers, "adminToken" | "store" | "workers">

type ToPrimary =
  | { readonly t: typeof tag; readonly op: "hello" }
  | ({ readonly t: typeof tag; readonly op: "ready" } & Ready)
  | { readonly t: typeof tag; readonly op: "failed"; readonly description: string }
  | { readonly t: typeof tag; readonly op: "print"; readonly line: string }
  | { readonly t: typeof tag; readonly op: "warn"; readonly line: string }

const isOurs = (message: unknown): boolean =>
  typeof message === "object" && message !== null && (message as { t?: unknown }).t === tag

const stopGraceMillis = 10_000

const freePort = (host: string) =>
  Effect.async<number, Configuration.ConfigurationError>((resume) => {
    const server = net.createServer()
    server.once("error", (error) => resume(Effect.fail(fail(`--bind-address ${host} --port 0: ${error.message}`))))
    server.listen({ port: 0, host, exclusive: true }, () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resume(Effect.succeed(port)))
    })
  })

const fail = (description: string) => new Configuration.ConfigurationError({ description })

const stderrLogger = Logger.make((options) => {
  process.stderr.write(`${Logger.logfmtLogger.log(options)}\n`)
})

const withStderrLogger = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.locallyWith(effect, FiberRef.currentLoggers, (loggers) =>
    loggers.pipe(
      HashSet.remove(Logger.defaultLogger),
      HashSet.remove(Logger.prettyLoggerDefault),
      HashSet.add(stderrLogger)
    ))

const serializable = (options: Server.Options): WorkerOptions => {
  const {
    auditSink: _auditSink,
    initialObjects,
    limits,
    objectStore: _objectStore,
    print: _print,
    printWarning: _printWarning,
    ...rest
  } = options
  return {
    ...rest,
    ...(initialObjects === undefined ? {} : { initialObjects: initialObjects.map(Wire.encodeObject) }),
    ...(limits === undefined ? {} : { limits: encodeLimits(limits) })
  }
}

/**
 * Starts `count` workers in the current scope (closing it stops them). With `count` 1 it still runs
 * one worker process; `serve` runs `Server.serve` in this process instead. Options that hold the
 * embedding program's own objects (`auditSink`, `objectStore`) cannot reach the workers and fail the
 * start.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (
  options: Server.Options,
  count: number
): Effect.Effect<RunningWorkers, Server.StartError, Scope.Scope> =>
  Effect.gen(function*() {
    if (!Number.isInteger(count) || count < 1) return yield* fail(`--workers: ${count} must be a positive integer`)
    if (!cluster.isPrimary) return yield* fail("--workers: a worker process cannot start workers")
    // Objects of the embedding program cannot cross into worker processes: refuse rather than drop them.
    for (const name of ["auditSink", "objectStore"] as const) {
      if (options[name] !== undefined) {
        return yield* fail(`--workers: the ${name} option cannot reach worker processes; start one process (Server.start) to use it`)
      }
    }
    const print = options.print ?? (() => {})
    const printWarning = options.printWarning ?? (() => {})
    const configuration = yield* Configuration.resolve(options)

    // What every worker must share, resolved once.
    if (configuration.temporaryCertDir) {
      yield* Effect.addFinalizer(() => Effect.promise(() => fs.rm(configuration.certDir!, { recursive: true, force: true })))
    }
    let keyOptions: Partial<WorkerOptions> = {}
    if (configuration.ephemeralKey && configuration.keys._tag === "Pem" && configuration.keys.signingKey !== undefined) {
      const signingKey = configuration.keys.signingKey
      const directory = yield* Effect.acquireRelease(
        Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "tokenrequest-workers-"))),
        (directory) => Effect.promise(() => fs.rm(directory, { recursive: true, force: true }))
      )
      const keyFile = path.join(directory, "service-account.key")
      yield* Effect.promise(() => fs.writeFile(keyFile, signingKey, { mode: 0o600 }))
      const keyFiles = options.serviceAccountKeyFile ?? []
      // The same signing key and the same verification keys as the ephemeral key ring.
      keyOptions = { serviceAccountSigningKeyFile: keyFile, serviceAccountKeyFile: keyFiles.length > 0 ? [keyFile, ...keyFiles] : [] }
    }
    const shared: WorkerOptions = {
      ...serializable(options),
      ...keyOptions,
      ...(configuration.adminToken === undefined ? {} : { adminToken: Redacted.value(configuration.adminToken) }),
      ...(configuration.certDir === undefined ? {} : { certDir: configuration.certDir })
    }
    const ephemeralWarning = configuration.ephemeralKey
      ? configuration.warnings.find((warning) => warning.startsWith("no --service-account-signing-key-file"))
      : undefined

    // The object store: the primary's, replicated, unless etcd.
    const replicated = configuration.store._tag === "Memory"
    const store = replicated ? yield* MemoryStore.make : undefined
    const live = new Map<Worker, () => void>()
    const storeHost = store === undefined ? undefined : ReplicatedStore.host(store, {
      onStuck: (channel) => {
        for (const worker of live.keys()) {
          if (channelOf.get(worker) === channel && worker.process.exitCode === null) {
            process.stderr.write(`worker ${worker.process.pid} did not apply a store change in time; restarting it\n`)
            worker.process.kill("SIGKILL")
          }
        }
      }
    })
    const channelOf = new WeakMap<Worker, ReplicatedStore.Channel>()
    // The objects are created here, once and fast; the leader adopts them as it seeds (same uids,
    // and the same examples in the startup lines as one process prints).
    if (storeHost !== undefined) {
      yield* storeHost.seed(configuration.objects).pipe(Effect.mapError((error) => fail(`--objects: ${error.message}`)))
    }

    cluster.setupPrimary({ exec: workerEntry, args: [], silent: false })
    let stopping = false
    let port = configuration.port
    let banner: Array<string> | undefined = []

    const startedAt = new WeakMap<Worker, number>()
    let running = false
    const launch = (leader: boolean, onStarted: (result: Exit.Exit<Ready, string>) => void): Worker => {
      const worker = cluster.fork()
      const channel: ReplicatedStore.Channel = {
        send: (message) => {
          if (!worker.isConnected()) return false
          try {
            worker.send(message as never)
            return true
          } catch {
            return false
          }
        },
        onMessage: (handler) => {
          worker.on("message", handler)
          return () => worker.off("message", handler)
        }
      }
      channelOf.set(worker, channel)
      live.set(worker, storeHost?.attach(channel) ?? (() => {}))
      let started = false
      const startedOnce = (result: Exit.Exit<Ready, string>) => {
        if (started) return
        started = true
        onStarted(result)
      }
      worker.on("message", (message: unknown) => {
        if (!isOurs(message)) return
        const m = message as ToPrimary
        switch (m.op) {
          case "hello":
            channel.send({
              t: tag,
              op: "start",
              leader,
              replicated,
              adopt: leader && replicated,
              options: { ...shared, port, ...(leader ? {} : { objects: [], initialObjects: [], writeKubeconfig: undefined }) }
            } satisfies ToWorker)
            return
          case "ready": {
            const { t: _t, op: _op, ...ready } = m
            return startedOnce(Exit.succeed(ready))
          }
          case "failed":
            return startedOnce(Exit.fail(m.description))
          case "print":
            if (banner === undefined) print(m.line)
            else banner.push(m.line)
            return
          case "warn":
            return printWarning(m.line)
        }
      })
      worker.on("exit", (code, signal) => {
        live.get(worker)?.()
        live.delete(worker)
        startedOnce(Exit.fail(`a worker exited before it was ready (${signal ?? `exit code ${code}`})`))
        // Before every worker is up, a failure fails the start instead.
        if (stopping || !running) return
        const began = startedAt.get(worker) ?? 0
        process.stderr.write(
          `worker ${worker.process.pid} exited (${signal ?? `exit code ${code}`}); starting another\n`
        )
        // A worker that fails right after its start is not restarted in a tight loop.
        const delay = Date.now() - began < 5_000 ? 1_000 : 0
        setTimeout(() => {
          if (!stopping) launch(false, () => {})
        }, delay).unref()
      })
      startedAt.set(worker, Date.now())
      return worker
    }

    const launchAndWait = (leader: boolean) =>
      Effect.async<Ready, Configuration.ConfigurationError>((resume) => {
        launch(leader, (result) => resume(Effect.mapError(result, fail)))
      })

    // Stopping: every worker is asked to stop (its server drains), then killed if it does not.
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        stopping = true
        const workers = [...live.keys()]
        if (workers.length === 0) return resume(Effect.void)
        let remaining = workers.length
        const timer = setTimeout(() => {
          for (const worker of workers) if (worker.process.exitCode === null) worker.process.kill("SIGKILL")
        }, stopGraceMillis)
        for (const worker of workers) {
          const exited = () => {
            remaining -= 1
            if (remaining === 0) {
              clearTimeout(timer)
              resume(Effect.void)
            }
          }
          if (worker.process.exitCode !== null || worker.process.signalCode !== null) exited()
          else {
            worker.once("exit", exited)
            if (worker.isConnected()) worker.send({ t: tag, op: "stop" } satisfies ToWorker as never)
            else worker.process.kill("SIGTERM")
          }
        }
      })
    )
    const forwardHangup = () => {
      for (const worker of live.keys()) worker.process.kill("SIGHUP")
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => process.on("SIGHUP", forwardHangup)),
      () => Effect.sync(() => process.off("SIGHUP", forwardHangup))
    )

    if (ephemeralWarning !== undefined) printWarning(`warning: ${ephemeralWarning}`)
    // `--port 0`: one free port for all (cluster shares a listening socket per address and port,
    // and a restarted worker must come back on the same one).
    if (port === 0) port = yield* freePort(configuration.bindAddress)
    // The serving certificate, generated once where every worker looks for it.
    if (!configuration.plainHttp && configuration.servingCertificate === undefined) {
      yield* ServingCertificate.inDirectory(configuration.certDir!, [configuration.bindAddress, "localhost", "127.0.0.1"]).pipe(
        Effect.mapError((error) => fail(error.message))
      )
    }
    // With the memory store all at once: the primary seeded the objects, the port and certificate
    // are known. With etcd the leader seeds etcd as it starts, so it starts first: the others' first
    // read of etcd then holds every seeded object (their watch would bring them only a moment later).
    const [first] = replicated
      ? yield* Effect.forEach(Array.from({ length: count }, (_, i) => i === 0), launchAndWait, { concurrency: "unbounded" })
      : [
        yield* launchAndWait(true),
        ...(yield* Effect.forEach(Array.from({ length: count - 1 }, () => false), launchAndWait, { concurrency: "unbounded" }))
      ]
    const lines = banner
    banner = undefined
    for (const line of lines) print(line)
    running = true

    return {
      ...first!,
      adminToken: configuration.adminToken ?? configuration.tokenFile?.users[0]?.token,
      store,
      workers: () => [...live.keys()].flatMap((worker) => worker.process.pid === undefined ? [] : [worker.process.pid])
    }
  })

/**
 * Runs `count` workers until interrupted (SIGTERM/SIGINT through the runtime), printing the
 * startup lines on stdout once, warnings and log lines on stderr. With `count` 1, `Server.serve`.
 *
 * @since 0.1.0
 * @category running
 */
export const serve = (options: Server.Options, count: number): Effect.Effect<never, Server.StartError> =>
  count === 1
    ? Server.serve(options)
    : withStderrLogger(Effect.scoped(
      Effect.zipRight(
        start({
          print: (line) => process.stdout.write(`${line}\n`),
          printWarning: (line) => process.stderr.write(`${line}\n`),
          ...options
        }, count),
        Effect.never
      )
    ))

/**
 * The worker process's side: waits for the primary's start message, runs `Server.start` with the
 * options it carries (and a replica of the primary's store), reports ready or failed, and stops
 * when told to or when the primary is gone.
 *
 * @since 0.1.0
 * @category running
 */
export const runWorker = (): void => {
  const ignore = () => {}
  process.on("SIGINT", ignore)
  process.on("SIGTERM", ignore)
  process.on("SIGHUP", ignore)
  const send = (message: unknown): boolean => {
    if (process.send === undefined || !process.connected) return false
    try {
      process.send(message)
      return true
    } catch {
      return false
    }
  }
  const channel: ReplicatedStore.Channel = {
    send,
    onMessage: (handler) => {
      process.on("message", handler)
      return () => process.off("message", handler)
    }
  }
  const scope = Effect.runSync(Scope.make())
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    void Effect.runPromise(Scope.close(scope, Exit.void)).finally(() => process.exit(0))
  }
  process.on("disconnect", stop)
  process.on("message", (message: unknown) => {
    if (!isOurs(message)) return
    const m = message as ToWorker
    if (m.op === "stop") return stop()
    if (m.op !== "start") return
    const { initialObjects, limits, ...rest } = m.options
    let seeding = m.adopt
    const options: Server.Options = {
      ...rest,
      ...(initialObjects === undefined ? {} : { initialObjects: initialObjects.map(Wire.decodeObject) }),
      ...(limits === undefined ? {} : { limits: decodeLimits(limits) }),
      print: m.leader ? (line) => send({ t: tag, op: "print", line } satisfies ToPrimary) : undefined,
      printWarning: m.leader ? (line) => send({ t: tag, op: "warn", line } satisfies ToPrimary) : undefined,
      reloadKeysOnSignal: true,
      objectStore: m.replicated ? ReplicatedStore.layerReplica(channel, { adopting: () => seeding }) : undefined
    }
    void Effect.runPromiseExit(withStderrLogger(Scope.extend(Server.start(options), scope))).then((exit) => {
      seeding = false
      if (Exit.isSuccess(exit)) {
        const running = exit.value
        send({
          t: tag,
          op: "ready",
          url: running.url,
          port: running.port,
          issuers: running.issuers,
          apiAudiences: running.apiAudiences,
          certificateAuthority: running.certificateAuthority,
          certificateFile: running.certificateFile,
          kubeconfig: running.kubeconfig
        } satisfies ToPrimary)
        return
      }
      const failure = Cause.failureOption(exit.cause)
      const description = failure._tag === "Some" ? failure.value.description : Cause.pretty(exit.cause)
      send({ t: tag, op: "failed", description } satisfies ToPrimary)
      void Effect.runPromise(Scope.close(scope, exit)).finally(() => process.exit(1))
    })
  })
  send({ t: tag, op: "hello" } satisfies ToPrimary)
}
