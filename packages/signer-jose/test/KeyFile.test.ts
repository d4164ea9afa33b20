import { KeyFile, KeyId, SigningKey, VerificationKey } from "@tokenrequest/signer-jose"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fixtures from "./fixtures.js"

const fixtures = Fixtures.create()
afterAll(() => fixtures.cleanup())

const failureMessage = <A>(effect: Effect.Effect<A, KeyFile.KeyFileError>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    assert.isTrue(Exit.isFailure(exit), "expected a failure")
    const error = yield* Effect.flip(effect)
    assert.strictEqual(error._tag, "KeyFileError")
    return error.message
  })

describe("KeyFile.readSigningKey", () => {
  const accepted = [
    ["rsa.pkcs1.pem", "RS256"],
    ["rsa.pkcs8.pem", "RS256"],
    ["p256.sec1.pem", "ES256"],
    ["p256.pkcs8.pem", "ES256"],
    ["p256.params.pem", "ES256"],
    ["p384.sec1.pem", "ES384"],
    ["p384.pkcs8.pem", "ES384"],
    ["p521.sec1.pem", "ES512"],
    ["p521.pkcs8.pem", "ES512"]
  ] as const
  for (const [file, algorithm] of accepted) {
    it.effect(`accepts ${file} as ${algorithm}, kid = SHA-256 of openssl's PKIX DER`, () =>
      Effect.gen(function*() {
        const key = yield* KeyFile.readSigningKey(fixtures.path(file))
        assert.strictEqual(key.algorithm, algorithm)
        assert.strictEqual(key.keyId, fixtures.opensslKid(file))
        assert.match(key.keyId, /^[A-Za-z0-9_-]{43}$/)
        assert.strictEqual(
          Buffer.from(key.encodedHeader, "base64url").toString(),
          `{"alg":"${algorithm}","kid":"${key.keyId}"}`
        )
      }))
  }

  const refused = [
    ["rsa.pub.pem", "data does not contain a valid RSA or ECDSA private key"],
    ["rsa.crt", "data does not contain a valid RSA or ECDSA private key"],
    ["garbage.pem", "data does not contain a valid RSA or ECDSA private key"],
    ["empty.pem", "data does not contain a valid RSA or ECDSA private key"],
    ["p256.encrypted.pem", "data does not contain a valid RSA or ECDSA private key"],
    ["k256.sec1.pem", "data does not contain a valid RSA or ECDSA private key"],
    ["p224.sec1.pem", "unknown private key curve, must be 256, 384, or 521"],
    [
      "ed25519.pem",
      "unknown private key type *ed25519.PrivateKey, must be *rsa.PrivateKey, *ecdsa.PrivateKey, or jose.OpaqueSigner"
    ]
  ] as const
  for (const [file, reason] of refused) {
    it.effect(`refuses ${file}: ${reason}`, () =>
      Effect.gen(function*() {
        const message = yield* failureMessage(KeyFile.readSigningKey(fixtures.path(file)))
        assert.strictEqual(
          message,
          `failed to parse service-account-issuer-key-file: error reading private key file ${fixtures.path(file)}: ${reason}`
        )
      }))
  }

  it.effect("a missing file is named as Go's os.ReadFile names it", () =>
    Effect.gen(function*() {
      const file = fixtures.path("missing.pem")
      const message = yield* failureMessage(KeyFile.readSigningKey(file))
      assert.strictEqual(message, `failed to parse service-account-issuer-key-file: open ${file}: no such file or directory`)
    }))

  it.effect("a directory is refused", () =>
    Effect.gen(function*() {
      const message = yield* failureMessage(KeyFile.readSigningKey(fixtures.dir))
      assert.strictEqual(message, `failed to parse service-account-issuer-key-file: read ${fixtures.dir}: is a directory`)
    }))

  it("a PEM block labelled for one format but holding another is refused, as upstream's type dispatch does", () => {
    const sec1 = fixtures.read("p256.sec1.pem").replaceAll("EC PRIVATE KEY", "RSA PRIVATE KEY")
    assert.isTrue(Either.isLeft(SigningKey.fromPem(sec1)))
  })
})

