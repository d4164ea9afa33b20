/**
 * `Status` (v1), the body of every error answer: `kind, apiVersion, metadata, status, message,
 * reason, details, code` in that order, empty fields omitted, `metadata` always `{}`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category schemas
 */
export const StatusCause = Schema.Struct({
  reason: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  field: Schema.optional(Schema.String)
}).annotations({ identifier: "StatusCause" })

/**
 * @since 0.1.0
 * @category schemas
 */
export const StatusDetails = Schema.Struct({
  name: Schema.optional(Schema.String),
  group: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  uid: Schema.optional(Schema.String),
  causes: Schema.optional(Schema.Array(StatusCause)),
  retryAfterSeconds: Schema.optional(Schema.Int)
}).annotations({ identifier: "StatusDetails" })

/**
 * @since 0.1.0
 * @category schemas
 */
export const Status = Schema.Struct({
  kind: Schema.Literal("Status"),
  apiVersion: Schema.Literal("v1"),
  metadata: Schema.Struct({}),
  status: Schema.Literal("Failure", "Success"),
  message: Schema.optional(Schema.String),
  reason: Schema.optional(Schema.String),
  details: Schema.optional(StatusDetails),
  code: Schema.optional(Schema.Int)
}).annotations({ identifier: "Status" })

/**
 * @since 0.1.0
 * @category models
 */
export type Status = typeof Status.Type
