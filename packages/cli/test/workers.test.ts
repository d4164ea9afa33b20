/**
 * `tokenrequest serve --workers 2` through the built binary, on loopback HTTPS: every request opens a
 * fresh connection, so consecutive requests land on different workers (the primary hands
 * connections out in turn). One server for the file; the last test stops it.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as ObjectStore from "@tokenrequest/domain/ObjectStore"
import * as Workers from "@tokenrequest/server/Workers"
import * as Etcd from "@tokenrequest/testkit/Etcd"
import { type ChildProcess, spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as https from "node:https"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll } from "vitest"
import { binary, build, lines, repositoryRoot, run } from "./fixtures/binary.js"
import { objects } from "./fixtures/referenceServer.js"

interface Started {
  readonly child: ChildProcess
  readonly dir: string
  readonly url: string
  readonly ca: string
  readonly token: string
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exited: Promise<number | null>
}

let server: Started | undefined

const waitFor = async (what: string, check: () => boolean, timeoutMillis = 30_000) => {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMillis) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const startServer = async (extraArgs: ReadonlyArray<string> = []): Promise<Started> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tokenrequest-workers-test-"))
  fs.writeFileSync(path.join(dir, "objects.yaml"), objects)
  const kubeconfig = path.join(dir, "kubeconfig")
  const child = spawn(process.execPath, [
    binary, "serve", "--workers", "2", "--port", "0", "--cert-dir", path.join(dir, "certs"),
    "--write-kubeconfig", kubeconfig, "--objects", path.join(dir, "objects.yaml"), ...extraArgs
  ], { cwd: repositoryRoot, stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  try {
    // The banner's last line is the discovery curl.
    await waitFor("the banner", () => /\.well-known\/openid-configuration\n/.test(stdout) || child.exitCode !== null)
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}`)
  } catch (error) {
    child.kill("SIGKILL")
    fs.rmSync(dir, { recursive: true, force: true })
    throw new Error(`${(error as Error).message}\n${stdout}\n${stderr}`)
  }
  const config = JSON.parse(fs.readFileSync(kubeconfig, "utf8"))
  return {
    child,
    dir,
    url: /^listening on (\S+)$/m.exec(stdout)![1]!,
    ca: Buffer.from(config.clusters[0].cluster["certificate-authority-data"], "base64").toString("utf8"),
    token: config.users[0].user.token,
    stdout: () => stdout,
    stderr: () => stderr,
    exited
  }
}

const stopServer = async (s: Started) => {
  if (s.child.exitCode === null && s.child.signalCode === null) {
    s.child.kill("SIGTERM")
    const killer = setTimeout(() => s.child.kill("SIGKILL"), 15_000)
    await s.exited
    clearTimeout(killer)
  }
  fs.rmSync(s.dir, { recursive: true, force: true })
}

beforeAll(async () => {
  build()
  server = await startServer()
}, 240_000)

/** Stops a server and kills any worker it left behind. */
const stopAll = async (s: Started | undefined) => {
  if (s === undefined) return
  const pids = workerPids(s.child.pid!)
  await stopServer(s)
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL")
}

afterAll(() => stopAll(server), 30_000)

/** One request on a fresh connection. */
const callOn = (
  target: Started,
  method: string,
  pathname: string,
  body?: unknown,
  token: string | undefined = target.token,
  idleTimeoutMillis = 10_000
) =>
  Effect.async<{ status: number; body: any; text: string }, Error>((resume) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = https.request(`${target.url}${pathname}`, {
      method,
      ca: target.ca,
      agent: false,
      timeout: idleTimeoutMillis,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(payload === undefined ? {} : { "content-type": "application/json" })
      }
    }, (res) => {
      let text = ""
      res.on("data", (c: Buffer) => (text += c.toString("utf8")))
      res.on("end", () => {
        let parsed: unknown = undefined
        try {
          parsed = JSON.parse(text)
        } catch {
          // not JSON
        }
        resume(Effect.succeed({ status: res.statusCode ?? 0, body: parsed, text }))
      })
    })
    req.on("timeout", () => req.destroy(new Error(`${method} ${pathname}: timed out`)))
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end(payload)
    return Effect.sync(() => req.destroy())
  })

