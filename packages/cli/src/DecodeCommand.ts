/**
 * `tokenrequest decode TOKEN`: reads a JWT offline and prints its header and claims as JSON, the
 * NumericDate claims (`iat`, `nbf`, `exp`, `kubernetes.io.warnafter`) as UTC RFC 3339 and relative
 * times, whether the token has expired and whether `warnafter` has passed. It verifies nothing, and
 * says so in the output.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as CommandError from "./CommandError.js"
import * as Argv from "./internal/argv.js"
import * as Output from "./internal/output.js"
import * as TokenArgument from "./internal/tokenArgument.js"

/**
 * The note printed with every decoded token.
 *
 * @since 0.1.0
 * @category constants
 */
export const notVerified = "signature NOT verified: decode only reads the token; use `tokenrequest review` to check it"

/**
 * One NumericDate claim, readable.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadableTime {
  readonly unix: number
  readonly utc: string
  readonly relative: string
}

/**
 * What `decode` prints.
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodedToken {
  readonly verified: false
  readonly note: string
  readonly header: Record<string, unknown>
  readonly claims: Record<string, unknown>
  readonly times: Partial<Record<"iat" | "nbf" | "exp" | "warnafter", ReadableTime>>
  /** `exp` is in the past; `null` without `exp`. */
  readonly expired: boolean | null
  /** `kubernetes.io.warnafter` is in the past: the token is stale and should be refreshed; `null` without it. */
  readonly warnafterPassed: boolean | null
}

const segment = (text: string, what: string): Either.Either<Record<string, unknown>, string> => {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return Either.left(`the ${what} is not base64url`)
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(text, "base64url").toString("utf8"))
  } catch {
    return Either.left(`the ${what} is not JSON`)
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? Either.right(value as Record<string, unknown>)
    : Either.left(`the ${what} is not a JSON object`)
}

/**
 * A duration as `1d2h3m4s` (the largest units first, zero units left out).
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatSeconds = (seconds: number): string => {
  let rest = Math.abs(Math.trunc(seconds))
  if (rest === 0) return "0s"
  const parts: Array<string> = []
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    const count = Math.floor(rest / size)
    rest -= count * size
    if (count > 0) parts.push(`${count}${unit}`)
  }
  return parts.join("")
}

const readable = (unix: number, nowMillis: number): ReadableTime => {
  const delta = unix - Math.floor(nowMillis / 1000)
  return {
    unix,
    utc: new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    relative: delta === 0 ? "now" : delta > 0 ? `in ${formatSeconds(delta)}` : `${formatSeconds(delta)} ago`
  }
}

/**
 * Decodes a compact JWS without verifying it, reading the times against `nowMillis`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (token: string, nowMillis: number): Either.Either<DecodedToken, string> => {
  const parts = token.split(".")
  if (parts.length !== 3) {
    return Either.left(`not a JWT: expected 3 dot-separated segments, found ${parts.length}`)
  }
  return Either.gen(function*() {
    const header = yield* segment(parts[0]!, "header")
    const claims = yield* segment(parts[1]!, "payload")
    const kubernetes = claims["kubernetes.io"]
    const warnafter = typeof kubernetes === "object" && kubernetes !== null
      ? (kubernetes as Record<string, unknown>).warnafter
      : undefined
    const candidates = { iat: claims.iat, nbf: claims.nbf, exp: claims.exp, warnafter }
    const times: Partial<Record<keyof typeof candidates, ReadableTime>> = {}
    for (const [name, value] of Object.entries(candidates) as Array<[keyof typeof candidates, unknown]>) {
      if (typeof value === "number" && Number.isFinite(value)) times[name] = readable(value, nowMillis)
    }
    const now = nowMillis / 1000
    return {
      verified: false as const,
      note: notVerified,
      header,
      claims,
      times,
      expired: times.exp === undefined ? null : times.exp.unix <= now,
      warnafterPassed: times.warnafter === undefined ? null : times.warnafter.unix <= now
    }
  })
}

/**
 * @since 0.1.0
 * @category commands
 */
export const decodeCommand = Command.make(
  "decode",
  { token: Args.text({ name: "TOKEN" }).pipe(Args.withDescription("The token to decode (- reads it from stdin)")) },
  (input) =>
    Effect.gen(function*() {
      const token = yield* TokenArgument.read(Argv.valueOf(input.token))
      const now = yield* Clock.currentTimeMillis
      const decoded = decode(token, now)
      if (Either.isLeft(decoded)) return yield* Effect.fail(CommandError.usage(`TOKEN: ${decoded.left}`))
      yield* Output.json(decoded.right)
    })
).pipe(
  Command.withDescription(
    "Decode a token offline: header, claims, readable times and whether warnafter passed (no verification)"
  )
)
