/**
 * Wire round trips of every schema, with the schemas themselves as generators: encoding a value,
 * decoding it and encoding again gives the same wire form.
 */
import { assert, describe, it } from "@effect/vitest"
import * as BoundObjectReference from "@tokenrequest/domain/BoundObjectReference"
import * as Discovery from "@tokenrequest/domain/Discovery"
import * as FieldError from "@tokenrequest/domain/FieldError"
import * as KeySet from "@tokenrequest/domain/KeySet"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import * as ObjectMeta from "@tokenrequest/domain/ObjectMeta"
import * as SelfSubjectReview from "@tokenrequest/domain/SelfSubjectReview"
import * as Status from "@tokenrequest/domain/Status"
import * as Time from "@tokenrequest/domain/Time"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import * as TokenReview from "@tokenrequest/domain/TokenReview"
import * as TokenSigner from "@tokenrequest/domain/TokenSigner"
import * as UserInfo from "@tokenrequest/domain/UserInfo"
import * as Arbitrary from "effect/Arbitrary"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"

const schemas: Record<string, Schema.Schema<any, any, never>> = {
  Time: Time.Time,
  ObjectMeta: ObjectMeta.ObjectMeta,
  KubeObject: KubeObject.KubeObject,
  BoundObjectReference: BoundObjectReference.BoundObjectReference,
  TokenRequestSpec: TokenRequest.TokenRequestSpec,
  TokenRequestStatus: TokenRequest.TokenRequestStatus,
  TokenRequest: TokenRequest.TokenRequest,
  IssuedTokenRequest: TokenRequest.IssuedTokenRequest,
  TokenReviewSpec: TokenReview.TokenReviewSpec,
  TokenReviewStatus: TokenReview.TokenReviewStatus,
  TokenReview: TokenReview.TokenReview,
  UserInfo: UserInfo.UserInfo,
  SelfSubjectReview: SelfSubjectReview.SelfSubjectReview,
  Status: Status.Status,
  FieldError: FieldError.FieldError,
  JsonWebKeySet: KeySet.JsonWebKeySet,
  SigningAlgorithm: TokenSigner.SigningAlgorithm,
  OpenIdConfiguration: Discovery.OpenIdConfiguration
}

describe("wire schemas", () => {
  for (const [name, schema] of Object.entries(schemas)) {
    it.prop(`${name}: encode ∘ decode ∘ encode = encode`, [Arbitrary.make(schema)], ([value]) => {
      const wire = Schema.encodeSync(schema)(value)
      const again = Schema.encodeSync(schema)(Schema.decodeUnknownSync(schema)(JSON.parse(JSON.stringify(wire))))
      assert.deepStrictEqual(JSON.parse(JSON.stringify(again)), JSON.parse(JSON.stringify(wire)))
    }, { fastCheck: { numRuns: 50 } })
  }

  it.prop("Time: whole-second instants round-trip exactly", [FastCheck.integer({ min: 0, max: 253402300799 })], ([s]) => {
    const text = new Date(s * 1000).toISOString().replace(".000Z", "Z")
    assert.strictEqual(Schema.encodeSync(Time.Time)(Schema.decodeSync(Time.Time)(text)), text)
  })

  it("TokenRequest: defaults on decode, upstream JSON on encode", () => {
    const decoded = Schema.decodeUnknownSync(TokenRequest.TokenRequest)({ spec: { expirationSeconds: null } })
    assert.deepStrictEqual(decoded.spec, { audiences: [], expirationSeconds: 3600, boundObjectRef: null })
    assert.deepStrictEqual(Schema.encodeSync(TokenRequest.TokenRequestSpec)(decoded.spec), {
      audiences: [],
      expirationSeconds: 3600,
      boundObjectRef: null
    })
  })

  it("TokenReview: authenticated omitted when false, user always present", () => {
    const status = Schema.decodeUnknownSync(TokenReview.TokenReviewStatus)({ error: "x" })
    assert.deepStrictEqual(Schema.encodeSync(TokenReview.TokenReviewStatus)(status), { user: {}, error: "x" })
    const ok = Schema.decodeUnknownSync(TokenReview.TokenReviewStatus)({ authenticated: true, user: { username: "u" } })
    assert.deepStrictEqual(Schema.encodeSync(TokenReview.TokenReviewStatus)(ok), { authenticated: true, user: { username: "u" } })
  })
})
