/**
 * `keys generate → kid → jwks` through the built binary, checked against independent node:crypto
 * computations: the kid is base64url(SHA-256(SPKI DER)), the JWK is the same public key.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { beforeAll } from "vitest"
import { build, lines, run } from "./fixtures/binary.js"

beforeAll(build, 180_000)

const withTempDir = <A, E, R>(use: (dir: string) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "tokenrequest-keys-"))),
    use,
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )

const kidOf = (pem: string) =>
  crypto.createHash("sha256")
    .update(crypto.createPublicKey(pem).export({ type: "spki", format: "der" }))
    .digest("base64url")

const expected = {
  ES256: { kty: "EC", crv: "P-256", size: 32 },
  ES384: { kty: "EC", crv: "P-384", size: 48 },
  ES512: { kty: "EC", crv: "P-521", size: 66 },
  RS256: { kty: "RSA", crv: undefined, size: 0 }
} as const

describe("keys", () => {
  for (const algorithm of ["ES256", "ES384", "ES512", "RS256"] as const) {
    it.live(`generate ${algorithm} → kid → jwks round trip`, () =>
      withTempDir((dir) =>
        Effect.gen(function*() {
          const file = path.join(dir, "sa.key")
          const generated = yield* run(["keys", "generate", "--algorithm", algorithm, "--out", file])
          assert.strictEqual(generated.code, 0, generated.stderr)
          assert.strictEqual(generated.stdout, "")
          assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)
          const pem = fs.readFileSync(file, "utf8")
          assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/, "PKCS#8")
          const key = crypto.createPrivateKey(pem)
          assert.strictEqual(key.asymmetricKeyType, algorithm === "RS256" ? "rsa" : "ec")

          const kid = yield* run(["keys", "kid", file])
          assert.strictEqual(kid.code, 0, kid.stderr)
          assert.deepStrictEqual(lines(kid.stdout), [kidOf(pem)])
          assert.strictEqual(kidOf(pem).length, 43)

          const jwks = yield* run(["keys", "jwks", file])
          assert.strictEqual(jwks.code, 0, jwks.stderr)
          const { keys } = JSON.parse(jwks.stdout)
          assert.strictEqual(keys.length, 1)
          const jwk = keys[0]
          const want = expected[algorithm]
          assert.deepStrictEqual(
            Object.keys(jwk),
            want.kty === "EC" ? ["use", "kty", "kid", "crv", "alg", "x", "y"] : ["use", "kty", "kid", "alg", "n", "e"]
          )
          assert.strictEqual(jwk.use, "sig")
          assert.strictEqual(jwk.kty, want.kty)
          assert.strictEqual(jwk.kid, kidOf(pem))
          assert.strictEqual(jwk.alg, algorithm)
          if (want.kty === "EC") {
            assert.strictEqual(jwk.crv, want.crv)
            assert.strictEqual(Buffer.from(jwk.x, "base64url").length, want.size)
            assert.strictEqual(Buffer.from(jwk.y, "base64url").length, want.size)
          } else {
            assert.strictEqual(jwk.e, "AQAB")
          }
          const fromJwk = crypto.createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, n: jwk.n, e: jwk.e }, format: "jwk" })
          assert.isTrue(fromJwk.equals(crypto.createPublicKey(pem)), "the JWK is the key's public half")
        })
      ), 60_000)
  }

  it.live("generate writes to stdout without --out", () =>
    Effect.gen(function*() {
      const result = yield* run(["keys", "generate", "--algorithm", "ES256"])
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stdout, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/)
      assert.strictEqual(crypto.createPrivateKey(result.stdout).asymmetricKeyDetails?.namedCurve, "prime256v1")
    }))

  it.live("jwks and kid read several files and several blocks per file, in order", () =>
    withTempDir((dir) =>
      Effect.gen(function*() {
        const a = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
        const b = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" })
        const c = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
        const pemOf = (k: crypto.KeyObject) => k.export({ type: "spki", format: "pem" }).toString()
        const bundle = path.join(dir, "bundle.pub")
        fs.writeFileSync(bundle, pemOf(a.publicKey) + pemOf(b.publicKey))
        const single = path.join(dir, "rsa.pub")
        fs.writeFileSync(single, pemOf(c.publicKey))
        const kid = yield* run(["keys", "kid", bundle])
        assert.deepStrictEqual(lines(kid.stdout), [kidOf(pemOf(a.publicKey)), kidOf(pemOf(b.publicKey))])
        const jwks = yield* run(["keys", "jwks", bundle, single])
        assert.strictEqual(jwks.code, 0, jwks.stderr)
        assert.deepStrictEqual(
          JSON.parse(jwks.stdout).keys.map((k: { kid: string; alg: string }) => [k.alg, k.kid]),
          [
            ["ES256", kidOf(pemOf(a.publicKey))],
            ["ES384", kidOf(pemOf(b.publicKey))],
            ["RS256", kidOf(pemOf(c.publicKey))]
          ]
        )
      })
    ))
})
