import { create, fromBinary, toBinary } from "@bufbuild/protobuf"
import { assert, describe, it, layer } from "@effect/vitest"
import { TokenRequest, TokenReview } from "@tokenrequest/domain"
import {
  BoundObjectReferenceSchema,
  TokenRequestSchema,
  TokenRequestSpecSchema,
  TokenReviewSchema,
  TokenReviewSpecSchema
} from "@tokenrequest/http/generated/k8s.io/api/authentication/v1/generated_pb"
import {
  DeleteOptionsSchema,
  ObjectMetaSchema,
  PreconditionsSchema,
  StatusSchema,
  TimeSchema
} from "@tokenrequest/http/generated/k8s.io/apimachinery/pkg/apis/meta/v1/generated_pb"
import * as Protobuf from "@tokenrequest/http/Protobuf"
import { Effect, Either, FastCheck, Schema } from "effect"
import { claimsOf, ports, post, serve, TestServer } from "./fixtures.js"

const word = FastCheck.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?$/)
const maybe = <A>(arb: FastCheck.Arbitrary<A>) => FastCheck.option(arb, { nil: undefined })

const tokenRequestInput = FastCheck.record({
  name: maybe(word),
  namespace: maybe(word),
  uid: maybe(FastCheck.uuid()),
  created: maybe(FastCheck.integer({ min: 1, max: 4_000_000_000 })),
  labels: maybe(FastCheck.dictionary(word, word, { maxKeys: 3 })),
  audiences: FastCheck.array(FastCheck.string({ minLength: 1 }), { maxLength: 4 }),
  expirationSeconds: maybe(FastCheck.integer({ min: 0, max: 2 ** 40 })),
  boundObjectRef: maybe(FastCheck.record({
    kind: FastCheck.constantFrom("Pod", "Secret", "Node"),
    apiVersion: FastCheck.constantFrom("v1", "apps/v1"),
    name: word,
    uid: maybe(FastCheck.uuid())
  }))
})

type Input = typeof tokenRequestInput extends FastCheck.Arbitrary<infer A> ? A : never

const envelope = (apiVersion: string, kind: string, raw: Uint8Array) =>
  Protobuf.encodeEnvelope({ apiVersion, kind, raw })

/** Encodes with the generated types, as client-go would. */
const encodeTokenRequest = (input: Input) =>
  envelope(
    "authentication.k8s.io/v1",
    "TokenRequest",
    toBinary(
      TokenRequestSchema,
      create(TokenRequestSchema, {
        metadata: create(ObjectMetaSchema, {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.namespace !== undefined ? { namespace: input.namespace } : {}),
          ...(input.uid !== undefined ? { uid: input.uid } : {}),
          ...(input.created !== undefined
            ? { creationTimestamp: create(TimeSchema, { seconds: BigInt(input.created), nanos: 0 }) }
            : {}),
          ...(input.labels !== undefined ? { labels: input.labels } : {})
        }),
        spec: create(TokenRequestSpecSchema, {
          audiences: input.audiences,
          ...(input.expirationSeconds !== undefined ? { expirationSeconds: BigInt(input.expirationSeconds) } : {}),
          ...(input.boundObjectRef !== undefined
            ? {
              boundObjectRef: create(BoundObjectReferenceSchema, {
                kind: input.boundObjectRef.kind,
                aPIVersion: input.boundObjectRef.apiVersion,
                name: input.boundObjectRef.name,
                ...(input.boundObjectRef.uid !== undefined ? { uID: input.boundObjectRef.uid } : {})
              })
            }
            : {})
        })
      })
    )
  )

/** What the same object decodes to through the JSON schema. */
const expected = (input: Input): TokenRequest.TokenRequest =>
  Schema.decodeUnknownSync(TokenRequest.TokenRequest)({
    metadata: {
      ...(input.name ? { name: input.name } : {}),
      ...(input.namespace ? { namespace: input.namespace } : {}),
      ...(input.uid ? { uid: input.uid } : {}),
      ...(input.created !== undefined ? { creationTimestamp: new Date(input.created * 1000).toISOString() } : {}),
      ...(input.labels && Object.keys(input.labels).length > 0 ? { labels: input.labels } : {})
    },
    spec: {
      audiences: input.audiences,
      ...(input.expirationSeconds !== undefined ? { expirationSeconds: input.expirationSeconds } : {}),
      boundObjectRef: input.boundObjectRef === undefined ? null : {
        kind: input.boundObjectRef.kind,
        apiVersion: input.boundObjectRef.apiVersion,
        name: input.boundObjectRef.name,
        ...(input.boundObjectRef.uid ? { uid: input.boundObjectRef.uid } : {})
      }
    }
  })

const open = (bytes: Uint8Array) => {
  const decoded = Protobuf.decodeEnvelope(bytes)
  if (Either.isLeft(decoded)) throw new Error(decoded.left)
  return decoded.right
}

