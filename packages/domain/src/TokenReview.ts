/**
 * `TokenReview` (authentication.k8s.io/v1), the body and answer of
 * `POST /apis/authentication.k8s.io/v1/tokenreviews`. Encoding reproduces the upstream quirks:
 * `authenticated` is omitted when false, `user` is always present (`{}` on failure).
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { keysWithin, openBody, stringArray, withTypeMeta } from "./internal/plainShape.js"
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

const reviewKeys = new Set(["apiVersion", "kind", "metadata", "spec"])
const specKeys = new Set(["token", "audiences"])

/**
 * `Schema.decodeUnknown(TokenReview)` for the shape clients send — no metadata (or `{}`), a spec of
 * a token and audiences — in plain code, for a server's fast path; `undefined` for any other input
 * (decode it with the schema). Property-tested to agree with the schema.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeCommonShape = (input: unknown): TokenReview | undefined => {
  const body = openBody(input, reviewKeys)
  if (body === undefined || !keysWithin(body.spec, specKeys)) return undefined
  const { spec } = body
  const token = spec["token"] ?? ""
  const audiences = spec["audiences"] === undefined || spec["audiences"] === null ? [] : stringArray(spec["audiences"])
  if (typeof token !== "string" || audiences === undefined) return undefined
  return withTypeMeta(body.typeMeta, body.metadata, { token, audiences })
}

const answerMetadataKeys = new Set(["creationTimestamp"])
const statusKeys = new Set(["authenticated", "user", "audiences", "error"])
const userKeys = new Set(["username", "uid", "groups", "extra"])

const plainUser = (user: UserInfo): Record<string, unknown> | undefined => {
  if (!keysWithin(user, userKeys)) return undefined
  let extra: Record<string, ReadonlyArray<string>> | undefined
  if (user.extra !== undefined) {
    extra = {}
    for (const key in user.extra) extra[key] = user.extra[key]!
  }
  return { username: user.username, uid: user.uid, groups: user.groups, extra }
}

/**
 * `Schema.encodeSync(TokenReview)` for a review's answer to a plain request (`metadata` of
 * `creationTimestamp: null` only) in plain code, for a server's fast path; `undefined` for any other
 * value (encode it with the schema). Property-tested to give the same JSON as the schema.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeCommonShape = (review: TokenReview): Record<string, unknown> | undefined => {
  const { metadata, spec, status } = review
  if (!keysWithin(metadata, answerMetadataKeys) || (metadata.creationTimestamp ?? null) !== null) return undefined
  if (status === undefined || !keysWithin(status, statusKeys)) return undefined
  const user = plainUser(status.user)
  if (user === undefined) return undefined
  return {
    kind: review.kind,
    apiVersion: review.apiVersion,
    metadata: metadata.creationTimestamp === null ? { creationTimestamp: null } : {},
    spec: { token: spec.token, audiences: spec.audiences },
    status: {
      authenticated: status.authenticated ? true : undefined,
      user,
      audiences: status.audiences,
      error: status.error
    }
  }
}
