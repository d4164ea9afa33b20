/**
 * Hostile input against the token API served in-process over loopback (http's Node listener, memory
 * store, jose key ring): random and mutated TokenRequest/TokenReview bodies in JSON and protobuf,
 * headers, content types, methods, paths and query strings. Every answer must be a 2xx, or a 4xx
 * `Status` whose `code` is the HTTP status (or Node's own bodiless 400/431 before the app), within a
 * bound; never a 5xx for the caller's mistake, never a hang, and the server keeps answering.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Protobuf from "@tokenrequest/http/Protobuf"
import { Effect, FastCheck as fc } from "effect"
import {
  App,
  ports,
  postJson,
  rawRequest,
  sendRaw,
  Reference,
  referenceServer,
  reviewPath,
  serveApp,
  statusProblem,
  tokenPath
} from "./fixtures.js"

const runs = Number(process.env["HARDENING_FUZZ_RUNS"] ?? 60)

const validTokenRequest = {
  apiVersion: "authentication.k8s.io/v1",
  kind: "TokenRequest",
  metadata: { name: "builder", namespace: "default" },
  spec: {
    audiences: ["https://vault.example", "api"],
    expirationSeconds: 1200,
    boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web" }
  }
}

/** Awkward JSON values: huge and odd numbers, deep nesting, long strings, wrong types. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    1e308,
    -1e308,
    2 ** 53 + 1,
    -(2 ** 63),
    2 ** 64,
    0.5,
    -0,
    "",
    "\u0000",
    "\ud800",
    "\uffff",
    "a".repeat(70_000),
    [],
    {},
    null,
    true
  ),
  fc.integer({ min: 1, max: 300 }).map((depth) => {
    let v: unknown = "x"
    for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v }
    return v
  }),
  fc.string({ unit: "binary", maxLength: 50 })
)

const fieldPaths = [
  [],
  ["apiVersion"],
  ["kind"],
  ["metadata"],
  ["metadata", "name"],
  ["metadata", "namespace"],
  ["metadata", "labels"],
  ["metadata", "uid"],
  ["metadata", "creationTimestamp"],
  ["spec"],
  ["spec", "audiences"],
  ["spec", "audiences", 0],
  ["spec", "expirationSeconds"],
  ["spec", "boundObjectRef"],
  ["spec", "boundObjectRef", "kind"],
  ["spec", "boundObjectRef", "apiVersion"],
  ["spec", "boundObjectRef", "name"],
  ["spec", "boundObjectRef", "uid"],
  ["spec", "token"],
  ["status"],
  ["status", "token"]
] as const

const setPath = (value: any, path: ReadonlyArray<string | number>, replacement: unknown): unknown => {
  if (path.length === 0) return replacement
  const container = typeof value === "object" && value !== null ? structuredClone(value) : {}
  container[path[0]!] = setPath(container[path[0]!], path.slice(1), replacement)
  return container
}

/** A real body with up to three fields replaced by hostile values. */
const mutatedBody = (base: unknown) =>
  fc.array(fc.tuple(fc.constantFrom(...fieldPaths), hostileValue), { minLength: 1, maxLength: 3 }).map((edits) =>
    edits.reduce((body, [path, v]) => setPath(body, path, v), base)
  )

const check = async (response: Awaited<ReturnType<typeof rawRequest>>, what: string) => {
  const problem = statusProblem(response)
  if (problem !== undefined) throw new Error(`${what}: ${problem}`)
}

