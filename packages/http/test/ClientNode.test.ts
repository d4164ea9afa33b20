/**
 * `@kubernetes/client-node` (JSON) creating and reviewing tokens against the app on loopback.
 */
import { assert, describe, layer } from "@effect/vitest"
import { AuthenticationV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node"
import { Effect, Layer } from "effect"
import { claimsOf, issuer, makeCertificate, ports, removeCertificate, serve, TestServer, uidOf } from "./fixtures.js"

const certificate = makeCertificate()

const clients = (server: string) => {
  const config = new KubeConfig()
  config.loadFromOptions({
    clusters: [{ name: "test", server, skipTLSVerify: false, caData: Buffer.from(certificate.cert).toString("base64") }],
    users: [{ name: "test", token: "dummy" }],
    contexts: [{ name: "test", cluster: "test", user: "test" }],
    currentContext: "test"
  })
  return { core: config.makeApiClient(CoreV1Api), authentication: config.makeApiClient(AuthenticationV1Api) }
}

describe("@kubernetes/client-node", () => {
  layer(
    Layer.merge(
      serve(ports(), { tls: certificate }),
      Layer.scopedDiscard(Effect.addFinalizer(() => removeCertificate(certificate)))
    )
  )((it) => {
    it.effect("createNamespacedServiceAccountToken, then createTokenReview", () =>
      Effect.gen(function*() {
        const { store, url } = yield* TestServer
        const { authentication, core } = clients(url)
        const podUid = yield* uidOf(store, "Pod", "default", "web")
        const created = yield* Effect.promise(() =>
          core.createNamespacedServiceAccountToken({
            name: "builder",
            namespace: "default",
            body: {
              spec: {
                audiences: ["vault"],
                expirationSeconds: 3607,
                boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web", uid: podUid }
              }
            }
          })
        )
        assert.strictEqual(created.kind, "TokenRequest")
        assert.strictEqual(created.metadata?.name, "builder")
        assert.strictEqual(created.spec.expirationSeconds, 3607)
        assert.instanceOf(created.status?.expirationTimestamp, Date)
        const claims = claimsOf(created.status!.token)
        assert.deepStrictEqual(claims.aud, ["vault"])
        assert.deepStrictEqual(claims["kubernetes.io"].pod, { name: "web", uid: podUid })
        // "vault" is not an API audience: no extension
        assert.strictEqual(claims.exp - claims.iat, 3607)

        const review = yield* Effect.promise(() =>
          authentication.createTokenReview({ body: { spec: { token: created.status!.token, audiences: ["vault"] } } })
        )
        assert.strictEqual(review.status?.authenticated, true)
        assert.strictEqual(review.status?.user?.username, "system:serviceaccount:default:builder")
        assert.deepStrictEqual(review.status?.audiences, ["vault"])

        const wrongAudience = yield* Effect.promise(() =>
          authentication.createTokenReview({ body: { spec: { token: created.status!.token } } })
        )
        assert.notStrictEqual(wrongAudience.status?.authenticated, true)
        assert.strictEqual(
          wrongAudience.status?.error,
          `[invalid bearer token, token audiences ["vault"] is invalid for the target audiences ["${issuer}"]]`
        )
      }))

    it.effect("errors surface as ApiException with the Status body", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const { core } = clients(url)
        const error = yield* Effect.promise(() =>
          core.createNamespacedServiceAccountToken({ name: "ghost", namespace: "default", body: { spec: { audiences: [] } } })
            .then(() => undefined, (e: unknown) => e as { code?: number; body?: unknown })
        )
        assert.strictEqual(error?.code, 404)
        const body = typeof error?.body === "string" ? JSON.parse(error.body) : error?.body
        assert.deepStrictEqual(body, {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: "serviceaccounts \"ghost\" not found",
          reason: "NotFound",
          details: { name: "ghost", kind: "serviceaccounts" },
          code: 404
        })
      }))
  })
})
