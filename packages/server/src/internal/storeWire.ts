/**
 * The messages between the primary's object store and the workers' replicas (`ReplicatedStore`),
 * and their encoding: objects travel in their JSON form (`KubeObject` encoded), errors as their
 * tag and fields.
 *
 * @internal
 */
import * as Schema from "effect/Schema"
import { AlreadyExists, NotFound } from "@tokenrequest/domain/Errors"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import { ObjectStoreError } from "@tokenrequest/domain/ObjectStore"

/** Marks this protocol's messages among the others of the same IPC channel. */
export const tag = "tokenrequest/store" as const

export type Encoded = typeof KubeObject.KubeObject.Encoded

export type WireError =
  | { readonly _tag: "AlreadyExists" | "NotFound"; readonly group: string; readonly resource: string; readonly name: string }
  | { readonly _tag: "ObjectStoreError"; readonly reason: "Unavailable" | "Unexpected"; readonly description: string }

/** From a worker to the primary. */
export type ToPrimary =
  | { readonly t: typeof tag; readonly op: "subscribe" }
  | { readonly t: typeof tag; readonly op: "create"; readonly id: number; readonly object: Encoded }
  | {
    readonly t: typeof tag
    readonly op: "delete"
    readonly id: number
    readonly kind: KubeObject.ObjectKind
    readonly namespace: string
    readonly name: string
  }
  | { readonly t: typeof tag; readonly op: "ack"; readonly seq: number }

/** From the primary to a worker. */
export type ToWorker =
  | { readonly t: typeof tag; readonly op: "snapshot"; readonly seq: number; readonly objects: ReadonlyArray<Encoded>; readonly last: boolean }
  | {
    readonly t: typeof tag
    readonly op: "event"
    readonly seq: number
    readonly type: "ADDED" | "DELETED"
    readonly object: Encoded
  }
  | { readonly t: typeof tag; readonly op: "reply"; readonly id: number; readonly object?: Encoded; readonly error?: WireError }

export const isMessage = (message: unknown): message is { readonly t: typeof tag; readonly op: string } =>
  typeof message === "object" && message !== null && (message as { t?: unknown }).t === tag

export const encodeObject: (object: KubeObject.KubeObject) => Encoded = Schema.encodeSync(KubeObject.KubeObject)
export const decodeObject: (encoded: unknown) => KubeObject.KubeObject = Schema.decodeUnknownSync(KubeObject.KubeObject)

export const encodeError = (error: AlreadyExists | NotFound | ObjectStoreError): WireError =>
  error._tag === "ObjectStoreError"
    ? { _tag: "ObjectStoreError", reason: error.reason, description: error.description }
    : { _tag: error._tag, group: error.group, resource: error.resource, name: error.name }

export const decodeError = (error: WireError): AlreadyExists | NotFound | ObjectStoreError => {
  switch (error._tag) {
    case "AlreadyExists":
      return new AlreadyExists({ group: error.group, resource: error.resource, name: error.name })
    case "NotFound":
      return new NotFound({ group: error.group, resource: error.resource, name: error.name })
    default:
      return new ObjectStoreError({ reason: error.reason, description: error.description })
  }
}

/** The replica's map key of an object. */
export const keyString = (kind: KubeObject.ObjectKind, namespace: string, name: string): string =>
  `${kind}/${KubeObject.kinds[kind].namespaced ? namespace : ""}/${name}`