describe("hostile input: in-process token API", () => {
  layer(serveApp(ports(), { limits: { headersTimeout: 2000, requestTimeout: 5000 } }), { timeout: 30_000, excludeTestServices: true })((it) => {
    it.effect("mutated TokenRequest JSON bodies: 2xx or 4xx Status", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const seen = new Set<number>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(mutatedBody(validTokenRequest), async (body) => {
              const response = await rawRequest(port, {
                path: tokenPath(),
                headers: [["Content-Type", "application/json"]],
                body: JSON.stringify(body) ?? "null"
              })
              seen.add(response.status)
              await check(response, JSON.stringify(body)?.slice(0, 300) ?? "")
            }),
            { numRuns: runs }
          )
        )
        assert.isTrue([...seen].some((s) => s >= 400), `some mutation was refused: ${[...seen]}`)
      }), 60_000)

    it.effect("mutated TokenReview JSON bodies: 2xx or 4xx Status", () =>
      Effect.gen(function*() {
        const { port, url } = yield* App
        const issued = yield* Effect.promise(() => postJson(url + tokenPath(), {}))
        const review = {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenReview",
          spec: { token: issued.json.status.token, audiences: ["https://issuer.hardening.test"] }
        }
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(mutatedBody(review), async (body) => {
              const response = await rawRequest(port, {
                path: reviewPath,
                headers: [["Content-Type", "application/json"]],
                body: JSON.stringify(body) ?? "null"
              })
              await check(response, JSON.stringify(body)?.slice(0, 300) ?? "")
            }),
            { numRuns: runs }
          )
        )
      }), 60_000)

    it.effect("random bytes (invalid UTF-8, truncated JSON) as JSON and protobuf bodies", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const valid = Buffer.from(JSON.stringify(validTokenRequest))
        const bytes = fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.nat({ max: valid.length }).map((n) => valid.subarray(0, n)),
          fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0x80, max: 0xff })).map(([i, b]) => {
            const copy = Buffer.from(valid)
            copy[i] = b
            return copy
          })
        )
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              bytes,
              fc.constantFrom("application/json", Protobuf.mediaType),
              fc.constantFrom(tokenPath(), reviewPath),
              async (body, contentType, path) => {
                const response = await rawRequest(port, {
                  path,
                  headers: [["Content-Type", contentType]],
                  body: Buffer.from(body)
                })
                await check(response, `${contentType} ${path} ${Buffer.from(body).toString("hex").slice(0, 120)}`)
              }
            ),
            { numRuns: runs }
          )
        )
      }), 60_000)

    it.effect("mutated protobuf envelopes (byte flips, truncation, insertion) of real bodies", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const tokenRequest = Protobuf.encodeEnvelope({
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          raw: Protobuf.fromJsonShape("TokenRequest", validTokenRequest)
        })
        const tokenReview = Protobuf.encodeEnvelope({
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenReview",
          raw: Protobuf.fromJsonShape("TokenReview", { metadata: {}, spec: { token: "a.b.c", audiences: ["x"] } })
        })
        const valid = (yield* Effect.promise(() =>
          rawRequest(port, {
            path: tokenPath(),
            headers: [["Content-Type", Protobuf.mediaType]],
            body: Buffer.from(tokenRequest)
          })
        ))
        assert.strictEqual(valid.status, 201, valid.text)
        const mutation = (base: Uint8Array) =>
          fc.oneof(
            fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), {
              minLength: 1,
              maxLength: 4
            }).map((flips) => {
              const copy = Buffer.from(base)
              for (const [i, b] of flips) copy[i] = b
              return copy
            }),
            fc.nat({ max: base.length }).map((n) => Buffer.from(base).subarray(0, n)),
            fc.tuple(fc.nat({ max: base.length }), fc.uint8Array({ minLength: 1, maxLength: 20 })).map(([i, extra]) =>
              Buffer.concat([Buffer.from(base).subarray(0, i), extra, Buffer.from(base).subarray(i)])
            ),
            // a length prefix claiming far more bytes than there are
            fc.constant(Buffer.concat([Buffer.from(base).subarray(0, 4), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])]))
          )
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.oneof(
                mutation(tokenRequest).map((b) => [tokenPath(), b] as const),
                mutation(tokenReview).map((b) => [reviewPath, b] as const)
              ),
              async ([path, body]) => {
                const response = await rawRequest(port, {
                  path,
                  headers: [["Content-Type", Protobuf.mediaType]],
                  body
                })
                await check(response, `${path} ${body.toString("hex").slice(0, 160)}`)
              }
            ),
            { numRuns: runs }
          )
        )
      }), 60_000)

    it.effect("random methods, paths (.., encoded slashes, very long) and query strings", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const segment = fc.oneof(
          fc.constantFrom(
            "api",
            "v1",
            "namespaces",
            "default",
            "serviceaccounts",
            "builder",
            "token",
            "apis",
            "authentication.k8s.io",
            "tokenreviews",
            "..",
            ".",
            "",
            "%2F",
            "%2e%2e",
            "%2E%2E%2F",
            "%00",
            "%zz",
            "%",
            "%C0%AF",
            "%ff%fe",
            "a".repeat(5000),
            "UPPER",
            "-bad-",
            "name_with_underscore",
            "é"
          ),
          fc.stringMatching(/^[A-Za-z0-9._~%-]{1,30}$/)
        )
        const query = fc.option(
          fc.array(
            fc.tuple(
              fc.constantFrom("fieldValidation", "dryRun", "pretty", "timeout", "x", "%zz", ""),
              fc.oneof(fc.constantFrom("Strict", "Warn", "Ignore", "All", "", "%", "%zz", "a".repeat(3000)), fc.stringMatching(/^[A-Za-z0-9%=&]{0,20}$/))
            ),
            { maxLength: 4 }
          ).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join("&")),
          { nil: undefined }
        )
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO"),
              fc.array(segment, { minLength: 0, maxLength: 9 }),
              query,
              async (method, segments, q) => {
                const path = "/" + segments.join("/") + (q === undefined ? "" : `?${q}`)
                const response = await rawRequest(port, {
                  method,
                  path,
                  headers: [["Content-Type", "application/json"]],
                  body: method === "GET" || method === "HEAD" ? "" : "{}"
                })
                if (method !== "HEAD") await check(response, `${method} ${path.slice(0, 200)}`)
                else if (response.status >= 500) throw new Error(`HEAD ${path}: ${response.status}`)
              }
            ),
            { numRuns: runs * 2 }
          )
        )
      }), 60_000)

    it.effect("random headers: content types, accept, encodings, authorization, odd bytes", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const headerValue = fc.oneof(
          fc.constantFrom(
            "application/json",
            "application/json; charset=utf-8",
            "application/json;;;",
            "APPLICATION/JSON",
            Protobuf.mediaType,
            `${Protobuf.mediaType}; charset=binary`,
            "application/yaml",
            "text/plain",
            "*/*",
            "multipart/form-data; boundary=x",
            "",
            "gzip",
            "chunked",
            "Bearer ",
            "Bearer a.b.c",
            "Bearer " + "x".repeat(8000),
            "\u00ff\u00fe",
            "q=0",
            "application/json;q=0, application/vnd.kubernetes.protobuf;q=0"
          ),
          fc.stringMatching(/^[\x20-\x7e]{0,60}$/)
        )
        const name = fc.constantFrom(
          "Content-Type",
          "Accept",
          "Content-Encoding",
          "Authorization",
          "X-Remote-User",
          "Impersonate-User",
          "Warning",
          "Accept-Encoding",
          "X-Custom"
        )
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.array(fc.tuple(name, headerValue), { maxLength: 5 }),
              fc.constantFrom(tokenPath(), reviewPath, "/openid/v1/jwks"),
              async (headers, path) => {
                const response = await rawRequest(port, {
                  method: path === "/openid/v1/jwks" ? "GET" : "POST",
                  path,
                  headers,
                  body: path === reviewPath ? JSON.stringify({ spec: { token: "a.b.c" } }) : "{}"
                })
                await check(response, `${path} ${JSON.stringify(headers).slice(0, 300)}`)
              }
            ),
            { numRuns: runs }
          )
        )
      }), 60_000)

    it.effect("scheme-relative request targets and hostile Host headers: not 5xx, never routed by their host part", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        for (const [path, host] of [
          ["//%.", "127.0.0.1"],
          ["//evil.example/openid/v1/jwks", "127.0.0.1"],
          ["//evil.example" + reviewPath, "127.0.0.1"],
          ["/openid/v1/jwks", "a b"],
          ["/openid/v1/jwks", "[::1"],
          ["/openid/v1/jwks", "%%"],
          ["/openid/v1/jwks", ""],
          ["/openid/v1/jwks", "evil.example:99999"]
        ] as const) {
          const response = yield* Effect.promise(() =>
            sendRaw(port, [`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`])
          )
          assert.strictEqual(statusProblem(response), undefined, `${path} Host ${host}: ${response.status} ${response.text}`)
          if (path.startsWith("//")) assert.strictEqual(response.status, 404, `${path}: ${response.text}`)
        }
      }))

    it.effect("dot segments (., .., %2e%2e, backslashes) are never resolved into another path: 404", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        for (const path of [
          "/api/v1/namespaces/x/../default/serviceaccounts/builder/token",
          "/api/v1/namespaces/x/%2e%2e/default/serviceaccounts/builder/token",
          "/api/v1/namespaces/x/.%2E/default/serviceaccounts/builder/token",
          "/api/v1/namespaces/default/serviceaccounts/builder/./token",
          "/api/v1/namespaces/x\\..\\default/serviceaccounts/builder/token",
          "/openid/v1/x/../jwks"
        ]) {
          const response = yield* Effect.promise(() =>
            rawRequest(port, { method: path.includes("jwks") ? "GET" : "POST", path, headers: [["Content-Type", "application/json"]], body: path.includes("jwks") ? "" : "{}" })
          )
          assert.strictEqual(response.status, 404, `${path}: ${response.status} ${response.text.slice(0, 200)}`)
          assert.strictEqual(statusProblem(response), undefined)
        }
      }))

    it.effect("still answers normally after the fuzzing", () =>
      Effect.gen(function*() {
        const { url } = yield* App
        const response = yield* Effect.promise(() => postJson(url + tokenPath(), { spec: { expirationSeconds: 600 } }))
        assert.strictEqual(response.status, 201)
        assert.strictEqual(response.json.kind, "TokenRequest")
      }))
  })
})

