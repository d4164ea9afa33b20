/**
 * Plain `curl` with JSON, as an operator would type it.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { claimsOf, ports, serve, TestServer } from "./fixtures.js"

const curl = (args: ReadonlyArray<string>) =>
  Effect.async<string>((resume) => {
    const child = execFile("curl", ["-sS", "--max-time", "20", ...args], { timeout: 30_000 }, (error, stdout, stderr) =>
      resume(error ? Effect.dieMessage(`curl failed: ${stderr}`) : Effect.succeed(stdout)))
    return Effect.sync(() => child.kill())
  })

describe("curl", () => {
  layer(serve(ports()))((it) => {
    it.effect("creates a token with a JSON body and reads the status line and headers", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const out = yield* curl([
          "-i", "-X", "POST", "-H", "Content-Type: application/json",
          "-d", "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{\"audiences\":[\"curl\"],\"expirationSeconds\":900}}",
          `${url}/api/v1/namespaces/default/serviceaccounts/builder/token`
        ])
        const [head, body] = out.split("\r\n\r\n")
        assert.match(head!, /^HTTP\/1\.1 201 Created/)
        assert.match(head!, /\r\ncontent-type: application\/json\r\n/i)
        const object = JSON.parse(body!)
        assert.strictEqual(object.kind, "TokenRequest")
        const claims = claimsOf(object.status.token)
        assert.deepStrictEqual(claims.aud, ["curl"])
        assert.strictEqual(claims.exp - claims.iat, 900)
      }))
  })
})
