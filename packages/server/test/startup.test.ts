/**
 * Start-up through the real CLI process: every bad flag, unreadable file or bad key ends with one
 * line on stderr naming the flag or file and exit code 2, before anything listens; SIGTERM stops a
 * running server.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import { execFileSync } from "node:child_process"
import { kubectl, runServe, startServer, tempDir } from "./fixtures/process.js"

let dir: string
beforeAll(() => {
  dir = tempDir("startup")
  fs.writeFileSync(path.join(dir, "garbage.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
  fs.writeFileSync(path.join(dir, "short.csv"), "token-only,user\n")
  fs.writeFileSync(path.join(dir, "policy.jsonl"), "{not json\n")
})
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, string]> = [
  ["max expiration below one hour", ["--service-account-max-token-expiration", "30m"], "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds"],
  ["max expiration not a duration", ["--service-account-max-token-expiration", "soon"], `invalid argument "soon" for "--service-account-max-token-expiration" flag: time: invalid duration "soon"`],
  ["duplicate issuer", ["--service-account-issuer", "https://a.example", "--service-account-issuer", "https://a.example"], `service-account-issuer "https://a.example" is already specified`],
  ["empty issuer", ["--service-account-issuer="], "service-account-issuer should not be an empty string"],
  ["jwks-uri not https", ["--service-account-jwks-uri", "http://keys.example/jwks"], "service-account-jwks-uri requires https scheme, parsed as: http://keys.example/jwks"],
  ["plain HTTP off loopback", ["--insecure-plain-http", "--bind-address", "0.0.0.0"], "--insecure-plain-http is refused with --bind-address 0.0.0.0"],
  ["unknown authorization mode", ["--authorization-mode", "RBAC"], `authorization-mode "RBAC" is not a valid mode`],
  ["ABAC without a policy file", ["--authorization-mode", "ABAC"], "authorization-mode ABAC's authorization policy file not passed"],
  ["unreadable token file", ["--authorization-mode", "AlwaysAllow", "--token-auth-file", "/nonexistent/tokens.csv"], "--token-auth-file: open /nonexistent/tokens.csv: no such file or directory"],
  ["short token file", ["--authorization-mode", "AlwaysAllow", "--token-auth-file", "SHORT"], "must have at least 3 columns (token, user name, user uid), found 2"],
  ["bad policy file", ["--authorization-mode", "ABAC", "--authorization-policy-file", "POLICY"], "--authorization-policy-file: policy file"],
  ["bad signing key", ["--service-account-signing-key-file", "GARBAGE"], "failed to parse service-account-issuer-key-file"],
  ["missing tls key", ["--tls-cert-file", "/nonexistent/tls.crt"], "--tls-cert-file and --tls-private-key-file must be given together"],
  ["unreadable client CA", ["--client-ca-file", "/nonexistent/ca.crt"], "--client-ca-file: open /nonexistent/ca.crt"],
  ["token file without a policy (default ABAC)", ["--token-auth-file", "SHORT"], "authorization-mode ABAC's authorization policy file not passed"],
  ["missing manifest", ["--objects", "/nonexistent/objects.yaml"], "/nonexistent/objects.yaml"],
  ["etcd without servers", ["--store", "etcd"], "--etcd-servers must be specified"],
  ["port not a number", ["--port", "abc"], ""]
]

describe("tokenrequest serve start-up errors", () => {
  for (const [name, args, expected] of cases) {
    it(`${name}: exit code 2, one line`, () => {
      const resolved = args.map((a) =>
        a === "SHORT" ? path.join(dir, "short.csv") : a === "POLICY" ? path.join(dir, "policy.jsonl") : a === "GARBAGE" ? path.join(dir, "garbage.pem") : a
      )
      const result = runServe(resolved)
      assert.strictEqual(result.status, 2, `${result.stdout}\n${result.stderr}`)
      assert.notInclude(result.stdout, "listening on")
      const lines = result.stderr.trim().split("\n")
      assert.strictEqual(lines.length, 1, result.stderr)
      assert.include(lines[0], expected)
    })
  }

  it("serves the given --tls-cert-file/--tls-private-key-file, trusted through the written kubeconfig", async () => {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", path.join(dir, "tls.key"), "-out", path.join(dir, "tls.crt"), "-days", "2",
      "-subj", "/CN=test-server", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"
    ], { stdio: "pipe" })
    const server = await startServer(["--tls-cert-file", path.join(dir, "tls.crt"), "--tls-private-key-file", path.join(dir, "tls.key")])
    try {
      assert.include(server.stdout(), `serving certificate: ${path.join(dir, "tls.crt")}`)
      const whoami = kubectl(server.kubeconfig, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])
      assert.strictEqual(whoami.stdout, "admin", whoami.stderr)
    } finally {
      await server.stop()
    }
  })

  it("a key that does not match --tls-cert-file is refused", () => {
    execFileSync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path.join(dir, "other.key")])
    const result = runServe(["--tls-cert-file", path.join(dir, "tls.crt"), "--tls-private-key-file", path.join(dir, "other.key")])
    assert.strictEqual(result.status, 2)
    assert.include(result.stderr, "private key does not match public key")
  })

  it("SIGTERM shuts a running server down, also with a watch open", async () => {
    const server = await startServer(["--insecure-plain-http"], { plain: true })
    const token = /admin token \(user "admin", group "system:masters"\): (\S+)/.exec(server.stdout())![1]!
    const watching = new Promise<void>((resolve) => {
      const req = http.get(new URL("/api/v1/pods?watch=true", server.url), { headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.on("data", () => {})
        res.on("close", () => resolve())
        resolve()
      })
      req.on("error", () => resolve())
    })
    await watching
    // stop() sends SIGTERM and SIGKILLs after 10 s; a null code would mean it had to.
    const code = await server.stop()
    assert.isNotNull(code)
  })
})
