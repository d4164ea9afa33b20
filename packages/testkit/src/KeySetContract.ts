/**
 * The contract every `KeySet` adapter meets, as a vitest suite taking a layer that provides the
 * `KeySet` and a `TokenSigner` signing with one of its keys: round trips, tamper resistance, kid
 * selection, algorithm pinning, robustness against garbage, and the JWKS layout of semantics §10.3.
 *
 * @since 0.1.0
 */
import { assert, describe, layer as provideLayer } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { JsonWebKeySet, KeySet } from "@tokenrequest/domain/KeySet"
import type { SignedToken } from "@tokenrequest/domain/KeySet"
import { TokenSigner } from "@tokenrequest/domain/TokenSigner"
import * as Jws from "./internal/jws.js"
import { payloads } from "./TokenSignerContract.js"

/**
 * Options of the KeySet contract.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The expected `cacheMaxAgeSeconds`; default 3600 (static keys). `undefined` checks only `>= 0`. */
  readonly cacheMaxAgeSeconds?: number | undefined
  /** Runs per property. Default 50. */
  readonly numRuns?: number
}

const fieldOrder = ["use", "kty", "kid", "crv", "alg", "x", "y", "n", "e"]
const coordinateLengths: Record<string, number> = { "P-256": 32, "P-384": 48, "P-521": 66 }
const curveAlgorithms: Record<string, string> = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" }

/** Changes one byte of one segment (0 header, 1 payload, 2 signature) and re-encodes the token. */
const tamper = (token: string, segment: 0 | 1 | 2, position: number, delta: number): string | undefined => {
  const parts = Jws.segments(token)
  const bytes = Buffer.from(parts[segment])
  if (bytes.length === 0) return undefined
  const index = position % bytes.length
  bytes[index] = (bytes[index]! + delta) % 256
  parts[segment] = bytes
  return Jws.encode(...parts)
}

/**
 * Registers the KeySet contract suite.
 *
 * @since 0.1.0
 * @category contracts
 */
