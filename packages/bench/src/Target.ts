/**
 * The servers under test, started on `127.0.0.1` with a free port: `ours` is the reference server
 * (`@tokenrequest/server`'s `Server.start`, plain HTTP, memory store, the static admin token,
 * AlwaysAllow) and `baseline` the minimal `node:http` server of `Baseline`. Both load the same key
 * file. By default each runs in its own child process (so the load generator does not share its
 * event loop, and memory is measured per server); `startInProcess` runs one inside the caller
 * (the smoke test).
 *
 * @since 0.1.0
 */
import { fork } from "node:child_process"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { KubeObject } from "@tokenrequest/domain/KubeObject"
import * as Baseline from "./Baseline.js"
import * as Fixture from "./Fixture.js"

/**
 * Which server.
 *
 * @since 0.1.0
 * @category models
 */
export type Kind = "ours" | "baseline"

/**
 * What to start.
 *
 * @since 0.1.0
 * @category models
 */
export interface Spec {
  readonly kind: Kind
  readonly algorithm: Fixture.Algorithm
  readonly keyFile: string
  /** Extra objects loaded at start (ServiceAccounts, Pods and Secrets over 100 namespaces). */
  readonly objects?: number | undefined
  /** Our server's token cache (`Server.Options.tokenCache`); default on. */
  readonly tokenCache?: boolean | undefined
  /**
   * Our server in this many worker processes (`Workers.start`, as `tokenrequest serve --workers N`);
   * default 1: `Server.start` in the process itself.
   */
  readonly workers?: number | undefined
}

/**
 * Heap and resident set, in bytes, after a full garbage collection when available.
 *
 * @since 0.1.0
 * @category models
 */
export interface Memory {
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
  readonly arrayBuffers: number
  readonly collected: boolean
}

/**
 * A running server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Running {
  readonly spec: Spec
  readonly url: string
  /** The server's memory (its own process when it runs in a child). */
  readonly memory: () => Promise<Memory>
  readonly close: () => Promise<void>
}

/**
 * `count` objects: Namespaces `bench-0` … `bench-99`, then ServiceAccounts, Pods and Secrets in
 * turn, spread over them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const objects = (count: number): Array<KubeObject> => {
  const result: Array<KubeObject> = []
  const namespaces = Math.min(100, count)
  for (let i = 0; i < namespaces; i++) result.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: `bench-${i}` } })
  for (let i = 0; result.length < count; i++) {
    const namespace = `bench-${i % namespaces}`
    const name = `object-${i}`
    switch (i % 3) {
      case 0:
        result.push({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } })
        break
      case 1:
        result.push({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, namespace, labels: { app: `app-${i % 50}` } },
          spec: { serviceAccountName: `object-${i - 1}`, nodeName: `node-${i % 20}` }
        })
        break
      default:
        result.push({
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name, namespace, annotations: { "kubernetes.io/service-account.name": `object-${i - 2}` } },
          type: "kubernetes.io/service-account-token"
        })
    }
  }
  return result
}

/**
 * Memory after full collections. V8 returns freed pages to the system from a background task a
 * little after a collection, so the resident set is read after a pause and a second collection.
 */
const memoryNow = async (): Promise<Memory> => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 500))
    gc()
    gc()
  }
  const m = process.memoryUsage()
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    collected: gc !== undefined
  }
}

const listen = async (
  listener: http.RequestListener,
  dispose: () => Promise<void> = async () => {}
): Promise<{ url: string; close: () => Promise<void> }> => {
  const server = http.createServer({ keepAlive: true }, listener)
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }).then(dispose)
  }
}

const startBaseline = async (spec: Spec): Promise<{ url: string; close: () => Promise<void> }> => {
  const key = Baseline.makeKey(spec.algorithm, fs.readFileSync(spec.keyFile, "utf8"))
  const serviceAccounts = new Map<string, string>([
    [`${Fixture.serviceAccount.namespace}/${Fixture.serviceAccount.name}`, randomUUID()]
  ])
  for (const object of objects(spec.objects ?? 0)) {
    if (object.kind === "ServiceAccount") {
      serviceAccounts.set(`${object.metadata.namespace}/${object.metadata.name}`, randomUUID())
    }
  }
  return listen(Baseline.listener({
    key,
    issuer: Fixture.issuer,
    apiAudiences: [Fixture.issuer],
    serviceAccounts,
    adminToken: Fixture.adminToken
  }))
}

/**
 * The start of our server. A function of its own, so that the options (which hold every initial
 * object) are not in a scope that the running server's closures keep alive.
 */
