/**
 * Stale-token accounting (semantics §5.6): a token used after its `kubernetes.io.warnafter` still
 * authenticates, and `/metrics` counts it, both as an API credential and in a TokenReview. The token
 * is signed here with the server's own signing key file, its warnafter already passed.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import * as SigningKey from "@tokenrequest/signer-jose/SigningKey"
import * as Server from "@tokenrequest/server/Server"

const call = (url: string, token: string, method: string, pathname: string, body?: unknown) =>
  Effect.async<{ status: number; body: string }>((resume) => {
    const req = http.request(new URL(pathname, url), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }
    }, (res) => {
      let data = ""
      res.on("data", (c) => (data += c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body: data })))
    })
    req.on("error", (e) => resume(Effect.die(e)))
    if (body !== undefined) req.write(JSON.stringify(body))
    req.end()
  })

describe("stale tokens", () => {
  it.live("are accepted and counted in serviceaccount_stale_tokens_total", () =>
    Effect.gen(function*() {
      const pem = yield* SigningKey.generate("ES256")
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tokenrequest-stale-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const keyFile = path.join(dir, "sa.key")
      fs.writeFileSync(keyFile, pem)
      const server = yield* Server.start({
        port: 0,
        insecurePlainHttp: true,
        adminToken: "admin",
        serviceAccountIssuer: ["https://issuer.test"],
        serviceAccountSigningKeyFile: keyFile
      })
      const sa = JSON.parse((yield* call(server.url, "admin", "GET", "/api/v1/namespaces/default/serviceaccounts/default")).body)
      const now = Math.floor(Date.now() / 1000)
      const claims = {
        aud: ["https://issuer.test"],
        exp: now + 3600,
        iat: now - 4000,
        iss: "https://issuer.test",
        jti: "5f0c7a8e-2a47-4c55-9d0e-3a3f1b9c7d11",
        "kubernetes.io": {
          namespace: "default",
          serviceaccount: { name: "default", uid: sa.metadata.uid },
          warnafter: now - 393
        },
        nbf: now - 4000,
        sub: "system:serviceaccount:default:default"
      }
      const key = Either.getOrThrow(SigningKey.fromPem(pem))
      const token = SigningKey.sign(key, JSON.stringify(claims))
      const asCredential = yield* call(server.url, token, "GET", "/api/v1/namespaces/default/pods")
      assert.strictEqual(asCredential.status, 200)
      const review = yield* call(server.url, "admin", "POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenReview",
        spec: { token }
      })
      assert.strictEqual(JSON.parse(review.body).status.authenticated, true)
      const metrics = (yield* call(server.url, "admin", "GET", "/metrics")).body
      assert.include(metrics, "serviceaccount_stale_tokens_total 2")
    }).pipe(Effect.scoped))
})