const call = (method: string, pathname: string, body?: unknown, token: string | undefined = server!.token) =>
  callOn(server!, method, pathname, body, token)

const workerPids = (primary: number): Array<number> =>
  fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8")
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      return ppid === primary ? [Number(entry)] : []
    } catch {
      return []
    }
  })

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Requests this worker answered before, from its own `/metrics`. */
const requestsSeen = (metrics: string) =>
  metrics.split("\n").filter((line) => line.startsWith("tokenrequest_requests_total{")).reduce(
    (sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)),
    0
  )

const issue = (namespace: string, name: string, spec: Record<string, unknown> = {}) =>
  call("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, { spec })

const review = (token: string) =>
  Effect.map(
    call("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token }
    }),
    (answer) => {
      assert.strictEqual(answer.status, 201, answer.text)
      return answer.body.status as { authenticated?: boolean; error?: string }
    }
  )

describe("serve --workers: start errors", () => {
  it.live("a bad flag ends the start with one line and exit code 2, before any worker starts", () =>
    Effect.gen(function*() {
      const args = ["serve", "--port", "0", "--service-account-signing-key-file", "/nonexistent/key.pem"]
      const single = yield* run(args)
      const bad = yield* run([...args, "--workers", "2"])
      assert.strictEqual(bad.code, 2, bad.stderr)
      assert.strictEqual(bad.stdout, "")
      assert.lengthOf(lines(bad.stderr), 1)
      // Word for word what one process says.
      assert.deepStrictEqual({ ...bad }, { ...single })
      const zero = yield* run(["serve", "--workers", "0", "--port", "0"])
      assert.strictEqual(zero.code, 2, zero.stderr)
      assert.deepStrictEqual(lines(zero.stderr), ["error: --workers: 0 must be a positive integer"])
    }))

  it.live("an embedding program's audit sink or object store is refused, not silently dropped", () =>
    Effect.gen(function*() {
      const sink = { record: () => Effect.void }
      const withSink = yield* Effect.flip(Effect.scoped(Workers.start({ port: 0, auditSink: sink }, 2)))
      assert.strictEqual(
        withSink.message,
        "--workers: the auditSink option cannot reach worker processes; start one process (Server.start) to use it"
      )
      const withStore = yield* Effect.flip(Effect.scoped(Workers.start({ port: 0, objectStore: ObjectStore.layerMemory() }, 2)))
      assert.include(withStore.message, "the objectStore option cannot reach worker processes")
    }))
})

