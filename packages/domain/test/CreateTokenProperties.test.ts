import { assert, describe, it } from "@effect/vitest"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import * as Expiration from "@tokenrequest/domain/Expiration"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as TestClock from "effect/TestClock"
import * as Fixtures from "./fixtures.js"
import { payloadOf, request } from "./helpers.js"

const apiAudiences = ["https://a", "https://b"]

describe("createToken properties", () => {
  it.effect.prop(
    "exp − iat is the clamped or extended lifetime; expirationTimestamp ≤ exp; aud = defaulted audiences",
    {
      now: FastCheck.integer({ min: 0, max: 4_000_000_000_000 }),
      expirationSeconds: FastCheck.oneof(
        FastCheck.constant(3607),
        FastCheck.integer({ min: 600, max: 2 ** 32 })
      ),
      audiences: FastCheck.subarray(["https://a", "https://b", "vault"]),
      maxExpirationSeconds: FastCheck.oneof(FastCheck.constant(0), FastCheck.integer({ min: 3600, max: 2 ** 32 })),
      // kube-apiserver never configures an extended lifetime below 3607 s (it is min(signer max, 1y) and
      // the flag checks warn below it); below that, an extended exp would precede expirationTimestamp.
      maxExtendedExpirationSeconds: FastCheck.integer({ min: 3607, max: Expiration.expirationExtensionSeconds }),
      extendExpiration: FastCheck.boolean(),
      kind: FastCheck.constantFrom("none", "Pod", "Secret", "Node")
    },
    (p) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(p.now)
        const ref = {
          none: null,
          Pod: { kind: "Pod", apiVersion: "v1", name: "pod-1" },
          Secret: { kind: "Secret", apiVersion: "v1", name: "secret-1" },
          Node: { kind: "Node", apiVersion: "v1", name: "node-1" }
        }[p.kind]
        const issued = yield* CreateToken.createToken(
          "ns-a",
          "bob",
          request({ spec: { expirationSeconds: p.expirationSeconds, audiences: p.audiences, boundObjectRef: ref } })
        )
        const payload = payloadOf(issued.tokenRequest.status.token)
        const clamped = p.maxExpirationSeconds > 0 ? Math.min(p.expirationSeconds, p.maxExpirationSeconds) : p.expirationSeconds
        const defaulted = p.audiences.length === 0 ? apiAudiences : p.audiences
        const extended = p.extendExpiration && p.kind === "Pod" && clamped === 3607 &&
          defaulted.every((a) => apiAudiences.includes(a))
        assert.strictEqual(payload.exp - payload.iat, extended ? p.maxExtendedExpirationSeconds : clamped)
        assert.strictEqual(payload.iat, Math.floor(p.now / 1000))
        assert.strictEqual(payload["kubernetes.io"].warnafter, extended ? payload.iat + 3607 : undefined)
        assert.strictEqual(issued.tokenRequest.spec.expirationSeconds, clamped)
        const expirationTimestamp = DateTime.toEpochMillis(issued.tokenRequest.status.expirationTimestamp)
        assert.isAtMost(expirationTimestamp, payload.exp * 1000)
        assert.strictEqual(expirationTimestamp, (payload.iat + clamped) * 1000)
        assert.deepStrictEqual(payload.aud, defaulted)
        assert.deepStrictEqual(issued.tokenRequest.spec.audiences, defaulted)
        assert.deepStrictEqual(issued.warnings.length, clamped < p.expirationSeconds ? 1 : 0)
      }).pipe(
        Effect.provide(
          Fixtures.layer({
            config: {
              issuers: ["https://a", "https://b"],
              maxExpirationSeconds: p.maxExpirationSeconds,
              maxExtendedExpirationSeconds: p.maxExtendedExpirationSeconds,
              extendExpiration: p.extendExpiration
            }
          })
        )
      ),
    { fastCheck: { numRuns: 150 } }
  )
})
