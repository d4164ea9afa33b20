/**
 * Two `tokenrequest serve --store etcd` replicas on one real etcd, sharing a signing key: a token
 * minted by one is reviewed by the other, and a pod deleted through one invalidates its tokens on
 * the other within a second.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Etcd from "@tokenrequest/testkit/Etcd"
import { request, type Running, startServer, tempDir } from "./fixtures/process.js"

let scope: Scope.CloseableScope
let etcd: Etcd.EtcdServer
let dir: string
let a: Running
let b: Running

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  etcd = await Effect.runPromise(Scope.extend(Etcd.make(), scope))
  dir = tempDir("etcd")
  execFileSync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path.join(dir, "sa.key")])
  fs.writeFileSync(path.join(dir, "tokens.csv"), 'admin-token,admin,1,"system:masters"\n')
  const args = [
    "--store", "etcd",
    "--etcd-servers", etcd.endpoint,
    "--etcd-prefix", "/tokenrequest-test",
    "--service-account-issuer", "https://issuer.example",
    "--service-account-signing-key-file", path.join(dir, "sa.key"),
    "--token-auth-file", path.join(dir, "tokens.csv"),
    "--authorization-mode", "AlwaysAllow"
  ]
  a = await startServer(args)
  b = await startServer(args)
}, 300_000)

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()])
  if (scope) await Effect.runPromise(Scope.close(scope, Exit.void))
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const token = "admin-token"
const eventually = async <A>(probe: () => Promise<A>, ok: (a: A) => boolean): Promise<A> => {
  for (let i = 0; i < 200; i++) {
    const value = await probe()
    if (ok(value)) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return probe()
}

describe("two replicas on one etcd", () => {
  it("see each other's objects and tokens, and a pod deletion on one invalidates its tokens on the other", async () => {
    assert.strictEqual((await request(a, "POST", "/api/v1/namespaces", { token, body: { metadata: { name: "shared" } } })).status, 201)
    const created = await request(a, "POST", "/api/v1/namespaces/shared/pods", {
      token,
      body: { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox" }] } }
    })
    assert.strictEqual(created.status, 201, created.body)
    const listed = await eventually(() => request(b, "GET", "/api/v1/namespaces/shared/pods", { token }), (r) => r.json().items.length === 1)
    assert.strictEqual(listed.json().items[0].metadata.name, "p")
    const issued = await request(a, "POST", "/api/v1/namespaces/shared/serviceaccounts/default/token", {
      token,
      body: { spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "p" } } }
    })
    assert.strictEqual(issued.status, 201, issued.body)
    const review = (server: Running) =>
      request(server, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
        token,
        body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token: issued.json().status.token } }
      })
    assert.strictEqual((await review(b)).json().status.authenticated, true)
    assert.strictEqual((await request(b, "DELETE", "/api/v1/namespaces/shared/pods/p", { token })).status, 200)
    const after = await eventually(() => review(a), (r) => r.json().status.authenticated !== true)
    assert.strictEqual(after.json().status.error, "[invalid bearer token, service account token has been invalidated]")
  })

  it("etcd down: 503 ServiceUnavailable and counted store errors, then recovery", async () => {
    await Effect.runPromise(etcd.kill)
    const down = await eventually(
      () => request(a, "POST", "/api/v1/namespaces/shared/serviceaccounts", { token, body: { metadata: { name: "late" } } }),
      (r) => r.status === 503
    )
    assert.strictEqual(down.status, 503, down.body)
    assert.strictEqual(down.json().reason, "ServiceUnavailable")
    const metrics = await request(a, "GET", "/metrics", { token })
    assert.match(metrics.body, /tokenrequest_store_errors_total\{reason="Unavailable"\} [1-9]/)
    await Effect.runPromise(etcd.start)
    const back = await eventually(
      () => request(a, "POST", "/api/v1/namespaces/shared/serviceaccounts", { token, body: { metadata: { name: "late" } } }),
      (r) => r.status === 201
    )
    assert.strictEqual(back.status, 201, back.body)
  })
})
