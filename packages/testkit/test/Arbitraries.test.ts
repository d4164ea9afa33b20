/**
 * The arbitraries generate what they promise: names match the DNS-1123 rules, objects and bodies
 * decode with the domain schemas, compact JWTs parse as go-jose would, and the fake server answers
 * 201 to every valid body (bound or not) and 422 to every invalid one.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as http from "node:http"
import * as BoundObjectReference from "@tokenrequest/domain/BoundObjectReference"
import * as Jwt from "@tokenrequest/domain/Jwt"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import { Arbitraries, FakeApiServer } from "@tokenrequest/testkit"

const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

const isSubdomain = (name: string) =>
  name.length <= 253 && name.split(".").every((part) => part.length <= 63 && label.test(part))

const decodes = <A, I>(schema: Schema.Schema<A, I>, value: unknown) =>
  Option.isSome(Schema.decodeUnknownOption(schema)(value))

describe("Arbitraries", () => {
  it.prop("DNS-1123 labels and subdomains", [Arbitraries.dns1123Label({ maxLength: 63 }), Arbitraries.dns1123Subdomain()], ([l, s]) => {
    assert.isTrue(l.length >= 1 && l.length <= 63 && label.test(l), l)
    assert.isTrue(isSubdomain(s), s)
  })

  it.prop("audiences are distinct and never empty", [Arbitraries.audiences({ maxLength: 5 })], ([list]) => {
    assert.strictEqual(new Set(list).size, list.length)
    for (const a of list) assert.isAbove(a.length, 0)
  })

  it.prop(
    "bound object references decode and name a bindable kind",
    [Arbitraries.boundObjectReference, Arbitraries.anyBoundObjectReference],
    ([ref, any]) => {
      assert.isTrue(decodes(BoundObjectReference.BoundObjectReference, ref))
      assert.include(["Pod", "Secret", "Node"], ref.kind)
      assert.isTrue(isSubdomain(ref.name!))
      assert.isTrue(decodes(BoundObjectReference.BoundObjectReference, any))
    }
  )

  it.prop(
    "objects of every kind decode with the KubeObject schema, namespaced exactly when the kind is",
    [Arbitraries.anyKubeObject(), Arbitraries.anyKubeObject({ stored: true })],
    ([object, stored]) => {
      for (const o of [object, stored]) {
        const decoded = Schema.decodeUnknownSync(KubeObject.KubeObject)(o)
        assert.strictEqual(decoded.metadata.namespace !== undefined, KubeObject.kinds[decoded.kind].namespaced)
        assert.isTrue(
          decoded.kind === "Namespace" ? label.test(decoded.metadata.name!) : isSubdomain(decoded.metadata.name!)
        )
      }
      assert.isDefined(Schema.decodeUnknownSync(KubeObject.KubeObject)(stored).metadata.creationTimestamp)
    }
  )

  it.prop("Pods carry the service account they were asked for", [
    Arbitraries.kubeObject("Pod", { serviceAccountName: FastCheck.constant("builder") })
  ], ([pod]) => {
    assert.strictEqual(KubeObject.podServiceAccountName(Schema.decodeUnknownSync(KubeObject.KubeObject)(pod)), "builder")
  })

  it.prop(
    "valid and invalid TokenRequest bodies decode; expirationSeconds is in range exactly for the valid ones",
    [Arbitraries.validTokenRequestBody(), Arbitraries.invalidTokenRequestBody, Arbitraries.anyTokenRequestBody],
    ([valid, invalid, any]) => {
      const ok = Schema.decodeUnknownSync(TokenRequest.TokenRequest)(valid)
      assert.isTrue(ok.spec.expirationSeconds >= 600 && ok.spec.expirationSeconds <= 2 ** 32)
      const bad = Schema.decodeUnknownSync(TokenRequest.TokenRequest)(invalid)
      assert.isTrue(bad.spec.expirationSeconds < 600 || bad.spec.expirationSeconds > 2 ** 32)
      assert.isTrue(decodes(TokenRequest.TokenRequest, any))
    }
  )

  it.prop("compact JWTs parse (header, payload, signature); JWT-shaped strings have three base64url segments", [
    Arbitraries.compactJwt,
    Arbitraries.jwtShaped
  ], ([jwt, shaped]) => {
    const parsed = Jwt.parse(jwt)
    assert.isTrue(Option.isSome(parsed))
    assert.isString(Option.getOrThrow(parsed).header["alg"])
    assert.match(shaped, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/)
  })
})

const post = (url: string, token: string, body: unknown) =>
  Effect.async<{ readonly status: number; readonly json: any }, Error>((resume) => {
    const request = http.request(url, {
      method: "POST",
      agent: false,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }
    }, (response) => {
      let data = ""
      response.setEncoding("utf8")
      response.on("data", (chunk) => (data += chunk))
      response.on("end", () => resume(Effect.succeed({ status: response.statusCode ?? 0, json: JSON.parse(data) })))
    })
    request.setTimeout(10_000, () => request.destroy(new Error("timed out")))
    request.on("error", (error) => resume(Effect.fail(error)))
    request.end(JSON.stringify(body))
  })

describe("Arbitraries against the fake server", () => {
  layer(
    FakeApiServer.layer({
      tls: false,
      objects: [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "builder", namespace: "default" } },
        { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "default" }, spec: { serviceAccountName: "builder" } },
        { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: "default" } },
        { apiVersion: "v1", kind: "Node", metadata: { name: "node-1" } }
      ]
    }),
    { timeout: 60_000 }
  )((it) => {
    it.effect("bodies from validTokenRequestBody get 201, from invalidTokenRequestBody 422", () =>
      Effect.gen(function*() {
        const server = yield* FakeApiServer.FakeApiServer
        const url = `${server.url}/api/v1/namespaces/default/serviceaccounts/builder/token`
        const boundObjects = [
          { kind: "Pod", apiVersion: "v1", name: "web" },
          { kind: "Secret", apiVersion: "v1", name: "creds" },
          { kind: "Node", apiVersion: "v1", name: "node-1" }
        ]
        const valid = FastCheck.sample(Arbitraries.validTokenRequestBody({ boundObjects }), { numRuns: 25, seed: 42 })
        for (const body of valid) {
          const reply = yield* post(url, server.token, body)
          assert.strictEqual(reply.status, 201, JSON.stringify({ body, reply: reply.json }))
          assert.strictEqual(reply.json.kind, "TokenRequest")
        }
        assert.isTrue(valid.some((body) => body.spec?.boundObjectRef !== undefined))
        const invalid = FastCheck.sample(Arbitraries.invalidTokenRequestBody, { numRuns: 10, seed: 42 })
        for (const body of invalid) {
          const reply = yield* post(url, server.token, body)
          assert.strictEqual(reply.status, 422, JSON.stringify({ body, reply: reply.json }))
          assert.strictEqual(reply.json.reason, "Invalid")
          assert.strictEqual(reply.json.details.causes[0].field, "spec.expirationSeconds")
        }
      }))

    it.effect("objects from kubeObject can be created in the fake server", () =>
      Effect.gen(function*() {
        const server = yield* FakeApiServer.FakeApiServer
        const samples = FastCheck.sample(
          FastCheck.constantFrom<KubeObject.ObjectKind>("ServiceAccount", "Pod", "Secret", "Node").chain((kind) =>
            Arbitraries.kubeObject(kind, { namespace: FastCheck.constant("default") })
          ),
          { numRuns: 10, seed: 7 }
        )
        for (const object of samples) {
          const created = yield* server.createObject(object).pipe(
            Effect.catchTag("AlreadyExists", () => Effect.succeed(undefined))
          )
          if (created !== undefined) assert.isDefined(created.metadata.uid)
        }
        const names = samples.map((o) => o.metadata.name)
        const present = yield* Effect.forEach(samples, (o) =>
          server.getObject({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name! }))
        assert.isTrue(present.every(Option.isSome), names.join(","))
      }))
  })
})