export const suite = <E>(name: string, layer: Layer.Layer<TokenSigner | KeySet, E>, options?: Options): void => {
  const numRuns = options?.numRuns ?? 50
  const cacheMaxAge = "cacheMaxAgeSeconds" in (options ?? {}) ? options!.cacheMaxAgeSeconds : 3600
  describe(`KeySet contract: ${name}`, () => {
    provideLayer(layer)((it) => {
      const signed = (payload: string) =>
        Effect.gen(function*() {
          const token = yield* (yield* TokenSigner).sign(payload)
          return { token, parsed: Jws.toSignedToken(token)! }
        })

      it.effect.prop("sign then verify gives Verified", [payloads], ([payload]) =>
        Effect.gen(function*() {
          const { parsed } = yield* signed(payload)
          assert.strictEqual(yield* (yield* KeySet).verify(parsed), "Verified")
        }), { fastCheck: { numRuns } })

      it.effect.prop(
        "any single-byte change of header, payload or signature is refused",
        [
          payloads,
          FastCheck.constantFrom(0 as const, 1 as const, 2 as const),
          FastCheck.nat(),
          FastCheck.integer({ min: 1, max: 255 })
        ],
        ([payload, segment, position, delta]) =>
          Effect.gen(function*() {
            const { token } = yield* signed(payload)
            const changed = tamper(token, segment, position, delta)
            if (changed === undefined) return
            const parsed = Jws.toSignedToken(changed)
            if (parsed === undefined) return // not even a JWS any more: refused before the key set
            const result = yield* (yield* KeySet).verify(parsed)
            assert.notStrictEqual(result, "Verified", `changed segment ${segment} still verified`)
          }),
        { fastCheck: { numRuns: numRuns * 2 } }
      )

      it.effect("a kid no key has gives NoKeys, even when a key would verify the signature", () =>
        Effect.gen(function*() {
          const { parsed } = yield* signed("{}")
          const other = parsed.keyId === "" ? "unknown" : parsed.keyId.split("").reverse().join("")
          assert.strictEqual(yield* (yield* KeySet).verify({ ...parsed, keyId: other }), "NoKeys")
        }))

      it.effect("a token without kid is tried against every key", () =>
        Effect.gen(function*() {
          const { parsed } = yield* signed("{\"sub\":\"x\"}")
          assert.strictEqual(yield* (yield* KeySet).verify({ ...parsed, keyId: "" }), "Verified")
        }))

      it.effect("algorithms are pinned per key: none, HMAC, PSS and other algorithms fail", () =>
        Effect.gen(function*() {
          const keySet = yield* KeySet
          const { parsed } = yield* signed("{}")
          const others = ["none", "HS256", "HS384", "HS512", "PS256", "PS384", "RS384", "RS512", "ES256", "ES384",
            "ES512", "RS256", "EdDSA", "", "rs256"].filter((alg) => alg !== parsed.algorithm)
          for (const algorithm of others) {
            assert.strictEqual(yield* keySet.verify({ ...parsed, algorithm }), "Failed", algorithm)
            assert.strictEqual(
              yield* keySet.verify({ ...parsed, algorithm, signature: new Uint8Array(0) }),
              "Failed",
              `${algorithm} with an empty signature`
            )
          }
        }))

      it.effect.prop(
        "garbage never verifies and never fails the effect",
        [
          FastCheck.boolean(),
          FastCheck.string(),
          FastCheck.constantFrom("RS256", "ES256", "ES384", "ES512", "none", "HS256", ""),
          FastCheck.string(),
          FastCheck.uint8Array({ maxLength: 300 })
        ],
        ([useCurrentKid, keyId, algorithm, signingInput, signature]) =>
          Effect.gen(function*() {
            const current = (yield* signed("{}")).parsed
            const token: SignedToken = {
              keyId: useCurrentKid ? current.keyId : keyId,
              algorithm: useCurrentKid ? current.algorithm : algorithm,
              signingInput,
              signature
            }
            const result = yield* (yield* KeySet).verify(token)
            assert.include(["NoKeys", "Failed"], result)
          }),
        { fastCheck: { numRuns } }
      )

      it.effect("the JWKS follows semantics §10.3 and publishes the signing key", () =>
        Effect.gen(function*() {
          const jwks = yield* (yield* KeySet).jwks
          const decoded = Schema.decodeUnknownSync(JsonWebKeySet)(JSON.parse(JSON.stringify(jwks)))
          assert.isAbove(decoded.keys.length, 0)
          for (const jwk of jwks.keys) {
            const order = Object.keys(jwk)
            assert.deepStrictEqual(order, fieldOrder.filter((field) => order.includes(field)), "go-jose field order")
            assert.strictEqual(jwk.use, "sig")
            if (jwk.kty === "RSA") {
              assert.strictEqual(jwk.alg, "RS256")
              assert.deepStrictEqual(order, ["use", "kty", "kid", "alg", "n", "e"])
              assert.notStrictEqual(Buffer.from(jwk.n!, "base64url")[0], 0, "n is minimal big-endian")
              assert.notStrictEqual(Buffer.from(jwk.e!, "base64url")[0], 0, "e is minimal big-endian")
            } else {
              assert.deepStrictEqual(order, ["use", "kty", "kid", "crv", "alg", "x", "y"])
              assert.strictEqual(jwk.alg, curveAlgorithms[jwk.crv!])
              assert.strictEqual(Buffer.from(jwk.x!, "base64url").length, coordinateLengths[jwk.crv!])
              assert.strictEqual(Buffer.from(jwk.y!, "base64url").length, coordinateLengths[jwk.crv!])
            }
          }
          const { keyId } = yield* (yield* TokenSigner).current
          assert.isTrue(jwks.keys.some((jwk) => jwk.kid === keyId), "the signing key is published")
        }))

      it.effect("cacheMaxAgeSeconds", () =>
        Effect.gen(function*() {
          const age = yield* (yield* KeySet).cacheMaxAgeSeconds
          if (cacheMaxAge === undefined) assert.isTrue(Number.isInteger(age) && age >= 0)
          else assert.strictEqual(age, cacheMaxAge)
        }))
    })
  })
}
