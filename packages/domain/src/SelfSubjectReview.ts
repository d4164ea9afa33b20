/**
 * `SelfSubjectReview` (authentication.k8s.io/v1): the caller's own user info, what
 * `kubectl auth whoami` shows.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { ObjectMeta } from "./ObjectMeta.js"
import { UserInfo } from "./UserInfo.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const SelfSubjectReview = Schema.Struct({
  kind: Schema.optional(Schema.String),
  apiVersion: Schema.optional(Schema.String),
  metadata: Schema.optionalWith(ObjectMeta, { nullable: true, default: () => ({}) }),
  status: Schema.optional(Schema.Struct({ userInfo: UserInfo }))
}).annotations({ identifier: "SelfSubjectReview" })

/**
 * @since 0.1.0
 * @category models
 */
export type SelfSubjectReview = typeof SelfSubjectReview.Type
