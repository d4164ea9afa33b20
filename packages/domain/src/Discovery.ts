/**
 * OIDC discovery (`openidmetadata.go`): the `/.well-known/openid-configuration` document and the
 * JWKS, with the `Cache-Control` max-age both are served with.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Config } from "./Config.js"
import type { JsonWebKeySet, KeySetError } from "./KeySet.js"
import { KeySet } from "./KeySet.js"

/**
 * The discovery document, keys in upstream order.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OpenIdConfiguration = Schema.Struct({
  issuer: Schema.String,
  jwks_uri: Schema.String,
  response_types_supported: Schema.Array(Schema.String),
  subject_types_supported: Schema.Array(Schema.String),
  id_token_signing_alg_values_supported: Schema.Array(Schema.String)
}).annotations({ identifier: "OpenIdConfiguration" })

/**
 * @since 0.1.0
 * @category models
 */
export type OpenIdConfiguration = typeof OpenIdConfiguration.Type

/**
 * A discovery answer and how long clients may cache it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Cached<A> {
  readonly document: A
  readonly cacheMaxAgeSeconds: number
}

/**
 * The sorted, de-duplicated `alg` values of a key set.
 *
 * @since 0.1.0
 * @category rules
 */
export const signingAlgorithms = (keySet: JsonWebKeySet): ReadonlyArray<string> =>
  [...new Set(keySet.keys.map((k) => k.alg))].sort()

/**
 * The discovery document for a configuration and key set.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeOpenIdConfiguration = (
  issuer: string,
  jwksUri: string,
  keySet: JsonWebKeySet
): OpenIdConfiguration => ({
  issuer,
  jwks_uri: jwksUri,
  response_types_supported: ["id_token"],
  subject_types_supported: ["public"],
  id_token_signing_alg_values_supported: signingAlgorithms(keySet)
})

/**
 * @since 0.1.0
 * @category programs
 */
export const openidConfiguration: Effect.Effect<Cached<OpenIdConfiguration>, KeySetError, KeySet | Config> = Effect
  .gen(function*() {
    const config = yield* Config
    const keys = yield* KeySet
    const keySet = yield* keys.jwks
    const cacheMaxAgeSeconds = yield* keys.cacheMaxAgeSeconds
    return {
      document: makeOpenIdConfiguration(config.issuers[0], config.jwksUri, keySet),
      cacheMaxAgeSeconds
    }
  })

/**
 * @since 0.1.0
 * @category programs
 */
export const jwks: Effect.Effect<Cached<JsonWebKeySet>, KeySetError, KeySet> = Effect.gen(function*() {
  const keys = yield* KeySet
  const document = yield* keys.jwks
  const cacheMaxAgeSeconds = yield* keys.cacheMaxAgeSeconds
  return { document, cacheMaxAgeSeconds }
})
