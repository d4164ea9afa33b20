/**
 * Kubernetes `Status` answers: the one table that maps every domain error (and the port errors that
 * can reach the HTTP layer) to an HTTP code and a `Status` body, plus the transport-level failures
 * the API server itself produces (404 for unknown paths, 405, 406, 413, 415, decode errors).
 *
 * The JSON text keeps upstream's key order: `kind, apiVersion, metadata, status, message, reason,
 * details, code`, and inside `details`: `name, group, kind, uid, causes, retryAfterSeconds`.
 *
 * @since 0.1.0
 */
import * as Errors from "@tokenrequest/domain/Errors"
import { KeySetError } from "@tokenrequest/domain/KeySet"
import { ObjectStoreError } from "@tokenrequest/domain/ObjectStore"
import type * as DomainStatus from "@tokenrequest/domain/Status"
import { TokenSignerError } from "@tokenrequest/domain/TokenSigner"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"

/**
 * A `Status` body (the domain schema's type).
 *
 * @since 0.1.0
 * @category models
 */
export type Status = DomainStatus.Status

/**
 * `details` of a `Status`.
 *
 * @since 0.1.0
 * @category models
 */
export type StatusDetails = NonNullable<Status["details"]>

/**
 * The `reason` strings of `metav1.StatusReason` this package produces (`""` is StatusReasonUnknown
 * and is omitted from the body).
 *
 * @since 0.1.0
 * @category models
 */
export type StatusReason =
  | ""
  | "NotFound"
  | "AlreadyExists"
  | "Invalid"
  | "Conflict"
  | "BadRequest"
  | "Forbidden"
  | "Unauthorized"
  | "InternalError"
  | "ServiceUnavailable"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "UnsupportedMediaType"
  | "RequestEntityTooLarge"
  | "Timeout"

/**
 * Builds a failure `Status`. `reason: ""` is omitted, as is `details` when not given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (code: number, reason: StatusReason, message: string, details?: StatusDetails): Status => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message,
  ...(reason === "" ? {} : { reason }),
  ...(details === undefined ? {} : { details }),
  code
})

const details = (fields: {
  readonly name?: string
  readonly group?: string
  readonly kind?: string
  readonly causes?: StatusDetails["causes"]
}): StatusDetails => ({
  ...(fields.name ? { name: fields.name } : {}),
  ...(fields.group ? { group: fields.group } : {}),
  ...(fields.kind ? { kind: fields.kind } : {}),
  ...(fields.causes && fields.causes.length > 0 ? { causes: fields.causes } : {})
})

/**
 * A failure that already is a `Status` (transport-level errors: unknown path, wrong method, media
 * type, body size, decoding). Handlers fail with it; `fromCause` answers it verbatim.
 *
 * @since 0.1.0
 * @category errors
 */
export class StatusFailure extends Data.TaggedError("@tokenrequest/http/StatusFailure")<{
  readonly status: Status
}> {
  override get message(): string {
    return this.status.message ?? ""
  }
}

/**
 * The failures the HTTP layer maps: every domain `StatusError`, the port errors and `StatusFailure`.
 *
 * @since 0.1.0
 * @category models
 */
export type MappedError = Errors.StatusError | ObjectStoreError | TokenSignerError | KeySetError | StatusFailure

/**
 * THE table: each failure to its `Status` (code, reason, message, details), as apimachinery's
 * `errors.New*` constructors build them.
 *
 * @since 0.1.0
 * @category mapping
 */
export const fromError = (error: MappedError): Status => {
  switch (error._tag) {
    case "NotFound":
      return make(404, "NotFound", error.message, details({ name: error.name, group: error.group, kind: error.resource }))
    case "AlreadyExists":
      return make(
        409,
        "AlreadyExists",
        error.message,
        details({ name: error.name, group: error.group, kind: error.resource })
      )
    case "Invalid":
      return make(
        422,
        "Invalid",
        error.message,
        details({
          name: error.name,
          group: error.group,
          kind: error.kind,
          causes: error.causes.map((cause) => ({ reason: cause.type, message: cause.body, field: cause.field }))
        })
      )
    case "Conflict":
      return make(409, "Conflict", error.message, details({ name: error.name, group: error.group, kind: error.resource }))
    case "BadRequest":
      return make(400, "BadRequest", error.message)
    case "Forbidden":
      return make(403, "Forbidden", error.message, details({ name: error.name, group: error.group, kind: error.resource }))
    case "Unauthorized":
      return make(401, "Unauthorized", error.message)
    case "InternalError":
      return make(500, "InternalError", error.message, { causes: [{ message: error.error }] })
    case "UnknownReason":
      return make(500, "", error.message)
    case "ServiceUnavailable":
      return make(503, "ServiceUnavailable", error.message)
    case "ObjectStoreError":
    case "TokenSignerError":
    case "KeySetError":
      return error.reason === "Unavailable"
        ? make(503, "ServiceUnavailable", error.description)
        : internalError(error.description)
    case "@tokenrequest/http/StatusFailure":
      return error.status
  }
}

