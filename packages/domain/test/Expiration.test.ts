import { assert, describe, it } from "@effect/vitest"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import * as Expiration from "@tokenrequest/domain/Expiration"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as Fixtures from "./fixtures.js"
import { payloadOf, request, t0, t0Seconds } from "./helpers.js"

const hour = 3600
const year = Expiration.expirationExtensionSeconds
const podRef = { kind: "Pod", apiVersion: "v1", name: "pod-1" }

describe("Expiration", () => {
  it("has the upstream constants", () => {
    assert.strictEqual(Expiration.warnOnlyBoundTokenExpirationSeconds, 3607)
    assert.strictEqual(Expiration.expirationExtensionSeconds, 31536000)
  })

  it("clamp lowers with the upstream warning, and never when the cap is 0", () => {
    assert.deepStrictEqual(Expiration.clamp(7200, 3600), {
      expirationSeconds: 3600,
      warning: Option.some("requested expiration of 7200 seconds shortened to 3600 seconds")
    })
    assert.deepStrictEqual(Expiration.clamp(3600, 3600), { expirationSeconds: 3600, warning: Option.none() })
    assert.deepStrictEqual(Expiration.clamp(2 ** 32, 0), { expirationSeconds: 2 ** 32, warning: Option.none() })
  })

  it.prop(
    "clamp never raises and never exceeds a positive cap",
    [FastCheck.integer({ min: 600, max: 2 ** 32 }), FastCheck.integer({ min: 0, max: 2 ** 32 })],
    ([requested, max]) => {
      const c = Expiration.clamp(requested, max)
      assert.isAtMost(c.expirationSeconds, requested)
      if (max > 0) assert.isAtMost(c.expirationSeconds, max)
      assert.strictEqual(Option.isSome(c.warning), c.expirationSeconds !== requested)
    }
  )

  it.prop(
    "extension happens exactly when extend, pod-bound, 3607 and audiences ⊆ API audiences",
    [
      FastCheck.boolean(),
      FastCheck.boolean(),
      FastCheck.constantFrom(3606, 3607, 3608, 600),
      FastCheck.subarray(["a", "b", "c"]),
      FastCheck.subarray(["a", "b", "x"])
    ],
    ([extendExpiration, podBound, expirationSeconds, apiAudiences, audiences]) => {
      const lifetime = Expiration.extend({
        expirationSeconds,
        extendExpiration,
        maxExtendedExpirationSeconds: year,
        podBound,
        audiences,
        apiAudiences
      })
      const expected = extendExpiration && podBound && expirationSeconds === 3607 &&
        audiences.every((a) => apiAudiences.includes(a))
      assert.deepStrictEqual(
        lifetime,
        expected ? { expirationSeconds: year, warnAfterSeconds: 3607 } : { expirationSeconds, warnAfterSeconds: 0 }
      )
    }
  )

  // §5.5, from token_test.go: request 3607, Pod-bound, audiences ⊆ API audiences.
  const worked: Array<{ extend: boolean; max: number; maxExtended: number; exp: number; warning?: string }> = [
    { extend: false, max: 5 * hour, maxExtended: year, exp: 3607 },
    { extend: true, max: 2 * hour, maxExtended: 5 * hour, exp: 5 * hour },
    { extend: true, max: 2 * year, maxExtended: year, exp: year },
    { extend: true, max: 5 * hour, maxExtended: year, exp: year },
    { extend: false, max: 5 * hour, maxExtended: 0, exp: 3607 },
    {
      extend: false,
      max: 1800,
      maxExtended: 0,
      exp: 1800,
      warning: "requested expiration of 3607 seconds shortened to 1800 seconds"
    },
    {
      extend: true,
      max: 3600,
      maxExtended: year,
      exp: 3600,
      warning: "requested expiration of 3607 seconds shortened to 3600 seconds"
    }
  ]
  for (const c of worked) {
    it.effect(`worked case extend=${c.extend} max=${c.max} maxExtended=${c.maxExtended} → ${c.exp}`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(t0)
        const issued = yield* CreateToken.createToken(
          "ns-a",
          "bob",
          request({ spec: { expirationSeconds: 3607, boundObjectRef: podRef } })
        )
        const payload = payloadOf(issued.tokenRequest.status.token)
        assert.strictEqual(payload.exp - payload.iat, c.exp)
        assert.deepStrictEqual(issued.warnings, c.warning === undefined ? [] : [c.warning])
        const extended = c.exp !== Math.min(3607, c.max)
        assert.strictEqual(payload["kubernetes.io"].warnafter, extended ? t0Seconds + 3607 : undefined)
        // The answer shows the clamped, never the extended, lifetime.
        assert.strictEqual(issued.tokenRequest.spec.expirationSeconds, Math.min(3607, c.max))
      }).pipe(
        Effect.provide(
          Fixtures.layer({
            config: { extendExpiration: c.extend, maxExpirationSeconds: c.max, maxExtendedExpirationSeconds: c.maxExtended }
          })
        )
      ))
  }

  it.effect("Secret-bound, Node-bound, unbound and foreign-audience tokens are never extended", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      const specs = [
        { expirationSeconds: 3607, boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "secret-1" } },
        { expirationSeconds: 3607, boundObjectRef: { kind: "Node", apiVersion: "v1", name: "node-1" } },
        { expirationSeconds: 3607 },
        { expirationSeconds: 3607, boundObjectRef: podRef, audiences: ["vault"] }
      ]
      for (const spec of specs) {
        const issued = yield* CreateToken.createToken("ns-a", "bob", request({ spec }))
        const payload = payloadOf(issued.tokenRequest.status.token)
        assert.strictEqual(payload.exp - payload.iat, 3607)
        assert.isUndefined(payload["kubernetes.io"].warnafter)
      }
    }).pipe(Effect.provide(Fixtures.layer())))
})
