/**
 * `metav1.ObjectMeta`, the subset the TokenRequest API and the reference server use. Unknown fields
 * are kept (labels, annotations and anything else a client sends survive a round trip).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { arbitrary } from "./internal/openStruct.js"
import { Time } from "./Time.js"

const fields = {
  name: Schema.optional(Schema.String),
  generateName: Schema.optional(Schema.String),
  namespace: Schema.optional(Schema.String),
  uid: Schema.optional(Schema.String),
  resourceVersion: Schema.optional(Schema.String),
  creationTimestamp: Schema.optional(Schema.NullOr(Time)),
  deletionTimestamp: Schema.optional(Schema.NullOr(Time)),
  labels: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  annotations: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
}

/**
 * @since 0.1.0
 * @category schemas
 */
export const ObjectMeta = Schema.Struct(fields, Schema.Record({ key: Schema.String, value: Schema.Unknown })).annotations({
  identifier: "ObjectMeta",
  arbitrary: arbitrary(fields)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ObjectMeta = typeof ObjectMeta.Type

/**
 * `metav1.TypeMeta`: `apiVersion` and `kind`, both optional on input.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TypeMeta = {
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String)
}
