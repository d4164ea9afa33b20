/**
 * The fast path answers as the general path does: two servers with the same key, objects and
 * options, one with `fastPath: false`, get the same requests over real HTTP on loopback — requests
 * the fast path takes (JSON issuance and reviews), requests it hands over after reading the body
 * (errors, warnings, bound objects that do not exist), and requests it never takes (protobuf,
 * chunked, a query, other media types). Status codes, headers and bodies must agree (uids, times and
 * tokens normalized), and so must the counters of `/metrics` after the whole sequence.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as SigningKey from "@tokenrequest/signer-jose/SigningKey"
import * as Server from "@tokenrequest/server/Server"

interface Exchange {
  readonly method?: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: string
  /** Send the body chunked (no Content-Length). */
  readonly chunked?: boolean
}

interface Answer {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

const send = (url: string, exchange: Exchange) =>
  Effect.async<Answer>((resume) => {
    const body = exchange.body === undefined ? undefined : Buffer.from(exchange.body)
    // the path goes out as written (a URL object would normalize `#`, `\` and non-ASCII away)
    const { hostname, port } = new URL(url)
    const req = http.request({
      hostname,
      port,
      path: exchange.path,
      method: exchange.method ?? "POST",
      headers: {
        authorization: "Bearer admin",
        "content-type": "application/json",
        ...(body === undefined || exchange.chunked ? {} : { "content-length": String(body.length) }),
        ...exchange.headers
      }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(res.headers)) {
          if (name !== "date" && name !== "connection" && name !== "keep-alive") headers[name] = String(value)
        }
        resume(Effect.succeed({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("utf8") }))
      })
    })
    req.setTimeout(10_000, () => req.destroy(new Error("timed out")))
    req.on("error", (e) => resume(Effect.die(e)))
    if (body !== undefined) req.write(body)
    req.end()
  })

/** Uids, times, tokens and lengths differ between two servers; everything else must not. */
const normalize = (answer: Answer): Answer => {
  const text = (s: string) =>
    s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uid>")
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/g, "<time>")
      .replace(/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, "<token>")
  const { "content-length": _length, ...headers } = answer.headers
  return {
    status: answer.status,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, text(v)])),
    body: text(answer.body)
  }
}

const counters = (metrics: string) =>
  metrics.split("\n").filter((line) =>
    line !== "" && !line.startsWith("#") && !/_(bucket|sum|count)[{ ]/.test(line) && !line.includes("_seconds")
  ).sort()

const tokenPath = "/api/v1/namespaces/default/serviceaccounts/default/token"
const reviewPath = "/apis/authentication.k8s.io/v1/tokenreviews"
const tokenRequest = (spec: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec, ...extra })
const tokenReview = (spec: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec, ...extra })

