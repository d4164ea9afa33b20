/**
 * `decode` through the built binary on known tokens: header and claims, readable times, whether
 * `warnafter` passed, and the explicit "not verified" note; plus `decode` as a pure function.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { beforeAll } from "vitest"
import * as DecodeCommand from "@tokenrequest/cli/DecodeCommand"
import { build, lines, run } from "./fixtures/binary.js"

beforeAll(build, 180_000)

const segment = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64url")

const header = { alg: "ES256", kid: "rKU8QjlDmme7DeBfOM3-C-5dI7yltbojAQMIg4ghnco" }

// A Pod-bound, extended token as kube-apiserver issues it (signature not real: decode does not verify).
const staleClaims = {
  aud: ["https://kubernetes.default.svc.cluster.local"],
  exp: 1782326484,
  iat: 1750790484,
  iss: "https://kubernetes.default.svc.cluster.local",
  jti: "01c23071-5a40-4c8e-9b0e-7d3f1a1e2b3c",
  "kubernetes.io": {
    namespace: "ns-a",
    node: { name: "node-1", uid: "5d2c7f8a-0000-4000-8000-000000000001" },
    pod: { name: "pod-1", uid: "5d2c7f8a-0000-4000-8000-000000000002" },
    serviceaccount: { name: "bob", uid: "5d2c7f8a-0000-4000-8000-000000000003" },
    warnafter: 1750794091
  },
  nbf: 1750790484,
  sub: "system:serviceaccount:ns-a:bob"
}
const staleToken = `${segment(header)}.${segment(staleClaims)}.c2lnbmF0dXJl`

describe("decode", () => {
  it.live("prints header, claims, UTC and relative times, and says it verified nothing", () =>
    Effect.gen(function*() {
      const result = yield* run(["decode", staleToken])
      assert.strictEqual(result.code, 0, result.stderr)
      const printed = JSON.parse(result.stdout)
      assert.strictEqual(printed.verified, false)
      assert.match(printed.note, /NOT verified/)
      assert.deepStrictEqual(printed.header, header)
      assert.deepStrictEqual(printed.claims, staleClaims)
      assert.deepStrictEqual(printed.times.iat, { unix: 1750790484, utc: "2025-06-24T18:41:24Z", relative: printed.times.iat.relative })
      assert.match(printed.times.iat.relative, /^(\d+[dhms])+ ago$/)
      assert.strictEqual(printed.times.nbf.utc, "2025-06-24T18:41:24Z")
      assert.strictEqual(printed.times.exp.utc, "2026-06-24T18:41:24Z")
      assert.strictEqual(printed.times.warnafter.utc, "2025-06-24T19:41:31Z")
      assert.strictEqual(printed.warnafterPassed, true)
    }))

  it.live("a fresh token: warnafter not passed, relative times in the future", () =>
    Effect.gen(function*() {
      const now = Math.floor(Date.now() / 1000)
      const claims = { exp: now + 7200, iat: now, nbf: now, "kubernetes.io": { warnafter: now + 3607 }, sub: "x" }
      const result = yield* run(["decode", `${segment(header)}.${segment(claims)}.c2ln`])
      assert.strictEqual(result.code, 0, result.stderr)
      const printed = JSON.parse(result.stdout)
      assert.strictEqual(printed.expired, false)
      assert.strictEqual(printed.warnafterPassed, false)
      assert.match(printed.times.exp.relative, /^in (1h59m\d+s|2h)$/)
      assert.match(printed.times.warnafter.relative, /^in (1h\d+s|1h|59m\d+s)$/)
    }))

  it.live("a token without warnafter says null; reads stdin with -", () =>
    Effect.gen(function*() {
      const token = `${segment({ alg: "RS256" })}.${segment({ sub: "x", exp: 1 })}.`
      const result = yield* run(["decode", "-"], { stdin: `${token}\n` })
      assert.strictEqual(result.code, 0, result.stderr)
      const printed = JSON.parse(result.stdout)
      assert.strictEqual(printed.warnafterPassed, null)
      assert.strictEqual(printed.expired, true)
      assert.strictEqual(printed.times.exp.utc, "1970-01-01T00:00:01Z")
    }))

  it.live("a malformed token is one line and exit code 2", () =>
    Effect.gen(function*() {
      for (const bad of ["abc", "a.b", `${segment(header)}.not-json!.x`, `${segment([1])}.${segment({})}.x`]) {
        const result = yield* run(["decode", bad])
        assert.strictEqual(result.code, 2, bad)
        assert.strictEqual(result.stdout, "")
        assert.strictEqual(lines(result.stderr).length, 1)
        assert.match(result.stderr, /^error: TOKEN: /)
      }
    }))

  it("formats durations with the largest units first", () => {
    assert.strictEqual(DecodeCommand.formatSeconds(0), "0s")
    assert.strictEqual(DecodeCommand.formatSeconds(3607), "1h7s")
    assert.strictEqual(DecodeCommand.formatSeconds(-90061), "1d1h1m1s")
  })

  it("decode reads times against the given instant", () => {
    const decoded = DecodeCommand.decode(staleToken, 1750794091_000)
    assert.isTrue(Either.isRight(decoded))
    if (Either.isRight(decoded)) {
      assert.strictEqual(decoded.right.warnafterPassed, true)
      assert.strictEqual(decoded.right.expired, false)
      assert.strictEqual(decoded.right.times.iat?.relative, "1h7s ago")
      assert.strictEqual(decoded.right.times.exp?.relative, "in 364d22h59m53s")
    }
  })
})
