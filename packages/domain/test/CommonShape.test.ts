/**
 * The hand-written codecs of the common wire shapes agree with the schemas: whenever they take a
 * value, the decoded object equals the schema's decoding and the encoded JSON text equals the
 * schema's encoding. Inputs come from a generator of near-common shapes (odd types, nulls, extra
 * keys, metadata) and from the schemas' own arbitraries; fixed examples check that the common
 * shapes are indeed taken.
 */
import { assert, describe, it } from "@effect/vitest"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import * as TokenReview from "@tokenrequest/domain/TokenReview"
import * as Arbitrary from "effect/Arbitrary"
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"

const absent = Symbol("absent")
/** A record of optional fields: a field set to `absent` is left out. */
const fields = (shape: Record<string, FastCheck.Arbitrary<unknown>>) =>
  FastCheck.record(Object.fromEntries(
    Object.entries(shape).map(([key, value]) => [key, FastCheck.oneof(FastCheck.constant(absent), value)])
  )).map((record) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== absent)))

const odd = FastCheck.oneof(
  FastCheck.constant(null),
  FastCheck.integer(),
  FastCheck.double(),
  FastCheck.boolean(),
  FastCheck.string({ maxLength: 4 }),
  FastCheck.constant({}),
  FastCheck.constant([])
)
const strings = FastCheck.array(FastCheck.string({ maxLength: 6 }), { maxLength: 3 })
const metadata = FastCheck.oneof(
  FastCheck.constant({}),
  FastCheck.constant(null),
  fields({ name: FastCheck.string(), creationTimestamp: FastCheck.constant(null), labels: FastCheck.constant({ a: "b" }) }),
  odd
)
const typeMeta = {
  apiVersion: FastCheck.oneof(FastCheck.constant("authentication.k8s.io/v1"), odd),
  kind: FastCheck.oneof(FastCheck.constant("TokenRequest"), FastCheck.constant("TokenReview"), odd),
  metadata
}
const requestBodies = FastCheck.oneof(
  fields({
    ...typeMeta,
    spec: FastCheck.oneof(
      fields({
        audiences: FastCheck.oneof(strings, odd, FastCheck.constant([1])),
        expirationSeconds: FastCheck.oneof(FastCheck.integer(), FastCheck.constant(2 ** 60), odd),
        boundObjectRef: FastCheck.oneof(
          fields({ kind: FastCheck.string(), apiVersion: FastCheck.string(), name: FastCheck.string(), uid: odd }),
          odd
        ),
        extra: odd
      }),
      odd
    ),
    status: odd
  }),
  odd
)
const reviewBodies = FastCheck.oneof(
  fields({
    ...typeMeta,
    spec: FastCheck.oneof(
      fields({ token: FastCheck.oneof(FastCheck.string(), odd), audiences: FastCheck.oneof(strings, odd), extra: odd }),
      odd
    ),
    status: odd
  }),
  odd
)

/** The hand decoder either declines or agrees with the schema (which must then succeed). */
const agreesOnDecode = <A, I>(schema: Schema.Schema<A, I>, hand: (input: unknown) => A | undefined, input: unknown) => {
  const quick = hand(input)
  if (quick === undefined) return false
  const reference = Schema.decodeUnknownEither(schema)(input)
  assert.isTrue(Either.isRight(reference), JSON.stringify(input))
  assert.deepStrictEqual(quick, Either.getOrThrow(reference))
  return true
}

/** The hand encoder either declines or writes the schema's JSON text. */
const agreesOnEncode = <A, I>(schema: Schema.Schema<A, I>, hand: (value: A) => unknown, value: A) => {
  const quick = hand(value)
  if (quick === undefined) return false
  assert.strictEqual(JSON.stringify(quick), JSON.stringify(Schema.encodeSync(schema)(value)))
  return true
}

const now = DateTime.unsafeMake(1_795_885_660_000)

