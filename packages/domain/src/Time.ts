/**
 * `metav1.Time` on the wire: RFC 3339 in UTC with whole seconds (`2026-01-02T03:04:05Z`). Decoding
 * accepts any RFC 3339 instant; encoding truncates to the second as Go's `time.Time.MarshalJSON` in
 * apimachinery does.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/**
 * Formats an instant as `metav1.Time` does: UTC, second precision, `Z` suffix.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (instant: DateTime.DateTime): string => {
  const second = Math.floor(DateTime.toEpochMillis(instant) / 1000)
  // A server formats the same few seconds over and over (now, now + lifetime): two are remembered.
  if (second === recent[0].second) return recent[0].text
  if (second === recent[1].second) return recent[1].text
  const text = new Date(second * 1000).toISOString().replace(".000Z", "Z")
  recent[1] = recent[0]
  recent[0] = { second, text }
  return text
}

const recent: [{ second: number; text: string }, { second: number; text: string }] = [
  { second: Number.NaN, text: "" },
  { second: Number.NaN, text: "" }
]

/** 0000-01-01T00:00:00Z (`Date.UTC` maps year 0 to 1900, hence the literal). */
const minMillis = -62167219200000
const maxMillis = Date.UTC(9999, 11, 31, 23, 59, 59, 999)
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

/**
 * The `metav1.Time` schema: a string on the wire, a `DateTime.Utc` in the domain.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Time = Schema.transformOrFail(
  Schema.String,
  Schema.DateTimeUtcFromSelf.annotations({
    // RFC 3339 (and Go's MarshalJSON) only covers years 0000–9999.
    arbitrary: () => (fc) =>
      fc.integer({ min: minMillis, max: maxMillis }).map((millis) => DateTime.unsafeMake(millis))
  }),
  {
    strict: true,
    decode: (s, _, ast) => {
      const millis = rfc3339.test(s) ? Date.parse(s) : Number.NaN
      return Number.isNaN(millis)
        ? ParseResult.fail(new ParseResult.Type(ast, s, `parsing time ${JSON.stringify(s)} as RFC 3339 failed`))
        : ParseResult.succeed(DateTime.unsafeMake(millis))
    },
    encode: (instant, _, ast) => {
      const millis = DateTime.toEpochMillis(instant)
      return millis < minMillis || millis > maxMillis
        ? ParseResult.fail(new ParseResult.Type(ast, instant, "Time.MarshalJSON: year outside of range [0,9999]"))
        : ParseResult.succeed(format(instant))
    }
  }
).annotations({ identifier: "Time" })

/**
 * @since 0.1.0
 * @category models
 */
export type Time = typeof Time.Type