const exchanges: ReadonlyArray<Exchange> = [
  { path: tokenPath, body: tokenRequest({ audiences: ["https://issuer.test"], expirationSeconds: 3600 }) },
  { path: tokenPath, body: tokenRequest({}) },
  { path: tokenPath, body: "{}" },
  { path: tokenPath, body: tokenRequest({ expirationSeconds: 1_000_000 }) },
  { path: tokenPath, body: tokenRequest({ expirationSeconds: 10 }) },
  { path: tokenPath, body: tokenRequest({ audiences: ["a"] }, { extra: 1 }) },
  { path: tokenPath, body: tokenRequest({}, { metadata: { namespace: "other" } }) },
  { path: tokenPath, body: tokenRequest({}, { metadata: { namespace: "default", uid: "x" } }) },
  { path: tokenPath, body: tokenRequest({ boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web" } }) },
  { path: tokenPath, body: tokenRequest({ boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "gone" } }) },
  { path: tokenPath, body: tokenRequest({ boundObjectRef: { kind: "Node", apiVersion: "v1", name: "n" } }) },
  { path: "/api/v1/namespaces/default/serviceaccounts/missing/token", body: tokenRequest({}) },
  { path: "/api/v1/namespaces/default/serviceaccounts/..%2F/token", body: tokenRequest({}) },
  { path: "/api/v1/namespaces/default/serviceaccounts/../token", body: tokenRequest({}) },
  { path: "/api/v1/namespaces/default/serviceaccounts/de#fault/token", body: tokenRequest({}) },
  { path: "/api/v1/namespaces/default/serviceaccounts/default#/token", body: tokenRequest({}) },
  { path: "/api/v1/namespaces/default\\x/serviceaccounts/default/token", body: tokenRequest({}) },
  { path: "/api/v1/namespaces/d\u00e9fault/serviceaccounts/default/token", body: tokenRequest({}) },
  { path: "/api/v1/namespaces/default/serviceaccounts/DEFAULT/token", body: tokenRequest({}) },
  { path: tokenPath, body: "{not json" },
  { path: tokenPath, body: "" },
  { path: tokenPath, body: "[]" },
  { path: tokenPath, body: JSON.stringify({ apiVersion: "v1", kind: "TokenRequest" }) },
  { path: tokenPath, body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview" }) },
  { path: tokenPath, body: tokenRequest({ audiences: "x" }) },
  { path: tokenPath, body: tokenRequest({}), headers: { authorization: "Bearer wrong" } },
  { path: tokenPath, body: tokenRequest({}), headers: { authorization: "Basic YTpi" } },
  { path: tokenPath, body: tokenRequest({}), headers: { accept: "application/yaml" } },
  { path: tokenPath, body: tokenRequest({}), headers: { accept: "application/json;q=0.9, */*;q=0.1" } },
  { path: tokenPath, body: tokenRequest({}), headers: { "content-type": "application/json; charset=utf-8" } },
  { path: tokenPath, body: tokenRequest({}), headers: { "content-type": "text/plain" } },
  { path: tokenPath, body: tokenRequest({}), headers: { "content-type": "application/vnd.kubernetes.protobuf" } },
  { path: tokenPath, body: tokenRequest({}), chunked: true },
  { path: `${tokenPath}?fieldValidation=Strict`, body: tokenRequest({}, { extra: 1 }) },
  { path: tokenPath, method: "GET" },
  { path: reviewPath, body: tokenReview({ token: "<issued>" }) },
  { path: reviewPath, body: tokenReview({ token: "<issued>", audiences: ["https://issuer.test", "other"] }) },
  { path: reviewPath, body: tokenReview({ token: "<issued>", audiences: ["other"] }) },
  { path: reviewPath, body: tokenReview({ token: "<issued-for-pod>" }) },
  { path: reviewPath, body: tokenReview({ token: "garbage" }) },
  { path: reviewPath, body: tokenReview({ token: "" }) },
  { path: reviewPath, body: tokenReview({ token: "<issued>" }, { status: { authenticated: true }, extra: 1 }) },
  { path: reviewPath, body: tokenReview({ token: "<issued>" }), headers: { authorization: "Bearer <issued>" } },
  { path: reviewPath, body: "{}" }
]

const withServers = <A, E, R>(body: (fast: Server.RunningServer, general: Server.RunningServer) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const pem = yield* SigningKey.generate("ES256")
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tokenrequest-fastpath-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    const keyFile = path.join(dir, "sa.key")
    fs.writeFileSync(keyFile, pem)
    const options: Server.Options = {
      port: 0,
      insecurePlainHttp: true,
      adminToken: "admin",
      serviceAccountIssuer: ["https://issuer.test"],
      serviceAccountSigningKeyFile: keyFile,
      serviceAccountMaxTokenExpiration: "24h",
      initialObjects: [
        { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "default" }, spec: { serviceAccountName: "default" } }
      ]
    }
    const fast = yield* Server.start(options)
    const general = yield* Server.start({ ...options, fastPath: false })
    return yield* body(fast, general)
  }).pipe(Effect.scoped)

/** Sends one exchange to a server, with its own tokens in place of the placeholders. */
const exchangeWith = (server: Server.RunningServer, tokens: Record<string, string>) => (exchange: Exchange) => {
  const fill = (s: string) => s.replace(/<issued(-for-pod)?>/g, (m) => tokens[m]!)
  return send(server.url, {
    ...exchange,
    ...(exchange.body === undefined ? {} : { body: fill(exchange.body) }),
    ...(exchange.headers === undefined
      ? {}
      : { headers: Object.fromEntries(Object.entries(exchange.headers).map(([k, v]) => [k, fill(v)])) })
  })
}

const tokensOf = (server: Server.RunningServer) =>
  Effect.gen(function*() {
    const plain = yield* send(server.url, { path: tokenPath, body: tokenRequest({}) })
    const bound = yield* send(server.url, {
      path: tokenPath,
      body: tokenRequest({ boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web" } })
    })
    return {
      "<issued>": JSON.parse(plain.body).status.token as string,
      "<issued-for-pod>": JSON.parse(bound.body).status.token as string
    }
  })

describe("fast path", () => {
  it.live("answers every request as the general path does, and counts it the same", () =>
    withServers((fast, general) =>
      Effect.gen(function*() {
        const fastTokens = yield* tokensOf(fast)
        const generalTokens = yield* tokensOf(general)
        for (const exchange of exchanges) {
          const a = normalize(yield* exchangeWith(fast, fastTokens)(exchange))
          const b = normalize(yield* exchangeWith(general, generalTokens)(exchange))
          assert.deepStrictEqual(a, b, `${exchange.method ?? "POST"} ${exchange.path} ${exchange.body ?? ""}`)
        }
        // the fast path answered its share: 201s with a body
        const issued = yield* exchangeWith(fast, fastTokens)(exchanges[0]!)
        assert.strictEqual(issued.status, 201)
        assert.strictEqual(issued.headers["content-type"], "application/json")
        const metrics = (server: Server.RunningServer) =>
          Effect.map(send(server.url, { method: "GET", path: "/metrics" }), (a) => counters(a.body))
        // one more issuance on the general server too, so that the sequences match
        yield* exchangeWith(general, generalTokens)(exchanges[0]!)
        assert.deepStrictEqual(yield* metrics(fast), yield* metrics(general))
      })
    ), 60_000)

  it.live("revokes at once: a token bound to a deleted pod is rejected by the next review", () =>
    withServers((fast) =>
      Effect.gen(function*() {
        const tokens = yield* tokensOf(fast)
        const review = () =>
          Effect.map(
            send(fast.url, { path: reviewPath, body: tokenReview({ token: tokens["<issued-for-pod>"] }) }),
            (a) => JSON.parse(a.body).status
          )
        assert.isTrue((yield* review()).authenticated)
        assert.isTrue((yield* review()).authenticated)
        const deleted = yield* send(fast.url, { method: "DELETE", path: "/api/v1/namespaces/default/pods/web" })
        assert.strictEqual(deleted.status, 200)
        const after = yield* review()
        // `authenticated: false` is omitted on the wire, as upstream's omitempty does
        assert.isUndefined(after.authenticated)
        assert.include(after.error, "service account token has been invalidated")
      })
    ), 60_000)

  it.live("agrees with the general path on random TokenRequest bodies", () =>
    withServers((fast, general) =>
      Effect.gen(function*() {
        const value = FastCheck.oneof(
          FastCheck.constant(undefined),
          FastCheck.constant(null),
          FastCheck.integer({ min: -10, max: 5_000_000 }),
          FastCheck.string({ maxLength: 8 }),
          FastCheck.array(FastCheck.constantFrom("https://issuer.test", "a", ""), { maxLength: 3 })
        )
        const body = FastCheck.record({
          apiVersion: FastCheck.constantFrom("authentication.k8s.io/v1", "v1", undefined),
          kind: FastCheck.constantFrom("TokenRequest", "TokenReview", undefined),
          metadata: FastCheck.option(FastCheck.record({ name: value, namespace: value, uid: value }), { nil: undefined }),
          spec: FastCheck.option(
            FastCheck.record({ audiences: value, expirationSeconds: value, boundObjectRef: value }),
            { nil: undefined }
          )
        })
        const samples = FastCheck.sample(body, { numRuns: 60, seed: 20261128 })
        for (const sample of samples) {
          const exchange = { path: tokenPath, body: JSON.stringify(sample) }
          const a = normalize(yield* send(fast.url, exchange))
          const b = normalize(yield* send(general.url, exchange))
          assert.deepStrictEqual(a, b, exchange.body)
        }
      })
    ), 60_000)

  it.live("answers requests that arrive together each on its own connection, pipelined ones in order, whoever hangs up", () =>
    withServers((fast) =>
      Effect.gen(function*() {
        const { hostname, port } = new URL(fast.url)
        const request = (audience: string) => {
          const body = tokenRequest({ audiences: [audience] })
          return `POST ${tokenPath} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
        }
        /** Connects `n` sockets, then writes all their requests in one go; resolves with what each read. */
        const together = (texts: ReadonlyArray<string>, hangsUp: (i: number) => boolean, answersEach: number) =>
          Effect.async<ReadonlyArray<string>>((resume) => {
            const read: Array<string> = texts.map(() => "")
            let open = texts.length
            const done = () => {
              if (--open === 0) resume(Effect.succeed(read))
            }
            let connected = 0
            const sockets = texts.map((_, i) => {
              const socket = net.connect({ host: hostname, port: Number(port) }, () => {
                if (++connected < texts.length) return
                sockets.forEach((s, j) => s.write(texts[j]!))
                sockets.forEach((s, j) => hangsUp(j) && s.destroy())
              })
              socket.on("data", (chunk: Buffer) => {
                read[i] += chunk.toString("utf8")
                if ((read[i]!.match(/"token":"eyJ/g) ?? []).length >= answersEach) socket.end()
              })
              socket.setTimeout(10_000, () => socket.destroy())
              socket.on("close", done)
              socket.on("error", () => {})
              return socket
            })
          })
        // 30 connections whose requests arrive together (answered in few turns), a third hanging up at once
        const read = yield* together(Array.from({ length: 30 }, (_, i) => request(`aud-${i}`)), (i) => i % 3 === 0, 1)
        read.forEach((text, i) => {
          if (i % 3 === 0) return
          assert.match(text, /^HTTP\/1\.1 201 Created\r\n/)
          assert.include(text, `"audiences":["aud-${i}"]`)
        })
        // two requests in one write: two answers, in the order asked
        const [pipelined] = yield* together([request("first") + request("second")], () => false, 2)
        const order = [...pipelined!.matchAll(/"audiences":\["(first|second)"\]/g)].map((m) => m[1])
        assert.deepStrictEqual(order, ["first", "second"])
        assert.strictEqual((pipelined!.match(/HTTP\/1\.1 201 Created/g) ?? []).length, 2)
        // and the server still answers afterwards
        assert.strictEqual((yield* send(fast.url, { path: tokenPath, body: tokenRequest({}) })).status, 201)
      })
    ), 60_000)
})