describe("KeyFile.readVerificationKeys", () => {
  const single = [
    ["rsa.pkcs1.pem", "rsa.pkcs1.pem", false],
    ["rsa.pkcs8.pem", "rsa.pkcs1.pem", false],
    ["rsa.pub.pem", "rsa.pub.pem", true],
    ["rsa.pub.pkcs1.pem", "rsa.pub.pem", true],
    ["rsa.crt", "rsa.pkcs1.pem", false],
    ["p256.sec1.pem", "p256.sec1.pem", false],
    ["p256.pkcs8.pem", "p256.sec1.pem", false],
    ["p256.pub.pem", "p256.pub.pem", true],
    ["p256.crt", "p256.sec1.pem", false],
    ["p384.crt", "p384.sec1.pem", false],
    ["p521.pub.pem", "p521.pub.pem", true]
  ] as const
  for (const [file, reference, publicInput] of single) {
    it.effect(`reads ${file} with the kid openssl derives`, () =>
      Effect.gen(function*() {
        const keys = yield* KeyFile.readVerificationKeys(fixtures.path(file))
        assert.strictEqual(keys.length, 1)
        assert.strictEqual(keys[0]!.keyId, fixtures.opensslKid(reference, { publicInput }))
      }))
  }

  it.effect("reads every key block of a bundle in order, skipping text and non-key blocks", () =>
    Effect.gen(function*() {
      const keys = yield* KeyFile.readVerificationKeys(fixtures.path("bundle.pem"))
      assert.deepStrictEqual(
        keys.map((key) => [key.algorithm, key.keyId]),
        [
          ["RS256", fixtures.opensslKid("rsa.pub.pem", { publicInput: true })],
          ["ES256", fixtures.opensslKid("p256.params.pem")],
          ["ES384", fixtures.opensslKid("p384.sec1.pem")],
          ["ES512", fixtures.opensslKid("p521.sec1.pem")],
          ["RS256", fixtures.opensslKid("rsa.pub.pem", { publicInput: true })]
        ]
      )
      assert.deepStrictEqual(yield* KeyFile.kidOf(fixtures.path("bundle.pem")), keys.map((key) => key.keyId))
    }))

  for (const file of ["garbage.pem", "empty.pem", "ed25519.pem", "k256.sec1.pem", "p224.sec1.pem"]) {
    it.effect(`refuses ${file}`, () =>
      Effect.gen(function*() {
        const message = yield* failureMessage(KeyFile.readVerificationKeys(fixtures.path(file)))
        assert.strictEqual(
          message,
          `error reading public key file ${fixtures.path(file)}: data does not contain any valid RSA or ECDSA public keys`
        )
      }))
  }

  it.effect("a missing file", () =>
    Effect.gen(function*() {
      const file = fixtures.path("nope.pub")
      assert.strictEqual(yield* failureMessage(KeyFile.readVerificationKeys(file)), `open ${file}: no such file or directory`)
    }))

  it.effect("jwksOf concatenates files in order, every key in the §10.3 layout", () =>
    Effect.gen(function*() {
      const jwks = yield* KeyFile.jwksOf([fixtures.path("p521.crt"), fixtures.path("rsa.pub.pkcs1.pem")])
      assert.deepStrictEqual(jwks.keys.map((k) => Object.keys(k)), [
        ["use", "kty", "kid", "crv", "alg", "x", "y"],
        ["use", "kty", "kid", "alg", "n", "e"]
      ])
      assert.strictEqual(jwks.keys[1]!.e, "AQAB")
      assert.strictEqual(jwks.keys[0]!.crv, "P-521")
      assert.strictEqual(jwks.keys[0]!.x!.length, 88) // 66 bytes
      assert.strictEqual(jwks.keys[0]!.kid, fixtures.opensslKid("p521.sec1.pem"))
    }))
})

describe("KeyId", () => {
  it("kidOf a PEM text lists every key's kid; a KeyObject gives its own", () => {
    const pem = fixtures.read("p384.pkcs8.pem") + fixtures.read("rsa.crt")
    assert.deepStrictEqual(KeyId.kidOf(pem), [fixtures.opensslKid("p384.sec1.pem"), fixtures.opensslKid("rsa.pkcs1.pem")])
    const key = Either.getOrThrow(SigningKey.fromPem(fixtures.read("p384.sec1.pem")))
    assert.deepStrictEqual(KeyId.kidOf(key.privateKey), [key.keyId])
    assert.deepStrictEqual(KeyId.kidOf(key.publicKey), [key.keyId])
  })
})

describe("SigningKey.generate", () => {
  for (const algorithm of ["ES256", "ES384", "ES512", "RS256"] as const) {
    it.effect(`${algorithm}: a PEM openssl reads and this package loads as ${algorithm}`, () =>
      Effect.gen(function*() {
        const pem = yield* SigningKey.generate(algorithm)
        assert.match(pem, algorithm === "RS256" ? /^-----BEGIN RSA PRIVATE KEY-----\n/ : /^-----BEGIN EC PRIVATE KEY-----\n/)
        const key = Either.getOrThrow(SigningKey.fromPem(pem))
        assert.strictEqual(key.algorithm, algorithm)
        const file = fixtures.path(`generated-${algorithm}.pem`)
        yield* Effect.promise(() => import("node:fs/promises").then((fs) => fs.writeFile(file, pem)))
        assert.strictEqual(fixtures.opensslKid(`generated-${algorithm}.pem`), key.keyId)
        const verification = VerificationKey.fromKeyObject(key.privateKey)!
        assert.strictEqual(verification.keyId, key.keyId)
      }))
  }
})
