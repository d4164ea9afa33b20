/**
 * Token lifetimes (`token.go`, `claims.go`): the max-expiration clamp with its warning, and the
 * 3607-second extension of Pod-bound tokens with its `warnafter` threshold.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"

/**
 * `WarnOnlyBoundTokenExpirationSeconds`: `60*60 + 7`. A Pod-bound request for exactly this lifetime
 * is extended.
 *
 * @since 0.1.0
 * @category constants
 */
export const warnOnlyBoundTokenExpirationSeconds = 60 * 60 + 7

/**
 * `ExpirationExtensionSeconds`: 365 days.
 *
 * @since 0.1.0
 * @category constants
 */
export const expirationExtensionSeconds = 24 * 365 * 60 * 60

/**
 * The outcome of the clamp (step T12).
 *
 * @since 0.1.0
 * @category models
 */
export interface Clamped {
  readonly expirationSeconds: number
  /** `requested expiration of <a> seconds shortened to <b> seconds` when lowered. */
  readonly warning: Option.Option<string>
}

/**
 * The warning text of a clamp.
 *
 * @since 0.1.0
 * @category formatting
 */
export const shortenedWarning = (requested: number, max: number): string =>
  `requested expiration of ${requested} seconds shortened to ${max} seconds`

/**
 * Step T12: lowers a request above the configured maximum to the maximum (0 means no cap), with a
 * warning. Lowering is never an error.
 *
 * @since 0.1.0
 * @category rules
 */
export const clamp = (requested: number, maxExpirationSeconds: number): Clamped =>
  maxExpirationSeconds > 0 && requested > maxExpirationSeconds
    ? { expirationSeconds: maxExpirationSeconds, warning: Option.some(shortenedWarning(requested, maxExpirationSeconds)) }
    : { expirationSeconds: requested, warning: Option.none() }

/**
 * The inputs of the extension decision (step T13).
 *
 * @since 0.1.0
 * @category models
 */
export interface ExtensionInput {
  /** After the clamp. */
  readonly expirationSeconds: number
  readonly extendExpiration: boolean
  readonly maxExtendedExpirationSeconds: number
  /** Whether a Pod was resolved as the bound object. */
  readonly podBound: boolean
  readonly audiences: ReadonlyArray<string>
  readonly apiAudiences: ReadonlyArray<string>
}

/**
 * The lifetime the JWT gets: `expirationSeconds` (the `exp` offset) and `warnAfterSeconds` (the
 * `warnafter` offset, 0 when the token is not extended).
 *
 * @since 0.1.0
 * @category models
 */
export interface Lifetime {
  readonly expirationSeconds: number
  readonly warnAfterSeconds: number
}

/**
 * Step T13: a Pod-bound token requested for exactly 3607 s (after the clamp), whose audiences are all
 * API audiences, lives `maxExtendedExpirationSeconds` when extension is on, and gets `warnafter`.
 *
 * @since 0.1.0
 * @category rules
 */
export const extend = (input: ExtensionInput): Lifetime => {
  const api = new Set(input.apiAudiences)
  return input.extendExpiration && input.podBound &&
      input.expirationSeconds === warnOnlyBoundTokenExpirationSeconds &&
      input.audiences.every((a) => api.has(a))
    ? { expirationSeconds: input.maxExtendedExpirationSeconds, warnAfterSeconds: warnOnlyBoundTokenExpirationSeconds }
    : { expirationSeconds: input.expirationSeconds, warnAfterSeconds: 0 }
}