const startingOurs = async (spec: Spec): Promise<Effect.Effect<{ readonly url: string }, unknown, Scope.Scope>> => {
  // Loaded here, so that a baseline process does not carry the server's modules.
  const Server = await import("@tokenrequest/server/Server")
  const options = {
    bindAddress: "127.0.0.1",
    port: 0,
    insecurePlainHttp: true,
    serviceAccountIssuer: [Fixture.issuer],
    serviceAccountSigningKeyFile: spec.keyFile,
    adminToken: Fixture.adminToken,
    authorizationMode: "AlwaysAllow",
    initialObjects: objects(spec.objects ?? 0),
    ...(spec.tokenCache === false ? { tokenCache: false } : {})
  } as NonNullable<Parameters<typeof Server.start>[0]>
  const workers = spec.workers ?? 1
  if (workers <= 1) return Server.start(options)
  const Workers = await import("@tokenrequest/server/Workers")
  return Workers.start(options, workers)
}

const startOurs = async (spec: Spec): Promise<{ url: string; close: () => Promise<void> }> => {
  const scope = Effect.runSync(Scope.make())
  const running = await Effect.runPromise(Scope.extend(await startingOurs(spec), scope)).catch(async (error: unknown) => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw error
  })
  return { url: running.url, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/**
 * Starts a server inside this process.
 *
 * @since 0.1.0
 * @category constructors
 */
export const startInProcess = async (spec: Spec): Promise<Running> => {
  const started = spec.kind === "ours"
    ? await startOurs(spec)
    : await startBaseline(spec)
  return { spec, url: started.url, memory: memoryNow, close: started.close }
}

/**
 * Options of a child-process server.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChildOptions {
  /** Write a V8 CPU profile of the child into this directory (`node --cpu-prof`). */
  readonly cpuProfileDirectory?: string | undefined
  /** Bound on the start, in milliseconds. Default 60 s. */
  readonly startTimeoutMillis?: number | undefined
}

type FromChild =
  | { readonly type: "listening"; readonly url: string }
  | { readonly type: "failed"; readonly error: string }
  | { readonly type: "memory"; readonly id: number; readonly memory: Memory }

type ToChild = { readonly type: "memory"; readonly id: number } | { readonly type: "close" }

const childEntry = fileURLToPath(new URL("./serve.js", import.meta.url))

/**
 * Starts a server in a child process (`serve.js` of the built package), with `--expose-gc` so its
 * memory is measured after a full collection.
 *
 * @since 0.1.0
 * @category constructors
 */
export const startChild = (spec: Spec, options: ChildOptions = {}): Promise<Running> =>
  new Promise((resolve, reject) => {
    const execArgv = [
      "--expose-gc",
      ...(options.cpuProfileDirectory !== undefined
        ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDirectory}`, `--cpu-prof-name=${spec.kind}-${spec.algorithm}-${Date.now()}.cpuprofile`]
        : [])
    ]
    const child = fork(childEntry, [JSON.stringify(spec)], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] })
    const pending = new Map<number, (memory: Memory) => void>()
    let nextId = 0
    let settled = false
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      child.kill("SIGKILL")
      reject(new Error(`${spec.kind} ${spec.algorithm}: no answer within the start timeout`))
    }, options.startTimeoutMillis ?? 60_000)
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
    child.once("exit", (code, signal) => {
      for (const waiting of pending.values()) waiting({ rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0, collected: false })
      pending.clear()
      if (!settled) {
        settled = true
        clearTimeout(timer)
        reject(new Error(`${spec.kind} ${spec.algorithm}: exited at start (${code ?? signal})`))
      }
    })
    child.on("message", (message: FromChild) => {
      if (message.type === "memory") {
        pending.get(message.id)?.(message.memory)
        pending.delete(message.id)
        return
      }
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (message.type === "failed") {
        child.kill("SIGKILL")
        reject(new Error(`${spec.kind} ${spec.algorithm}: ${message.error}`))
        return
      }
      const send = (m: ToChild) => {
        if (child.connected) child.send(m)
      }
      resolve({
        spec,
        url: message.url,
        memory: () =>
          new Promise((done) => {
            const id = nextId++
            pending.set(id, done)
            send({ type: "memory", id })
          }),
        close: async () => {
          send({ type: "close" })
          const killer = setTimeout(() => child.kill("SIGKILL"), 10_000)
          await exited
          clearTimeout(killer)
        }
      })
    })
  })

/**
 * The child side: starts the server described by `argv[2]` and answers the parent's messages.
 *
 * @since 0.1.0
 * @category running
 */
export const runChild = async (): Promise<void> => {
  const send = (message: FromChild) => process.send?.(message)
  let running: Running
  try {
    running = await startInProcess(JSON.parse(process.argv[2] ?? "{}") as Spec)
  } catch (error) {
    send({ type: "failed", error: error instanceof Error ? error.message : String(error) })
    process.exit(1)
  }
  process.on("message", (message: ToChild) => {
    if (message.type === "memory") {
      void memoryNow().then((memory) => send({ type: "memory", id: message.id, memory }))
      return
    }
    // Closing ends the event loop; exit then writes the CPU profile.
    running.close().finally(() => process.exit(0))
  })
  process.on("disconnect", () => {
    running.close().finally(() => process.exit(0))
  })
  send({ type: "listening", url: running.url })
}
