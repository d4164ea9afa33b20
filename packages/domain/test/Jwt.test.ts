import { assert, describe, it } from "@effect/vitest"
import * as Jwt from "@tokenrequest/domain/Jwt"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"

const segment = (value: unknown) => Jwt.encodeSegment(JSON.stringify(value))
const token = (payload: unknown, header: unknown = { alg: "ES256", kid: "k" }) =>
  `${segment(header)}.${typeof payload === "string" ? payload : segment(payload)}.c2ln`

describe("Jwt", () => {
  it.prop("base64url round trip of bytes, unpadded", [FastCheck.uint8Array()], ([bytes]) => {
    const text = Jwt.encodeSegmentBytes(bytes)
    assert.notInclude(text, "=")
    assert.deepStrictEqual(Option.getOrThrow(Jwt.decodeSegment(text)), bytes)
  })

  it("decodes strictly: no padding, no foreign characters, no impossible length", () => {
    assert.isTrue(Option.isSome(Jwt.decodeSegment("YWI")))
    assert.isTrue(Option.isNone(Jwt.decodeSegment("YWI=")))
    assert.isTrue(Option.isNone(Jwt.decodeSegment("YW+/")))
    assert.isTrue(Option.isNone(Jwt.decodeSegment("YWJjZ")))
    assert.deepStrictEqual(Option.getOrThrow(Jwt.decodeSegment("YW\nI")), new TextEncoder().encode("ab"))
  })

  describe("hasCorrectIssuer", () => {
    const issuers = ["https://issuer"]
    it("accepts a token whose payload names an issuer", () => {
      assert.isTrue(Jwt.hasCorrectIssuer(token({ iss: "https://issuer" }), issuers))
    })
    it("matches the iss key case-insensitively, the last one winning", () => {
      assert.isTrue(Jwt.hasCorrectIssuer(token({ ISS: "https://issuer" }), issuers))
      assert.isFalse(Jwt.hasCorrectIssuer(token({ iss: "https://issuer", Iss: "other" }), issuers))
    })
    it("does not handle other tokens", () => {
      assert.isFalse(Jwt.hasCorrectIssuer(token({ iss: "other" }), issuers))
      assert.isFalse(Jwt.hasCorrectIssuer(token({ iss: 1 }), issuers))
      assert.isFalse(Jwt.hasCorrectIssuer(token([1]), issuers))
      assert.isFalse(Jwt.hasCorrectIssuer(token("not json!"), issuers))
      assert.isFalse(Jwt.hasCorrectIssuer(token(`${segment({ iss: "https://issuer" })}=`), issuers))
      assert.isFalse(Jwt.hasCorrectIssuer(`${token({ iss: "https://issuer" })}.x`, issuers))
      assert.isFalse(Jwt.hasCorrectIssuer("a.b", issuers))
      assert.isFalse(Jwt.hasCorrectIssuer(`  {"payload":"${segment({ iss: "https://issuer" })}"}.a.b`, issuers))
      assert.isFalse(Jwt.hasCorrectIssuer(token(null), issuers))
      assert.isTrue(Jwt.hasCorrectIssuer(token(null), [""]))
    })
  })

  it.prop(
    "unverifiedIssuerOf a parsed token reads what unverifiedIssuer reads",
    [
      FastCheck.oneof(FastCheck.constant({ iss: "https://issuer" }), FastCheck.json().map((t) => JSON.parse(t) as unknown)),
      FastCheck.array(FastCheck.tuple(FastCheck.nat(), FastCheck.constantFrom(" ", "\n", "\r", "=", "\t")), { maxLength: 2 })
    ],
    ([payload, edits]) => {
      const text = edits.reduce((t, [at, piece]) => {
        const i = at % (t.length + 1)
        return t.slice(0, i) + piece + t.slice(i)
      }, token(payload))
      const parsed = Jwt.parse(text)
      if (Option.isSome(parsed)) {
        assert.deepStrictEqual(Jwt.unverifiedIssuerOf(text, parsed.value), Jwt.unverifiedIssuer(text))
      }
    }
  )

  describe("parse", () => {
    it("reads header, payload and the signing input", () => {
      const parsed = Option.getOrThrow(Jwt.parse(token({ iss: "x" })))
      assert.deepStrictEqual(parsed.header, { alg: "ES256", kid: "k" })
      assert.deepStrictEqual(parsed.payload, { iss: "x" })
      assert.strictEqual(parsed.signed.keyId, "k")
      assert.strictEqual(parsed.signed.algorithm, "ES256")
      assert.strictEqual(parsed.signed.signingInput, token({ iss: "x" }).split(".").slice(0, 2).join("."))
      assert.deepStrictEqual(parsed.signed.signature, new TextEncoder().encode("sig"))
    })
    it.prop(
      "signs over the segments as go-jose re-encodes them (unused bits set, `=` padding)",
      [FastCheck.string(), FastCheck.nat(3), FastCheck.constantFrom("", "=", "==")],
      ([text, noise, padding]) => {
        const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        const header = segment({ alg: "ES256", kid: "k" })
        const canonical = segment(text)
        const unused = canonical.length % 4 === 2 ? 0b1111 : canonical.length % 4 === 3 ? 0b11 : 0
        const last = digits.indexOf(canonical.at(-1)!)
        const payload = `${canonical.slice(0, -1)}${digits[last | (noise & unused)]}${padding}`
        const parsed = Option.getOrThrow(Jwt.parse(`${header}.${payload}.c2ln`))
        assert.strictEqual(parsed.payload, text)
        assert.strictEqual(parsed.signed.signingInput, `${header}.${canonical}`)
      }
    )
    it("re-encodes a payload segment whose unused bits are set", () => {
      // "eyJpc3MiOiJ4In0" is {"iss":"x"}; its last digit carries 2 unused bits, "1" sets one
      const parsed = Option.getOrThrow(Jwt.parse(`${segment({ alg: "ES256" })}.eyJpc3MiOiJ4In1.c2ln`))
      assert.deepStrictEqual(parsed.payload, { iss: "x" })
      assert.strictEqual(parsed.signed.signingInput.split(".")[1], "eyJpc3MiOiJ4In0")
    })
    it("treats a missing kid as empty and rejects malformed headers", () => {
      assert.strictEqual(Option.getOrThrow(Jwt.parse(token({}, { alg: "RS256" }))).signed.keyId, "")
      assert.isTrue(Option.isNone(Jwt.parse(token({}, [1]))))
      assert.isTrue(Option.isNone(Jwt.parse(token({}, { alg: 1 }))))
      assert.isTrue(Option.isNone(Jwt.parse(`${segment({ alg: "ES256" })}.${segment({})}`)))
      assert.isTrue(Option.isNone(Jwt.parse(`x!.${segment({})}.c2ln`)))
    })
  })
})
