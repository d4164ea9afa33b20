/**
 * The contract every `TokenSigner` adapter meets, as a vitest suite taking the adapter's layer. The
 * layer also provides the `KeySet` publishing the signer's keys, so signatures are checked against
 * the published JWKS with node:crypto, independently of the adapter.
 *
 * Usage, in an adapter's test file: `TokenSignerContract.suite("jose ES256", layer)`.
 *
 * @since 0.1.0
 */
import { assert, describe, layer as provideLayer } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import { KeySet } from "@tokenrequest/domain/KeySet"
import { TokenSigner } from "@tokenrequest/domain/TokenSigner"
import * as Jws from "./internal/jws.js"

/**
 * Options of the TokenSigner contract.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The signer writes upstream's local-key layout: header exactly `{"alg":…,"kid":…}` and a kid
   * derived from the public key (SHA-256 of PKIX DER). Default `true`; external signers set `false`.
   */
  readonly localKeyLayout?: boolean
  /** Runs per property. Default 50. */
  readonly numRuns?: number
}

const signatureLengths: Record<string, number> = { ES256: 64, ES384: 96, ES512: 132 }

/**
 * Payloads as the domain produces them (JSON texts) plus arbitrary well-formed Unicode strings.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const payloads: FastCheck.Arbitrary<string> = FastCheck.oneof(
  FastCheck.json(),
  FastCheck.string({ unit: "grapheme" }),
  FastCheck.string({ unit: "grapheme-composite" })
)

/**
 * Registers the TokenSigner contract suite for a layer providing `TokenSigner` and `KeySet`.
 *
 * @since 0.1.0
 * @category contracts
 */
export const suite = <E>(name: string, layer: Layer.Layer<TokenSigner | KeySet, E>, options?: Options): void => {
  const local = options?.localKeyLayout ?? true
  const numRuns = options?.numRuns ?? 50
  describe(`TokenSigner contract: ${name}`, () => {
    provideLayer(layer)((it) => {
      it.effect("current names a Kubernetes signing algorithm and a key id", () =>
        Effect.gen(function*() {
          const { algorithm, keyId } = yield* (yield* TokenSigner).current
          assert.include(["RS256", "ES256", "ES384", "ES512"], algorithm)
          assert.isAbove(keyId.length, 0)
          if (local) assert.match(keyId, /^[A-Za-z0-9_-]{43}$/)
        }))

      it.effect.prop(
        "the payload segment is the payload verbatim and the token has three unpadded base64url segments",
        [payloads],
        ([payload]) =>
          Effect.gen(function*() {
            const token = yield* (yield* TokenSigner).sign(payload)
            const [, body] = Jws.segments(token)
            assert.strictEqual(body.toString("utf8"), payload)
            assert.isTrue(Buffer.from(payload, "utf8").equals(body))
          }),
        { fastCheck: { numRuns } }
      )

      it.effect.prop(
        "the signature verifies with node:crypto against the published JWK of the current kid",
        [payloads],
        ([payload]) =>
          Effect.gen(function*() {
            const signer = yield* TokenSigner
            const { algorithm, keyId } = yield* signer.current
            const token = yield* signer.sign(payload)
            const jwks = yield* (yield* KeySet).jwks
            const jwk = jwks.keys.find((key) => key.kid === keyId)
            assert.isDefined(jwk, `no published key with kid ${keyId}`)
            assert.strictEqual(jwk!.alg, algorithm)
            assert.isTrue(Jws.verifyWithJwk(token, jwk!))
            const expectedLength = signatureLengths[algorithm]
            if (expectedLength !== undefined) assert.strictEqual(Jws.segments(token)[2].length, expectedLength)
          }),
        { fastCheck: { numRuns: Math.max(5, Math.floor(numRuns / 2)) } }
      )

      if (local) {
        it.effect("the header is exactly {\"alg\":…,\"kid\":…} with the current algorithm and kid", () =>
          Effect.gen(function*() {
            const signer = yield* TokenSigner
            const { algorithm, keyId } = yield* signer.current
            const [header] = Jws.segments(yield* signer.sign("{}"))
            assert.strictEqual(header.toString("utf8"), `{"alg":"${algorithm}","kid":"${keyId}"}`)
          }))

        it.effect("the kid is the SHA-256 of the published key's PKIX DER (independent node:crypto computation)", () =>
          Effect.gen(function*() {
            const { keyId } = yield* (yield* TokenSigner).current
            const jwks = yield* (yield* KeySet).jwks
            const jwk = jwks.keys.find((key) => key.kid === keyId)!
            assert.strictEqual(Jws.kidOfJwk(jwk), keyId)
          }))
      }
    })
  })
}
