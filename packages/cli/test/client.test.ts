/**
 * `create token` and `review` through the built binary against a stand-in API server on loopback
 * (plain HTTP, and HTTPS with a custom CA from a flag or a kubeconfig): the request sent, what is
 * printed, warnings, Status errors and exit codes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { beforeAll } from "vitest"
import { build, lines, run } from "./fixtures/binary.js"
import * as FakeApiServer from "./fixtures/fakeApiServer.js"

beforeAll(build, 180_000)

const withTempDir = <A, E, R>(use: (dir: string) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "tokenrequest-cli-"))),
    use,
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )

describe("create token", () => {
  it.live("sends kubectl's TokenRequest and prints only the token", () =>
    Effect.gen(function*() {
      const api = yield* FakeApiServer.start({ tls: false })
      const result = yield* run([
        "create", "token", "builder", "-n", "ci",
        "--audience", "vault", "--audience=https://example.com",
        "--duration", "1h30m",
        "--bound-object-kind", "Pod", "--bound-object-name", "runner-1", "--bound-object-uid", "1234",
        "--server", api.url, "--token", FakeApiServer.adminToken
      ])
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(result.stdout, FakeApiServer.issuedToken, "the token alone, no newline on a pipe")
      assert.strictEqual(result.stderr, "")
      assert.strictEqual(api.received.length, 1)
      const request = api.received[0]!
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.url, "/api/v1/namespaces/ci/serviceaccounts/builder/token")
      assert.strictEqual(request.authorization, `Bearer ${FakeApiServer.adminToken}`)
      assert.strictEqual(request.contentType, "application/json")
      assert.deepStrictEqual(request.body, {
        kind: "TokenRequest",
        apiVersion: "authentication.k8s.io/v1",
        metadata: {},
        spec: {
          audiences: ["vault", "https://example.com"],
          expirationSeconds: 5400,
          boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "runner-1", uid: "1234" }
        }
      })
    }).pipe(Effect.scoped))

  it.live("leaves expirationSeconds to the server without --duration and defaults the namespace", () =>
    Effect.gen(function*() {
      const api = yield* FakeApiServer.start({ tls: false })
      const result = yield* run(["create", "token", "builder", "--server", api.url, "--token", FakeApiServer.adminToken])
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(api.received[0]!.url, "/api/v1/namespaces/default/serviceaccounts/builder/token")
      assert.deepStrictEqual(api.received[0]!.body.spec, { audiences: [], boundObjectRef: null })
    }).pipe(Effect.scoped))

  it.live("prints Warning headers on stderr and the whole object with -o json", () =>
    Effect.gen(function*() {
      const api = yield* FakeApiServer.start({ tls: false })
      const result = yield* run([
        "create", "token", "builder", "-n", "ci", "--duration", "48h", "-o", "json",
        "--server", api.url, "--token", FakeApiServer.adminToken
      ])
      assert.strictEqual(result.code, 0, result.stderr)
      assert.deepStrictEqual(lines(result.stderr), [
        "Warning: requested expiration of 172800 seconds shortened to 7200 seconds"
      ])
      const printed = JSON.parse(result.stdout)
      assert.strictEqual(printed.kind, "TokenRequest")
      assert.strictEqual(printed.status.token, FakeApiServer.issuedToken)
      assert.strictEqual(printed.spec.expirationSeconds, 7200)
    }).pipe(Effect.scoped))

  it.live("a Status error is one line with its message and exit code 1", () =>
    Effect.gen(function*() {
      const api = yield* FakeApiServer.start({ tls: false })
      const missing = yield* run(["create", "token", "ghost", "-n", "ci", "--server", api.url, "--token", FakeApiServer.adminToken])
      assert.strictEqual(missing.code, 1)
      assert.strictEqual(missing.stdout, "")
      assert.deepStrictEqual(lines(missing.stderr), ['error: failed to create token: serviceaccounts "ghost" not found'])
      const unauthorized = yield* run(["create", "token", "builder", "--server", api.url, "--token", "wrong"])
      assert.strictEqual(unauthorized.code, 1)
      assert.deepStrictEqual(lines(unauthorized.stderr), ["error: failed to create token: Unauthorized"])
    }).pipe(Effect.scoped))

  it.live("HTTPS: trusts the CA given with --certificate-authority and refuses an unknown one", () =>
    Effect.gen(function*() {
      const api = yield* FakeApiServer.start({ tls: true })
      const auth = ["--server", api.url, "--token", FakeApiServer.adminToken]
      const trusted = yield* run(["create", "token", "builder", "--certificate-authority", api.caFile!, ...auth])
      assert.strictEqual(trusted.code, 0, trusted.stderr)
      assert.strictEqual(trusted.stdout, FakeApiServer.issuedToken)
      const untrusted = yield* run(["create", "token", "builder", ...auth])
      assert.strictEqual(untrusted.code, 1)
      assert.strictEqual(lines(untrusted.stderr).length, 1)
      assert.match(untrusted.stderr, /^error: Post "https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/default\/serviceaccounts\/builder\/token": .*(self.signed|certificate)/)
      const insecure = yield* run(["create", "token", "builder", "--insecure-skip-tls-verify", ...auth])
      assert.strictEqual(insecure.code, 0, insecure.stderr)
    }).pipe(Effect.scoped))

  it.live("HTTPS: server, CA, token and namespace from --kubeconfig and $KUBECONFIG", () =>
    withTempDir((dir) =>
      Effect.gen(function*() {
        const api = yield* FakeApiServer.start({ tls: true })
        fs.copyFileSync(api.caFile!, path.join(dir, "ca.crt"))
        const kubeconfig = path.join(dir, "kubeconfig")
        fs.writeFileSync(
          kubeconfig,
          [
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: fake",
            "  cluster:",
            `    server: ${api.url}`,
            "    certificate-authority: ca.crt",
            "users:",
            "- name: admin",
            "  user:",
            `    token: ${FakeApiServer.adminToken}`,
            "contexts:",
            "- name: fake",
            "  context:",
            "    cluster: fake",
            "    user: admin",
            "    namespace: ci",
            "current-context: fake",
            ""
          ].join("\n")
        )
        const flag = yield* run(["create", "token", "builder", "--kubeconfig", kubeconfig])
        assert.strictEqual(flag.code, 0, flag.stderr)
        assert.strictEqual(flag.stdout, FakeApiServer.issuedToken)
        assert.strictEqual(api.received[0]!.url, "/api/v1/namespaces/ci/serviceaccounts/builder/token")
        const env = yield* run(["review", FakeApiServer.issuedToken], { env: { KUBECONFIG: kubeconfig } })
        assert.strictEqual(env.code, 0, env.stderr)
        assert.strictEqual(JSON.parse(env.stdout).authenticated, true)
        const unknownContext = yield* run(["create", "token", "builder", "--kubeconfig", kubeconfig, "--context", "nope"])
        assert.strictEqual(unknownContext.code, 2)
        assert.deepStrictEqual(lines(unknownContext.stderr), ["error: context was not found for specified context: nope"])
      }).pipe(Effect.scoped)
    ))
})

describe("review", () => {
  it.live("prints the status and exits 0 for an authenticated token", () =>
    Effect.gen(function*() {
      const api = yield* FakeApiServer.start({ tls: false })
      const result = yield* run([
        "review", FakeApiServer.issuedToken, "--audience", "vault",
        "--server", api.url, "--token", FakeApiServer.adminToken
      ])
      assert.strictEqual(result.code, 0, result.stderr)
      assert.deepStrictEqual(JSON.parse(result.stdout), {
        authenticated: true,
        user: { username: "system:serviceaccount:ci:builder", groups: ["system:serviceaccounts"] },
        audiences: ["vault"]
      })
      const request = api.received[0]!
      assert.strictEqual(request.url, "/apis/authentication.k8s.io/v1/tokenreviews")
      assert.deepStrictEqual(request.body.spec, { token: FakeApiServer.issuedToken, audiences: ["vault"] })
      assert.strictEqual(request.body.kind, "TokenReview")
    }).pipe(Effect.scoped))

  it.live("prints the status with its error and exits 1 for a token that is not authenticated", () =>
    Effect.gen(function*() {
      const api = yield* FakeApiServer.start({ tls: false })
      const result = yield* run(["review", "not-a-token", "--server", api.url, "--token", FakeApiServer.adminToken])
      assert.strictEqual(result.code, 1)
      const status = JSON.parse(result.stdout)
      assert.strictEqual(status.authenticated, false)
      assert.deepStrictEqual(status.user, {})
      assert.match(status.error, /invalid bearer token/)
      assert.deepStrictEqual(api.received[0]!.body.spec, { token: "not-a-token" })
    }).pipe(Effect.scoped))

  it.live("reads the token from stdin with -", () =>
    Effect.gen(function*() {
      const api = yield* FakeApiServer.start({ tls: false })
      const result = yield* run(["review", "-", "--server", api.url, "--token", FakeApiServer.adminToken], {
        stdin: `${FakeApiServer.issuedToken}\n`
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(api.received[0]!.body.spec.token, FakeApiServer.issuedToken)
    }).pipe(Effect.scoped))
})
