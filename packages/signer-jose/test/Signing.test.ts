import { KeyFile, KeyRing, SignedToken, SigningKey, VerificationKey } from "@tokenrequest/signer-jose"
import { KeySet } from "@tokenrequest/domain/KeySet"
import { TokenSigner } from "@tokenrequest/domain/TokenSigner"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as crypto from "node:crypto"
import * as jose from "jose"
import * as Fixtures from "./fixtures.js"

const fixtures = Fixtures.create()
afterAll(() => fixtures.cleanup())

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url")

/** A claims payload as the domain writes it (sorted keys at every level). */
const claims = JSON.stringify({
  aud: ["https://kubernetes.default.svc.cluster.local"],
  exp: 1750794084,
  iat: 1750790484,
  iss: "https://kubernetes.default.svc.cluster.local",
  jti: "01c23071-5ad4-4c6e-9d4e-3b1f6d2a9a10",
  "kubernetes.io": { namespace: "ns-a", serviceaccount: { name: "bob", uid: "7b4f…ü" } },
  nbf: 1750790484,
  sub: "system:serviceaccount:ns-a:bob"
})

const keys = [
  ["RS256", "rsa.pkcs1.pem"],
  ["ES256", "p256.sec1.pem"],
  ["ES384", "p384.pkcs8.pem"],
  ["ES512", "p521.sec1.pem"]
] as const

