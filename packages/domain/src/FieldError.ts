/**
 * Field errors: one violation of a request field, rendered exactly as apimachinery's
 * `field.Error.ErrorBody()` renders it (`Invalid value: 300: may not specify ...`).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * The `reason` of a Status cause, named as Kubernetes names field error types.
 *
 * @since 0.1.0
 * @category models
 */
export const FieldErrorType = Schema.Literal(
  "FieldValueInvalid",
  "FieldValueRequired",
  "FieldValueNotSupported",
  "FieldValueForbidden",
  "FieldValueDuplicate",
  "FieldValueTooLong"
)

/**
 * @since 0.1.0
 * @category models
 */
export type FieldErrorType = typeof FieldErrorType.Type

/**
 * One field violation: its type, the field path (`spec.expirationSeconds`), the offending value and
 * a detail sentence.
 *
 * @since 0.1.0
 * @category models
 */
export class FieldError extends Schema.Class<FieldError>("@tokenrequest/domain/FieldError")({
  type: FieldErrorType,
  field: Schema.String,
  value: Schema.optional(Schema.Unknown),
  detail: Schema.String
}) {
  /** The body upstream prints after `field: ` (`Invalid value: 300: may not ...`). */
  get body(): string {
    switch (this.type) {
      case "FieldValueRequired":
        return joinDetail("Required value", this.detail)
      case "FieldValueForbidden":
        return joinDetail("Forbidden", this.detail)
      case "FieldValueTooLong":
        return joinDetail("Too long", this.detail)
      case "FieldValueInvalid":
        return joinDetail(`Invalid value: ${formatValue(this.value)}`, this.detail)
      case "FieldValueNotSupported":
        return joinDetail(`Unsupported value: ${formatValue(this.value)}`, this.detail)
      case "FieldValueDuplicate":
        return joinDetail(`Duplicate value: ${formatValue(this.value)}`, this.detail)
    }
  }

  /** `field: body`, the form used in aggregated Invalid messages. */
  override toString(): string {
    return this.field === "" ? this.body : `${this.field}: ${this.body}`
  }
}

const joinDetail = (head: string, detail: string) => (detail === "" ? head : `${head}: ${detail}`)

/**
 * Formats a value the way apimachinery does: numbers and booleans bare, strings Go-quoted, anything
 * else as JSON.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatValue = (value: unknown): string => {
  if (value === undefined || value === null) return "null"
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value)
  if (typeof value === "string") return goQuote(value)
  return JSON.stringify(value)
}

/**
 * Go's `%q` for a string (`strconv.Quote`): double-quoted; `\a \b \f \n \r \t \v` short escapes;
 * other ASCII controls and DEL as `\xHH`; runes that are not printable in Go's sense (letters, marks,
 * numbers, punctuation, symbols, ASCII space) as `\uHHHH` / `\UHHHHHHHH`. A lone surrogate, which a
 * Go string cannot hold, is what Go's JSON decoder makes of it: U+FFFD.
 *
 * @since 0.1.0
 * @category formatting
 */
export const goQuote = (s: string): string => {
  let out = "\""
  for (const ch of s) {
    const code = ch.codePointAt(0)!
    switch (ch) {
      case "\"":
        out += "\\\""
        break
      case "\\":
        out += "\\\\"
        break
      case "\n":
        out += "\\n"
        break
      case "\r":
        out += "\\r"
        break
      case "\t":
        out += "\\t"
        break
      case "\u0007":
        out += "\\a"
        break
      case "\b":
        out += "\\b"
        break
      case "\f":
        out += "\\f"
        break
      case "\v":
        out += "\\v"
        break
      default:
        if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`
        else if (code >= 0xd800 && code <= 0xdfff) out += "\ufffd"
        else if (ch === " " || printable.test(ch)) out += ch
        else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, "0")}`
        else out += `\\U${code.toString(16).padStart(8, "0")}`
    }
  }
  return out + "\""
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u

/**
 * The aggregate text apimachinery prints for a list of field errors: one error alone, several as
 * `[a, b]`, duplicates removed.
 *
 * @since 0.1.0
 * @category formatting
 */
export const aggregate = (errors: ReadonlyArray<FieldError>): string => {
  const texts = [...new Set(errors.map((e) => e.toString()))]
  return texts.length === 1 ? texts[0]! : `[${texts.join(", ")}]`
}