describe("Kubernetes protobuf", () => {
  it.prop("TokenRequest: encode with the generated types, decode, same object", [tokenRequestInput], ([input]) => {
    const { apiVersion, kind, raw } = open(encodeTokenRequest(input))
    assert.strictEqual(apiVersion, "authentication.k8s.io/v1")
    assert.strictEqual(kind, "TokenRequest")
    const decoded = Schema.decodeUnknownSync(TokenRequest.TokenRequest)(Protobuf.toJsonShape("TokenRequest", raw))
    assert.deepStrictEqual(decoded, expected(input))
    // an unset expirationSeconds is defaulted, a set one (even 0) is kept
    assert.strictEqual(decoded.spec.expirationSeconds, input.expirationSeconds ?? 3600)
  })

  it.prop(
    "TokenReview: encode with the generated types, decode, same object",
    [FastCheck.string(), FastCheck.array(FastCheck.string({ minLength: 1 }), { maxLength: 3 })],
    ([token, audiences]) => {
      const bytes = envelope(
        "authentication.k8s.io/v1",
        "TokenReview",
        toBinary(TokenReviewSchema, create(TokenReviewSchema, { spec: create(TokenReviewSpecSchema, { token, audiences }) }))
      )
      const { raw } = open(bytes)
      const decoded = Schema.decodeUnknownSync(TokenReview.TokenReview)(Protobuf.toJsonShape("TokenReview", raw))
      assert.deepStrictEqual(decoded.spec, { token, audiences })
    }
  )

  it.prop(
    "DeleteOptions: encode with the generated types, decode, same object",
    [
      maybe(FastCheck.integer({ min: 0, max: 1_000_000 })),
      maybe(FastCheck.uuid()),
      maybe(FastCheck.constantFrom("Orphan", "Background", "Foreground")),
      FastCheck.array(FastCheck.constant("All"), { maxLength: 1 })
    ],
    ([grace, uid, policy, dryRun]) => {
      const message = create(DeleteOptionsSchema, {
        ...(grace !== undefined ? { gracePeriodSeconds: BigInt(grace) } : {}),
        ...(uid !== undefined ? { preconditions: create(PreconditionsSchema, { uid }) } : {}),
        ...(policy !== undefined ? { propagationPolicy: policy } : {}),
        dryRun
      })
      const { kind, raw } = open(envelope("v1", "DeleteOptions", toBinary(DeleteOptionsSchema, message)))
      assert.strictEqual(kind, "DeleteOptions")
      assert.deepStrictEqual(Protobuf.toJsonShape("DeleteOptions", raw), {
        ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
        ...(uid !== undefined ? { preconditions: { uid } } : {}),
        ...(policy !== undefined ? { propagationPolicy: policy } : {}),
        ...(dryRun.length > 0 ? { dryRun } : {})
      })
    }
  )

  it("refuses bytes without the k8s\\0 magic", () => {
    assert.deepStrictEqual(
      Protobuf.decodeEnvelope(new TextEncoder().encode("{}")),
      Either.left("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]")
    )
  })

  layer(serve(ports()))((it) => {
    const tokenPath = "/api/v1/namespaces/default/serviceaccounts/builder/token"
    const protobufBody = encodeTokenRequest({
      name: undefined,
      namespace: undefined,
      uid: undefined,
      created: undefined,
      labels: undefined,
      audiences: ["vault"],
      expirationSeconds: 1800,
      boundObjectRef: undefined
    })

    it.effect("a protobuf TokenRequest is answered in JSON when JSON is acceptable", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const response = yield* post(url + tokenPath, protobufBody, {
          "content-type": Protobuf.mediaType,
          accept: `${Protobuf.mediaType}, application/json`
        })
        assert.strictEqual(response.status, 201)
        assert.strictEqual(response.headers.get("content-type"), "application/json")
        const body = JSON.parse(response.text)
        assert.deepStrictEqual(body.spec, { audiences: ["vault"], expirationSeconds: 1800, boundObjectRef: null })
        const claims = claimsOf(body.status.token)
        assert.strictEqual(claims.exp - claims.iat, 1800)
      }))

    it.effect("answers protobuf when only protobuf is accepted (objects and Status)", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const response = yield* Effect.promise(() =>
          fetch(url + tokenPath, {
            method: "POST",
            headers: { "content-type": Protobuf.mediaType, accept: Protobuf.mediaType },
            body: protobufBody as BodyInit
          })
        )
        assert.strictEqual(response.status, 201)
        assert.strictEqual(response.headers.get("content-type"), Protobuf.mediaType)
        const answer = open(new Uint8Array(yield* Effect.promise(() => response.arrayBuffer())))
        assert.strictEqual(answer.kind, "TokenRequest")
        assert.strictEqual(answer.apiVersion, "authentication.k8s.io/v1")
        const message = fromBinary(TokenRequestSchema, answer.raw)
        assert.strictEqual(message.metadata?.name, "builder")
        assert.strictEqual(message.spec?.expirationSeconds, 1800n)
        assert.deepStrictEqual(message.spec?.audiences, ["vault"])
        assert.strictEqual(claimsOf(message.status!.token).sub, "system:serviceaccount:default:builder")
        assert.isTrue((message.status?.expirationTimestamp?.seconds ?? 0n) > 0n)

        const failure = yield* Effect.promise(() =>
          fetch(url + "/api/v1/namespaces/default/serviceaccounts/ghost/token", {
            method: "POST",
            headers: { "content-type": Protobuf.mediaType, accept: Protobuf.mediaType },
            body: protobufBody as BodyInit
          })
        )
        assert.strictEqual(failure.status, 404)
        const status = open(new Uint8Array(yield* Effect.promise(() => failure.arrayBuffer())))
        assert.strictEqual(status.kind, "Status")
        const decoded = fromBinary(StatusSchema, status.raw)
        assert.strictEqual(decoded.message, "serviceaccounts \"ghost\" not found")
        assert.strictEqual(decoded.reason, "NotFound")
        assert.strictEqual(decoded.code, 404)
        assert.strictEqual(decoded.details?.kind, "serviceaccounts")
      }))

    it.effect("a JSON body sent as protobuf is a 400 with the upstream text", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const response = yield* post(url + tokenPath, "{}", { "content-type": Protobuf.mediaType })
        assert.strictEqual(response.status, 400)
        assert.strictEqual(
          JSON.parse(response.text).message,
          "the object provided is unrecognized (must be of type TokenRequest): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({})"
        )
      }))
  })
})
