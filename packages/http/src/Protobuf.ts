/**
 * Kubernetes protobuf (`application/vnd.kubernetes.protobuf`): the `k8s\0` envelope around a
 * `runtime.Unknown{typeMeta, raw}`, and the conversions between the generated messages and the
 * JSON wire shape of the same objects, so protobuf bodies go through the very schemas JSON bodies do.
 *
 * @since 0.1.0
 */
import { create, fromBinary, isFieldSet, toBinary } from "@bufbuild/protobuf"
import * as Either from "effect/Either"
import {
  type BoundObjectReference,
  BoundObjectReferenceSchema,
  ExtraValueSchema,
  SelfSubjectReviewSchema,
  SelfSubjectReviewStatusSchema,
  TokenRequestSchema,
  TokenRequestSpecSchema,
  TokenRequestStatusSchema,
  TokenReviewSchema,
  TokenReviewSpecSchema,
  TokenReviewStatusSchema,
  type UserInfo,
  UserInfoSchema
} from "./generated/k8s.io/api/authentication/v1/generated_pb.js"
import {
  DeleteOptionsSchema,
  ListMetaSchema,
  type ObjectMeta,
  ObjectMetaSchema,
  PreconditionsSchema,
  StatusCauseSchema,
  StatusDetailsSchema,
  StatusSchema,
  type Time,
  TimeSchema
} from "./generated/k8s.io/apimachinery/pkg/apis/meta/v1/generated_pb.js"
import { TypeMetaSchema, UnknownSchema } from "./generated/k8s.io/apimachinery/pkg/runtime/generated_pb.js"
import { protobufMediaType } from "./Negotiation.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const mediaType = protobufMediaType

/**
 * The four bytes every Kubernetes protobuf body starts with: `k8s\0`.
 *
 * @since 0.1.0
 * @category constants
 */
export const magic: Uint8Array = new Uint8Array([0x6b, 0x38, 0x73, 0x00])

/**
 * The decoded envelope: the body's type and the raw message bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Envelope {
  readonly apiVersion: string
  readonly kind: string
  readonly raw: Uint8Array
}

/**
 * Opens the envelope. Fails with the upstream text when the magic is missing or the `Unknown` does
 * not parse.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeEnvelope = (bytes: Uint8Array): Either.Either<Envelope, string> => {
  if (bytes.length < magic.length || !magic.every((b, i) => bytes[i] === b)) {
    return Either.left(
      `provided data does not appear to be a protobuf message, expected prefix [${Array.from(magic).join(" ")}]`
    )
  }
  try {
    const unknown = fromBinary(UnknownSchema, bytes.subarray(magic.length))
    return Either.right({
      apiVersion: unknown.typeMeta?.apiVersion ?? "",
      kind: unknown.typeMeta?.kind ?? "",
      raw: unknown.raw
    })
  } catch (e) {
    return Either.left(e instanceof Error ? e.message : String(e))
  }
}

/**
 * Wraps message bytes in the envelope.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeEnvelope = (envelope: Envelope): Uint8Array => {
  const unknown = toBinary(
    UnknownSchema,
    create(UnknownSchema, {
      typeMeta: create(TypeMetaSchema, { apiVersion: envelope.apiVersion, kind: envelope.kind }),
      raw: envelope.raw
    })
  )
  const out = new Uint8Array(magic.length + unknown.length)
  out.set(magic, 0)
  out.set(unknown, magic.length)
  return out
}

/**
 * The kinds whose protobuf messages this package reads (`toJsonShape`).
 *
 * @since 0.1.0
 * @category models
 */
export type DecodableKind = "TokenRequest" | "TokenReview" | "SelfSubjectReview" | "DeleteOptions"

/**
 * The kinds whose protobuf messages this package writes (`fromJsonShape`).
 *
 * @since 0.1.0
 * @category models
 */
export type EncodableKind = "TokenRequest" | "TokenReview" | "SelfSubjectReview" | "Status"

type Json = Record<string, unknown>

const nonEmpty = (out: Json, key: string, value: string) => {
  if (value !== "") out[key] = value
}

const timeToJson = (time: Time | undefined): string | undefined => {
  if (time === undefined || (time.seconds === 0n && time.nanos === 0)) return undefined
  return new Date(Number(time.seconds) * 1000 + Math.floor(time.nanos / 1e6)).toISOString()
}

const timeFromJson = (value: unknown): Time | undefined => {
  if (typeof value !== "string") return undefined
  const millis = Date.parse(value)
  if (Number.isNaN(millis)) return undefined
  const seconds = Math.floor(millis / 1000)
  return create(TimeSchema, { seconds: BigInt(seconds), nanos: (millis - seconds * 1000) * 1e6 })
}

