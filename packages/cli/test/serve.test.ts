/**
 * `create token`, `review`, `decode` and `keys` against the real reference server, started through
 * the same binary (`tokenrequest serve --port 0`) on loopback: HTTPS with the generated CA from the
 * kubeconfig it writes, and plain HTTP with `--insecure-plain-http`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as https from "node:https"
import * as path from "node:path"
import { beforeAll } from "vitest"
import { binary, build, lines, run } from "./fixtures/binary.js"
import * as ReferenceServer from "./fixtures/referenceServer.js"

const serveAvailable = fs.readFileSync(new URL("../src/ServeCommand.ts", import.meta.url), "utf8").includes(
  "export const serveCommand"
)

beforeAll(build, 180_000)

const kubeconfigOf = (file: string) => {
  const config = JSON.parse(fs.readFileSync(file, "utf8"))
  return {
    server: config.clusters[0].cluster.server as string,
    ca: config.clusters[0].cluster["certificate-authority-data"] === undefined
      ? undefined
      : Buffer.from(config.clusters[0].cluster["certificate-authority-data"], "base64"),
    token: config.users[0].user.token as string
  }
}

const getJson = (url: string, ca: Buffer | undefined) =>
  Effect.async<unknown, Error>((resume) => {
    const req = https.get(url, { ca, timeout: 10_000 }, (res) => {
      let text = ""
      res.on("data", (c: Buffer) => (text += c.toString("utf8")))
      res.on("end", () => resume(Effect.try({ try: () => JSON.parse(text), catch: (e) => e as Error })))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
  })

describe.skipIf(!serveAvailable)("against the reference server", () => {
  it.live("HTTPS: create a Pod-bound token, decode it, review it", () =>
    Effect.gen(function*() {
      const server = yield* ReferenceServer.start()
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/)
      const kc = ["--kubeconfig", server.kubeconfig]
      const created = yield* run([
        "create", "token", "builder", "-n", "ci", "--duration", "1h30m",
        "--bound-object-kind", "Pod", "--bound-object-name", "runner", ...kc
      ])
      assert.strictEqual(created.code, 0, created.stderr)
      const token = created.stdout
      assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/)

      const decoded = yield* run(["decode", token])
      assert.strictEqual(decoded.code, 0, decoded.stderr)
      const { claims, header, times } = JSON.parse(decoded.stdout)
      assert.strictEqual(claims.sub, "system:serviceaccount:ci:builder")
      assert.strictEqual(claims["kubernetes.io"].pod.name, "runner")
      assert.strictEqual(claims["kubernetes.io"].namespace, "ci")
      assert.strictEqual(claims.exp - claims.iat, 5400)
      assert.strictEqual(header.alg, "ES256")
      assert.isString(times.exp.utc)

      const reviewed = yield* run(["review", token, ...kc])
      assert.strictEqual(reviewed.code, 0, reviewed.stderr)
      const status = JSON.parse(reviewed.stdout)
      assert.strictEqual(status.authenticated, true)
      assert.strictEqual(status.user.username, "system:serviceaccount:ci:builder")
      assert.include(status.user.groups, "system:serviceaccounts:ci")

      const wrongAudience = yield* run(["review", token, "--audience", "someone-else", ...kc])
      assert.strictEqual(wrongAudience.code, 1)
      assert.strictEqual(JSON.parse(wrongAudience.stdout).authenticated, false)

      const missing = yield* run(["create", "token", "ghost", "-n", "ci", ...kc])
      assert.strictEqual(missing.code, 1)
      assert.deepStrictEqual(lines(missing.stderr), ['error: failed to create token: serviceaccounts "ghost" not found'])

      const { token: admin } = kubeconfigOf(server.kubeconfig)
      const untrusted = yield* run(["create", "token", "builder", "-n", "ci", "--server", server.url, "--token", admin])
      assert.strictEqual(untrusted.code, 1)
      assert.strictEqual(lines(untrusted.stderr).length, 1)
    }).pipe(Effect.scoped), 90_000)

  it.live("the server's kid and JWKS equal what `keys kid` and `keys jwks` compute from its key file", () =>
    Effect.gen(function*() {
      const keyDir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? "/tmp"), "tokenrequest-key-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(keyDir, { recursive: true, force: true })))
      const keyFile = path.join(keyDir, "sa.key")
      const generated = yield* run(["keys", "generate", "--algorithm", "ES384", "--out", keyFile])
      assert.strictEqual(generated.code, 0, generated.stderr)
      const server = yield* ReferenceServer.start(() => ["--service-account-signing-key-file", keyFile])
      const created = yield* run(["create", "token", "builder", "-n", "ci", "--kubeconfig", server.kubeconfig])
      assert.strictEqual(created.code, 0, created.stderr)
      const { header } = JSON.parse((yield* run(["decode", created.stdout])).stdout)
      const kid = yield* run(["keys", "kid", keyFile])
      assert.deepStrictEqual(lines(kid.stdout), [header.kid])
      assert.strictEqual(header.alg, "ES384")
      const jwks = JSON.parse((yield* run(["keys", "jwks", keyFile])).stdout)
      const { ca } = kubeconfigOf(server.kubeconfig)
      const published = yield* getJson(`${server.url}/openid/v1/jwks`, ca)
      assert.deepStrictEqual(published, jwks)
    }).pipe(Effect.scoped), 90_000)

  it.live("plain HTTP with --insecure-plain-http: create token and review with --server and --token", () =>
    Effect.gen(function*() {
      const server = yield* ReferenceServer.start(() => ["--insecure-plain-http"])
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      const { token: admin } = kubeconfigOf(server.kubeconfig)
      const auth = ["--server", server.url, "--token", admin]
      const created = yield* run(["create", "token", "builder", "-n", "ci", "-o", "json", ...auth])
      assert.strictEqual(created.code, 0, created.stderr)
      const object = JSON.parse(created.stdout)
      assert.strictEqual(object.kind, "TokenRequest")
      assert.strictEqual(object.metadata.name, "builder")
      const reviewed = yield* run(["review", object.status.token, ...auth])
      assert.strictEqual(reviewed.code, 0, reviewed.stderr)
      const unauthorized = yield* run(["create", "token", "builder", "-n", "ci", "--server", server.url, "--token", "nope"])
      assert.strictEqual(unauthorized.code, 1)
      assert.deepStrictEqual(lines(unauthorized.stderr), ["error: failed to create token: Unauthorized"])
    }).pipe(Effect.scoped), 90_000)

  it.live("x509 client certificates from a kubeconfig or from flags (--client-ca-file, ABAC)", () =>
    Effect.gen(function*() {
      const pki = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? "/tmp"), "tokenrequest-pki-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(pki, { recursive: true, force: true })))
      const openssl = (...args: Array<string>) => execFileSync("openssl", args, { cwd: pki, stdio: "pipe", timeout: 20_000 })
      openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=client-ca")
      for (const user of ["alice", "mallory"]) {
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${user}.key`, "-out", `${user}.csr`, "-subj", `/O=devs/CN=${user}`)
        openssl("x509", "-req", "-in", `${user}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${user}.crt`, "-days", "1")
      }
      const policy = path.join(pki, "policy.jsonl")
      fs.writeFileSync(
        policy,
        JSON.stringify({
          apiVersion: "abac.authorization.kubernetes.io/v1beta1",
          kind: "Policy",
          spec: { user: "alice", namespace: "*", resource: "*", apiGroup: "*" }
        }) + "\n"
      )
      const server = yield* ReferenceServer.start(() => [
        "--client-ca-file", path.join(pki, "ca.crt"),
        "--authorization-mode", "ABAC",
        "--authorization-policy-file", policy
      ])
      const { ca, server: url } = kubeconfigOf(server.kubeconfig)
      fs.writeFileSync(path.join(pki, "server-ca.crt"), ca!)
      const kubeconfig = path.join(pki, "alice.kubeconfig")
      fs.writeFileSync(kubeconfig, [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- {name: ref, cluster: {server: "${url}", certificate-authority: server-ca.crt}}`,
        "users:",
        "- {name: alice, user: {client-certificate: alice.crt, client-key: alice.key}}",
        "contexts:",
        "- {name: alice, context: {cluster: ref, user: alice, namespace: ci}}",
        "current-context: alice",
        ""
      ].join("\n"))
      const alice = yield* run(["create", "token", "builder", "--kubeconfig", kubeconfig])
      assert.strictEqual(alice.code, 0, alice.stderr)
      assert.match(alice.stdout, /^[\w-]+\.[\w-]+\.[\w-]+$/)
      const flags = (user: string) => [
        "--server", url, "--certificate-authority", path.join(pki, "server-ca.crt"),
        "--client-certificate", path.join(pki, `${user}.crt`), "--client-key", path.join(pki, `${user}.key`)
      ]
      const aliceByFlags = yield* run(["review", alice.stdout, ...flags("alice")])
      assert.strictEqual(aliceByFlags.code, 0, aliceByFlags.stderr)
      const mallory = yield* run(["create", "token", "builder", "-n", "ci", ...flags("mallory")])
      assert.strictEqual(mallory.code, 1)
      assert.deepStrictEqual(lines(mallory.stderr), [
        'error: failed to create token: serviceaccounts "builder" is forbidden: User "mallory" cannot create resource "serviceaccounts/token" in API group "" in the namespace "ci": No policy matched.'
      ])
    }).pipe(Effect.scoped), 90_000)

  it.live("serve stops gracefully with exit code 0 on SIGTERM, after printing `listening on <url>` first", () =>
    Effect.async<{ code: number | null; first: string }>((resume) => {
      const certDir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? "/tmp"), "tokenrequest-sigterm-"))
      const child = spawn(process.execPath, [binary, "serve", "--port", "0", "--insecure-plain-http", "--cert-dir", certDir], {
        stdio: ["ignore", "pipe", "ignore"]
      })
      let stdout = ""
      let signalled = false
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000)
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8")
        if (!signalled && stdout.includes("\n")) {
          signalled = true
          child.kill("SIGTERM")
        }
      })
      child.on("exit", (code) => {
        clearTimeout(killer)
        fs.rmSync(certDir, { recursive: true, force: true })
        resume(Effect.succeed({ code, first: stdout.split("\n")[0]! }))
      })
      return Effect.sync(() => child.kill("SIGKILL"))
    }).pipe(
      Effect.map(({ code, first }) => {
        assert.match(first, /^listening on http:\/\/127\.0\.0\.1:\d+$/)
        assert.strictEqual(code, 0)
      })
    ), 60_000)
})