describe("common shapes", () => {
  it.prop("TokenRequest: decodeCommonShape agrees with the schema", [requestBodies], ([input]) => {
    agreesOnDecode(TokenRequest.TokenRequest, TokenRequest.decodeCommonShape, input)
  }, { fastCheck: { numRuns: 2000 } })

  it.prop("TokenReview: decodeCommonShape agrees with the schema", [reviewBodies], ([input]) => {
    agreesOnDecode(TokenReview.TokenReview, TokenReview.decodeCommonShape, input)
  }, { fastCheck: { numRuns: 2000 } })

  it.prop(
    "TokenRequest and TokenReview: the decoders agree on the schemas' own wire values",
    [
      Arbitrary.make(TokenRequest.TokenRequest).map(Schema.encodeSync(TokenRequest.TokenRequest)),
      Arbitrary.make(TokenReview.TokenReview).map(Schema.encodeSync(TokenReview.TokenReview))
    ],
    ([request, review]) => {
      agreesOnDecode(TokenRequest.TokenRequest, TokenRequest.decodeCommonShape, request)
      agreesOnDecode(TokenReview.TokenReview, TokenReview.decodeCommonShape, review)
    }
  )

  it.prop("IssuedTokenRequest: encodeIssuedCommonShape writes the schema's JSON", [
    Arbitrary.make(TokenRequest.IssuedTokenRequest),
    FastCheck.boolean()
  ], ([issued, plain]) => {
    // half of the values narrowed to the common metadata, so that the hand encoder takes them
    const { name, namespace, uid, creationTimestamp } = issued.metadata
    const value = plain ? { ...issued, metadata: { name, namespace, uid, creationTimestamp } } : issued
    agreesOnEncode(TokenRequest.IssuedTokenRequest, TokenRequest.encodeIssuedCommonShape, value)
  })

  it.prop("TokenReview answers: encodeCommonShape writes the schema's JSON", [
    Arbitrary.make(TokenReview.TokenReview),
    FastCheck.boolean()
  ], ([review, plain]) => {
    const value = plain ? { ...review, metadata: { creationTimestamp: null } } : review
    agreesOnEncode(TokenReview.TokenReview, TokenReview.encodeCommonShape, value)
  })

  it("takes the shapes clients send and servers answer", () => {
    for (
      const body of [
        { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { audiences: ["a"], expirationSeconds: 600 } },
        { metadata: {}, spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "p", uid: "u" } } },
        {},
        { spec: null }
      ]
    ) assert.isTrue(agreesOnDecode(TokenRequest.TokenRequest, TokenRequest.decodeCommonShape, body))
    for (const body of [{ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token: "t" } }, {}]) {
      assert.isTrue(agreesOnDecode(TokenReview.TokenReview, TokenReview.decodeCommonShape, body))
    }
    const issued: TokenRequest.IssuedTokenRequest = {
      kind: "TokenRequest",
      apiVersion: TokenRequest.apiVersion,
      metadata: { name: "default", namespace: "default", uid: "u", creationTimestamp: DateTime.toUtc(now) },
      spec: { audiences: ["a"], expirationSeconds: 3600, boundObjectRef: null },
      status: { token: "t", expirationTimestamp: DateTime.toUtc(now) }
    }
    assert.isTrue(agreesOnEncode(TokenRequest.IssuedTokenRequest, TokenRequest.encodeIssuedCommonShape, issued))
    const bound = { ...issued, spec: { ...issued.spec, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "p", uid: "x" } } }
    assert.isTrue(agreesOnEncode(TokenRequest.IssuedTokenRequest, TokenRequest.encodeIssuedCommonShape, bound))
    const review: TokenReview.TokenReview = {
      kind: "TokenReview",
      apiVersion: TokenRequest.apiVersion,
      metadata: { creationTimestamp: null },
      spec: { token: "t", audiences: [] },
      status: {
        authenticated: true,
        user: { username: "u", uid: "x", groups: ["g"], extra: { "a/b": ["c"] } },
        audiences: ["a"]
      }
    }
    assert.isTrue(agreesOnEncode(TokenReview.TokenReview, TokenReview.encodeCommonShape, review))
    const rejected = { ...review, status: { authenticated: false, user: {}, error: "e" } }
    assert.isTrue(agreesOnEncode(TokenReview.TokenReview, TokenReview.encodeCommonShape, rejected))
  })
})