describe("serve --workers 2", () => {
  it.live("two worker processes answer, with one banner, one admin token and one key set", () =>
    Effect.gen(function*() {
      const s = server!
      const lines = s.stdout().split("\n")
      assert.match(lines[0]!, /^listening on https:\/\/127\.0\.0\.1:\d+$/)
      assert.strictEqual(lines.filter((l) => l.startsWith("listening on ")).length, 1)
      assert.strictEqual(lines.filter((l) => l.startsWith("admin token ")).length, 1)
      assert.include(s.stdout(), `admin token (user "admin", group "system:masters"): ${s.token}`)
      assert.include(s.stdout(), "kubectl create token builder -n ci --bound-object-kind Pod --bound-object-name runner")
      assert.strictEqual(s.stderr().match(/ephemeral ES256 key/g)?.length, 1, s.stderr())
      assert.lengthOf(workerPids(s.child.pid!), 2)

      const jwks = new Set<string>()
      const discovery = new Set<string>()
      for (let i = 0; i < 6; i++) {
        const keys = yield* call("GET", "/openid/v1/jwks", undefined, undefined)
        assert.strictEqual(keys.status, 200)
        jwks.add(keys.text)
        discovery.add((yield* call("GET", "/.well-known/openid-configuration", undefined, undefined)).text)
      }
      assert.strictEqual(jwks.size, 1)
      assert.strictEqual(discovery.size, 1)
      assert.include([...discovery][0], `"issuer":"${s.url}"`)
      // The objects of --objects, with the same uid from every worker.
      const uids = new Set<string>()
      for (let i = 0; i < 4; i++) {
        const pod = yield* call("GET", "/api/v1/namespaces/ci/pods/runner")
        assert.strictEqual(pod.status, 200, pod.text)
        uids.add(pod.body.metadata.uid)
      }
      assert.strictEqual(uids.size, 1)
      const counts: Array<number> = []
      for (let i = 0; i < 6; i++) {
        const metrics = yield* call("GET", "/metrics")
        assert.strictEqual(metrics.status, 200, metrics.text)
        counts.push(requestsSeen(metrics.text))
      }
      // One process's count only grows; two processes answering in turn show a count going back.
      assert.isTrue(counts.some((count, i) => i > 0 && count <= counts[i - 1]!), `counts ${counts.join(",")}`)
    }))

  it.live("a ServiceAccount created through one worker gets tokens from every worker at once", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 6; i++) {
        const created = yield* call("POST", "/api/v1/namespaces/ci/serviceaccounts", {
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: `deployer-${i}` }
        })
        assert.strictEqual(created.status, 201, created.text)
        for (let j = 0; j < 2; j++) {
          const issued = yield* issue("ci", `deployer-${i}`)
          assert.strictEqual(issued.status, 201, issued.text)
          assert.strictEqual(
            JSON.parse(Buffer.from(issued.body.status.token.split(".")[1], "base64url").toString()).sub,
            `system:serviceaccount:ci:deployer-${i}`
          )
        }
      }
    }))

  it.live("a token issued by one worker is accepted by the others", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 3; i++) {
        const issued = yield* issue("ci", "builder")
        assert.strictEqual(issued.status, 201, issued.text)
        for (let j = 0; j < 3; j++) {
          const status = yield* review(issued.body.status.token)
          assert.isTrue(status.authenticated, JSON.stringify(status))
        }
      }
    }))

  it.live("a Pod-bound token is rejected by every worker as soon as the Pod's deletion returns", () =>
    Effect.gen(function*() {
      const pod = yield* call("POST", "/api/v1/namespaces/ci/pods", {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "short-lived" },
        spec: { serviceAccountName: "builder", containers: [{ name: "main", image: "busybox" }] }
      })
      assert.strictEqual(pod.status, 201, pod.text)
      const issued = yield* issue("ci", "builder", { boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "short-lived" } })
      assert.strictEqual(issued.status, 201, issued.text)
      const token = issued.body.status.token as string
      // Reviewed on both workers first, so each has it in its token cache.
      for (let i = 0; i < 4; i++) assert.isTrue((yield* review(token)).authenticated)
      const deleted = yield* call("DELETE", "/api/v1/namespaces/ci/pods/short-lived")
      assert.strictEqual(deleted.status, 200, deleted.text)
      for (let i = 0; i < 6; i++) {
        const status = yield* review(token)
        assert.isFalse(status.authenticated ?? false, JSON.stringify(status))
        assert.strictEqual(status.error, "[invalid bearer token, service account token has been invalidated]")
      }
    }))

  it.live("a killed worker is replaced, with the same objects and keys, and the server keeps answering", () =>
    Effect.gen(function*() {
      const s = server!
      const jwksBefore = (yield* call("GET", "/openid/v1/jwks", undefined, undefined)).text
      const before = workerPids(s.child.pid!)
      assert.lengthOf(before, 2)
      process.kill(before[0]!, "SIGKILL")
      yield* Effect.promise(() =>
        waitFor("a new worker", () => {
          const now = workerPids(s.child.pid!)
          return now.length === 2 && !now.includes(before[0]!)
        })
      )
      assert.include(s.stderr(), `worker ${before[0]} exited (SIGKILL); starting another`)
      // Until the new worker listens, the other one takes every connection.
      for (let i = 0; i < 10; i++) {
        const issued = yield* issue("ci", `deployer-${i % 6}`)
        assert.strictEqual(issued.status, 201, issued.text)
        assert.strictEqual((yield* call("GET", "/openid/v1/jwks", undefined, undefined)).text, jwksBefore)
      }
      // The replacement answers too (the counts of two processes again).
      const counts: Array<number> = []
      for (let attempt = 0; attempt < 100; attempt++) {
        const metrics = yield* call("GET", "/metrics")
        counts.push(requestsSeen(metrics.text))
        if (counts.some((count, i) => i > 0 && count <= counts[i - 1]!)) break
        yield* Effect.sleep("100 millis")
      }
      assert.isTrue(counts.some((count, i) => i > 0 && count <= counts[i - 1]!), `counts ${counts.join(",")}`)
      assert.strictEqual(s.stdout().split("\n").filter((l) => l.startsWith("listening on ")).length, 1)
    }))

  it.live("SIGHUP reaches the workers (key reload) and stops nothing", () =>
    Effect.gen(function*() {
      const s = server!
      const before = workerPids(s.child.pid!)
      s.child.kill("SIGHUP")
      yield* Effect.sleep("300 millis")
      assert.isNull(s.child.exitCode)
      assert.deepStrictEqual(workerPids(s.child.pid!).sort(), before.sort())
      for (let i = 0; i < 4; i++) assert.strictEqual((yield* issue("ci", "builder")).status, 201)
    }))

  it.live("a worker that stops answering holds a write up for at most 10 s, then is replaced", () =>
    Effect.gen(function*() {
      const s = server!
      const [stuck] = workerPids(s.child.pid!)
      process.kill(stuck!, "SIGSTOP")
      try {
        // A connection handed to the stopped worker gets no answer (given up after 15 s); the next one
        // goes to the other worker, whose write waits for the stopped one until it is killed (10 s).
        let created: { status: number; text: string } | undefined
        for (let attempt = 0; attempt < 3 && created === undefined; attempt++) {
          created = yield* callOn(s, "POST", "/api/v1/namespaces/ci/serviceaccounts", {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: "after-stuck" }
          }, s.token, 30_000).pipe(Effect.timeout("15 seconds"), Effect.orElseSucceed(() => undefined))
        }
        assert.strictEqual(created?.status, 201, created?.text)
      } finally {
        if (alive(stuck!)) process.kill(stuck!, "SIGCONT")
      }
      assert.include(s.stderr(), `worker ${stuck} did not apply a store change in time; restarting it`)
      yield* Effect.promise(() =>
        waitFor("a new worker", () => {
          const now = workerPids(s.child.pid!)
          return now.length === 2 && !now.includes(stuck!)
        })
      )
      for (let i = 0; i < 4; i++) assert.strictEqual((yield* issue("ci", "after-stuck")).status, 201)
    }), 60_000)

  it.live("SIGTERM stops every worker and exits 0", () =>
    Effect.gen(function*() {
      const s = server!
      const pids = workerPids(s.child.pid!)
      assert.lengthOf(pids, 2)
      s.child.kill("SIGTERM")
      const code = yield* Effect.promise(() => s.exited).pipe(Effect.timeout("15 seconds"))
      assert.strictEqual(code, 0, s.stderr())
      yield* Effect.promise(() => waitFor("the workers to exit", () => pids.every((pid) => !alive(pid)), 5_000))
      // The generated serving certificate stays in the given --cert-dir; nothing left in /tmp by the workers.
      assert.isTrue(fs.existsSync(path.join(s.dir, "certs", "apiserver.crt")))
    }))
})

