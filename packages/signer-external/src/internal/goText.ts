/**
 * Go renderings that upstream messages embed: `time.Duration.String()` for whole seconds,
 * `base64.RawURLEncoding` decode errors, and `google.protobuf.Timestamp.CheckValid` errors.
 *
 * @internal
 */

/** `Duration.String()` of whole seconds: `1h0m0s`, `10m0s`, `1m30s`, `45s`, `0s`. */
export const formatDuration = (totalSeconds: number): string => {
  if (totalSeconds === 0) return "0s"
  const sign = totalSeconds < 0 ? "-" : ""
  let rest = Math.abs(Math.trunc(totalSeconds))
  const hours = Math.floor(rest / 3600)
  rest -= hours * 3600
  const minutes = Math.floor(rest / 60)
  const seconds = rest - minutes * 60
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`
  return `${sign}${seconds}s`
}

const alphabet = /^[A-Za-z0-9_-]$/

/** Decodes unpadded base64url as Go's `RawURLEncoding`, or returns Go's error text. */
export const decodeRawUrl = (text: string): { readonly bytes: Buffer } | { readonly error: string } => {
  for (let i = 0; i < text.length; i++) {
    if (!alphabet.test(text[i]!)) return { error: `illegal base64 data at input byte ${i}` }
  }
  if (text.length % 4 === 1) return { error: `illegal base64 data at input byte ${text.length - 1}` }
  return { bytes: Buffer.from(text, "base64url") }
}

const minSeconds = -62135596800n // 0001-01-01T00:00:00Z
const maxSeconds = 253402300799n // 9999-12-31T23:59:59Z

/** `Timestamp.CheckValid()`: `undefined` when valid, else its error text. */
export const checkTimestamp = (
  timestamp: { readonly seconds: bigint; readonly nanos: number } | undefined
): string | undefined => {
  if (timestamp === undefined) return "invalid nil Timestamp"
  const shown = `seconds:${timestamp.seconds}${timestamp.nanos === 0 ? "" : ` nanos:${timestamp.nanos}`}`
  if (timestamp.seconds < minSeconds) return `timestamp (${shown}) before 0001-01-01`
  if (timestamp.seconds > maxSeconds) return `timestamp (${shown}) after 9999-12-31`
  if (timestamp.nanos < 0 || timestamp.nanos >= 1e9) return `timestamp (${shown}) has out-of-range nanos`
  return undefined
}