/**
 * 500 `InternalError`: `Internal error occurred: <text>` with the text as the single cause.
 *
 * @since 0.1.0
 * @category constructors
 */
export const internalError = (text: string): Status =>
  make(500, "InternalError", `Internal error occurred: ${text}`, { causes: [{ message: text }] })

/**
 * 400 `BadRequest` with the message as given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const badRequest = (message: string): Status => make(400, "BadRequest", message)

/**
 * 404 for a path the server does not serve (the API server's NotFound handler).
 *
 * @since 0.1.0
 * @category constructors
 */
export const pathNotFound: Status = make(404, "NotFound", "the server could not find the requested resource", {})

/**
 * 405 for a served path with a method it does not allow.
 *
 * @since 0.1.0
 * @category constructors
 */
export const methodNotAllowed: Status = make(
  405,
  "MethodNotAllowed",
  "the server does not allow this method on the requested resource",
  {}
)

/**
 * 415 for a request body in a media type the server cannot decode.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsupportedMediaType = (accepted: ReadonlyArray<string>): Status =>
  make(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`
  )

/**
 * 406 when no media type in `Accept` can be produced.
 *
 * @since 0.1.0
 * @category constructors
 */
export const notAcceptable = (produced: ReadonlyArray<string>): Status =>
  make(406, "NotAcceptable", `only the following media types are accepted: ${produced.join(", ")}`)

/**
 * 413 when the body exceeds the limit (`limitedReadBody`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const requestEntityTooLarge = (limit: number): Status =>
  make(413, "RequestEntityTooLarge", `Request entity too large: limit is ${limit}`)

/**
 * 504 when a request is not answered within the handler timeout (the apiserver's timeout filter:
 * `NewTimeoutError(..., 0)`, whose empty details still appear as `{}`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const handlerTimeout: Status = make(
  504,
  "Timeout",
  "Timeout: request did not complete within requested timeout - context deadline exceeded",
  {}
)

/**
 * Maps any failure cause of a request to a `Status`: expected failures through `fromError`; defects
 * and unknown failures become a 500 InternalError (their text only, never a stack).
 *
 * @since 0.1.0
 * @category mapping
 */
export const fromCause = (cause: Cause.Cause<unknown>): Status => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some" && isMappedError(failure.value)) return fromError(failure.value)
  const squashed = Cause.squash(cause)
  const text = squashed instanceof Error ? squashed.message : String(squashed)
  return internalError(text === "" ? "unexpected failure" : text)
}

/**
 * Whether a value is one of the failures `fromError` maps.
 *
 * @since 0.1.0
 * @category guards
 */
export const isMappedError = (u: unknown): u is MappedError =>
  u instanceof StatusFailure ||
  u instanceof ObjectStoreError ||
  u instanceof TokenSignerError ||
  u instanceof KeySetError ||
  u instanceof Errors.NotFound ||
  u instanceof Errors.AlreadyExists ||
  u instanceof Errors.Invalid ||
  u instanceof Errors.Conflict ||
  u instanceof Errors.BadRequest ||
  u instanceof Errors.Forbidden ||
  u instanceof Errors.Unauthorized ||
  u instanceof Errors.InternalError ||
  u instanceof Errors.UnknownReason ||
  u instanceof Errors.ServiceUnavailable

/**
 * The JSON text of a `Status`, keys in upstream order, empty fields omitted.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toJson = (status: Status): string => JSON.stringify(ordered(status))

/**
 * The `Status` as a plain object whose key order is upstream's (for `JSON.stringify`).
 *
 * @since 0.1.0
 * @category encoding
 */
export const ordered = (status: Status): Record<string, unknown> => {
  const out: Record<string, unknown> = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: status.status
  }
  if (status.message) out["message"] = status.message
  if (status.reason) out["reason"] = status.reason
  if (status.details !== undefined) {
    const d = status.details
    const od: Record<string, unknown> = {}
    if (d.name) od["name"] = d.name
    if (d.group) od["group"] = d.group
    if (d.kind) od["kind"] = d.kind
    if (d.uid) od["uid"] = d.uid
    if (d.causes && d.causes.length > 0) {
      od["causes"] = d.causes.map((c) => {
        const oc: Record<string, unknown> = {}
        if (c.reason) oc["reason"] = c.reason
        if (c.message) oc["message"] = c.message
        if (c.field) oc["field"] = c.field
        return oc
      })
    }
    if (d.retryAfterSeconds) od["retryAfterSeconds"] = d.retryAfterSeconds
    out["details"] = od
  }
  if (status.code) out["code"] = status.code
  return out
}

/**
 * The HTTP code a `Status` is answered with (`code`, or 500 when zero).
 *
 * @since 0.1.0
 * @category accessors
 */
export const httpCode = (status: Status): number => (status.code !== undefined && status.code !== 0 ? status.code : 500)
