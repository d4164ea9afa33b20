/**
 * The server configuration the programs read: issuers, API audiences and the expiration policy,
 * named after the kube-apiserver flags they come from.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"

/**
 * `ExpirationExtensionSeconds`: one year, the extended lifetime of a 3607-second Pod-bound token.
 *
 * @since 0.1.0
 * @category constants
 */
export const expirationExtensionSeconds = 24 * 365 * 60 * 60

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenConfig {
  /** `--service-account-issuer`, in flag order: the first signs, every one is accepted on review. */
  readonly issuers: readonly [string, ...Array<string>]
  /** `--api-audiences`, defaulting to the issuers. */
  readonly apiAudiences: ReadonlyArray<string>
  /** `--service-account-max-token-expiration` in seconds; 0 means no cap. */
  readonly maxExpirationSeconds: number
  /** `--service-account-extend-token-expiration`. */
  readonly extendExpiration: boolean
  /** The extended lifetime (one year, or less with an external signer's maximum). */
  readonly maxExtendedExpirationSeconds: number
  /** `--service-account-jwks-uri`: the `jwks_uri` of the discovery document. */
  readonly jwksUri: string
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Config extends Context.Tag("@tokenrequest/domain/Config")<Config, TokenConfig>() {}

/**
 * Fills the defaults kube-apiserver applies: API audiences = issuers, no cap, extension on, one-year
 * extended lifetime, `jwks_uri` = `<first issuer>/openid/v1/jwks`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Pick<TokenConfig, "issuers"> & Partial<Omit<TokenConfig, "issuers">>
): TokenConfig => ({
  issuers: options.issuers,
  apiAudiences:
    options.apiAudiences !== undefined && options.apiAudiences.length > 0 ? options.apiAudiences : options.issuers,
  maxExpirationSeconds: options.maxExpirationSeconds ?? 0,
  extendExpiration: options.extendExpiration ?? true,
  maxExtendedExpirationSeconds: options.maxExtendedExpirationSeconds ?? expirationExtensionSeconds,
  jwksUri: options.jwksUri ?? `${options.issuers[0].replace(/\/$/, "")}/openid/v1/jwks`
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Parameters<typeof make>[0]): Layer.Layer<Config> => Layer.succeed(Config, make(options))
