import { assert, describe, it } from "@effect/vitest"
import * as Errors from "@tokenrequest/domain/Errors"
import * as FieldError from "@tokenrequest/domain/FieldError"

describe("FieldError", () => {
  it("goQuote matches Go's strconv.Quote", () => {
    const cases: Array<[string, string]> = [
      ["plain", `"plain"`],
      [`q"b\\`, `"q\\"b\\\\"`],
      ["\u0007\b\f\n\r\t\v", `"\\a\\b\\f\\n\\r\\t\\v"`],
      ["\u0001\u001f\u007f", `"\\x01\\x1f\\x7f"`],
      ["é ü 日本 😀", `"é ü 日本 😀"`],
      ["\u00a0\u00ad\u2028\ufeff", `"\\u00a0\\u00ad\\u2028\\ufeff"`],
      ["\u{e0001}", `"\\U000e0001"`],
      ["<&>", `"<&>"`],
      ["\ud800", `"\ufffd"`]
    ]
    for (const [input, expected] of cases) assert.strictEqual(FieldError.goQuote(input), expected, JSON.stringify(input))
  })

  it("renders bodies and aggregates as apimachinery does", () => {
    const a = new FieldError.FieldError({ type: "FieldValueInvalid", field: "spec.x", value: 300, detail: "too small" })
    const b = new FieldError.FieldError({ type: "FieldValueRequired", field: "spec.y", detail: "" })
    assert.strictEqual(a.toString(), "spec.x: Invalid value: 300: too small")
    assert.strictEqual(b.toString(), "spec.y: Required value")
    assert.strictEqual(FieldError.aggregate([a]), "spec.x: Invalid value: 300: too small")
    assert.strictEqual(FieldError.aggregate([a, b, a]), "[spec.x: Invalid value: 300: too small, spec.y: Required value]")
    assert.strictEqual(FieldError.formatValue("x"), `"x"`)
    assert.strictEqual(FieldError.formatValue(true), "true")
  })

  it("errors render the upstream messages", () => {
    assert.strictEqual(
      new Errors.NotFound({ group: "", resource: "serviceaccounts", name: "my-pod" }).message,
      `serviceaccounts "my-pod" not found`
    )
    assert.strictEqual(new Errors.InternalError({ error: "boom" }).message, "Internal error occurred: boom")
    assert.strictEqual(new Errors.UnknownReason({ error: "raw" }).message, "raw")
  })
})
