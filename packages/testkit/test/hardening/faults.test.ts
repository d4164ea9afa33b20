/**
 * Fault injection: a real etcd stopped and restarted under load (in-process token API on the etcd
 * store, and the reference server with `store: "etcd"`): 503 `ServiceUnavailable` while down, every
 * answer within a bound, recovery without a restart, no acknowledged object lost. Key files removed
 * or corrupted under a watching key ring: the keys in force stay, the failure is logged, signing and
 * verification continue. A failing signer: 500 `InternalError` with the upstream text, and the rest
 * of the API keeps answering. A failing store during review: a 503, not a hang.
 */
import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import { ObjectStore } from "@tokenrequest/domain"
import { ObjectStoreError } from "@tokenrequest/domain/ObjectStore"
import * as TokenSigner from "@tokenrequest/domain/TokenSigner"
import * as Server from "@tokenrequest/server/Server"
import * as KeyRing from "@tokenrequest/signer-jose/KeyRing"
import * as EtcdStore from "@tokenrequest/store-etcd/EtcdStore"
import * as MemoryStore from "@tokenrequest/store-memory/MemoryStore"
import * as Etcd from "@tokenrequest/testkit/Etcd"
import { Context, Effect, Exit, Layer, Logger, Option, Redacted } from "effect"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import {
  App,
  decodePart,
  issuer,
  objects,
  ports,
  postJson,
  Reference,
  referenceServer,
  reviewPath,
  sendRaw,
  serveApp,
  signing,
  tokenPath
} from "./fixtures.js"

const bound = 12_000

interface Observed {
  readonly code: number
  readonly reason?: string
  readonly at: number
}

/** What the outage scenario needs from a server under test. */
interface OutageTarget {
  readonly url: string
  readonly headers: Record<string, string>
  /** Creates a service account; the HTTP-like code of the answer. */
  readonly create: (name: string) => Promise<Observed>
  readonly exists: (name: string) => Promise<boolean>
}

const observe = async (call: Promise<{ status: number; json: any }>): Promise<Observed> => {
  const response = await call
  return { code: response.status, reason: response.json?.reason, at: Date.now() }
}

/**
 * Runs workers that issue, review and create objects while etcd is stopped and started again;
 * checks every answer and that every acknowledged object survived.
 */
