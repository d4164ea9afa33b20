/**
 * The limits of the token API and of the Node listener it is served on, each pushed just past its
 * bound: body size (413), header size (431 from Node), JSON nesting depth (400 with Go's text),
 * token length (TokenReview and `Authorization`), Warning header size and bytes, slow clients
 * (headers byte by byte are cut off), connection count, and names in paths.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as net from "node:net"
import {
  App,
  issuer,
  ports,
  postJson,
  rawRequest,
  Reference,
  referenceServer,
  reviewPath,
  sendRaw,
  serveApp,
  signing,
  sign,
  statusProblem,
  tokenPath
} from "./fixtures.js"

const jsonHeaders = [["Content-Type", "application/json"]] as const

/**
 * Opens 40 connections to a server that allows 20: at least 20 must be closed by the server within
 * 5 s; then all are closed.
 */
const overConnectionLimit = (port: number) =>
  Effect.gen(function*() {
    const sockets = yield* Effect.promise(() =>
      Promise.all(
        Array.from({ length: 40 }, () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(port, "127.0.0.1", () => resolve(s))
            s.on("error", () => resolve(s))
          })
        )
      )
    )
    const closedCount = () => sockets.filter((s) => s.destroyed || s.readableEnded).length
    for (let i = 0; i < 100 && closedCount() < 20; i++) yield* Effect.sleep("50 millis")
    const closed = closedCount()
    assert.isAtLeast(closed, 20, `${closed} of 40 connections refused`)
    for (const s of sockets) s.destroy()
    yield* Effect.sleep("100 millis")
  })

