import { assert, describe, it } from "@effect/vitest"
import * as Config from "@tokenrequest/domain/Config"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import * as IdGenerator from "@tokenrequest/domain/IdGenerator"
import * as KeySet from "@tokenrequest/domain/KeySet"
import * as ObjectStore from "@tokenrequest/domain/ObjectStore"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import * as TokenSigner from "@tokenrequest/domain/TokenSigner"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import * as Fixtures from "./fixtures.js"
import { payloadOf, payloadText, request, t0, t0Seconds } from "./helpers.js"

const create = (body: unknown, name = "bob", namespace = "ns-a") =>
  Effect.zipRight(TestClock.setTime(t0), CreateToken.createToken(namespace, name, request(body)))

const failure = (body: unknown, name = "bob", namespace = "ns-a") =>
  Effect.map(Effect.flip(create(body, name, namespace)), (e) => ({ tag: e._tag, message: e.message, error: e }))

describe("createToken", () => {
  it.effect("issues the exact upstream payload layout (sorted keys, whole seconds, jti)", () =>
    Effect.gen(function*() {
      const issued = yield* create({ spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "pod-1" } } })
      const token = issued.tokenRequest.status.token
      assert.strictEqual(
        payloadText(token),
        `{"aud":["${Fixtures.issuer}"],"exp":${t0Seconds + 3600},"iat":${t0Seconds},"iss":"${Fixtures.issuer}",` +
          `"jti":"00000000-0000-4000-8000-000000000001","kubernetes.io":{"namespace":"ns-a",` +
          `"node":{"name":"node-1","uid":"${Fixtures.nodeUid}"},"pod":{"name":"pod-1","uid":"${Fixtures.podUid}"},` +
          `"serviceaccount":{"name":"bob","uid":"${Fixtures.saUid}"}},"nbf":${t0Seconds},` +
          `"sub":"system:serviceaccount:ns-a:bob"}`
      )
      assert.strictEqual(issued.jti, "00000000-0000-4000-8000-000000000001")
      assert.deepStrictEqual(issued.warnings, [])
      const header = JSON.parse(new TextDecoder().decode(Buffer.from(token.split(".")[0]!, "base64url")))
      assert.deepStrictEqual(header, { alg: "ES256", kid: "insecure-test-key" })
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("answers with the request after the server's changes (T7, T8, T16)", () =>
    Effect.gen(function*() {
      const issued = yield* create({
        metadata: { labels: { a: "b" } },
        spec: { audiences: ["api", "vault"], expirationSeconds: 7200 }
      })
      const encoded = Schema.encodeSync(TokenRequest.IssuedTokenRequest)(issued.tokenRequest)
      assert.deepStrictEqual(encoded, {
        kind: "TokenRequest",
        apiVersion: "authentication.k8s.io/v1",
        metadata: {
          labels: { a: "b" },
          name: "bob",
          namespace: "ns-a",
          uid: Fixtures.saUid,
          creationTimestamp: "2026-01-02T03:04:05Z"
        },
        spec: { audiences: ["api", "vault"], expirationSeconds: 7200, boundObjectRef: null },
        status: { token: issued.tokenRequest.status.token, expirationTimestamp: "2026-01-02T05:04:05Z" }
      })
      const payload = payloadOf(issued.tokenRequest.status.token)
      assert.deepStrictEqual(payload.aud, ["api", "vault"])
      assert.deepStrictEqual(payload["kubernetes.io"], {
        namespace: "ns-a",
        serviceaccount: { name: "bob", uid: Fixtures.saUid }
      })
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("keeps a matching body name, namespace and uid", () =>
    Effect.gen(function*() {
      const issued = yield* create({ metadata: { name: "bob", namespace: "ns-a", uid: Fixtures.saUid } })
      assert.strictEqual(issued.tokenRequest.metadata.uid, Fixtures.saUid)
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("defaults audiences to the API audiences, in flag order (T6)", () =>
    Effect.gen(function*() {
      const issued = yield* create({})
      assert.deepStrictEqual(issued.tokenRequest.spec.audiences, ["https://a", "https://b"])
      assert.deepStrictEqual(payloadOf(issued.tokenRequest.status.token).aud, ["https://a", "https://b"])
      assert.strictEqual(payloadOf(issued.tokenRequest.status.token).iss, "https://a")
    }).pipe(Effect.provide(Fixtures.layer({ config: { issuers: ["https://a", "https://b"] } }))))

  it.effect("T2: body name must match (422 naming the URL service account)", () =>
    Effect.gen(function*() {
      const f = yield* failure({ metadata: { name: "other" } })
      assert.strictEqual(f.tag, "Invalid")
      assert.strictEqual(
        f.message,
        `TokenRequest.authentication.k8s.io "bob" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified`
      )
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("T3: body namespace must match", () =>
    Effect.gen(function*() {
      const f = yield* failure({ metadata: { namespace: "ns-b" } })
      assert.strictEqual(
        f.message,
        `TokenRequest.authentication.k8s.io "bob" is invalid: metadata.namespace: Invalid value: "ns-b": must match the service account namespace if specified`
      )
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("T1: a namespace is required", () =>
    Effect.gen(function*() {
      const f = yield* failure({}, "bob", "")
      assert.strictEqual(f.tag, "BadRequest")
      assert.strictEqual(f.message, "namespace is required")
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("T2 runs before the ServiceAccount lookup, T4 before validation", () =>
    Effect.gen(function*() {
      const name = yield* failure({ metadata: { name: "x" }, spec: { expirationSeconds: 1 } }, "ghost")
      assert.strictEqual(name.tag, "Invalid")
      assert.include(name.message, `"ghost" is invalid: metadata.name`)
      const missing = yield* failure({ spec: { expirationSeconds: 1 } }, "ghost")
      assert.strictEqual(missing.tag, "NotFound")
      assert.strictEqual(missing.message, `serviceaccounts "ghost" not found`)
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("T5: a request UID that differs from the ServiceAccount's is a Conflict, before validation", () =>
    Effect.gen(function*() {
      const f = yield* failure({ metadata: { uid: "old-uid" }, spec: { expirationSeconds: 1 } })
      assert.strictEqual(f.tag, "Conflict")
      assert.strictEqual(
        f.message,
        `Operation cannot be fulfilled on TokenRequest.authentication.k8s.io "bob": the UID in the token request (old-uid) does not match the UID of the service account (${Fixtures.saUid})`
      )
      assert.deepInclude(f.error, { group: "authentication.k8s.io", resource: "TokenRequest", name: "bob" })
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("T9: static validation fails with the empty name, before binding", () =>
    Effect.gen(function*() {
      const f = yield* failure({
        spec: { expirationSeconds: 300, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "missing" } }
      })
      assert.strictEqual(
        f.message,
        `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes`
      )
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("T15: a signing failure is an InternalError", () =>
    Effect.gen(function*() {
      const f = yield* failure({})
      assert.strictEqual(f.tag, "InternalError")
      assert.strictEqual(f.message, "Internal error occurred: failed to generate token: key gone")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          ObjectStore.layerMemory(Fixtures.cluster),
          TokenSigner.layerFailing(new TokenSigner.TokenSignerError({ reason: "Failed", description: "key gone" })),
          KeySet.layerInsecure(),
          IdGenerator.layerSequence,
          Config.layer({ issuers: [Fixtures.issuer] })
        )
      )
    ))

  it.effect("store failures: Unavailable → ServiceUnavailable, Unexpected → InternalError", () =>
    Effect.gen(function*() {
      const failing = (reason: "Unavailable" | "Unexpected") =>
        Layer.succeed(ObjectStore.ObjectStore, {
          get: () => Effect.fail(new ObjectStore.ObjectStoreError({ reason, description: "etcd down" })),
          list: () => Effect.succeed([]),
          create: Effect.succeed,
          delete: () => Effect.dieMessage("unused"),
          watch: Effect.dieMessage("unused") as never
        })
      const base = Layer.mergeAll(
        TokenSigner.layerInsecure(),
        IdGenerator.layerSequence,
        Config.layer({ issuers: [Fixtures.issuer] })
      )
      const a = yield* Effect.flip(create({})).pipe(Effect.provide(Layer.merge(base, failing("Unavailable"))))
      assert.strictEqual(a._tag, "ServiceUnavailable")
      assert.strictEqual(a.message, "etcd down")
      const b = yield* Effect.flip(create({})).pipe(Effect.provide(Layer.merge(base, failing("Unexpected"))))
      assert.strictEqual(b._tag, "InternalError")
      assert.strictEqual(b.message, "Internal error occurred: etcd down")
    }))

  it.effect("reads the clock once: creationTimestamp = iat = nbf", () =>
    Effect.gen(function*() {
      const issued = yield* create({ spec: { expirationSeconds: 600 } })
      const payload = payloadOf(issued.tokenRequest.status.token)
      const created = DateTime.toEpochMillis(Option.getOrThrow(Option.fromNullable(issued.tokenRequest.metadata.creationTimestamp)))
      assert.strictEqual(created / 1000, payload.iat)
      assert.strictEqual(payload.nbf, payload.iat)
      assert.strictEqual(payload.exp - payload.iat, 600)
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("uses a fresh jti per token", () =>
    Effect.gen(function*() {
      const a = yield* create({})
      const b = yield* create({})
      assert.notStrictEqual(payloadOf(a.tokenRequest.status.token).jti, payloadOf(b.tokenRequest.status.token).jti)
    }).pipe(Effect.provide(Fixtures.layer())))
})
