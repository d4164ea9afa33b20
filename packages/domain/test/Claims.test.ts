import { assert, describe, it } from "@effect/vitest"
import * as Claims from "@tokenrequest/domain/Claims"
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"

const input = (overrides: Partial<Claims.ClaimsInput> = {}): Claims.ClaimsInput => ({
  issuer: "https://kubernetes.default.svc.cluster.local",
  namespace: "ns-a",
  serviceAccount: { name: "bob", uid: "sa-uid" },
  audiences: ["https://kubernetes.default.svc.cluster.local"],
  binding: {},
  lifetime: { expirationSeconds: 3600, warnAfterSeconds: 0 },
  now: DateTime.unsafeMake(1750790484_999),
  jti: "01c23071-0000-4000-8000-000000000000",
  ...overrides
})

const serialized = (overrides: Partial<Claims.ClaimsInput> = {}) =>
  Claims.serialize(Either.getOrThrow(Claims.make(input(overrides))))

describe("Claims", () => {
  it("matches the real upstream prefix, NumericDates truncated", () => {
    assert.strictEqual(
      serialized(),
      `{"aud":["https://kubernetes.default.svc.cluster.local"],"exp":1750794084,"iat":1750790484,` +
        `"iss":"https://kubernetes.default.svc.cluster.local","jti":"01c23071-0000-4000-8000-000000000000",` +
        `"kubernetes.io":{"namespace":"ns-a","serviceaccount":{"name":"bob","uid":"sa-uid"}},"nbf":1750790484,` +
        `"sub":"system:serviceaccount:ns-a:bob"}`
    )
  })

  it("keeps aud an array with one element, omits jti when empty, adds warnafter only when extended", () => {
    const text = serialized({ jti: "", lifetime: { expirationSeconds: 31536000, warnAfterSeconds: 3607 } })
    assert.include(text, `"aud":["https://kubernetes.default.svc.cluster.local"]`)
    assert.notInclude(text, `"jti"`)
    assert.include(text, `"warnafter":${1750790484 + 3607}}`)
    assert.include(text, `"exp":${1750790484 + 31536000}`)
  })

  it("sorts keys inside kubernetes.io and omits empty ref fields", () => {
    const text = serialized({
      binding: { pod: { name: "p", uid: "pu" }, node: { name: "n", uid: "" } },
      lifetime: { expirationSeconds: 31536000, warnAfterSeconds: 3607 }
    })
    assert.include(
      text,
      `"kubernetes.io":{"namespace":"ns-a","node":{"name":"n"},"pod":{"name":"p","uid":"pu"},"serviceaccount":{"name":"bob","uid":"sa-uid"},"warnafter":1750794091}`
    )
    const secret = serialized({ binding: { secret: { name: "s", uid: "su" } } })
    assert.include(secret, `"secret":{"name":"s","uid":"su"},"serviceaccount"`)
  })

  it("escapes strings as Go's json.Marshal does", () => {
    const text = serialized({ audiences: ["<a>&b", "line\u2028sep\u2029", "tab\tnl\ncr\r\u0001\u007f", "q\"\\", "\ud800x"] })
    assert.include(
      text,
      `"aud":["\\u003ca\\u003e\\u0026b","line\\u2028sep\\u2029","tab\\tnl\\ncr\\r\\u0001\u007f","q\\"\\\\","\\ufffdx"]`
    )
  })

  it("sorts keys by code point, like Go sorts UTF-8 bytes", () => {
    assert.strictEqual(Claims.serialize({ "kubernetes.io": { serviceaccount: {} }, "\u{1F600}": 1, "\uFFFF": 2, Z: 3, a: 4 } as never),
      `{"Z":3,"a":4,"kubernetes.io":{"serviceaccount":{}},"\uFFFF":2,"\u{1F600}":1}`)
  })

  it.prop(
    "serialisation is valid JSON that parses back to the claims",
    [FastCheck.array(FastCheck.string({ unit: "grapheme" }), { minLength: 1 }), FastCheck.string({ unit: "grapheme" })],
    ([audiences, namespace]) => {
      const claims = Either.getOrThrow(Claims.make(input({ audiences, namespace })))
      assert.deepStrictEqual(JSON.parse(Claims.serialize(claims)), JSON.parse(JSON.stringify(claims)))
    }
  )

  describe("decode", () => {
    it("reads claims case-insensitively, last key wins, aud as string or array", () => {
      const decoded = Either.getOrThrow(
        Claims.decode({
          ISS: "i",
          aud: "only",
          EXP: 10.9,
          "Kubernetes.IO": { NameSpace: "ns", ServiceAccount: { Name: "sa", UID: "u" }, pod: null, warnafter: 5 }
        })
      )
      assert.strictEqual(decoded.iss, "i")
      assert.deepStrictEqual(decoded.aud, ["only"])
      assert.strictEqual(decoded.exp, 10)
      assert.isUndefined(decoded.iat)
      assert.deepStrictEqual(decoded.kubernetes.serviceaccount, { name: "sa", uid: "u" })
      assert.strictEqual(decoded.kubernetes.namespace, "ns")
      assert.isUndefined(decoded.kubernetes.pod)
      assert.strictEqual(decoded.kubernetes.warnafter, 5)
    })
    it("fails on type mismatches", () => {
      assert.isTrue(Either.isLeft(Claims.decode({ exp: "1" })))
      assert.isTrue(Either.isLeft(Claims.decode({ aud: [1] })))
      assert.isTrue(Either.isLeft(Claims.decode({ "kubernetes.io": [] })))
      assert.isTrue(Either.isLeft(Claims.decode([1])))
    })
    it("round-trips made claims", () => {
      const made = Either.getOrThrow(Claims.make(input({ binding: { secret: { name: "s", uid: "su" } } })))
      const decoded = Either.getOrThrow(Claims.decode(JSON.parse(Claims.serialize(made))))
      assert.strictEqual(decoded.sub, "system:serviceaccount:ns-a:bob")
      assert.deepStrictEqual(decoded.kubernetes.secret, { name: "s", uid: "su" })
      assert.strictEqual(decoded.exp! - decoded.iat!, 3600)
    })
  })
})
