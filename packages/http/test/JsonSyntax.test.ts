/**
 * Go's JSON scanner (`goSyntaxError`) and `JSON.parse` accept the same texts below Go's nesting
 * limit, which lets the body decoder parse first and run the scanner only to word a failure.
 */
import { assert, describe, it } from "@effect/vitest"
import { goSyntaxError, maxNestingDepth } from "@tokenrequest/http/internal/jsonSyntax"
import * as FastCheck from "effect/FastCheck"

const parses = (text: string) => {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

// valid JSON, then damaged by a few edits drawn from JSON's own alphabet and its usual mistakes
const texts = FastCheck.tuple(
  FastCheck.json({ depthSize: "small" }),
  FastCheck.array(
    FastCheck.tuple(
      FastCheck.nat(),
      FastCheck.constantFrom("", "{", "}", "[", "]", ",", ":", "\"", "\\", "0", "-", "e", ".", " ", "\t", "\n", "\u0001", "\ufeff", "t", "n", "'", "x")
    ),
    { maxLength: 3 }
  )
).map(([text, edits]) =>
  edits.reduce((t, [at, piece]) => {
    const i = t.length === 0 ? 0 : at % (t.length + 1)
    return t.slice(0, i) + piece + t.slice(i + (piece === "" ? 1 : 0))
  }, text)
)

describe("JSON syntax", () => {
  it.prop("the Go scanner accepts exactly what JSON.parse accepts", [texts], ([text]) => {
    assert.strictEqual(goSyntaxError(text) === undefined, parses(text), JSON.stringify(text))
  }, { fastCheck: { numRuns: 5000 } })

  it("refuses nesting beyond Go's limit, which JSON.parse accepts", () => {
    const deep = "[".repeat(maxNestingDepth + 1) + "]".repeat(maxNestingDepth + 1)
    assert.isTrue(parses(deep))
    assert.isDefined(goSyntaxError(deep))
  })
})
