/**
 * `--audit-log-path` end to end through the real CLI process: tokens issued (bound to a pod, with
 * audiences, clamped, extended, refused), tokens reviewed (valid, tampered, stale, legacy), a request
 * with a wrong bearer token (401); then the JSON lines are parsed and their fields checked, the file
 * holds no token and no Authorization header, and is 0600. Failures: an unwritable path refuses the
 * start (exit code 2, one line naming the flag); a write failing later loses the events, counts them
 * in /metrics, is logged once, and the requests still succeed; SIGTERM flushes the queue.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as path from "node:path"
import * as SigningKey from "@tokenrequest/signer-jose/SigningKey"
import { request, root, runServe, type Running, startServer, tempDir } from "./fixtures/process.js"

const issuer = "https://issuer.test"
const tokenPath = (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`
const reviewPath = "/apis/authentication.k8s.io/v1/tokenreviews"

let dir: string
let logDir: string
let logPath: string
let key: SigningKey.SigningKey
let server: Running
let admin: string

const baseArgs = (keyFile: string, audit: string) => [
  "--objects",
  path.join(root, "docs/examples/objects.yaml"),
  "--service-account-issuer",
  issuer,
  "--service-account-signing-key-file",
  keyFile,
  "--service-account-max-token-expiration",
  "2h",
  "--audit-log-path",
  audit
]

beforeAll(async () => {
  dir = tempDir("audit")
  logDir = path.join(dir, "logs")
  fs.mkdirSync(logDir)
  logPath = path.join(logDir, "audit.jsonl")
  const pem = await Effect.runPromise(SigningKey.generate("ES256"))
  key = Either.getOrThrow(SigningKey.fromPem(pem))
  fs.writeFileSync(path.join(dir, "sa.key"), pem)
  server = await startServer(baseArgs(path.join(dir, "sa.key"), logPath))
  admin = server.adminToken!
}, 300_000)

afterAll(async () => {
  await server?.stop()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const events = (file: string): Array<any> =>
  fs.existsSync(file)
    ? fs.readFileSync(file, "utf8").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line))
    : []

/** Waits (bounded) until the log holds at least `count` events: writes are asynchronous. */
const awaitEvents = async (file: string, count: number): Promise<Array<any>> => {
  for (let i = 0; i < 100; i++) {
    const found = events(file)
    if (found.length >= count) return found
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return events(file)
}

const review = (token: string, audiences?: ReadonlyArray<string>) =>
  request(server, "POST", reviewPath, {
    token: admin,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token, ...(audiences ? { audiences } : {}) } }
  })