describe("limits: in-process token API", () => {
  layer(
    serveApp(ports(), {
      limits: { headersTimeout: 1000, requestTimeout: 4000, maxConnections: 20 }
    }),
    { timeout: 30_000, excludeTestServices: true }
  )((it) => {
    it.effect("body size: 413 beyond 3 MiB, declared or streamed (chunked), and nothing hangs", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const big = Buffer.alloc(3 * 1024 * 1024 + 1, 0x20)
        const declared = yield* Effect.promise(() =>
          rawRequest(port, { path: tokenPath(), headers: jsonHeaders, body: big })
        )
        assert.strictEqual(declared.status, 413, declared.text)
        const status = JSON.parse(declared.text)
        assert.strictEqual(status.reason, "RequestEntityTooLarge")
        assert.strictEqual(status.message, "Request entity too large: limit is 3145728")
        const chunk = Buffer.alloc(64 * 1024, 0x20)
        const head = `POST ${reviewPath} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`
        const chunks = [head, ...Array.from({ length: 60 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")])), "0\r\n\r\n"]
        const streamed = yield* Effect.promise(() => sendRaw(port, chunks, { timeoutMs: 15_000 }))
        assert.strictEqual(streamed.status, 413, streamed.text)
        assert.strictEqual(JSON.parse(streamed.text).code, 413)
      }))

    it.effect("header size: 431 from Node beyond 16 KiB of headers; the app never sees it", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const response = yield* Effect.promise(() =>
          rawRequest(port, { path: tokenPath(), headers: [...jsonHeaders, ["X-Big", "a".repeat(17 * 1024)]], body: "{}" })
        )
        assert.strictEqual(response.status, 431)
        const bearer = yield* Effect.promise(() =>
          rawRequest(port, {
            path: reviewPath,
            headers: [...jsonHeaders, ["Authorization", `Bearer ${"a".repeat(20_000)}`]],
            body: "{}"
          })
        )
        assert.strictEqual(bearer.status, 431)
      }))

    it.effect("JSON nesting depth: 400 beyond Go's 10000 levels, with Go's text; 10000 levels are read", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const deep = (n: number) => `{"metadata":{"labels":${"[".repeat(n)}${"]".repeat(n)}}}`
        for (const depth of [20_000, 200_000]) {
          const response = yield* Effect.promise(() =>
            rawRequest(port, { path: tokenPath(), headers: jsonHeaders, body: deep(depth) })
          )
          assert.strictEqual(response.status, 400, response.text.slice(0, 300))
          const status = JSON.parse(response.text)
          assert.include(status.message, "exceeded max depth")
          assert.strictEqual(statusProblem(response), undefined)
        }
        // nesting Go's decoder still reads fails on the type, not on the depth
        const within = yield* Effect.promise(() =>
          rawRequest(port, { path: tokenPath(), headers: jsonHeaders, body: deep(9_990) })
        )
        assert.strictEqual(within.status, 400)
        assert.notInclude(JSON.parse(within.text).message, "exceeded max depth")
        assert.include(JSON.parse(within.text).message, "cannot unmarshal array into Go struct field")
      }))

    it.effect("protobuf: deeply nested groups, huge length prefixes and varints: 400, never 500", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00])
        const envelope = (raw: Buffer) =>
          Buffer.concat([magic, Buffer.from([0x12]), varint(raw.length), raw]) // Unknown.raw (field 2)
        const varint = (n: number) => {
          const out: Array<number> = []
          while (n > 0x7f) {
            out.push((n & 0x7f) | 0x80)
            n = Math.floor(n / 128)
          }
          out.push(n)
          return Buffer.from(out)
        }
        const bodies = [
          // field 1 start-group, nested a million times, inside the envelope and inside the raw message
          Buffer.concat([magic, Buffer.alloc(1_000_000, 0x0b)]),
          envelope(Buffer.alloc(1_000_000, 0x0b)),
          // a length prefix claiming 2 GiB
          Buffer.concat([magic, Buffer.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x07, 0x01])]),
          // an endless varint
          Buffer.concat([magic, Buffer.from([0x08]), Buffer.alloc(100, 0xff)]),
          // metadata nested inside metadata (field 1 of TokenRequest is ObjectMeta) many times over
          envelope(Buffer.concat(Array.from({ length: 100_000 }, () => Buffer.from([0x0a, 0x00]))))
        ]
        for (const body of bodies) {
          for (const path of [tokenPath(), reviewPath]) {
            const response = yield* Effect.promise(() =>
              rawRequest(port, { path, headers: [["Content-Type", "application/vnd.kubernetes.protobuf"]], body })
            )
            assert.strictEqual(statusProblem(response), undefined, `${path} ${body.subarray(0, 12).toString("hex")}`)
            assert.include([400, 201], response.status, response.text.slice(0, 200))
          }
        }
      }))

    it.effect("oversized tokens in a TokenReview are answered (201, not authenticated), not crashed on", () =>
      Effect.gen(function*() {
        const { url } = yield* App
        const opaque = yield* Effect.promise(() =>
          postJson(url + reviewPath, { spec: { token: "x".repeat(2 * 1024 * 1024) } }, {}, 20_000)
        )
        assert.strictEqual(opaque.status, 201)
        assert.strictEqual(opaque.json.status.error, "invalid bearer token")
        // a 2 MiB JWS with our issuer: parsed, then refused on the signature
        const huge = sign(
          { alg: "ES256", kid: signing.kid },
          { iss: issuer, sub: "system:serviceaccount:default:builder", pad: "p".repeat(1_500_000) },
          signing.privateKey
        )
        const tampered = huge.slice(0, -4) + (huge.endsWith("AAAA") ? "BBBB" : "AAAA")
        const jws = yield* Effect.promise(() => postJson(url + reviewPath, { spec: { token: tampered } }, {}, 20_000))
        assert.strictEqual(jws.status, 201)
        assert.strictEqual(jws.json.status.error, "[invalid bearer token, go-jose/go-jose: error in cryptographic primitive]")
      }))

    it.effect("many audiences (50 000) in a TokenRequest and in the review of its token: answered, linear work", () =>
      Effect.gen(function*() {
        const { url } = yield* App
        const audiences = Array.from({ length: 50_000 }, (_, i) => `aud-${i}`)
        const issued = yield* Effect.promise(() => postJson(url + tokenPath(), { spec: { audiences } }, {}, 30_000))
        assert.strictEqual(issued.status, 201, issued.text.slice(0, 200))
        const reviewed = yield* Effect.promise(() =>
          postJson(url + reviewPath, { spec: { token: issued.json.status.token, audiences: [...audiences].reverse() } }, {}, 30_000)
        )
        assert.strictEqual(reviewed.status, 201)
        assert.isTrue(reviewed.json.status.authenticated)
        assert.strictEqual(reviewed.json.status.audiences.length, 50_000)
        const other = Array.from({ length: 50_000 }, (_, i) => `other-${i}`)
        const refused = yield* Effect.promise(() =>
          postJson(url + reviewPath, { spec: { token: issued.json.status.token, audiences: other } }, {}, 30_000)
        )
        assert.strictEqual(refused.status, 201)
        assert.match(refused.json.status.error, /^\[invalid bearer token, token audiences \["aud-0" /)
      }), 60_000)

    it.effect("Warning headers: any field name (non-Latin-1, control characters) gives a valid header, bounded as upstream", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const odd = yield* Effect.promise(() =>
          rawRequest(port, {
            path: tokenPath(),
            headers: jsonHeaders,
            body: JSON.stringify({ "caf\u00e9\u20ac": 1, "line\r\nbreak": 2, "\u0000nul": 3, spec: { "\ud83d\ude00": 4 } })
          })
        )
        assert.strictEqual(odd.status, 201, odd.text)
        const warning = Buffer.from(odd.headers["warning"] ?? "", "latin1").toString("utf8")
        assert.include(warning, "299 - \"unknown field \\\"caf\u00e9\u20ac\\\"\"", "the UTF-8 bytes of the text, as Go sends them")
        assert.include(warning, "\\\"spec.\ud83d\ude00\\\"")
        assert.notMatch(odd.headers["warning"] ?? "", /[\r\n\u0000]/)
        // thousands of long unknown fields: upstream truncates past 4096 runes in total
        const many: Record<string, number> = {}
        for (let i = 0; i < 2000; i++) many[`field-${i}-${"z".repeat(500)}`] = i
        const flood = yield* Effect.promise(() =>
          rawRequest(port, { path: tokenPath(), headers: jsonHeaders, body: JSON.stringify(many) })
        )
        assert.strictEqual(flood.status, 201, flood.text.slice(0, 200))
        const header = flood.headers["warning"] ?? ""
        assert.isAbove(header.length, 0)
        assert.isBelow(header.length, 16 * 1024, "fits a client's default header limit")
      }))

    it.effect("slow client: headers sent a byte at a time are cut off after the headers timeout", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const request = `POST ${tokenPath()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Slow: ${"s".repeat(200)}\r\n\r\n{}`
        const bytes = [...request].map((c) => c)
        const started = Date.now()
        const response = yield* Effect.promise(() => sendRaw(port, bytes, { gapMs: 40, timeoutMs: 20_000 }))
        const elapsed = Date.now() - started
        assert.isTrue(response.closedEarly || response.status === 408, `cut off (status ${response.status})`)
        assert.isBelow(elapsed, bytes.length * 40, "before the client finished sending")
      }))

    it.effect("slow body: a body that never completes is cut off by the request timeout", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        const head = `POST ${tokenPath()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`
        const started = Date.now()
        const response = yield* Effect.promise(() => sendRaw(port, [head], { timeoutMs: 20_000 }))
        assert.isTrue(response.status === 408 || response.status === 0 || response.status === 400, `status ${response.status}`)
        assert.isBelow(Date.now() - started, 15_000)
      }))

    it.effect("connection count: connections beyond the limit are refused, the server answers again after", () =>
      Effect.gen(function*() {
        const { port, url } = yield* App
        yield* overConnectionLimit(port)
        const after = yield* Effect.promise(() => postJson(url + tokenPath(), {}))
        assert.strictEqual(after.status, 201)
      }))

    it.effect("names in paths: unknown or invalid names are 404/400 Status, never 405/500; a 253-character name works", () =>
      Effect.gen(function*() {
        const { port } = yield* App
        for (const [ns, name] of [
          ["default", "Builder"],
          ["default", "-builder"],
          ["default", "a".repeat(254)],
          ["Default", "builder"],
          ["a".repeat(64), "builder"],
          ["default", "bad_name"],
          ["default", "%2e%2e"],
          ["..", "builder"],
          ["default", "x%2Fy"]
        ] as const) {
          const response = yield* Effect.promise(() =>
            rawRequest(port, { path: tokenPath(ns, name), headers: jsonHeaders, body: "{}" })
          )
          assert.strictEqual(statusProblem(response), undefined, `${ns}/${name}: ${response.status}`)
          assert.include([400, 404], response.status, `${ns}/${name}: ${response.status} ${response.text}`)
        }
        // a long name that is a valid DNS subdomain (253 characters) is served, not refused by the router
        const long = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`
        const { store } = yield* App
        yield* store.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: long, namespace: "default" } })
        const issued = yield* Effect.promise(() =>
          rawRequest(port, { path: tokenPath("default", long), headers: jsonHeaders, body: "{}" })
        )
        assert.strictEqual(issued.status, 201, issued.text)
        assert.strictEqual(JSON.parse(issued.text).metadata.name, long)
      }))
  })
})

describe("limits: reference server listener", () => {
  layer(
    referenceServer({
      limits: { headersTimeoutMillis: 1000, requestTimeoutMillis: 3000, maxConnections: 20 }
    }),
    { timeout: 60_000, excludeTestServices: true }
  )((it) => {
    it.effect("slow client: headers a byte at a time are cut off after the headers timeout", () =>
      Effect.gen(function*() {
        const { port } = yield* Reference
        const request = `GET /api/v1/namespaces/default/serviceaccounts HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${"s".repeat(200)}\r\n\r\n`
        const started = Date.now()
        const response = yield* Effect.promise(() => sendRaw(port, [...request], { gapMs: 40, timeoutMs: 20_000 }))
        assert.isTrue(response.closedEarly || response.status === 408, `cut off (status ${response.status})`)
        assert.isBelow(Date.now() - started, request.length * 40, "before the client finished sending")
      }))

    it.effect("slow body: a body that never completes is cut off by the request timeout", () =>
      Effect.gen(function*() {
        const { adminToken, port } = yield* Reference
        const head = `POST ${reviewPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${adminToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`
        const started = Date.now()
        const response = yield* Effect.promise(() => sendRaw(port, [head], { timeoutMs: 20_000 }))
        assert.include([0, 408], response.status)
        assert.isBelow(Date.now() - started, 15_000)
      }))

    it.effect("connection count: connections beyond the limit are closed at once; service continues", () =>
      Effect.gen(function*() {
        const { adminToken, port, url } = yield* Reference
        yield* overConnectionLimit(port)
        const after = yield* Effect.promise(() => postJson(url + tokenPath(), {}, { authorization: `Bearer ${adminToken}` }))
        assert.strictEqual(after.status, 201)
      }))

    it.effect("header size: 431 beyond 16 KiB; body size: 413 beyond 3 MiB, before authentication", () =>
      Effect.gen(function*() {
        const { adminToken, port } = yield* Reference
        const headers = yield* Effect.promise(() =>
          rawRequest(port, { method: "GET", path: "/api", headers: [["X-Big", "a".repeat(17 * 1024)]] })
        )
        assert.strictEqual(headers.status, 431)
        const body = yield* Effect.promise(() =>
          rawRequest(port, {
            path: reviewPath,
            headers: [["Authorization", `Bearer ${adminToken}`], ["Content-Type", "application/json"]],
            body: Buffer.alloc(3 * 1024 * 1024 + 1, 0x20)
          })
        )
        assert.strictEqual(body.status, 413)
        assert.strictEqual(JSON.parse(body.text).reason, "RequestEntityTooLarge")
      }))
  })
})