const outageUnderLoad = async (
  target: OutageTarget,
  outage: { readonly down: () => Promise<void>; readonly up: () => Promise<void> }
) => {
  const answers: Array<Observed & { readonly what: string }> = []
  const created: Array<string> = []
  const token = (await postJson(target.url + tokenPath(), {}, target.headers)).json.status.token as string
  let running = true
  let n = 0
  const worker = async (w: number) => {
    while (running) {
      const name = `load-${w}-${n++}`
      const started = Date.now()
      const results = await Promise.all([
        observe(postJson(target.url + tokenPath(), { spec: { expirationSeconds: 3600 } }, target.headers, bound)).then((o) => ({ ...o, what: "issue" })),
        observe(postJson(target.url + reviewPath, { spec: { token } }, target.headers, bound)).then((o) => ({ ...o, what: "review" })),
        target.create(name).then((o) => ({ ...o, what: "create" }))
      ])
      assert.isBelow(Date.now() - started, bound, "answered within the bound")
      answers.push(...results)
      if (results[2]!.code === 201) created.push(name)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  const workers = Array.from({ length: 8 }, (_, w) => worker(w))
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const stoppedAt = Date.now()
  await outage.down()
  // keep the load on while etcd is down, until the outage shows (or long enough that it must have)
  const outageDeadline = Date.now() + 10_000
  while (Date.now() < outageDeadline && !answers.some((a) => a.at > stoppedAt && a.code === 503)) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await new Promise((resolve) => setTimeout(resolve, 1000))
  await outage.up()
  const restartedAt = Date.now()
  // recovery without a restart of the server: writes succeed again
  const recoveryDeadline = Date.now() + 20_000
  const firstWrite = () => answers.find((a) => a.at > restartedAt && a.what === "create" && a.code === 201)
  while (Date.now() < recoveryDeadline && firstWrite() === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const recoveredAt = firstWrite()?.at ?? Date.now()
  await new Promise((resolve) => setTimeout(resolve, 4000))
  running = false
  await Promise.all(workers)

  const unexpected = answers.filter((a) => a.code !== 201 && !(a.code === 503 && a.reason === "ServiceUnavailable"))
  assert.deepStrictEqual(unexpected, [], "only 201 or 503 ServiceUnavailable")
  assert.isTrue(answers.some((a) => a.at > stoppedAt && a.code === 503), "503 while etcd is down")
  // requests still in flight at recovery may fail within the store's request timeout; later ones may not
  const recovered = answers.filter((a) => a.at > recoveredAt + 2500)
  assert.isAbove(recovered.length, 0)
  for (const what of ["issue", "review", "create"]) {
    assert.isTrue(
      answers.some((a) => a.at > restartedAt && a.what === what && a.code === 201),
      `${what} recovered after the restart`
    )
  }
  assert.deepStrictEqual(recovered.filter((a) => a.code !== 201), [], "all answers 201 once recovered")
  assert.isAbove(created.length, 0)
  const lost: Array<string> = []
  for (const name of created) if (!(await target.exists(name))) lost.push(name)
  assert.deepStrictEqual(lost, [], "every acknowledged object is still there")
}

const stopAndStart = (etcd: Etcd.EtcdServer) => ({
  down: () => Effect.runPromise(etcd.stop),
  up: () => Effect.runPromise(etcd.start)
})

/** The pid of the test etcd (the process whose command line names its data directory). */
const etcdPid = (etcd: Etcd.EtcdServer): number => {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\u0000")
      if (cmdline.includes(path.join(etcd.dataDir, "data"))) return Number(entry)
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no etcd process for ${etcd.dataDir}`)
}

/** Freezes etcd (SIGSTOP): connections stay open, nothing answers; SIGCONT thaws it. */
/** The reference server on `--store etcd` under issuance load while `outage` takes etcd down and up. */
const serverUnderOutage = (
  etcd: Etcd.EtcdServer,
  outage: { readonly down: () => Promise<void>; readonly up: () => Promise<void> }
) =>
  Effect.gen(function*() {
    const running = yield* Server.start({
      port: 0,
      insecurePlainHttp: true,
      store: "etcd",
      etcdServers: [etcd.endpoint],
      etcdPrefix: `/hardening-${crypto.randomUUID()}`,
      serviceAccountIssuer: [issuer],
      initialObjects: objects,
      adminToken: "hardening-admin-token"
    })
    const headers = { authorization: `Bearer ${Redacted.value(running.adminToken!)}` }
    const accounts = `${running.url}/api/v1/namespaces/default/serviceaccounts`
    yield* Effect.promise(() =>
      outageUnderLoad({
        url: running.url,
        headers,
        create: (name) => observe(postJson(accounts, { metadata: { name } }, headers, bound)),
        exists: async (name) =>
          (await fetch(`${accounts}/${name}`, { headers, signal: AbortSignal.timeout(bound) })).status === 200
      }, outage)
    )
  })

const freezeAndThaw = (etcd: Etcd.EtcdServer) => {
  const pid = etcdPid(etcd)
  return {
    down: async () => {
      process.kill(pid, "SIGSTOP")
    },
    up: async () => {
      process.kill(pid, "SIGCONT")
    }
  }
}

describe("faults: etcd stopped and restarted under load", () => {
  it.live("in-process token API on the etcd store", () =>
    Effect.gen(function*() {
      const etcd = yield* Etcd.make()
      const store = EtcdStore.layer({
        endpoints: [etcd.endpoint],
        prefix: `/hardening-${crypto.randomUUID()}`,
        requestTimeout: "1 second",
        staleAfter: "500 millis",
        retryInterval: "100 millis"
      })
      const scope = yield* Effect.scope
      const app = yield* Layer.buildWithScope(serveApp(ports({ store })), scope)
      const { store: objectStore, url } = Context.get(app, App)
      for (const object of objects) yield* objectStore.create(object)
      yield* Effect.promise(() =>
        outageUnderLoad({
          url,
          headers: {},
          create: async (name) => {
            const exit = await Effect.runPromiseExit(
              objectStore.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: "default" } })
            )
            if (Exit.isSuccess(exit)) return { code: 201, at: Date.now() }
            const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
            return error instanceof ObjectStoreError && error.reason === "Unavailable"
              ? { code: 503, reason: "ServiceUnavailable", at: Date.now() }
              : { code: 500, reason: String(exit.cause), at: Date.now() }
          },
          exists: (name) =>
            Effect.runPromise(Effect.map(objectStore.get("ServiceAccount", "default", name), Option.isSome))
        }, stopAndStart(etcd))
      )
    }).pipe(Effect.scoped), 90_000)

  it.live("reference server with store etcd", () =>
    Effect.gen(function*() {
      const etcd = yield* Etcd.make()
      yield* serverUnderOutage(etcd, stopAndStart(etcd))
    }).pipe(Effect.scoped), 90_000)

  it.live("reference server with store etcd, etcd frozen (SIGSTOP) and thawed: a hang becomes 503s, not a hang", () =>
    Effect.gen(function*() {
      const etcd = yield* Etcd.make()
      const outage = freezeAndThaw(etcd)
      yield* Effect.addFinalizer(() => Effect.promise(() => outage.up().catch(() => {})))
      yield* serverUnderOutage(etcd, outage)
    }).pipe(Effect.scoped), 90_000)
})

// ---------------------------------------------------------------------------------------------

const captured: Array<string> = []
const capture = Logger.make(({ message }) => {
  captured.push(Array.isArray(message) ? message.join(" ") : String(message))
})

const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "tokenrequest-hardening-keys-"))
const keyFile = path.join(keyDir, "sa.key")
fs.writeFileSync(keyFile, signing.privatePem)
// The watched key file is rewritten by later tests after the first one's finalizer ran: remove it at the end.
afterAll(() => fs.rmSync(keyDir, { recursive: true, force: true }))

const watchedKeys = Layer.provide(
  KeyRing.layerFiles({ signingKeyFile: keyFile, watch: true, debounce: "50 millis" }),
  Logger.replace(Logger.defaultLogger, capture)
)

const waitFor = (what: string, condition: () => boolean, millis = 10_000) =>
  Effect.promise(async () => {
    const deadline = Date.now() + millis
    while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    return condition()
  }).pipe(Effect.tap((ok) => assert.isTrue(ok, what)))

describe("faults: key files removed or corrupted under a watching key ring", () => {
  layer(serveApp(ports({ keys: watchedKeys })), { timeout: 30_000, excludeTestServices: true })((it) => {
    it.scoped("old keys stay in force and the failure is logged; a good key file is picked up again", () =>
      Effect.gen(function*() {
        yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(keyDir, { recursive: true, force: true })))
        const { url } = yield* App
        const issue = () => Effect.promise(() => postJson(url + tokenPath(), {}))
        const reviewOf = (token: string) => Effect.promise(() => postJson(url + reviewPath, { spec: { token } }))
        const before = yield* issue()
        assert.strictEqual(before.status, 201)
        const failures = () => captured.filter((line) => line.includes("service account key reload failed")).length

        for (const [label, damage] of [
          ["corrupted", () => fs.writeFileSync(keyFile, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")],
          ["truncated", () => fs.writeFileSync(keyFile, signing.privatePem.slice(0, 60))],
          ["removed", () => fs.rmSync(keyFile)]
        ] as const) {
          const seen = failures()
          damage()
          yield* waitFor(`${label}: reload failure logged`, () => failures() > seen)
          const issued = yield* issue()
          assert.strictEqual(issued.status, 201, `${label}: still signing`)
          assert.strictEqual(decodePart(issued.json.status.token, 0).kid, signing.kid, `${label}: with the old key`)
          const reviewed = yield* reviewOf(before.json.status.token)
          assert.isTrue(reviewed.json.status.authenticated, `${label}: old tokens still verify`)
          const jwks = yield* Effect.promise(() => fetch(`${url}/openid/v1/jwks`).then((r) => r.json()))
          assert.deepStrictEqual(jwks.keys.map((k: { kid: string }) => k.kid), [signing.kid])
        }

        // a new valid key file: rotation happens without a restart
        const next = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
        fs.writeFileSync(keyFile, next.privateKey.export({ type: "pkcs8", format: "pem" }) as string)
        let kid = signing.kid
        yield* Effect.promise(async () => {
          const deadline = Date.now() + 10_000
          while (kid === signing.kid && Date.now() < deadline) {
            const issued = await postJson(url + tokenPath(), {})
            kid = decodePart(issued.json.status.token, 0).kid
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
        })
        assert.notStrictEqual(kid, signing.kid, "the new key signs")
      }))
  })
})

// ---------------------------------------------------------------------------------------------

describe("faults: signer failures", () => {
  const failing = new TokenSigner.TokenSignerError({ reason: "Failed", description: "signing key unavailable: hardware token removed" })
  layer(
    serveApp(ports({
      keys: Layer.orDie(KeyRing.layerFromKeys({ signingKey: signing.privatePem })).pipe(
        Layer.map(Context.add(TokenSigner.TokenSigner, { sign: () => Effect.fail(failing), current: Effect.fail(failing) }))
      )
    })),
    { timeout: 30_000, excludeTestServices: true }
  )((it) => {
    it.effect("a failing signer: 500 InternalError with the upstream text; discovery and review keep answering", () =>
      Effect.gen(function*() {
        const { url } = yield* App
        for (let i = 0; i < 20; i++) {
          const response = yield* Effect.promise(() => postJson(url + tokenPath(), {}))
          assert.strictEqual(response.status, 500)
          assert.deepStrictEqual(response.json, {
            kind: "Status",
            apiVersion: "v1",
            metadata: {},
            status: "Failure",
            message: "Internal error occurred: failed to generate token: signing key unavailable: hardware token removed",
            reason: "InternalError",
            details: { causes: [{ message: "failed to generate token: signing key unavailable: hardware token removed" }] },
            code: 500
          })
        }
        const jwks = yield* Effect.promise(() => fetch(`${url}/openid/v1/jwks`))
        assert.strictEqual(jwks.status, 200)
        const review = yield* Effect.promise(() => postJson(url + reviewPath, { spec: { token: "a.b.c" } }))
        assert.strictEqual(review.status, 201)
      }))
  })

  layer(
    serveApp(ports({
      keys: Layer.orDie(KeyRing.layerFromKeys({ signingKey: signing.privatePem })).pipe(
        Layer.map(Context.add(TokenSigner.TokenSigner, {
          sign: () =>
            Effect.sync(() => {
              throw new Error("signer crashed")
            }),
          current: Effect.die(new Error("signer crashed"))
        }))
      )
    })),
    { timeout: 30_000, excludeTestServices: true }
  )((it) => {
    it.effect("a signer that throws: a 500 Status answer, the process and the listener survive", () =>
      Effect.gen(function*() {
        const { url } = yield* App
        for (let i = 0; i < 5; i++) {
          const response = yield* Effect.promise(() => postJson(url + tokenPath(), {}))
          assert.strictEqual(response.status, 500)
          assert.strictEqual(response.json.kind, "Status")
          assert.strictEqual(response.json.code, 500)
        }
        const jwks = yield* Effect.promise(() => fetch(`${url}/openid/v1/jwks`))
        assert.strictEqual(jwks.status, 200)
      }))
  })
})

describe("faults: store unavailable during review", () => {
  const unavailable = new ObjectStoreError({ reason: "Unavailable", description: "etcdserver: request timed out" })
  const failingStore = Layer.effect(
    ObjectStore.ObjectStore,
    Effect.map(MemoryStore.make, (store) => ({
      ...store,
      get: () => Effect.fail(unavailable)
    }))
  )
  layer(serveApp(ports({ store: failingStore })), { timeout: 30_000, excludeTestServices: true })((it) => {
    it.effect("a genuine token under review while the store fails: 503 ServiceUnavailable at once", () =>
      Effect.gen(function*() {
        const { url } = yield* App
        const token = Effect.runSync(Effect.succeed(
          // a token for an object the store cannot be asked about; signed by the trusted key
          (() => {
            const now = Math.floor(Date.now() / 1000)
            const claims = {
              aud: [issuer],
              exp: now + 3600,
              iat: now,
              nbf: now,
              iss: issuer,
              jti: crypto.randomUUID(),
              "kubernetes.io": { namespace: "default", serviceaccount: { name: "builder", uid: crypto.randomUUID() } },
              sub: "system:serviceaccount:default:builder"
            }
            const input = `${Buffer.from(JSON.stringify({ alg: "ES256", kid: signing.kid })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`
            const signature = crypto.sign("sha256", Buffer.from(input), { key: signing.privateKey, dsaEncoding: "ieee-p1363" })
            return `${input}.${signature.toString("base64url")}`
          })()
        ))
        const started = Date.now()
        const response = yield* Effect.promise(() => postJson(url + reviewPath, { spec: { token } }, {}, 10_000))
        assert.isBelow(Date.now() - started, 5000)
        assert.strictEqual(response.status, 503)
        assert.strictEqual(response.json.reason, "ServiceUnavailable")
        assert.strictEqual(response.json.message, "etcdserver: request timed out")
        const issue = yield* Effect.promise(() => postJson(url + tokenPath(), {}))
        assert.strictEqual(issue.status, 503)
      }))
  })
})


describe("faults: a port that never answers", () => {
  const hangingStore = Layer.effect(
    ObjectStore.ObjectStore,
    Effect.map(MemoryStore.make, (store) => ({ ...store, get: () => Effect.never }))
  )
  layer(serveApp(ports({ store: hangingStore }), { handlerTimeoutMillis: 500 } as never), {
    timeout: 30_000,
    excludeTestServices: true
  })((it) => {
    it.effect("a store call that never completes: 504 Timeout after the handler timeout, other requests unaffected", () =>
      Effect.gen(function*() {
        const { url } = yield* App
        const started = Date.now()
        const responses = yield* Effect.promise(() =>
          Promise.all(Array.from({ length: 10 }, () => postJson(url + tokenPath(), {}, {}, 10_000)))
        )
        assert.isBelow(Date.now() - started, 8000)
        for (const response of responses) {
          assert.strictEqual(response.status, 504)
          assert.deepStrictEqual(response.json, {
            kind: "Status",
            apiVersion: "v1",
            metadata: {},
            status: "Failure",
            message: "Timeout: request did not complete within requested timeout - context deadline exceeded",
            reason: "Timeout",
            details: {},
            code: 504
          })
        }
        const jwks = yield* Effect.promise(() => fetch(`${url}/openid/v1/jwks`, { signal: AbortSignal.timeout(5000) }))
        assert.strictEqual(jwks.status, 200)
      }))
  })
})

describe("faults: reference server handler timeout", () => {
  layer(referenceServer({ limits: { handlerTimeoutMillis: 500, requestTimeoutMillis: 10_000 } as never }), {
    timeout: 60_000,
    excludeTestServices: true
  })((it) => {
    it.effect("a request whose body stalls is answered 504 Timeout after the handler timeout", () =>
      Effect.gen(function*() {
        const { adminToken, port } = yield* Reference
        const head = `POST ${reviewPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${adminToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{`
        const started = Date.now()
        const response = yield* Effect.promise(() => sendRaw(port, [head], { timeoutMs: 15_000 }))
        assert.isBelow(Date.now() - started, 8000)
        assert.strictEqual(response.status, 504, response.text)
        assert.strictEqual(JSON.parse(response.text).reason, "Timeout")
      }))
  })
})

describe("faults: the reference server's key files damaged while it runs", () => {
  layer(referenceServer(), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("a corrupted signing key file: old keys stay in force and the failure is counted in /metrics", () =>
      Effect.gen(function*() {
        const { adminToken, dir, url } = yield* Reference
        const admin = { authorization: `Bearer ${adminToken}` }
        const failures = () =>
          Effect.promise(async () => {
            const text = await (await fetch(`${url}/metrics`, { headers: admin, signal: AbortSignal.timeout(5000) })).text()
            return Number(/^tokenrequest_signer_errors_total\{reason="KeyReloadFailed"\} (\d+)$/m.exec(text)?.[1] ?? 0)
          })
        assert.strictEqual(yield* failures(), 0)
        fs.writeFileSync(path.join(dir, "sa.key"), "-----BEGIN EC PRIVATE KEY-----\nbroken\n-----END EC PRIVATE KEY-----\n")
        let counted = 0
        for (let i = 0; i < 100 && counted === 0; i++) {
          yield* Effect.sleep("100 millis")
          counted = yield* failures()
        }
        assert.isAtLeast(counted, 1, "reload failure counted")
        const issued = yield* Effect.promise(() => postJson(url + tokenPath(), {}, admin))
        assert.strictEqual(issued.status, 201)
        assert.strictEqual(decodePart(issued.json.status.token, 0).kid, signing.kid)
        const reviewed = yield* Effect.promise(() => postJson(url + reviewPath, { spec: { token: issued.json.status.token } }, admin))
        assert.isTrue(reviewed.json.status.authenticated)
        fs.writeFileSync(path.join(dir, "sa.key"), signing.privatePem)
      }))
  })
})
