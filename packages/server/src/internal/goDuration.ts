/**
 * Go `time.Duration` text: parsing (`48h`, `1h30m`, `90s`, `1.5h`) as `time.ParseDuration` does, and
 * formatting as `Duration.String()` does (`1h0m0s`, `30m0s`), for flag values and warning texts.
 *
 * @internal
 */

const units: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  "µs": 1e-6,
  "μs": 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600
}

/** Seconds, or `undefined` when the text is not a Go duration. */
export const parseGoDuration = (text: string): number | undefined => {
  let rest = text
  let sign = 1
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1
    rest = rest.slice(1)
  }
  if (rest === "0") return 0
  if (rest === "") return undefined
  let total = 0
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/
  while (rest.length > 0) {
    const match = part.exec(rest)
    if (match === null) return undefined
    total += Number(match[1]) * units[match[2]!]!
    rest = rest.slice(match[0].length)
  }
  return sign * total
}

/** `Duration.String()` for a whole number of seconds: `1h0m0s`, `10m0s`, `45s`, `0s`. */
export const formatGoDuration = (seconds: number): string => {
  if (seconds === 0) return "0s"
  const negative = seconds < 0
  let rest = Math.abs(seconds)
  const hours = Math.floor(rest / 3600)
  rest -= hours * 3600
  const minutes = Math.floor(rest / 60)
  rest -= minutes * 60
  const secs = Number.isInteger(rest) ? String(rest) : String(Number(rest.toFixed(9)))
  const text = hours > 0 ? `${hours}h${minutes}m${secs}s` : minutes > 0 ? `${minutes}m${secs}s` : `${secs}s`
  return negative ? `-${text}` : text
}
