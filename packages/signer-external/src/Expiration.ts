/**
 * The expiration limits a server derives from its external signer's `Metadata` (semantics §12.2,
 * §12.3): the signer must support at least 600 seconds; an unset
 * `--service-account-max-token-expiration` defaults to the signer's maximum and a larger one is
 * refused; the extended expiration is capped at the signer's maximum.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { formatDuration } from "./internal/goText.js"

/**
 * The least `max_token_expiration_seconds` accepted (`validation.MinTokenAgeSec`).
 *
 * @since 0.1.0
 * @category constants
 */
export const minTokenAgeSeconds = 600

/**
 * The default extended expiration: one year (`ExpirationExtensionSeconds`).
 *
 * @since 0.1.0
 * @category constants
 */
export const expirationExtensionSeconds = 365 * 24 * 60 * 60

/**
 * What the server was configured with and what the signer supports.
 *
 * @since 0.1.0
 * @category models
 */
export interface Input {
  /** `--service-account-max-token-expiration` in seconds; 0 when not set. */
  readonly maxExpirationSeconds: number
  /** The extended expiration before capping; default one year. */
  readonly maxExtendedExpirationSeconds?: number | undefined
  /** `MetadataResponse.max_token_expiration_seconds`. */
  readonly signerMaxSeconds: number
}

/**
 * The limits in force with the signer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  readonly maxExpirationSeconds: number
  readonly maxExtendedExpirationSeconds: number
}

/**
 * Upstream's `completeServiceAccountOptions` for an endpoint: the limits, or the startup error text
 * (`max token life supported by external-jwt-signer (300s) is less than acceptable (min 600s)`,
 * `service-account-max-token-expiration cannot be set longer than … : 1h0m0s > 10m0s`).
 *
 * @since 0.1.0
 * @category validation
 */
export const complete = (input: Input): Either.Either<Limits, string> => {
  if (input.signerMaxSeconds < minTokenAgeSeconds) {
    return Either.left(
      `max token life supported by external-jwt-signer (${input.signerMaxSeconds}s) is less than acceptable (min ${minTokenAgeSeconds}s)`
    )
  }
  if (input.maxExpirationSeconds > input.signerMaxSeconds) {
    return Either.left(
      `service-account-max-token-expiration cannot be set longer than the token expiration supported by service-account-signing-endpoint: ${
        formatDuration(input.maxExpirationSeconds)
      } > ${formatDuration(input.signerMaxSeconds)}`
    )
  }
  return Either.right({
    maxExpirationSeconds: input.maxExpirationSeconds === 0 ? input.signerMaxSeconds : input.maxExpirationSeconds,
    maxExtendedExpirationSeconds: Math.min(
      input.signerMaxSeconds,
      input.maxExtendedExpirationSeconds ?? expirationExtensionSeconds
    )
  })
}

/**
 * The external-signer variants of the two startup warnings (printed when extension is on and a
 * maximum is in force): fewer than 3607 seconds, and fewer than one year.
 *
 * @since 0.1.0
 * @category messages
 */
export const warnings = (limits: Limits, extendExpiration: boolean): ReadonlyArray<string> => {
  if (!extendExpiration || limits.maxExpirationSeconds === 0) return []
  const max = formatDuration(limits.maxExpirationSeconds)
  const out: Array<string> = []
  if (limits.maxExpirationSeconds < 3607) {
    out.push(
      `service-account-extend-token-expiration is true, in order to correctly trigger safe transition logic, token lifetime supported by external-jwt-signer must be longer than 3607 seconds (currently ${max})`
    )
  }
  if (limits.maxExpirationSeconds < expirationExtensionSeconds) {
    out.push(
      `service-account-extend-token-expiration is true, tokens validity will be caped at the smaller of ${expirationExtensionSeconds} seconds and maximum token lifetime supported by external-jwt-signer (${max})`
    )
  }
  return out
}

/**
 * Go's `time.Duration.String()` of whole seconds (`1h0m0s`), as the messages print it.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatSeconds = (seconds: number): string => formatDuration(seconds)
