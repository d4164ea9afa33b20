/**
 * The expected failures of the TokenRequest and TokenReview programs, one class per Kubernetes
 * `StatusReason`. Each carries exactly what a `Status` needs (group, resource or kind, name, field
 * causes) and renders the upstream message; none carries an HTTP code: the HTTP adapter maps each
 * class to its code once, in one table.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { aggregate, FieldError } from "./FieldError.js"

const qualified = (name: string, group: string) => (group === "" ? name : `${name}.${group}`)

/**
 * `NotFound`: `<resource>[.<group>] "<name>" not found`.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>("@tokenrequest/domain/NotFound")("NotFound", {
  group: Schema.String,
  resource: Schema.String,
  name: Schema.String
}) {
  override get message(): string {
    return `${qualified(this.resource, this.group)} "${this.name}" not found`
  }
}

/**
 * `AlreadyExists`: `<resource>[.<group>] "<name>" already exists`.
 *
 * @since 0.1.0
 * @category errors
 */
export class AlreadyExists extends Schema.TaggedError<AlreadyExists>("@tokenrequest/domain/AlreadyExists")(
  "AlreadyExists",
  { group: Schema.String, resource: Schema.String, name: Schema.String }
) {
  override get message(): string {
    return `${qualified(this.resource, this.group)} "${this.name}" already exists`
  }
}

/**
 * `Invalid`: `<Kind>[.<group>] "<name>" is invalid: <field errors>`, with one cause per field error.
 *
 * @since 0.1.0
 * @category errors
 */
export class Invalid extends Schema.TaggedError<Invalid>("@tokenrequest/domain/Invalid")("Invalid", {
  group: Schema.String,
  kind: Schema.String,
  name: Schema.String,
  causes: Schema.Array(FieldError)
}) {
  override get message(): string {
    return `${qualified(this.kind, this.group)} "${this.name}" is invalid: ${aggregate(this.causes)}`
  }
}

/**
 * `Conflict`: `Operation cannot be fulfilled on <resource>[.<group>] "<name>": <reason>`.
 * Upstream sometimes passes a Kind as the resource (`TokenRequest`, `Pod`); so does this.
 *
 * @since 0.1.0
 * @category errors
 */
export class Conflict extends Schema.TaggedError<Conflict>("@tokenrequest/domain/Conflict")("Conflict", {
  group: Schema.String,
  resource: Schema.String,
  name: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Operation cannot be fulfilled on ${qualified(this.resource, this.group)} "${this.name}": ${this.reason}`
  }
}

/**
 * `BadRequest`: the message as given.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequest extends Schema.TaggedError<BadRequest>("@tokenrequest/domain/BadRequest")("BadRequest", {
  reason: Schema.String
}) {
  override get message(): string {
    return this.reason
  }
}

/**
 * `Forbidden`: `<resource>[.<group>] "<name>" is forbidden: <reason>`, without the name part when
 * the name is empty, and `forbidden: <reason>` when the resource is empty too.
 *
 * @since 0.1.0
 * @category errors
 */
export class Forbidden extends Schema.TaggedError<Forbidden>("@tokenrequest/domain/Forbidden")("Forbidden", {
  group: Schema.String,
  resource: Schema.String,
  name: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    if (this.resource === "" && this.group === "") return `forbidden: ${this.reason}`
    const gr = qualified(this.resource, this.group)
    return this.name === "" ? `${gr} is forbidden: ${this.reason}` : `${gr} "${this.name}" is forbidden: ${this.reason}`
  }
}

/**
 * `Unauthorized`: the reason, or `not authorized` when empty.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>("@tokenrequest/domain/Unauthorized")(
  "Unauthorized",
  { reason: Schema.String }
) {
  override get message(): string {
    return this.reason === "" ? "not authorized" : this.reason
  }
}

/**
 * `InternalError`: `Internal error occurred: <error>`, with the error as the single cause.
 *
 * @since 0.1.0
 * @category errors
 */
export class InternalError extends Schema.TaggedError<InternalError>("@tokenrequest/domain/InternalError")(
  "InternalError",
  { error: Schema.String }
) {
  override get message(): string {
    return `Internal error occurred: ${this.error}`
  }
}

/**
 * A plain Go error that reached the REST layer without a Status: upstream answers 500 with an empty
 * `reason` (StatusReasonUnknown) and the error text as the message. Claims-building errors take this
 * form (`internal error, token can only be bound to one object type`).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownReason extends Schema.TaggedError<UnknownReason>("@tokenrequest/domain/UnknownReason")(
  "UnknownReason",
  { error: Schema.String }
) {
  override get message(): string {
    return this.error
  }
}

/**
 * `ServiceUnavailable`: a dependency (the object store, an external signer) cannot be reached. The
 * caller may retry.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>(
  "@tokenrequest/domain/ServiceUnavailable"
)("ServiceUnavailable", { reason: Schema.String }) {
  override get message(): string {
    return this.reason
  }
}

/**
 * Every error a Kubernetes `Status` can be made of.
 *
 * @since 0.1.0
 * @category errors
 */
export type StatusError =
  | NotFound
  | AlreadyExists
  | Invalid
  | Conflict
  | BadRequest
  | Forbidden
  | Unauthorized
  | InternalError
  | UnknownReason
  | ServiceUnavailable
