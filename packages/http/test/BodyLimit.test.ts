/**
 * The default 3 MiB limit with a body far beyond it: a 413 Status, no hang, and the server keeps
 * serving.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { get, ports, post, serve, TestServer } from "./fixtures.js"

describe("request body limit", () => {
  layer(serve(ports()))((it) => {
    it.effect("8 MiB against the default 3 MiB limit is a 413 Status", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const body = JSON.stringify({ spec: { audiences: ["x".repeat(8 * 1024 * 1024)] } })
        const response = yield* post(url + "/api/v1/namespaces/default/serviceaccounts/builder/token", body)
        assert.strictEqual(response.status, 413)
        assert.strictEqual(JSON.parse(response.text).message, "Request entity too large: limit is 3145728")
        assert.strictEqual((yield* get(url + "/openid/v1/jwks")).status, 200)
      }), { timeout: 20_000 })

    it.effect("a chunked body (no Content-Length) over the limit is cut off at the limit", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const chunk = new TextEncoder().encode("x".repeat(1024 * 1024))
        let sent = 0
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent >= 6) controller.close()
            else {
              sent++
              controller.enqueue(chunk)
            }
          }
        })
        const response = yield* Effect.promise(() =>
          fetch(url + "/api/v1/namespaces/default/serviceaccounts/builder/token", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: stream,
            duplex: "half"
          } as RequestInit).then(async (r) => ({ status: r.status, text: await r.text() }))
        )
        assert.strictEqual(response.status, 413)
        assert.strictEqual(JSON.parse(response.text).reason, "RequestEntityTooLarge")
      }), { timeout: 20_000 })
  })
})
