/**
 * `BoundObjectReference`: the object a token is bound to (a Pod, Secret or Node). The token stays
 * valid only while that object exists with the same UID.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category schemas
 */
export const BoundObjectReference = Schema.Struct({
  kind: Schema.optional(Schema.String),
  apiVersion: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  uid: Schema.optional(Schema.String)
}).annotations({ identifier: "BoundObjectReference" })

/**
 * @since 0.1.0
 * @category models
 */
export type BoundObjectReference = typeof BoundObjectReference.Type