describe("serve --workers 2 --store etcd", () => {
  let scope: Scope.CloseableScope
  let etcdServer: Started | undefined
  beforeAll(async () => {
    scope = Effect.runSync(Scope.make())
    const etcd = await Effect.runPromise(Scope.extend(Etcd.make(), scope))
    etcdServer = await startServer(["--store", "etcd", "--etcd-servers", etcd.endpoint, "--etcd-prefix", "/workers-test"])
  }, 120_000)
  afterAll(async () => {
    if (etcdServer !== undefined) await stopServer(etcdServer)
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }, 30_000)

  it.live("every worker serves the objects of etcd with the one key set", () =>
    Effect.gen(function*() {
      const s = etcdServer!
      assert.lengthOf(workerPids(s.child.pid!), 2)
      const created = yield* callOn(s, "POST", "/api/v1/namespaces/ci/serviceaccounts", {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "from-etcd" }
      })
      assert.strictEqual(created.status, 201, created.text)
      // Workers on etcd are replicas: the other one sees the object once its watch delivers it.
      const answers: Array<number> = []
      for (let i = 0; i < 40 && answers.filter((code) => code === 201).length < 4; i++) {
        const issued = yield* callOn(s, "POST", "/api/v1/namespaces/ci/serviceaccounts/from-etcd/token", { spec: {} })
        answers.push(issued.status)
        if (issued.status === 201) {
          const review = yield* callOn(s, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
            apiVersion: "authentication.k8s.io/v1",
            kind: "TokenReview",
            spec: { token: issued.body.status.token }
          })
          assert.isTrue(review.body.status.authenticated, review.text)
        } else yield* Effect.sleep("50 millis")
      }
      assert.includeMembers(answers, [201])
      assert.strictEqual(answers.filter((code) => code === 201).length, 4, answers.join(","))
      assert.strictEqual(s.stdout().split("\n").filter((l) => l.startsWith("listening on ")).length, 1)
    }))
})