const metaToJson = (meta: ObjectMeta | undefined): Json => {
  const out: Json = {}
  if (meta === undefined) return out
  nonEmpty(out, "name", meta.name)
  nonEmpty(out, "generateName", meta.generateName)
  nonEmpty(out, "namespace", meta.namespace)
  nonEmpty(out, "uid", meta.uid)
  nonEmpty(out, "resourceVersion", meta.resourceVersion)
  const created = timeToJson(meta.creationTimestamp)
  if (created !== undefined) out["creationTimestamp"] = created
  const deleted = timeToJson(meta.deletionTimestamp)
  if (deleted !== undefined) out["deletionTimestamp"] = deleted
  if (Object.keys(meta.labels).length > 0) out["labels"] = { ...meta.labels }
  if (Object.keys(meta.annotations).length > 0) out["annotations"] = { ...meta.annotations }
  return out
}

const str = (value: unknown): string => (typeof value === "string" ? value : "")
const strings = (value: unknown): Array<string> =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []
const record = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {}
const stringRecord = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(record(value)).filter((e): e is [string, string] => typeof e[1] === "string"))

const metaFromJson = (value: unknown): ObjectMeta => {
  const meta = record(value)
  return create(ObjectMetaSchema, {
    name: str(meta["name"]),
    generateName: str(meta["generateName"]),
    namespace: str(meta["namespace"]),
    uid: str(meta["uid"]),
    resourceVersion: str(meta["resourceVersion"]),
    creationTimestamp: timeFromJson(meta["creationTimestamp"]),
    deletionTimestamp: timeFromJson(meta["deletionTimestamp"]),
    labels: stringRecord(meta["labels"]),
    annotations: stringRecord(meta["annotations"])
  })
}

const boundRefToJson = (ref: BoundObjectReference): Json => {
  const out: Json = {}
  nonEmpty(out, "kind", ref.kind)
  nonEmpty(out, "apiVersion", ref.aPIVersion)
  nonEmpty(out, "name", ref.name)
  nonEmpty(out, "uid", ref.uID)
  return out
}

const userToJson = (user: UserInfo | undefined): Json => {
  const out: Json = {}
  if (user === undefined) return out
  nonEmpty(out, "username", user.username)
  nonEmpty(out, "uid", user.uid)
  if (user.groups.length > 0) out["groups"] = [...user.groups]
  const extra = Object.entries(user.extra)
  if (extra.length > 0) out["extra"] = Object.fromEntries(extra.map(([k, v]) => [k, [...v.items]]))
  return out
}

const userFromJson = (value: unknown): UserInfo => {
  const user = record(value)
  return create(UserInfoSchema, {
    username: str(user["username"]),
    uid: str(user["uid"]),
    groups: strings(user["groups"]),
    extra: Object.fromEntries(
      Object.entries(record(user["extra"])).map(([k, v]) => [k, create(ExtraValueSchema, { items: strings(v) })])
    )
  })
}

/**
 * Reads raw message bytes of a kind into the JSON wire shape of that object (the shape the domain
 * schemas decode). Throws the protobuf runtime's error on malformed bytes.
 *
 * @since 0.1.0
 * @category decoding
 */
export const toJsonShape = (kind: DecodableKind, raw: Uint8Array): Json => {
  switch (kind) {
    case "TokenRequest": {
      const message = fromBinary(TokenRequestSchema, raw)
      const spec: Json = { audiences: message.spec ? [...message.spec.audiences] : [] }
      if (message.spec && isFieldSet(message.spec, TokenRequestSpecSchema.field.expirationSeconds)) {
        spec["expirationSeconds"] = Number(message.spec.expirationSeconds)
      }
      spec["boundObjectRef"] = message.spec?.boundObjectRef ? boundRefToJson(message.spec.boundObjectRef) : null
      return { metadata: metaToJson(message.metadata), spec }
    }
    case "TokenReview": {
      const message = fromBinary(TokenReviewSchema, raw)
      const spec: Json = {}
      if (message.spec) {
        nonEmpty(spec, "token", message.spec.token)
        if (message.spec.audiences.length > 0) spec["audiences"] = [...message.spec.audiences]
      }
      if (message.status === undefined) return { metadata: metaToJson(message.metadata), spec }
      const status: Json = {}
      if (message.status.authenticated) status["authenticated"] = true
      status["user"] = userToJson(message.status.user)
      if (message.status.audiences.length > 0) status["audiences"] = [...message.status.audiences]
      nonEmpty(status, "error", message.status.error)
      return { metadata: metaToJson(message.metadata), spec, status }
    }
    case "SelfSubjectReview": {
      const message = fromBinary(SelfSubjectReviewSchema, raw)
      return { metadata: metaToJson(message.metadata) }
    }
    case "DeleteOptions": {
      const message = fromBinary(DeleteOptionsSchema, raw)
      const out: Json = {}
      if (isFieldSet(message, DeleteOptionsSchema.field.gracePeriodSeconds)) {
        out["gracePeriodSeconds"] = Number(message.gracePeriodSeconds)
      }
      if (message.preconditions !== undefined) {
        const preconditions: Json = {}
        if (isFieldSet(message.preconditions, PreconditionsSchema.field.uid)) {
          preconditions["uid"] = message.preconditions.uid
        }
        if (isFieldSet(message.preconditions, PreconditionsSchema.field.resourceVersion)) {
          preconditions["resourceVersion"] = message.preconditions.resourceVersion
        }
        out["preconditions"] = preconditions
      }
      if (isFieldSet(message, DeleteOptionsSchema.field.orphanDependents)) {
        out["orphanDependents"] = message.orphanDependents
      }
      if (isFieldSet(message, DeleteOptionsSchema.field.propagationPolicy)) {
        out["propagationPolicy"] = message.propagationPolicy
      }
      if (message.dryRun.length > 0) out["dryRun"] = [...message.dryRun]
      return out
    }
  }
}

