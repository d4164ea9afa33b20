import { assert, describe, it } from "@effect/vitest"
import * as Validation from "@tokenrequest/domain/Validation"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"

const message = (expirationSeconds: number) =>
  Either.match(Validation.validate({ spec: { audiences: [], expirationSeconds, boundObjectRef: null } }), {
    onLeft: (e) => e.message,
    onRight: () => "valid"
  })

describe("Validation", () => {
  it("rejects less than 10 minutes with the upstream message and cause", () => {
    assert.strictEqual(
      message(300),
      `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes`
    )
    const result = Validation.validate({ spec: { audiences: [], expirationSeconds: 300, boundObjectRef: null } })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      const e = result.left
      assert.deepInclude(e, { group: "authentication.k8s.io", kind: "TokenRequest", name: "" })
      assert.strictEqual(e.causes.length, 1)
      assert.strictEqual(e.causes[0]!.type, "FieldValueInvalid")
      assert.strictEqual(e.causes[0]!.field, "spec.expirationSeconds")
      assert.strictEqual(e.causes[0]!.body, "Invalid value: 300: may not specify a duration less than 10 minutes")
    }
  })

  it("rejects more than 2^32 seconds", () => {
    assert.strictEqual(
      message(2 ** 32 + 1),
      `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds`
    )
  })

  it("accepts both bounds", () => {
    assert.strictEqual(message(600), "valid")
    assert.strictEqual(message(2 ** 32), "valid")
    assert.strictEqual(message(599).includes("less than 10 minutes"), true)
    assert.strictEqual(message(0).includes("less than 10 minutes"), true)
    assert.strictEqual(message(-1).includes("Invalid value: -1:"), true)
  })

  it.prop(
    "valid iff 600 ≤ expirationSeconds ≤ 2^32, with at most one error",
    [FastCheck.integer({ min: -(2 ** 40), max: 2 ** 40 })],
    ([expirationSeconds]) => {
      const errors = Validation.validateSpec({ expirationSeconds })
      assert.strictEqual(errors.length === 0, expirationSeconds >= 600 && expirationSeconds <= 2 ** 32)
      assert.isAtMost(errors.length, 1)
    }
  )

  it.prop(
    "is order independent: the audiences, their order and the bound reference never change the outcome",
    [
      FastCheck.integer({ min: 0, max: 2 ** 33 }),
      FastCheck.array(FastCheck.string()),
      FastCheck.option(FastCheck.record({ kind: FastCheck.string(), name: FastCheck.string() }), { nil: null })
    ],
    ([expirationSeconds, audiences, boundObjectRef]) => {
      const a = Validation.validate({ spec: { audiences, expirationSeconds, boundObjectRef } })
      const b = Validation.validate({
        spec: { audiences: [...audiences].reverse(), expirationSeconds, boundObjectRef: null }
      })
      assert.deepStrictEqual(
        Either.mapLeft(a, (e) => e.message),
        Either.mapLeft(b, (e) => e.message)
      )
    }
  )

  describe("metadata checks", () => {
    const check = (namespace: string, metadata: Record<string, string>) =>
      Either.match(Validation.validateMetadata(namespace, "default", { metadata }), {
        onLeft: (e) => `${e._tag}: ${e.message}`,
        onRight: () => "ok"
      })
    it("accepts empty or equal name and namespace", () => {
      assert.strictEqual(check("ns", {}), "ok")
      assert.strictEqual(check("ns", { name: "default", namespace: "ns" }), "ok")
    })
    it("rejects a different name, then a different namespace, naming the URL service account", () => {
      assert.strictEqual(
        check("ns", { name: "other", namespace: "x" }),
        `Invalid: TokenRequest.authentication.k8s.io "default" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified`
      )
      assert.strictEqual(
        check("ns", { namespace: "x" }),
        `Invalid: TokenRequest.authentication.k8s.io "default" is invalid: metadata.namespace: Invalid value: "x": must match the service account namespace if specified`
      )
    })
    it("requires a namespace", () => {
      assert.strictEqual(check("", {}), "BadRequest: namespace is required")
    })
  })
})