describe("signing, checked by an independent JOSE implementation (jose) given only the JWKS", () => {
  for (const [algorithm, file] of keys) {
    const layer = KeyRing.layerFiles({ signingKeyFile: fixtures.path(file) })

    it.effect(`${algorithm}: jose verifies the token with createLocalJWKSet(jwks)`, () =>
      Effect.gen(function*() {
        const token = yield* (yield* TokenSigner).sign(claims)
        const jwks = yield* (yield* KeySet).jwks
        const result = yield* Effect.promise(() =>
          jose.compactVerify(token, jose.createLocalJWKSet(JSON.parse(JSON.stringify(jwks))), { algorithms: [algorithm] })
        )
        assert.strictEqual(new TextDecoder().decode(result.payload), claims)
        assert.deepStrictEqual(result.protectedHeader, { alg: algorithm, kid: jwks.keys[0]!.kid })
        const verified = yield* Effect.promise(() =>
          jose.jwtVerify(token, jose.createLocalJWKSet(JSON.parse(JSON.stringify(jwks))), {
            currentDate: new Date(1750790500_000),
            audience: "https://kubernetes.default.svc.cluster.local"
          })
        )
        assert.strictEqual(verified.payload.sub, "system:serviceaccount:ns-a:bob")
      }).pipe(Effect.provide(layer)))

    it.effect(`${algorithm}: header and payload are byte-identical to upstream's layout built by hand`, () =>
      Effect.gen(function*() {
        const token = yield* (yield* TokenSigner).sign(claims)
        const der = crypto.createPublicKey(fixtures.read(file)).export({ type: "spki", format: "der" })
        const kid = crypto.createHash("sha256").update(der).digest("base64url")
        const [header, payload, signature] = token.split(".")
        assert.strictEqual(header, b64(`{"alg":"${algorithm}","kid":"${kid}"}`))
        assert.strictEqual(payload, b64(claims))
        const signingInput = `${header}.${payload}`
        if (algorithm === "RS256") {
          // PKCS#1 v1.5 is deterministic: the whole token is byte-identical.
          const bytes = crypto.sign("sha256", Buffer.from(signingInput), crypto.createPrivateKey(fixtures.read(file)))
          assert.strictEqual(signature, bytes.toString("base64url"))
        } else {
          // ECDSA is randomised: check the raw R||S signature with node:crypto instead.
          const bytes = Buffer.from(signature!, "base64url")
          assert.strictEqual(bytes.length, { ES256: 64, ES384: 96, ES512: 132 }[algorithm])
          assert.isTrue(
            crypto.verify(
              { ES256: "sha256", ES384: "sha384", ES512: "sha512" }[algorithm],
              Buffer.from(signingInput),
              { key: crypto.createPublicKey(fixtures.read(file)), dsaEncoding: "ieee-p1363" },
              bytes
            )
          )
        }
      }).pipe(Effect.provide(layer)))

    it.effect(`${algorithm}: a token jose signs in upstream's layout verifies here`, () =>
      Effect.gen(function*() {
        const privateKey = crypto.createPrivateKey(fixtures.read(file))
        const { keyId } = yield* (yield* TokenSigner).current
        const token = yield* Effect.promise(() =>
          new jose.CompactSign(new TextEncoder().encode(claims)).setProtectedHeader({ alg: algorithm, kid: keyId })
            .sign(privateKey)
        )
        assert.strictEqual(yield* (yield* KeySet).verify(SignedToken.parse(token)!), "Verified")
      }).pipe(Effect.provide(layer)))
  }

  it.effect("the JWKS equals jose's exportJWK for each key (x, y, n, e), in §10.3 order", () =>
    Effect.gen(function*() {
      const files = keys.map(([, file]) => fixtures.path(file))
      const jwks = yield* KeyFile.jwksOf(files)
      for (let i = 0; i < keys.length; i++) {
        const exported = yield* Effect.promise(() => jose.exportJWK(crypto.createPublicKey(fixtures.read(keys[i]![1]))))
        const jwk = jwks.keys[i]!
        assert.strictEqual(jwk.alg, keys[i]![0])
        if (jwk.kty === "RSA") {
          assert.deepStrictEqual([jwk.n, jwk.e], [exported.n, exported.e])
        } else {
          assert.deepStrictEqual([jwk.crv, jwk.x, jwk.y], [exported.crv, exported.x, exported.y])
        }
        const spki = crypto.createPublicKey({ key: exported as crypto.JsonWebKey, format: "jwk" }).export({
          type: "spki",
          format: "der"
        })
        assert.strictEqual(jwk.kid, crypto.createHash("sha256").update(spki).digest("base64url"))
      }
    }))

  it.prop("EC coordinates with leading zero bytes stay padded to the curve size", [FastCheck.constant(null)], () => {
    // Generate until a P-256 key has an x or y with a leading zero byte (about 1 in 128 keys).
    for (let attempt = 0; attempt < 5000; attempt++) {
      const { publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" })
      const raw = publicKey.export({ type: "spki", format: "der" }).subarray(-64)
      if (raw[0] !== 0 && raw[32] !== 0) continue
      const jwk = VerificationKey.toJwk(VerificationKey.fromKeyObject(publicKey)!)
      assert.strictEqual(Buffer.from(jwk.x!, "base64url").toString("hex"), raw.subarray(0, 32).toString("hex"))
      assert.strictEqual(Buffer.from(jwk.y!, "base64url").toString("hex"), raw.subarray(32).toString("hex"))
      return
    }
    assert.fail("no key with a leading zero coordinate found")
  }, { fastCheck: { numRuns: 1 } })
})

describe("verification pins algorithms (alg confusion)", () => {
  it.effect("an HS256 token keyed with the RSA public key PEM does not verify", () =>
    Effect.gen(function*() {
      const { keyId } = yield* (yield* TokenSigner).current
      const secret = Buffer.from(fixtures.read("rsa.pub.pem"))
      const token = yield* Effect.promise(() =>
        new jose.CompactSign(new TextEncoder().encode(claims)).setProtectedHeader({ alg: "HS256", kid: keyId }).sign(
          secret
        )
      )
      assert.strictEqual(yield* (yield* KeySet).verify(SignedToken.parse(token)!), "Failed")
    }).pipe(Effect.provide(KeyRing.layerFiles({ signingKeyFile: fixtures.path("rsa.pkcs1.pem") }))))

  it.effect("a PS256 token signed by the right RSA key does not verify", () =>
    Effect.gen(function*() {
      const { keyId } = yield* (yield* TokenSigner).current
      const token = yield* Effect.promise(() =>
        new jose.CompactSign(new TextEncoder().encode(claims)).setProtectedHeader({ alg: "PS256", kid: keyId }).sign(
          crypto.createPrivateKey(fixtures.read("rsa.pkcs1.pem"))
        )
      )
      assert.strictEqual(yield* (yield* KeySet).verify(SignedToken.parse(token)!), "Failed")
    }).pipe(Effect.provide(KeyRing.layerFiles({ signingKeyFile: fixtures.path("rsa.pkcs1.pem") }))))

  it.effect("an ES256 signature presented as ES384 (and DER-encoded ECDSA) does not verify", () =>
    Effect.gen(function*() {
      const key = Either.getOrThrow(SigningKey.fromPem(fixtures.read("p256.sec1.pem")))
      const parsed = SignedToken.parse(SigningKey.sign(key, claims))!
      const keySet = yield* KeySet
      assert.strictEqual(yield* keySet.verify(parsed), "Verified")
      assert.strictEqual(yield* keySet.verify({ ...parsed, algorithm: "ES384" }), "Failed")
      const der = crypto.sign("sha256", Buffer.from(parsed.signingInput), key.privateKey)
      assert.strictEqual(yield* keySet.verify({ ...parsed, signature: der }), "Failed")
    }).pipe(Effect.provide(KeyRing.layerFiles({ signingKeyFile: fixtures.path("p256.sec1.pem") }))))

  it.effect("verification-only key ring: signing fails, verification works", () =>
    Effect.gen(function*() {
      const key = Either.getOrThrow(SigningKey.fromPem(fixtures.read("p384.sec1.pem")))
      const error = yield* Effect.flip((yield* TokenSigner).sign("{}"))
      assert.strictEqual(error.reason, "Failed")
      assert.strictEqual(yield* (yield* KeySet).verify(SignedToken.parse(SigningKey.sign(key, "{}"))!), "Verified")
    }).pipe(Effect.provide(KeyRing.layerFiles({ keyFiles: [fixtures.path("p384.pub.pem")] }))))
})

describe("SignedToken.parse", () => {
  it("refuses what is not a three-segment JWS with an object header", () => {
    for (const bad of ["", "a.b", "a.b.c.d", "e30.e30.%%%", `${b64("[]")}.e30.`, `${b64("{\"kid\":1,\"alg\":\"x\"}")}.e30.`]) {
      assert.isUndefined(SignedToken.parse(bad), bad)
    }
    assert.deepStrictEqual(SignedToken.parse(`${b64("{\"alg\":\"none\"}")}.e30.`), {
      keyId: "",
      algorithm: "none",
      signingInput: `${b64("{\"alg\":\"none\"}")}.e30`,
      signature: new Uint8Array(0)
    })
  })
})