describe("serve --workers 2 --service-account-signing-key-file", () => {
  let keyed: Started | undefined
  let keyDir = ""
  let keyFile = ""
  const generate = () =>
    crypto.generateKeyPairSync("ec", {
      namedCurve: "prime256v1",
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "sec1", format: "pem" }
    }).privateKey

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tokenrequest-workers-keys-"))
    keyFile = path.join(dir, "sa.key")
    fs.writeFileSync(keyFile, generate(), { mode: 0o600 })
    keyDir = dir
    keyed = await startServer(["--service-account-signing-key-file", keyFile])
  }, 120_000)

  afterAll(async () => {
    await stopAll(keyed)
    fs.rmSync(keyDir, { recursive: true, force: true })
  }, 30_000)

  /** The key ids of `count` tokens, each issued on a fresh connection (so by both workers). */
  const kidsOf = (count: number) =>
    Effect.gen(function*() {
      const kids: Array<string> = []
      for (let i = 0; i < count; i++) {
        const issued = yield* callOn(keyed!, "POST", "/api/v1/namespaces/ci/serviceaccounts/builder/token", { spec: {} })
        assert.strictEqual(issued.status, 201, issued.text)
        kids.push(JSON.parse(Buffer.from(issued.body.status.token.split(".")[0], "base64url").toString()).kid)
      }
      return kids
    })

  it.live("a rotated key file reaches every worker: all sign with the new key, all verify with it", () =>
    Effect.gen(function*() {
      const s = keyed!
      const before = yield* kidsOf(4)
      assert.lengthOf(new Set(before), 1)
      fs.writeFileSync(keyFile, generate())
      s.child.kill("SIGHUP")
      // every worker has reloaded when a run of fresh connections only sees the new key
      let after: Array<string> = []
      for (let i = 0; i < 100; i++) {
        after = yield* kidsOf(4)
        if (after.every((kid) => kid !== before[0])) break
        yield* Effect.sleep("100 millis")
      }
      assert.lengthOf(new Set(after), 1)
      assert.notStrictEqual(after[0], before[0])
      for (let i = 0; i < 4; i++) {
        const jwks = yield* callOn(s, "GET", "/openid/v1/jwks")
        assert.deepStrictEqual(jwks.body.keys.map((key: { kid: string }) => key.kid), [after[0]])
      }
      assert.deepStrictEqual(workerPids(s.child.pid!).length, 2)
    }))
})
