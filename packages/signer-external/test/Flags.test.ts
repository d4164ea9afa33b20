/**
 * `--service-account-signing-endpoint` checks and the expiration limits derived from the signer,
 * pinned from upstream's validation_test and options_test tables (semantics §12.2).
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Either from "effect/Either"
import { Expiration, SigningEndpoint } from "@tokenrequest/signer-external"

const exclusive =
  "can't set `--service-account-signing-key-file` and/or `--service-account-key-file` with `--service-account-signing-endpoint` (They are mutually exclusive)"
const invalid = (v: string) =>
  `invalid value ${JSON.stringify(v)} passed for \`--service-account-signing-endpoint\`, should be a valid location on the filesystem or must be prefixed with @ to name UDS in abstract namespace`

describe("SigningEndpoint", () => {
  it("upstream's table", () => {
    assert.deepStrictEqual(SigningEndpoint.validate({ endpoint: "@ebc.eng.hij", signingKeyFile: "/abc/efg" }), [exclusive])
    assert.deepStrictEqual(SigningEndpoint.validate({ endpoint: "@ebc.eng.hij", keyFiles: ["abc", "efg"] }), [exclusive])
    assert.deepStrictEqual(
      SigningEndpoint.validate({ endpoint: "@ebc.eng.hij", signingKeyFile: "/abc/efg", keyFiles: ["/abc/efg", "/abc/xyz"] }),
      [exclusive]
    )
    for (const bad of ["abc", "@abc@", "@abc.abc  .ae", "/@e_adnb/xyz /efg", "/e /xyz /efg"]) {
      assert.deepStrictEqual(SigningEndpoint.validate({ endpoint: bad }), [invalid(bad)], bad)
    }
    for (const good of ["/e/an_b-d/efg", "@ebc.sock", "@ebc.eng.hij"]) {
      assert.deepStrictEqual(SigningEndpoint.validate({ endpoint: good }), [], good)
    }
    assert.deepStrictEqual(
      SigningEndpoint.validate({ endpoint: "/e /xyz /efg", signingKeyFile: "/abc/efg", keyFiles: ["/abc/xyz"] }),
      [exclusive, invalid("/e /xyz /efg")]
    )
  })

  it("no endpoint, no error; validateEndpointFlag gives the first error", () => {
    assert.deepStrictEqual(SigningEndpoint.validate({ signingKeyFile: "/a", keyFiles: ["/b"] }), [])
    assert.strictEqual(SigningEndpoint.validateEndpointFlag("/run/signer.sock"), undefined)
    assert.strictEqual(SigningEndpoint.validateEndpointFlag("relative.sock"), invalid("relative.sock"))
    assert.strictEqual(SigningEndpoint.validateEndpointFlag("/run/s.sock", { keyFiles: ["/k"] }), exclusive)
  })

  it.prop("absolute paths of safe segments are valid", [
    FastCheck.array(FastCheck.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), { minLength: 1, maxLength: 5 })
  ], ([segments]) => {
    assert.isTrue(SigningEndpoint.isValid(`/${segments.join("/")}`))
    assert.isTrue(SigningEndpoint.isValid(`@${segments.join(".")}`))
  })
})

describe("Expiration.complete", () => {
  const hour = 3600
  it("signer's max becomes the default max and caps the extension (upstream: 600 s signer)", () => {
    assert.deepStrictEqual(
      Expiration.complete({ maxExpirationSeconds: 0, maxExtendedExpirationSeconds: 365 * 24 * hour, signerMaxSeconds: 600 }),
      Either.right({ maxExpirationSeconds: 600, maxExtendedExpirationSeconds: 600 })
    )
  })
  it("smaller local limits stay (upstream: 1h max, 24h extended, 1-year signer)", () => {
    assert.deepStrictEqual(
      Expiration.complete({ maxExpirationSeconds: hour, maxExtendedExpirationSeconds: 24 * hour, signerMaxSeconds: 31556952 }),
      Either.right({ maxExpirationSeconds: hour, maxExtendedExpirationSeconds: 24 * hour })
    )
  })
  it("the extended expiration defaults to one year, capped by the signer", () => {
    assert.deepStrictEqual(
      Expiration.complete({ maxExpirationSeconds: 0, signerMaxSeconds: 2 * 365 * 24 * hour }),
      Either.right({ maxExpirationSeconds: 2 * 365 * 24 * hour, maxExtendedExpirationSeconds: 31536000 })
    )
  })
  it("a flag longer than the signer supports", () => {
    assert.deepStrictEqual(
      Expiration.complete({ maxExpirationSeconds: hour, signerMaxSeconds: 600 }),
      Either.left(
        "service-account-max-token-expiration cannot be set longer than the token expiration supported by service-account-signing-endpoint: 1h0m0s > 10m0s"
      )
    )
  })
  it("a signer supporting less than 600 s", () => {
    assert.deepStrictEqual(
      Expiration.complete({ maxExpirationSeconds: 0, signerMaxSeconds: 300 }),
      Either.left("max token life supported by external-jwt-signer (300s) is less than acceptable (min 600s)")
    )
  })
  it("Go duration formatting", () => {
    assert.deepStrictEqual(
      [0, 45, 90, 600, 3600, 5400, 31536000].map(Expiration.formatSeconds),
      ["0s", "45s", "1m30s", "10m0s", "1h0m0s", "1h30m0s", "8760h0m0s"]
    )
  })
  it("warnings of the external-signer variant", () => {
    assert.deepStrictEqual(Expiration.warnings({ maxExpirationSeconds: 600, maxExtendedExpirationSeconds: 600 }, true), [
      "service-account-extend-token-expiration is true, in order to correctly trigger safe transition logic, token lifetime supported by external-jwt-signer must be longer than 3607 seconds (currently 10m0s)",
      "service-account-extend-token-expiration is true, tokens validity will be caped at the smaller of 31536000 seconds and maximum token lifetime supported by external-jwt-signer (10m0s)"
    ])
    assert.deepStrictEqual(Expiration.warnings({ maxExpirationSeconds: 600, maxExtendedExpirationSeconds: 600 }, false), [])
  })
  it.prop("the limits never exceed the signer's maximum", [
    FastCheck.integer({ min: 600, max: 2 ** 32 }),
    FastCheck.integer({ min: 0, max: 2 ** 32 })
  ], ([signer, flag]) => {
    const result = Expiration.complete({ maxExpirationSeconds: flag, signerMaxSeconds: signer })
    if (flag > signer) assert.isTrue(Either.isLeft(result))
    else {
      const limits = Either.getOrThrow(result)
      assert.isAtMost(limits.maxExpirationSeconds, signer)
      assert.isAtMost(limits.maxExtendedExpirationSeconds, signer)
    }
  })
})