describe("--audit-log-path", () => {
  const tokens: Array<string> = []
  let podUid: string
  let saUid: string
  let log: Array<any>

  it("records issuance, review and failed authentication as JSON lines without any token", async () => {
    podUid = (await request(server, "GET", "/api/v1/namespaces/demo/pods/web", { token: admin })).json().metadata.uid
    saUid = (await request(server, "GET", "/api/v1/namespaces/demo/serviceaccounts/builder", { token: admin })).json()
      .metadata.uid

    // 1. bound to the pod, two audiences, clamped from 4h to the 2h maximum
    const clamped = await request(server, "POST", tokenPath("demo", "builder"), {
      token: admin,
      headers: { "user-agent": "audit-test/1.0" },
      body: {
        spec: {
          audiences: ["https://a.example", "https://b.example"],
          expirationSeconds: 14400,
          boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web" }
        }
      }
    })
    assert.strictEqual(clamped.status, 201, clamped.body)
    assert.isDefined(clamped.headers["warning"])
    tokens.push(clamped.json().status.token)
    // 2. bound to the pod with the default 3607 s: extended to a year
    const extended = await request(server, "POST", tokenPath("demo", "builder"), {
      token: admin,
      body: { spec: { expirationSeconds: 3607, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web", uid: podUid } } }
    })
    assert.strictEqual(extended.status, 201, extended.body)
    tokens.push(extended.json().status.token)
    // 3. an unknown service account
    const missing = await request(server, "POST", tokenPath("demo", "nobody"), { token: admin, body: { spec: {} } })
    assert.strictEqual(missing.status, 404)

    // 4. reviews: valid, tampered, stale (warnafter passed), legacy (no aud)
    const valid = await review(tokens[0]!, ["https://a.example"])
    assert.strictEqual(valid.json().status.authenticated, true)
    const [h, p, s] = tokens[0]!.split(".")
    const tampered = `${h}.${p}.${s!.slice(0, -4)}AAAA`
    tokens.push(tampered)
    const invalid = await review(tampered, ["https://a.example"])
    assert.notStrictEqual(invalid.json().status.authenticated, true)
    const now = Math.floor(Date.now() / 1000)
    const stale = SigningKey.sign(
      key,
      JSON.stringify({
        aud: [issuer],
        exp: now + 3600,
        iat: now - 4000,
        iss: issuer,
        jti: "0b7d5c1e-8a51-4b8e-9a0c-2c8f1f2b9e01",
        "kubernetes.io": { namespace: "demo", serviceaccount: { name: "builder", uid: saUid }, warnafter: now - 393 },
        nbf: now - 4000,
        sub: "system:serviceaccount:demo:builder"
      })
    )
    tokens.push(stale)
    assert.strictEqual((await review(stale)).json().status.authenticated, true)
    const legacy = SigningKey.sign(
      key,
      JSON.stringify({
        iss: "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": "demo",
        "kubernetes.io/serviceaccount/secret.name": "builder-legacy",
        "kubernetes.io/serviceaccount/service-account.name": "builder",
        "kubernetes.io/serviceaccount/service-account.uid": saUid,
        sub: "system:serviceaccount:demo:builder"
      })
    )
    tokens.push(legacy)
    const secret = await request(server, "POST", "/api/v1/namespaces/demo/secrets", {
      token: admin,
      body: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "builder-legacy", namespace: "demo", annotations: { "kubernetes.io/service-account.name": "builder" } },
        type: "kubernetes.io/service-account-token",
        data: { token: Buffer.from(legacy).toString("base64") }
      }
    })
    assert.strictEqual(secret.status, 201, secret.body)
    const legacyReview = await review(legacy)
    assert.strictEqual(legacyReview.json().status.authenticated, true, legacyReview.body)

    // 5. a wrong bearer token on the API
    const refused = await request(server, "POST", tokenPath("demo", "builder"), { token: "not-a-valid-token", body: { spec: {} } })
    assert.strictEqual(refused.status, 401)

    log = await awaitEvents(logPath, 8)
    assert.strictEqual(log.length, 8, JSON.stringify(log))
    const text = fs.readFileSync(logPath, "utf8")
    for (const token of [...tokens, admin, "not-a-valid-token"]) assert.notInclude(text, token)
    assert.notInclude(text, "Bearer ")
    assert.notMatch(text, /authorization/i)
    for (const event of log) {
      assert.strictEqual(event.stage, "ResponseComplete")
      assert.match(event.auditID, /^[0-9a-f-]{36}$/)
      assert.isNotNaN(Date.parse(event.requestReceivedTimestamp))
      assert.isNotNaN(Date.parse(event.stageTimestamp))
      assert.deepStrictEqual(event.sourceIPs, ["127.0.0.1"])
    }
  })

  it("a TokenRequest event: who, which service account, audiences, bound object, expiry, credential id", () => {
    const [first, second, third] = log
    const c = JSON.parse(Buffer.from(tokens[0]!.split(".")[1]!, "base64url").toString("utf8"))
    assert.strictEqual(first.verb, "create")
    assert.strictEqual(first.requestURI, tokenPath("demo", "builder"))
    assert.strictEqual(first.userAgent, "audit-test/1.0")
    assert.deepStrictEqual(first.user, { username: "admin", uid: "admin", groups: ["system:masters", "system:authenticated"] })
    assert.deepStrictEqual(first.objectRef, {
      resource: "serviceaccounts",
      subresource: "token",
      namespace: "demo",
      name: "builder",
      apiGroup: "",
      apiVersion: "v1"
    })
    assert.deepStrictEqual(first.responseStatus, { code: 201 })
    assert.deepStrictEqual(first.annotations, { "authentication.kubernetes.io/issued-credential-id": `JTI=${c.jti}` })
    assert.deepStrictEqual(first.tokenRequest.audiences, ["https://a.example", "https://b.example"])
    assert.deepStrictEqual(first.tokenRequest.boundObjectRef, { kind: "Pod", apiVersion: "v1", name: "web" })
    assert.strictEqual(first.tokenRequest.requestedExpirationSeconds, 14400)
    assert.strictEqual(first.tokenRequest.expirationSeconds, 7200)
    assert.strictEqual(first.tokenRequest.exp, c.exp)
    assert.strictEqual(Date.parse(first.tokenRequest.expirationTimestamp) / 1000, c.exp)
    assert.lengthOf(first.tokenRequest.warnings, 1)
    assert.include(first.tokenRequest.warnings[0], "7200")

    // extended: the answer says 3607 s, the token lives a year
    assert.strictEqual(second.tokenRequest.expirationSeconds, 3607)
    assert.deepStrictEqual(second.tokenRequest.audiences, [issuer])
    assert.strictEqual(second.tokenRequest.boundObjectRef.uid, podUid)
    assert.isAbove(second.tokenRequest.exp, Date.parse(second.tokenRequest.expirationTimestamp) / 1000 + 300 * 24 * 3600)

    // refused: code, reason, message; no credential id
    assert.strictEqual(third.objectRef.name, "nobody")
    assert.deepStrictEqual(third.responseStatus, {
      code: 404,
      reason: "NotFound",
      message: `serviceaccounts "nobody" not found`
    })
    assert.deepStrictEqual(third.annotations, {})
  })

  it("TokenReview events: who asked, the reviewed subject, audiences, outcome, error, stale and legacy annotations", () => {
    const [, , , valid, invalid, stale, legacy] = log
    const c = JSON.parse(Buffer.from(tokens[0]!.split(".")[1]!, "base64url").toString("utf8"))
    for (const event of [valid, invalid, stale, legacy]) {
      assert.strictEqual(event.requestURI, reviewPath)
      assert.strictEqual(event.user.username, "admin")
      assert.deepStrictEqual(event.objectRef, { resource: "tokenreviews", apiGroup: "authentication.k8s.io", apiVersion: "v1" })
      assert.deepStrictEqual(event.responseStatus, { code: 201 })
    }
    assert.deepStrictEqual(valid.tokenReview, {
      audiences: ["https://a.example"],
      authenticated: true,
      subject: {
        username: "system:serviceaccount:demo:builder",
        uid: saUid,
        groups: ["system:serviceaccounts", "system:serviceaccounts:demo", "system:authenticated"]
      },
      grantedAudiences: ["https://a.example"],
      credentialId: `JTI=${c.jti}`
    })
    assert.deepStrictEqual(valid.annotations, {})
    assert.strictEqual(invalid.tokenReview.authenticated, false)
    assert.isUndefined(invalid.tokenReview.subject)
    assert.match(invalid.tokenReview.error, /^\[invalid bearer token, /)
    assert.match(
      stale.annotations["authentication.k8s.io/stale-token"],
      /^subject: system:serviceaccount:demo:builder, seconds after warning threshold: \d+$/
    )
    assert.isAtLeast(Number(/(\d+)$/.exec(stale.annotations["authentication.k8s.io/stale-token"])![1]), 393)
    assert.deepStrictEqual(legacy.annotations, { "authentication.k8s.io/legacy-token": "system:serviceaccount:demo:builder" })
  })

  it("a failed authentication: 401 with the reason, no user", () => {
    const refused = log[7]
    assert.isUndefined(refused.user)
    assert.strictEqual(refused.verb, "create")
    assert.deepStrictEqual(refused.responseStatus, { code: 401, reason: "Unauthorized", message: "Unauthorized" })
    assert.strictEqual(refused.objectRef.subresource, "token")
    assert.match(refused.authenticationError, /invalid bearer token/)
  })

  it("the file is created 0600", () => {
    assert.strictEqual(fs.statSync(logPath).mode & 0o777, 0o600)
  })

  it("a write failing later: the request succeeds, the lost events are counted and logged once", async () => {
    fs.rmSync(logDir, { recursive: true, force: true })
    for (let i = 0; i < 2; i++) {
      const issued = await request(server, "POST", tokenPath("demo", "builder"), { token: admin, body: { spec: {} } })
      assert.strictEqual(issued.status, 201)
    }
    let metrics = ""
    for (let i = 0; i < 100; i++) {
      metrics = (await request(server, "GET", "/metrics", { token: admin })).body
      if (/tokenrequest_audit_write_errors_total\{reason="WriteFailed"\} [2-9]/.test(metrics)) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    assert.match(metrics, /tokenrequest_audit_write_errors_total\{reason="WriteFailed"\} \d+/)
    const lost = Number(/tokenrequest_audit_write_errors_total\{reason="WriteFailed"\} (\d+)/.exec(metrics)![1])
    assert.isAtLeast(lost, 2)
    const logged = () => server.stderr().split("audit log: writing to --audit-log-path").length - 1
    for (let i = 0; i < 100 && logged() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    assert.strictEqual(logged(), 1, server.stderr())
    assert.isFalse(fs.existsSync(logPath))
  })
})

describe("--audit-log-path start-up and shutdown", () => {
  it("an unwritable path refuses the start: exit code 2, one line naming the flag", () => {
    const missing = path.join(dir, "no-such-dir", "audit.jsonl")
    const result = runServe(["--audit-log-path", missing])
    assert.strictEqual(result.status, 2, result.stderr)
    assert.notInclude(result.stdout, "listening on")
    const lines = result.stderr.trim().split("\n")
    assert.lengthOf(lines, 1, result.stderr)
    assert.include(lines[0], `--audit-log-path ${missing}`)
  })

  it("`-` (stdout) is refused: stdout's first line is reserved", () => {
    const result = runServe(["--audit-log-path", "-"])
    assert.strictEqual(result.status, 2, result.stderr)
    assert.include(result.stderr, "--audit-log-path")
  })

  it("SIGTERM flushes the queued events; an existing file is appended to", async () => {
    const file = path.join(dir, "shutdown.jsonl")
    fs.writeFileSync(file, "")
    fs.chmodSync(file, 0o640)
    const running = await startServer(["--audit-log-path", file])
    const issued = await request(running, "POST", tokenPath("default", "default"), { token: running.adminToken!, body: { spec: {} } })
    assert.strictEqual(issued.status, 201)
    assert.strictEqual(await running.stop(), 0)
    const written = events(file)
    assert.lengthOf(written, 1)
    assert.strictEqual(written[0].objectRef.namespace, "default")
    assert.strictEqual(fs.statSync(file).mode & 0o777, 0o640)
    assert.notInclude(fs.readFileSync(file, "utf8"), issued.json().status.token)
  })
})
