/**
 * Go's `time.ParseDuration` (`300ms`, `1.5h`, `2h45m`, `48h`), exact to the nanosecond, and the
 * error text Go gives for a malformed value.
 *
 * @internal
 */

const unitNanoseconds: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "µs": 1_000n, // U+00B5 micro sign
  "μs": 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60n * 1_000_000_000n,
  h: 3600n * 1_000_000_000n
}

const maxDuration = 2n ** 63n - 1n

/** Nanoseconds, or the Go error message (`time: invalid duration "x"`). */
export type ParseResult = { readonly _tag: "Ok"; readonly nanoseconds: bigint } | {
  readonly _tag: "Error"
  readonly message: string
}

const fail = (original: string, why = "invalid duration"): ParseResult => ({
  _tag: "Error",
  message: `time: ${why} ${JSON.stringify(original)}`
})

/** Parses a Go duration string. */
export const parse = (original: string): ParseResult => {
  let s = original
  let negative = false
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-")
    s = s.slice(1)
  }
  if (s === "0") return { _tag: "Ok", nanoseconds: 0n }
  if (s === "") return fail(original)
  let total = 0n
  while (s !== "") {
    const number = /^(\d*)(?:\.(\d*))?/.exec(s)!
    const whole = number[1] ?? ""
    const fraction = number[2] ?? ""
    if (whole === "" && fraction === "") return fail(original)
    s = s.slice(number[0].length)
    const unitMatch = /^[^\d.]+/.exec(s)
    if (unitMatch === null) return fail(original, "missing unit in duration")
    const unitName = unitMatch[0]
    const unit = unitNanoseconds[unitName]
    if (unit === undefined) {
      return { _tag: "Error", message: `time: unknown unit ${JSON.stringify(unitName)} in duration ${JSON.stringify(original)}` }
    }
    s = s.slice(unitName.length)
    let value = BigInt(whole === "" ? "0" : whole) * unit
    if (fraction !== "") {
      // Go truncates the fractional part to what the unit can hold in nanoseconds.
      const scale = 10n ** BigInt(fraction.length)
      value += (BigInt(fraction) * unit) / scale
    }
    total += value
    if (total > maxDuration) return fail(original)
  }
  return { _tag: "Ok", nanoseconds: negative ? -total : total }
}
