/**
 * `TokenReview` (authentication.k8s.io/v1), the body and answer of
 * `POST /apis/authentication.k8s.io/v1/tokenreviews`. Encoding reproduces the upstream quirks:
 * `authenticated` is omitted when false, `user` is always present (`{}` on failure).
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { ObjectMeta } from "./ObjectMeta.js"
import { UserInfo } from "./UserInfo.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const TokenReviewSpec = Schema.Struct({
  token: Schema.optionalWith(Schema.String, { nullable: true, default: () => "" }),
  audiences: Schema.optionalWith(Schema.Array(Schema.String), { nullable: true, default: () => [] })
}).annotations({ identifier: "TokenReviewSpec" })

/**
 * @since 0.1.0
 * @category models
 */
export type TokenReviewSpec = typeof TokenReviewSpec.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const TokenReviewStatus = Schema.Struct({
  authenticated: Schema.optionalToRequired(Schema.Boolean, Schema.Boolean, {
    decode: Option.getOrElse(() => false),
    encode: (authenticated) => (authenticated ? Option.some(true) : Option.none())
  }),
  user: Schema.optionalWith(UserInfo, { nullable: true, default: () => ({}) }),
  audiences: Schema.optional(Schema.Array(Schema.String)),
  error: Schema.optional(Schema.String)
}).annotations({ identifier: "TokenReviewStatus" })

/**
 * @since 0.1.0
 * @category models
 */
export type TokenReviewStatus = typeof TokenReviewStatus.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const TokenReview = Schema.Struct({
  kind: Schema.optional(Schema.String),
  apiVersion: Schema.optional(Schema.String),
  metadata: Schema.optionalWith(ObjectMeta, { nullable: true, default: () => ({}) }),
  spec: Schema.optionalWith(TokenReviewSpec, { nullable: true, default: () => ({ token: "", audiences: [] }) }),
  status: Schema.optional(TokenReviewStatus)
}).annotations({ identifier: "TokenReview" })

/**
 * @since 0.1.0
 * @category models
 */
export type TokenReview = typeof TokenReview.Type
