/**
 * The audit sink of the token endpoints, as an embedding host receives it: one event per TokenRequest
 * and TokenReview with the caller, the object, the outcome and upstream's annotations, never a token;
 * without a sink, nothing happens.
 */
import { assert, describe, it } from "@effect/vitest"
import * as App from "@tokenrequest/http/App"
import * as AuditSink from "@tokenrequest/http/AuditSink"
import * as Caller from "@tokenrequest/http/Caller"
import { Context, Effect, Layer } from "effect"
import { claimsOf, ports } from "./fixtures.js"

const post = (path: string, body: unknown) =>
  new Request(`http://in-process${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "embedder/1" },
    body: JSON.stringify(body)
  })

const user = { username: "alice", uid: "u-1", groups: ["dev"], extra: { secret: ["not logged"] } }

describe("AuditSink", () => {
  it.live("a host's sink receives the TokenRequest and TokenReview events, without tokens", () =>
    Effect.gen(function*() {
      const events: Array<AuditSink.AuditEvent> = []
      const sink = Layer.succeed(AuditSink.AuditSink, { record: (event) => Effect.sync(() => void events.push(event)) })
      const { dispose, handler } = App.toWebHandler(Layer.merge(ports(), sink))
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const context = Context.make(Caller.Caller, user)

      const issued = yield* Effect.promise(() =>
        handler(post("/api/v1/namespaces/default/serviceaccounts/builder/token", { spec: { audiences: ["embedded"] } }), context)
      )
      assert.strictEqual(issued.status, 201)
      const token: string = (yield* Effect.promise(() => issued.json() as Promise<any>)).status.token
      const refused = yield* Effect.promise(() =>
        handler(post("/api/v1/namespaces/default/serviceaccounts/nobody/token", { spec: {} }), context)
      )
      assert.strictEqual(refused.status, 404)
      const reviewed = yield* Effect.promise(() =>
        handler(post("/apis/authentication.k8s.io/v1/tokenreviews", { spec: { token, audiences: ["embedded"] } }), context)
      )
      assert.strictEqual(reviewed.status, 201)

      assert.lengthOf(events, 3)
      const [first, second, third] = events as [AuditSink.AuditEvent, AuditSink.AuditEvent, AuditSink.AuditEvent]
      assert.deepStrictEqual(first.user, { username: "alice", uid: "u-1", groups: ["dev"] })
      assert.strictEqual(first.userAgent, "embedder/1")
      assert.deepStrictEqual(first.objectRef, {
        resource: "serviceaccounts",
        subresource: "token",
        namespace: "default",
        name: "builder",
        apiGroup: "",
        apiVersion: "v1"
      })
      assert.deepStrictEqual(first.responseStatus, { code: 201 })
      assert.deepStrictEqual(first.annotations, {
        "authentication.kubernetes.io/issued-credential-id": `JTI=${claimsOf(token).jti}`
      })
      assert.deepStrictEqual(first.tokenRequest?.audiences, ["embedded"])
      assert.strictEqual(first.tokenRequest?.exp, claimsOf(token).exp)
      assert.strictEqual(second.responseStatus.code, 404)
      assert.strictEqual(second.responseStatus.reason, "NotFound")
      assert.strictEqual(third.tokenReview?.authenticated, true)
      assert.strictEqual(third.tokenReview?.subject?.username, "system:serviceaccount:default:builder")
      assert.strictEqual(third.tokenReview?.credentialId, `JTI=${claimsOf(token).jti}`)
      assert.notInclude(JSON.stringify(events), token)
      assert.notInclude(JSON.stringify(events), "not logged")
    }).pipe(Effect.scoped))

  it.live("without a sink the handlers answer as before", () =>
    Effect.gen(function*() {
      const { dispose, handler } = App.toWebHandler(ports())
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const issued = yield* Effect.promise(() =>
        handler(post("/api/v1/namespaces/default/serviceaccounts/builder/token", { spec: {} }))
      )
      assert.strictEqual(issued.status, 201)
      assert.isUndefined(yield* AuditSink.record({} as AuditSink.AuditEvent))
    }).pipe(Effect.scoped))
})
