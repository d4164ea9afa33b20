/**
 * The CLI's pure parsing: Go durations (as `time.ParseDuration`), `Warning` headers (as client-go),
 * kubectl-style argument spellings, and the TokenRequest body `create token` builds.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FastCheck, Option } from "effect"
import * as CreateCommand from "@tokenrequest/cli/CreateCommand"
import * as RestClient from "@tokenrequest/cli/RestClient"
import * as Argv from "../src/internal/argv.js"
import * as GoDuration from "../src/internal/goDuration.js"

const second = 1_000_000_000n

describe("Go durations", () => {
  it("parses upstream's examples exactly", () => {
    const cases: Array<[string, bigint]> = [
      ["0", 0n],
      ["10m", 600n * second],
      ["1h30m", 5400n * second],
      ["48h", 172800n * second],
      ["1.5h", 5400n * second],
      ["300ms", 300_000_000n],
      ["-1.5h", -5400n * second],
      ["2h45m30.5s", 9930n * second + 500_000_000n],
      ["1µs", 1000n],
      ["1us", 1000n],
      [".5s", 500_000_000n],
      ["3600s", 3600n * second]
    ]
    for (const [text, nanoseconds] of cases) assert.deepStrictEqual(GoDuration.parse(text), { _tag: "Ok", nanoseconds }, text)
  })

  it("refuses malformed values with Go's messages", () => {
    assert.deepStrictEqual(GoDuration.parse(""), { _tag: "Error", message: 'time: invalid duration ""' })
    assert.deepStrictEqual(GoDuration.parse("10"), { _tag: "Error", message: 'time: missing unit in duration "10"' })
    assert.deepStrictEqual(GoDuration.parse("10x"), { _tag: "Error", message: 'time: unknown unit "x" in duration "10x"' })
    assert.deepStrictEqual(GoDuration.parse("h"), { _tag: "Error", message: 'time: invalid duration "h"' })
    assert.deepStrictEqual(GoDuration.parse("."), { _tag: "Error", message: 'time: invalid duration "."' })
    assert.deepStrictEqual(GoDuration.parse("9999999999h"), { _tag: "Error", message: 'time: invalid duration "9999999999h"' })
  })

  it.prop(
    "h, m and s components add up",
    [FastCheck.nat(100_000), FastCheck.nat(59), FastCheck.nat(59)],
    ([h, m, s]) => {
      const parsed = GoDuration.parse(`${h}h${m}m${s}s`)
      assert.deepStrictEqual(parsed, { _tag: "Ok", nanoseconds: BigInt(h * 3600 + m * 60 + s) * second })
    }
  )
})

describe("Warning headers", () => {
  it("reads 299 texts, unescapes quotes, splits lists", () => {
    assert.deepStrictEqual(
      RestClient.parseWarnings([
        '299 - "requested expiration of 172800 seconds shortened to 7200 seconds"',
        '299 - "a \\"quoted\\" word", 299 - "second"',
        '199 - "not a deprecation warning"'
      ]),
      ["requested expiration of 172800 seconds shortened to 7200 seconds", 'a "quoted" word', "second"]
    )
  })

  it.prop("any text survives quoting", [FastCheck.string()], ([text]) => {
    const quoted = `299 - "${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`
    const parsed = RestClient.parseWarnings([quoted])
    assert.deepStrictEqual(parsed, [text])
  })
})

describe("argument spellings", () => {
  it("splits --flag=value and -n=value, keeps empty values and a lone -", () => {
    assert.deepStrictEqual(Argv.normalize(["create", "token", "sa", "-n=ci", "--audience=a=b", "--audience=", "", "-"]), [
      "create", "token", "sa", "-n", "ci", "--audience", "a=b", "--audience", Argv.emptyMarker, Argv.emptyMarker,
      Argv.dashMarker
    ])
    assert.deepStrictEqual(Argv.normalize(["decode", "--", "--x=y"]), ["decode", "--", "--x=y"])
    assert.strictEqual(Argv.valueOf(Argv.emptyMarker), "")
    assert.strictEqual(Argv.valueOf(Argv.dashMarker), "-")
  })
})

describe("create token request body", () => {
  const input = (overrides: Partial<CreateCommand.CreateTokenInput>): CreateCommand.CreateTokenInput => ({
    name: "sa",
    namespace: Option.none(),
    audience: [],
    duration: Option.none(),
    boundObjectKind: Option.none(),
    boundObjectName: Option.none(),
    boundObjectUid: Option.none(),
    output: Option.none(),
    ...overrides
  })

  it.effect("Node and Secret bindings carry apiVersion v1; a zero duration leaves the default", () =>
    Effect.gen(function*() {
      const body = (yield* CreateCommand.tokenRequestBody(
        input({ boundObjectKind: Option.some("Secret"), boundObjectName: Option.some("s"), duration: Option.some("0s") })
      )) as { spec: Record<string, unknown> }
      assert.deepStrictEqual(body.spec, {
        audiences: [],
        boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "s" }
      })
    }))

  it.effect.prop(
    "whole-second durations become expirationSeconds",
    [FastCheck.integer({ min: 1, max: 10_000_000 })],
    ([seconds]) =>
      Effect.gen(function*() {
        const body = (yield* CreateCommand.tokenRequestBody(input({ duration: Option.some(`${seconds}s`) }))) as {
          spec: { expirationSeconds: number }
        }
        assert.strictEqual(body.spec.expirationSeconds, seconds)
      })
  )

  it.effect("a bound object uid without a kind is refused", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(CreateCommand.tokenRequestBody(input({ boundObjectUid: Option.some("u") })))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        assert.include(String(exit.cause), "--bound-object-uid can only be set if --bound-object-kind is provided")
      }
    }))
})
