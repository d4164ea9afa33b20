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
export const format = (instant: DateTime.DateTime): string =>
  new Date(Math.floor(DateTime.toEpochMillis(instant) / 1000) * 1000).toISOString().replace(".000Z", "Z")

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

/**
 * The `metav1.Time` schema: a string on the wire, a `DateTime.Utc` in the domain.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Time = Schema.transformOrFail(Schema.String, Schema.DateTimeUtcFromSelf, {
  strict: true,
  decode: (s, _, ast) => {
    const millis = rfc3339.test(s) ? Date.parse(s) : Number.NaN
    return Number.isNaN(millis)
      ? ParseResult.fail(new ParseResult.Type(ast, s, `parsing time ${JSON.stringify(s)} as RFC 3339 failed`))
      : ParseResult.succeed(DateTime.unsafeMake(millis))
  },
  encode: (instant) => ParseResult.succeed(format(instant))
}).annotations({ identifier: "Time" })

/**
 * @since 0.1.0
 * @category models
 */
export type Time = typeof Time.Type
