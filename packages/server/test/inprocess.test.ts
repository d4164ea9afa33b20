/**
 * The programmatic server: `Server.layer(options)` starts a complete server in the test's process
 * (the one-line fake server the testkit builds on), on HTTPS with a generated certificate, and stops
 * it with the layer's scope.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Server from "@tokenrequest/server/Server"
import { call } from "./fixtures/call.js"


describe("Server.layer", () => {
  layer(
    Server.layer({
      port: 0,
      serviceAccountIssuer: ["https://issuer.test"],
      apiAudiences: ["api"],
      adminToken: "test-admin-token",
      initialObjects: [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "ns" } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa", namespace: "ns" } }
      ]
    }),
    { timeout: 60_000 }
  )((it) => {
    it.effect("serves TokenRequest with the configured issuer and audiences", () =>
      Effect.gen(function*() {
        const server = yield* Server.Server
        assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/)
        assert.deepStrictEqual(server.issuers, ["https://issuer.test"])
        assert.strictEqual(Redacted.value(server.adminToken!), "test-admin-token")
        const reply = yield* call(server, "POST", "/api/v1/namespaces/ns/serviceaccounts/sa/token", {})
        assert.strictEqual(reply.status, 201)
        const claims = JSON.parse(Buffer.from(reply.json.status.token.split(".")[1], "base64url").toString())
        assert.strictEqual(claims.iss, "https://issuer.test")
        assert.deepStrictEqual(claims.aud, ["api"])
        assert.include(server.kubeconfig, server.url)
      }))

    it.effect("the default namespace and service account exist, like a fresh cluster", () =>
      Effect.gen(function*() {
        const server = yield* Server.Server
        const reply = yield* call(server, "GET", "/api/v1/namespaces/default/serviceaccounts/default")
        assert.strictEqual(reply.status, 200)
        assert.strictEqual(reply.json.kind, "ServiceAccount")
      }))
  })

  it.effect("fails with a ConfigurationError before listening", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Server.start({ port: 0, serviceAccountMaxTokenExpiration: "10m" })))
      assert.strictEqual(error._tag, "ConfigurationError")
      assert.strictEqual(error.exitCode, 2)
      assert.strictEqual(error.message, "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds")
    }))
})
