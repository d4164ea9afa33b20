import { assert, describe, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { decodeBytes, decodeDigits, digitTable } from "../src/internal/base64url.js"

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
const table = digitTable(alphabet)
const digits = FastCheck.array(FastCheck.constantFrom(...alphabet), { maxLength: 400 }).map((cs) => cs.join(""))

describe("base64url", () => {
  // decodeBytes takes Node's native decoder for texts of digits only; the strict decoder is the reference
  it.prop("the native decoder gives the strict decoder's bytes for any text of digits", [digits], ([text]) => {
    const strict = decodeDigits(text, table)
    const decoded = decodeBytes(text)
    if (text.length % 4 === 1) {
      assert.isUndefined(strict)
      assert.isUndefined(decoded)
    } else {
      assert.deepStrictEqual(Array.from(decoded!), Array.from(strict!))
    }
  })

  it.prop("anything else still takes the strict decoder", [FastCheck.string({ maxLength: 40 })], ([text]) => {
    const decoded = decodeBytes(text)
    const clean = text.replace(/[\r\n]/g, "")
    const strict = decodeDigits(clean, table)
    assert.deepStrictEqual(decoded === undefined ? undefined : Array.from(decoded), strict === undefined ? undefined : Array.from(strict))
  })
})