/**
 * Writes the JSON wire shape of an object as raw message bytes of its kind.
 *
 * @since 0.1.0
 * @category encoding
 */
export const fromJsonShape = (kind: EncodableKind, value: unknown): Uint8Array => {
  const object = record(value)
  switch (kind) {
    case "TokenRequest": {
      const spec = record(object["spec"])
      const status = record(object["status"])
      const ref = object["spec"] !== undefined && spec["boundObjectRef"] ? record(spec["boundObjectRef"]) : undefined
      return toBinary(
        TokenRequestSchema,
        create(TokenRequestSchema, {
          metadata: metaFromJson(object["metadata"]),
          spec: create(TokenRequestSpecSchema, {
            audiences: strings(spec["audiences"]),
            ...(typeof spec["expirationSeconds"] === "number"
              ? { expirationSeconds: BigInt(spec["expirationSeconds"]) }
              : {}),
            boundObjectRef: ref === undefined ? undefined : create(BoundObjectReferenceSchema, {
              kind: str(ref["kind"]),
              aPIVersion: str(ref["apiVersion"]),
              name: str(ref["name"]),
              uID: str(ref["uid"])
            })
          }),
          status: object["status"] === undefined ? undefined : create(TokenRequestStatusSchema, {
            token: str(status["token"]),
            expirationTimestamp: timeFromJson(status["expirationTimestamp"])
          })
        })
      )
    }
    case "TokenReview": {
      const spec = record(object["spec"])
      const status = record(object["status"])
      return toBinary(
        TokenReviewSchema,
        create(TokenReviewSchema, {
          metadata: metaFromJson(object["metadata"]),
          spec: create(TokenReviewSpecSchema, { token: str(spec["token"]), audiences: strings(spec["audiences"]) }),
          status: object["status"] === undefined ? undefined : create(TokenReviewStatusSchema, {
            authenticated: status["authenticated"] === true,
            user: userFromJson(status["user"]),
            audiences: strings(status["audiences"]),
            error: str(status["error"])
          })
        })
      )
    }
    case "SelfSubjectReview": {
      const status = record(object["status"])
      return toBinary(
        SelfSubjectReviewSchema,
        create(SelfSubjectReviewSchema, {
          metadata: metaFromJson(object["metadata"]),
          status: create(SelfSubjectReviewStatusSchema, { userInfo: userFromJson(status["userInfo"]) })
        })
      )
    }
    case "Status": {
      const details = object["details"] === undefined ? undefined : record(object["details"])
      return toBinary(
        StatusSchema,
        create(StatusSchema, {
          metadata: create(ListMetaSchema, {}),
          status: str(object["status"]),
          message: str(object["message"]),
          reason: str(object["reason"]),
          details: details === undefined ? undefined : create(StatusDetailsSchema, {
            name: str(details["name"]),
            group: str(details["group"]),
            kind: str(details["kind"]),
            uid: str(details["uid"]),
            causes: (Array.isArray(details["causes"]) ? details["causes"] : []).map((c) =>
              create(StatusCauseSchema, {
                reason: str(record(c)["reason"]),
                message: str(record(c)["message"]),
                field: str(record(c)["field"])
              })
            ),
            retryAfterSeconds: typeof details["retryAfterSeconds"] === "number" ? details["retryAfterSeconds"] : 0
          }),
          code: typeof object["code"] === "number" ? object["code"] : 0
        })
      )
    }
  }
}
