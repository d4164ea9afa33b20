/**
 * OIDC discovery (`openidmetadata.go`): the `/.well-known/openid-configuration` document and the
 * JWKS, with the `Cache-Control` max-age both are served with.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Config } from "./Config.js"
import type { JsonWebKeySet, KeySet, KeySetError } from "./KeySet.js"

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
 * @since 0.1.0
 * @category programs
 */
export const openidConfiguration: Effect.Effect<Cached<OpenIdConfiguration>, KeySetError, KeySet | Config> = Effect
  .dieMessage("openidConfiguration: not implemented yet")

/**
 * @since 0.1.0
 * @category programs
 */
export const jwks: Effect.Effect<Cached<JsonWebKeySet>, KeySetError, KeySet> = Effect.dieMessage(
  "jwks: not implemented yet"
)
