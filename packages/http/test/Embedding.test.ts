/**
 * The three ways to embed the app, as docs/embedding.md shows them: a Node listener inside a foreign
 * `http.createServer`, the web-standard handler, and the router mounted in another Effect app.
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { assert, describe, it, layer } from "@effect/vitest"
import * as App from "@tokenrequest/http/App"
import * as Caller from "@tokenrequest/http/Caller"
import * as NodeListener from "@tokenrequest/http/NodeListener"
import * as Routes from "@tokenrequest/http/Routes"
import { Context, Effect, Layer } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { claimsOf, ports } from "./fixtures.js"

const tokenRequest = () =>
  new Request("http://in-process/api/v1/namespaces/default/serviceaccounts/builder/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ spec: { audiences: ["embedded"] } })
  })

describe("embedding", () => {
  it.live("inside a foreign http.createServer, next to the host's own routes", () =>
    Effect.gen(function*() {
      const { dispose, listener } = NodeListener.make(ports())
      const server = http.createServer((req, res) =>
        req.url === "/healthz" ? res.end("ok") : listener(req, res)
      )
      yield* Effect.addFinalizer(() =>
        Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())).then(dispose))
      )
      yield* Effect.async<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      })
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const health = yield* Effect.promise(() => fetch(base + "/healthz").then((r) => r.text()))
      assert.strictEqual(health, "ok")
      const created = yield* Effect.promise(() =>
        fetch(base + "/api/v1/namespaces/default/serviceaccounts/builder/token", {
          method: "POST",
          body: "{}",
          headers: { "content-type": "application/json" }
        })
      )
      assert.strictEqual(created.status, 201)
      const body = yield* Effect.promise(() => created.json() as Promise<any>)
      assert.strictEqual(claimsOf(body.status.token).sub, "system:serviceaccount:default:builder")
    }).pipe(Effect.scoped))

  it.live("as a web-standard handler, with a per-request caller", () =>
    Effect.gen(function*() {
      const { dispose, handler } = App.toWebHandler(ports())
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const response = yield* Effect.promise(() => handler(tokenRequest()))
      assert.strictEqual(response.status, 201)
      const body = yield* Effect.promise(() => response.json() as Promise<any>)
      assert.deepStrictEqual(claimsOf(body.status.token).aud, ["embedded"])

      const whoami = yield* Effect.promise(() =>
        handler(
          new Request("http://in-process/apis/authentication.k8s.io/v1/selfsubjectreviews", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: "{}"
          }),
          Context.make(Caller.Caller, { username: "alice", groups: ["system:authenticated"] }) as Context.Context<never>
        )
      )
      assert.strictEqual(whoami.status, 201)
      const review = yield* Effect.promise(() => whoami.json() as Promise<any>)
      assert.deepStrictEqual(review.status.userInfo, { username: "alice", groups: ["system:authenticated"] })
    }).pipe(Effect.scoped))

  it.live("mounted in another Effect app's router, the host providing the caller", () =>
    Effect.gen(function*() {
      const host = HttpRouter.empty.pipe(
        HttpRouter.get("/hello", HttpServerResponse.text("hello")),
        HttpRouter.concat(Routes.router),
        HttpRouter.use(Effect.provideService(Caller.Caller, { username: "host-user" }))
      )
      const { dispose, handler } = HttpApp.toWebHandlerLayer(host, ports())
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const hello = yield* Effect.promise(() => handler(new Request("http://in-process/hello")))
      assert.strictEqual(yield* Effect.promise(() => hello.text()), "hello")
      const created = yield* Effect.promise(() => handler(tokenRequest()))
      assert.strictEqual(created.status, 201)
      const whoami = yield* Effect.promise(() =>
        handler(new Request("http://in-process/apis/authentication.k8s.io/v1/selfsubjectreviews", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}"
        }))
      )
      const review = yield* Effect.promise(() => whoami.json() as Promise<any>)
      assert.deepStrictEqual(review.status.userInfo, { username: "host-user" })
    }).pipe(Effect.scoped))
})

describe("App.layer on an Effect HttpServer (NodeHttpServer.layerTest)", () => {
  layer(App.layer().pipe(Layer.provide(ports()), Layer.provideMerge(NodeHttpServer.layerTest)))((it) => {
    it.effect("serves the token API, 404 and 405 Status answers", () =>
      Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient
        const created = yield* client.execute(
          HttpClientRequest.post("/api/v1/namespaces/default/serviceaccounts/builder/token").pipe(
            HttpClientRequest.bodyText("{}", "application/json")
          )
        )
        assert.strictEqual(created.status, 201)
        const body = (yield* created.json) as any
        assert.strictEqual(claimsOf(body.status.token).sub, "system:serviceaccount:default:builder")
        const missing = yield* client.execute(HttpClientRequest.get("/nope"))
        assert.strictEqual(missing.status, 404)
        assert.strictEqual(((yield* missing.json) as any).message, "the server could not find the requested resource")
        const wrongMethod = yield* client.execute(HttpClientRequest.put("/openid/v1/jwks"))
        assert.strictEqual(wrongMethod.status, 405)
        assert.strictEqual(((yield* wrongMethod.json) as any).reason, "MethodNotAllowed")
      }))
  })
})
