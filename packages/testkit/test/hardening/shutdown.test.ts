/**
 * Graceful shutdown: closing the reference server's scope (SIGTERM in the CLI) lets requests that
 * are already in flight finish with their answer, and refuses new connections.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Server from "@tokenrequest/server/Server"
import { Effect, Exit, Redacted, Scope } from "effect"
import * as net from "node:net"
import { issuer, objects, sendRaw, tokenPath } from "./fixtures.js"

describe("graceful shutdown of the reference server", () => {
  it.live("an in-flight TokenRequest completes while the server shuts down; new connections are refused", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const running = yield* Server.start({
        port: 0,
        insecurePlainHttp: true,
        serviceAccountIssuer: [issuer],
        initialObjects: objects,
        adminToken: "hardening-admin-token"
      }).pipe(Scope.extend(scope))
      const body = JSON.stringify({ spec: { expirationSeconds: 3600 } })
      const head = `POST ${tokenPath()} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${Redacted.value(running.adminToken!)}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`
      // headers and half the body now, the rest after the shutdown has begun
      const inflight = sendRaw(running.port, [head + body.slice(0, 5), body.slice(5)], { gapMs: 600, timeoutMs: 15_000 })
      yield* Effect.sleep("200 millis")
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* Effect.sleep("100 millis")
      const refused = yield* Effect.promise(() =>
        new Promise<boolean>((resolve) => {
          const socket = net.connect(running.port, "127.0.0.1")
          socket.on("connect", () => {
            socket.destroy()
            resolve(false)
          })
          socket.on("error", () => resolve(true))
        })
      )
      const response = yield* Effect.promise(() => inflight)
      assert.strictEqual(response.status, 201, response.text)
      assert.strictEqual(JSON.parse(response.text).kind, "TokenRequest")
      assert.isTrue(refused, "new connections are refused during shutdown")
      yield* closing.await
    }), 30_000)
})
