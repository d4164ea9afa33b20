/**
 * `UserInfo` (authentication.k8s.io/v1): who a token or request authenticates as. Every field is
 * omitted from JSON when empty.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category schemas
 */
export const UserInfo = Schema.Struct({
  username: Schema.optional(Schema.String),
  uid: Schema.optional(Schema.String),
  groups: Schema.optional(Schema.Array(Schema.String)),
  extra: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String) }))
}).annotations({ identifier: "UserInfo" })

/**
 * @since 0.1.0
 * @category models
 */
export type UserInfo = typeof UserInfo.Type
