/**
 * Content negotiation as the API server does it for these endpoints: request bodies in JSON or
 * Kubernetes protobuf (`Content-Type`, JSON when absent), answers in JSON unless the client accepts
 * only protobuf (`Accept`).
 *
 * @since 0.1.0
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Status from "./Status.js"

/**
 * The wire formats this package reads and writes.
 *
 * @since 0.1.0
 * @category models
 */
export type Format = "json" | "protobuf"

/**
 * @since 0.1.0
 * @category constants
 */
export const jsonMediaType = "application/json"

/**
 * The Kubernetes protobuf media type (also `Protobuf.mediaType`; named here so that negotiation does
 * not load the codec).
 *
 * @since 0.1.0
 * @category constants
 */
export const protobufMediaType = "application/vnd.kubernetes.protobuf"

/**
 * The request media types accepted, in the order the 415 message lists them.
 *
 * @since 0.1.0
 * @category constants
 */
export const acceptedMediaTypes: ReadonlyArray<string> = [jsonMediaType, protobufMediaType]

const essence = (value: string): string => value.split(";")[0]!.trim().toLowerCase()

/**
 * The format of a `Content-Type` value, or `undefined` when unsupported. An absent header means JSON.
 *
 * @since 0.1.0
 * @category negotiation
 */
export const formatOfContentType = (contentType: string | undefined): Format | undefined => {
  if (contentType === jsonMediaType) return "json"
  if (contentType === undefined || contentType.trim() === "") return "json"
  const type = essence(contentType)
  if (type === jsonMediaType) return "json"
  if (type === protobufMediaType) return "protobuf"
  return undefined
}

/**
 * The request body's format, failing with 415 UnsupportedMediaType.
 *
 * @since 0.1.0
 * @category negotiation
 */
export const requestFormat: Effect.Effect<Format, Status.StatusFailure, HttpServerRequest.HttpServerRequest> = Effect
  .flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const format = formatOfContentType(request.headers["content-type"])
    return format === undefined
      ? Effect.fail(new Status.StatusFailure({ status: Status.unsupportedMediaType(acceptedMediaTypes) }))
      : Effect.succeed(format)
  })

/**
 * The answer format for an `Accept` value: protobuf only when protobuf is acceptable and neither
 * JSON nor a wildcard is; JSON otherwise.
 *
 * @since 0.1.0
 * @category negotiation
 */
export const formatOfAccept = (accept: string | undefined): Format => {
  if (accept === jsonMediaType) return "json"
  if (accept === undefined || accept.trim() === "") return "json"
  const ranges = accept.split(",").flatMap((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase())
    const q = params.find((p) => p.startsWith("q="))
    return q !== undefined && Number(q.slice(2)) === 0 ? [] : [type!]
  })
  const json = ranges.some((r) => r === jsonMediaType || r === "application/*" || r === "*/*")
  const protobuf = ranges.includes(protobufMediaType)
  return protobuf && !json ? "protobuf" : "json"
}

/**
 * Whether an `Accept` value admits at least one format this package writes (an absent header
 * admits everything).
 *
 * @since 0.1.0
 * @category negotiation
 */
export const isAcceptable = (accept: string | undefined): boolean => {
  if (accept === jsonMediaType) return true
  if (accept === undefined || accept.trim() === "") return true
  return accept.split(",").some((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase())
    const q = params.find((p) => p.startsWith("q="))
    if (q !== undefined && Number(q.slice(2)) === 0) return false
    return type === jsonMediaType || type === protobufMediaType || type === "application/*" || type === "*/*"
  })
}

/**
 * The output negotiation of the API server's create handler, which runs before anything else:
 * 406 NotAcceptable when `Accept` admits neither JSON nor protobuf.
 *
 * @since 0.1.0
 * @category negotiation
 */
export const negotiateOutput: Effect.Effect<Format, Status.StatusFailure, HttpServerRequest.HttpServerRequest> = Effect
  .flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const accept = request.headers["accept"]
    return isAcceptable(accept)
      ? Effect.succeed(formatOfAccept(accept))
      : Effect.fail(new Status.StatusFailure({ status: Status.notAcceptable(acceptedMediaTypes) }))
  })

/**
 * The answer format of the current request.
 *
 * @since 0.1.0
 * @category negotiation
 */
export const responseFormat: Effect.Effect<Format, never, HttpServerRequest.HttpServerRequest> = Effect.map(
  HttpServerRequest.HttpServerRequest,
  (request) => formatOfAccept(request.headers["accept"])
)