describe("hostile input: reference server (authentication, authorization, object API)", () => {
  layer(referenceServer(), { timeout: 60_000, excludeTestServices: true })((it) => {
    const apiPaths = [
      tokenPath(),
      reviewPath,
      "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      "/api/v1/namespaces/default/serviceaccounts",
      "/api/v1/namespaces/default/pods",
      "/api/v1/namespaces/default/secrets",
      "/api/v1/nodes",
      "/api/v1/namespaces",
      "/api/v1/namespaces/default/serviceaccounts/builder",
      "/api",
      "/apis",
      "/version",
      "/metrics",
      "/healthz",
      "/openid/v1/jwks",
      "/.well-known/openid-configuration"
    ]

    it.effect("random requests with and without credentials: 2xx or 4xx Status, never 5xx", () =>
      Effect.gen(function*() {
        const { adminToken, port } = yield* Reference
        const seen = new Map<number, number>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"),
              fc.oneof(
                fc.constantFrom(...apiPaths),
                fc.tuple(fc.constantFrom(...apiPaths), fc.constantFrom("/..", "/%2e%2e", "/x%2Fy", "/" + "n".repeat(300), "?watch=1&timeoutSeconds=1", "?labelSelector=%zz", "?fieldSelector=metadata.name%3D%3D", "?limit=-1", "//", "/Name_With_Caps")).map(([a, b]) => a + b)
              ),
              fc.constantFrom<ReadonlyArray<readonly [string, string]>>(
                [],
                [["Authorization", `Bearer ${adminToken}`]],
                [["Authorization", "Bearer a.b.c"]],
                [["Authorization", `Basic ${Buffer.from("admin:admin").toString("base64")}`]],
                [["Authorization", `Bearer ${adminToken}`], ["Impersonate-User", "system:admin"]]
              ),
              fc.oneof(
                fc.constant(""),
                mutatedBody(validTokenRequest).map((b) => JSON.stringify(b) ?? "null"),
                fc.constantFrom(
                  JSON.stringify({ metadata: { name: "x" } }),
                  JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" }, spec: { serviceAccountName: 7 } }),
                  JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: "-" } }),
                  "[".repeat(20_000),
                  "{\"spec\":{\"token\":\"" + "t".repeat(50_000) + "\"}}"
                )
              ),
              fc.constantFrom("application/json", Protobuf.mediaType, "application/yaml", "text/plain", ""),
              async (method, path, credentials, body, contentType) => {
                const response = await rawRequest(port, {
                  method,
                  path,
                  headers: [...credentials, ...(contentType === "" ? [] : [["Content-Type", contentType] as const])],
                  body: method === "GET" || method === "HEAD" ? "" : body
                }, 20_000)
                seen.set(response.status, (seen.get(response.status) ?? 0) + 1)
                if (method === "HEAD") {
                  if (response.status >= 500) throw new Error(`HEAD ${path}: ${response.status}`)
                  return
                }
                await check(response, `${method} ${path.slice(0, 120)} ${JSON.stringify(credentials).slice(0, 60)} ${contentType} ${body.slice(0, 200)}`)
              }
            ),
            { numRuns: runs * 3 }
          )
        )
        assert.isTrue(seen.has(401), `unauthenticated requests were refused: ${[...seen]}`)
      }), 90_000)

    it.effect("scheme-relative request targets and hostile Host headers: not 5xx, never routed by their host part", () =>
      Effect.gen(function*() {
        const { adminToken, port } = yield* Reference
        for (const [path, host] of [
          ["//%.", "127.0.0.1"],
          ["//evil.example/openid/v1/jwks", "127.0.0.1"],
          ["//evil.example/api/v1/namespaces/default/serviceaccounts", "127.0.0.1"],
          ["/openid/v1/jwks", "a b"],
          ["/api/v1/namespaces/default/serviceaccounts", "[::1"],
          ["/healthz", "%%"]
        ] as const) {
          const response = yield* Effect.promise(() =>
            sendRaw(port, [`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${adminToken}\r\nConnection: close\r\n\r\n`])
          )
          assert.strictEqual(statusProblem(response), undefined, `${path} Host ${host}: ${response.status} ${response.text}`)
          if (path.startsWith("//")) assert.strictEqual(response.status, 404, `${path}: ${response.text}`)
        }
      }))

    it.effect("label and field selectors: random and pathological ones are 200 or 400 Status, answered promptly", () =>
      Effect.gen(function*() {
        const { adminToken, port } = yield* Reference
        const piece = fc.constantFrom("a", "b", "=", "==", "!=", "!", ",", " ", "in", "notin", "(", ")", "x", "1", "-", ".", "/", "metadata.name", "spec.nodeName", "%20", "%3D")
        const selector = fc.oneof(
          fc.array(piece, { maxLength: 40 }).map((p) => p.join("")),
          fc.constantFrom("a=".repeat(3000), "a in (" + "b,".repeat(2000) + ")", "(".repeat(5000), "!".repeat(5000), "a,".repeat(3000), "metadata.name=" + "x".repeat(6000))
        )
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.constantFrom("labelSelector", "fieldSelector"), selector, fc.constantFrom("serviceaccounts", "pods", "secrets"), async (kind, value, resource) => {
              const response = await rawRequest(port, {
                method: "GET",
                path: `/api/v1/namespaces/default/${resource}?${kind}=${encodeURIComponent(value).replace(/%25/g, "%")}`,
                headers: [["Authorization", `Bearer ${adminToken}`]]
              }, 10_000)
              await check(response, `${kind}=${value.slice(0, 80)}`)
            }),
            { numRuns: runs * 2 }
          )
        )
      }), 60_000)

    it.effect("dot segments never resolve into another object: DELETE .../serviceaccounts/.. does not delete the namespace", () =>
      Effect.gen(function*() {
        const { adminToken, port, url } = yield* Reference
        const admin = [["Authorization", `Bearer ${adminToken}`]] as const
        yield* Effect.promise(() =>
          postJson(url + "/api/v1/namespaces", { metadata: { name: "dots" } }, { authorization: `Bearer ${adminToken}` })
        )
        for (const path of [
          "/api/v1/namespaces/dots/serviceaccounts/..",
          "/api/v1/namespaces/dots/serviceaccounts/%2e%2e",
          "/api/v1/namespaces/dots/serviceaccounts/default/..",
          "/api/v1/namespaces/dots/serviceaccounts\\..",
          "/api/v1/namespaces/dots/x/../../dots"
        ]) {
          const response = yield* Effect.promise(() => rawRequest(port, { method: "DELETE", path, headers: admin }))
          assert.include([400, 404], response.status, `${path}: ${response.status} ${response.text.slice(0, 200)}`)
          assert.strictEqual(statusProblem(response), undefined)
        }
        const still = yield* Effect.promise(() =>
          fetch(`${url}/api/v1/namespaces/dots`, { headers: { authorization: `Bearer ${adminToken}` } })
        )
        assert.strictEqual(still.status, 200, "the namespace is still there")
      }))

    it.effect("still serves after the fuzzing", () =>
      Effect.gen(function*() {
        const { adminToken, url } = yield* Reference
        const admin = { authorization: `Bearer ${adminToken}` }
        // (the fuzzing may have deleted fixture objects: use a fresh namespace and account)
        const namespace = yield* Effect.promise(() => postJson(url + "/api/v1/namespaces", { metadata: { name: "after-fuzz" } }, admin))
        assert.strictEqual(namespace.status, 201, namespace.text)
        const created = yield* Effect.promise(() =>
          postJson(url + "/api/v1/namespaces/after-fuzz/serviceaccounts", { metadata: { name: "after-fuzz" } }, admin)
        )
        assert.strictEqual(created.status, 201, created.text)
        const response = yield* Effect.promise(() => postJson(url + tokenPath("after-fuzz", "after-fuzz"), {}, admin))
        assert.strictEqual(response.status, 201)
      }))
  })
})
