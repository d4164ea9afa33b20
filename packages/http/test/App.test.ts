import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { claimsOf, get, issuer, ports, post, serve, TestServer, uidOf } from "./fixtures.js"

const tokenPath = "/api/v1/namespaces/default/serviceaccounts/builder/token"

describe("token endpoints over loopback HTTP (JSON)", () => {
  layer(serve(ports(), { caller: (req) => req.headers["x-test-user"] ? { username: String(req.headers["x-test-user"]), groups: ["devs", "system:authenticated"] } : undefined }))(
    (it) => {
      it.effect("creates a token: 201, upstream body, claims", () =>
        Effect.gen(function*() {
          const { store, url } = yield* TestServer
          const response = yield* post(
            url + tokenPath,
            JSON.stringify({ spec: { audiences: ["vault", "api"], expirationSeconds: 1200 } })
          )
          assert.strictEqual(response.status, 201)
          assert.strictEqual(response.headers.get("content-type"), "application/json")
          const body = JSON.parse(response.text)
          assert.deepStrictEqual(Object.keys(body), ["kind", "apiVersion", "metadata", "spec", "status"])
          assert.strictEqual(body.kind, "TokenRequest")
          assert.strictEqual(body.apiVersion, "authentication.k8s.io/v1")
          assert.strictEqual(body.metadata.name, "builder")
          assert.strictEqual(body.metadata.namespace, "default")
          const saUid = yield* uidOf(store, "ServiceAccount", "default", "builder")
          assert.strictEqual(body.metadata.uid, saUid)
          assert.deepStrictEqual(body.spec, { audiences: ["vault", "api"], expirationSeconds: 1200, boundObjectRef: null })
          assert.match(body.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
          const claims = claimsOf(body.status.token)
          assert.deepStrictEqual(claims.aud, ["vault", "api"])
          assert.strictEqual(claims.iss, issuer)
          assert.strictEqual(claims.sub, "system:serviceaccount:default:builder")
          assert.strictEqual(claims.exp - claims.iat, 1200)
          assert.deepStrictEqual(claims["kubernetes.io"].serviceaccount, { name: "builder", uid: saUid })
        }))

      it.effect("defaults: apiVersion/kind/spec omitted, audiences = API audiences, 3600 s", () =>
        Effect.gen(function*() {
          const { url } = yield* TestServer
          const response = yield* post(url + tokenPath, "{}")
          assert.strictEqual(response.status, 201)
          const body = JSON.parse(response.text)
          assert.deepStrictEqual(body.spec.audiences, [issuer])
          assert.strictEqual(body.spec.expirationSeconds, 3600)
          const claims = claimsOf(body.status.token)
          assert.strictEqual(claims.exp - claims.iat, 3600)
        }))

      it.effect("unknown fields are dropped with a Warning (fieldValidation Warn by default), or ignored", () =>
        Effect.gen(function*() {
          const { url } = yield* TestServer
          const body = JSON.stringify({ spec: { audience: ["x"], expirationSeconds: 900 }, metadata: { labels: { a: "b" }, colour: "red" } })
          const warned = yield* post(url + tokenPath, body)
          assert.strictEqual(warned.status, 201)
          assert.strictEqual(warned.headers.get("warning"), "299 - \"unknown field \\\"spec.audience\\\"\", 299 - \"unknown field \\\"metadata.colour\\\"\"")
          assert.deepStrictEqual(JSON.parse(warned.text).spec.audiences, [issuer])
          const ignored = yield* post(url + tokenPath + "?fieldValidation=Ignore", body)
          assert.strictEqual(ignored.status, 201)
          assert.isNull(ignored.headers.get("warning"))
        }))

      it.effect("names of Object.prototype members are unknown fields too", () =>
        Effect.gen(function*() {
          const { url } = yield* TestServer
          const body = JSON.stringify({ constructor: 1, spec: { toString: "x", expirationSeconds: 900 } })
          const warned = yield* post(url + tokenPath, body)
          assert.strictEqual(warned.status, 201)
          assert.strictEqual(warned.headers.get("warning"), "299 - \"unknown field \\\"constructor\\\"\", 299 - \"unknown field \\\"spec.toString\\\"\"")
        }))

      it.effect("binds to a pod: pod and node claims", () =>
        Effect.gen(function*() {
          const { store, url } = yield* TestServer
          const response = yield* post(
            url + tokenPath,
            JSON.stringify({
              apiVersion: "authentication.k8s.io/v1",
              kind: "TokenRequest",
              spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web" } }
            })
          )
          assert.strictEqual(response.status, 201)
          const body = JSON.parse(response.text)
          assert.deepStrictEqual(body.spec.boundObjectRef, { kind: "Pod", apiVersion: "v1", name: "web" })
          const claims = claimsOf(body.status.token)
          assert.deepStrictEqual(claims["kubernetes.io"].pod, {
            name: "web",
            uid: yield* uidOf(store, "Pod", "default", "web")
          })
          assert.deepStrictEqual(claims["kubernetes.io"].node, {
            name: "node-1",
            uid: yield* uidOf(store, "Node", "", "node-1")
          })
        }))

      it.effect("reviews an issued token (201, authenticated) and an invalid one (201, status.error)", () =>
        Effect.gen(function*() {
          const { url } = yield* TestServer
          const issued = JSON.parse((yield* post(url + tokenPath, "{}")).text)
          const review = yield* post(
            url + "/apis/authentication.k8s.io/v1/tokenreviews",
            JSON.stringify({ spec: { token: issued.status.token } })
          )
          assert.strictEqual(review.status, 201)
          const body = JSON.parse(review.text)
          assert.strictEqual(body.kind, "TokenReview")
          assert.strictEqual(body.apiVersion, "authentication.k8s.io/v1")
          assert.strictEqual(body.status.authenticated, true)
          assert.strictEqual(body.status.user.username, "system:serviceaccount:default:builder")
          assert.deepStrictEqual(body.status.audiences, [issuer])

          const invalid = yield* post(
            url + "/apis/authentication.k8s.io/v1/tokenreviews",
            JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token: "nope" } })
          )
          assert.strictEqual(invalid.status, 201)
          const failed = JSON.parse(invalid.text)
          assert.deepStrictEqual(failed.status, { user: {}, error: "invalid bearer token" })
        }))

      it.effect("selfsubjectreviews: anonymous by default, the host's caller when provided", () =>
        Effect.gen(function*() {
          const { url } = yield* TestServer
          const path = url + "/apis/authentication.k8s.io/v1/selfsubjectreviews"
          const anonymous = yield* post(path, "{}")
          assert.strictEqual(anonymous.status, 201)
          const body = JSON.parse(anonymous.text)
          assert.strictEqual(body.kind, "SelfSubjectReview")
          assert.deepStrictEqual(body.status, {
            userInfo: { username: "system:anonymous", groups: ["system:unauthenticated"] }
          })
          const named = JSON.parse((yield* post(path, "{}", { "x-test-user": "alice" })).text)
          assert.deepStrictEqual(named.status.userInfo, { username: "alice", groups: ["devs", "system:authenticated"] })
        }))

      it.effect("discovery and JWKS: content types and cache headers", () =>
        Effect.gen(function*() {
          const { url } = yield* TestServer
          const discovery = yield* get(url + "/.well-known/openid-configuration")
          assert.strictEqual(discovery.status, 200)
          assert.strictEqual(discovery.headers.get("content-type"), "application/json")
          assert.strictEqual(discovery.headers.get("cache-control"), "public, max-age=3600")
          const document = JSON.parse(discovery.text)
          assert.deepStrictEqual(Object.keys(document), [
            "issuer",
            "jwks_uri",
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported"
          ])
          assert.strictEqual(document.issuer, issuer)
          assert.deepStrictEqual(document.id_token_signing_alg_values_supported, ["ES256"])
          const jwks = yield* get(url + "/openid/v1/jwks")
          assert.strictEqual(jwks.status, 200)
          assert.strictEqual(jwks.headers.get("content-type"), "application/jwk-set+json")
          assert.strictEqual(jwks.headers.get("cache-control"), "public, max-age=3600")
          const keys = JSON.parse(jwks.text).keys
          assert.strictEqual(keys.length, 1)
          assert.deepStrictEqual(Object.keys(keys[0]), ["use", "kty", "kid", "crv", "alg", "x", "y"])
        }))
    }
  )

  layer(serve(ports({ maxExpirationSeconds: 3600 })))((it) => {
    it.effect("the clamp warning is a Warning: 299 header", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const response = yield* post(url + tokenPath, JSON.stringify({ spec: { expirationSeconds: 7200 } }))
        assert.strictEqual(response.status, 201)
        assert.strictEqual(
          response.headers.get("warning"),
          "299 - \"requested expiration of 7200 seconds shortened to 3600 seconds\""
        )
        assert.strictEqual(JSON.parse(response.text).spec.expirationSeconds, 3600)
      }))
  })
})
