/**
 * Go's key order: `compareCodePoints` (code-unit scan with a code-point fallback at surrogates)
 * orders any two strings as comparing their code points one by one does, lone surrogates included.
 */
import { assert, describe, it } from "@effect/vitest"
import { compareCodePoints, marshal } from "@tokenrequest/domain/internal/goJson"
import * as FastCheck from "effect/FastCheck"

const byCodePoints = (a: string, b: string): number => {
  const x = Array.from(a, (c) => c.codePointAt(0)!)
  const y = Array.from(b, (c) => c.codePointAt(0)!)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return x.length - y.length
}

// strings near the surrogate range, where code-unit and code-point orders differ
const text = FastCheck.string({
  unit: FastCheck.oneof(
    FastCheck.constantFrom("a", "b", "\ud800", "\udc00", "\ue000", "\uffff", "\ud83d\ude00", "\ud83d\ude01"),
    FastCheck.fullUnicode()
  ),
  maxLength: 5
})

describe("goJson", () => {
  it.prop("compareCodePoints has the sign of a code-point comparison", [text, text], ([a, b]) => {
    assert.strictEqual(Math.sign(compareCodePoints(a, b)), Math.sign(byCodePoints(a, b)))
  }, { fastCheck: { numRuns: 3000 } })

  it("sorts object keys by code point at every level", () => {
    assert.strictEqual(
      marshal({ "\uffff": 1, "\ud83d\ude00": [{ b: null, a: undefined }], a: "<&>" }),
      "{\"a\":\"\\u003c\\u0026\\u003e\",\"\uffff\":1,\"\ud83d\ude00\":[{\"b\":null}]}"
    )
  })
})
