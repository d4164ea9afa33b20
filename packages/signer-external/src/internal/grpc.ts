/**
 * gRPC plumbing shared by the client and the server: `@grpc/grpc-js` service definitions built from
 * the generated descriptors (one per API version), unary calls as Effects, and Go's rendering of a
 * gRPC status (`rpc error: code = Unknown desc = …`), which upstream error texts embed.
 *
 * @internal
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf"
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf"
import type { GenService } from "@bufbuild/protobuf/codegenv2"
import * as grpc from "@grpc/grpc-js"
import * as Effect from "effect/Effect"
import * as V1 from "../generated/v1/api_pb.js"
import * as V1alpha1 from "../generated/v1alpha1/api_pb.js"
import type {
  ApiVersion,
  FetchKeysResponse,
  MetadataResponse,
  SignJWTRequest,
  SignJWTResponse
} from "../Protocol.js"

type Empty = Record<string, never>

const services: Record<ApiVersion, GenService<any>> = {
  v1: V1.ExternalJWTSigner,
  v1alpha1: V1alpha1.ExternalJWTSigner
}

const serializer = (schema: DescMessage) => (value: object): Buffer =>
  Buffer.from(toBinary(schema, create(schema, value as MessageInitShape<DescMessage>)))

const deserializer = (schema: DescMessage) => (bytes: Buffer): any => fromBinary(schema, bytes)

const method = <I, O>(service: GenService<any>, localName: "sign" | "fetchKeys" | "metadata") => {
  const m = service.method[localName]!
  return {
    path: `/${service.typeName}/${m.name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: serializer(m.input),
    requestDeserialize: deserializer(m.input),
    responseSerialize: serializer(m.output),
    responseDeserialize: deserializer(m.output),
    originalName: localName
  } as grpc.MethodDefinition<I, O>
}

/** The grpc-js service definition of `/<version>.ExternalJWTSigner`. */
export const serviceDefinition = (version: ApiVersion) => {
  const service = services[version]
  return {
    Sign: method<SignJWTRequest, SignJWTResponse>(service, "sign"),
    FetchKeys: method<Empty, FetchKeysResponse>(service, "fetchKeys"),
    Metadata: method<Empty, MetadataResponse>(service, "metadata")
  }
}

const codeNames: Record<number, string> = {
  0: "OK",
  1: "Canceled",
  2: "Unknown",
  3: "InvalidArgument",
  4: "DeadlineExceeded",
  5: "NotFound",
  6: "AlreadyExists",
  7: "PermissionDenied",
  8: "ResourceExhausted",
  9: "FailedPrecondition",
  10: "Aborted",
  11: "OutOfRange",
  12: "Unimplemented",
  13: "Internal",
  14: "Unavailable",
  15: "DataLoss",
  16: "Unauthenticated"
}

/** A failed call: the gRPC code and Go's text of it. */
export interface CallError {
  readonly code: number
  readonly text: string
  readonly cause: unknown
}

/** `rpc error: code = <Name> desc = <details>`, as grpc-go's `status.Error` prints. */
export const statusText = (code: number, details: string): string =>
  `rpc error: code = ${codeNames[code] ?? `Code(${code})`} desc = ${details}`

const toCallError = (error: grpc.ServiceError | Error): CallError => {
  const code = typeof (error as grpc.ServiceError).code === "number" ? (error as grpc.ServiceError).code : grpc.status.UNKNOWN
  // A client-side deadline is a context deadline in grpc-go.
  const details = code === grpc.status.DEADLINE_EXCEEDED
    ? "context deadline exceeded"
    : (error as grpc.ServiceError).details ?? error.message
  return { code, text: statusText(code, details), cause: error }
}

/** Whether a failed call means the signer cannot be reached (rather than that it refused). */
export const isUnavailable = (error: CallError): boolean =>
  error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED ||
  error.code === grpc.status.CANCELLED

/** One unary call with a deadline and wait-for-ready, interruptible (the call is cancelled). */
export const unary = <I, O>(
  client: grpc.Client,
  definition: grpc.MethodDefinition<I, O>,
  request: I,
  timeoutMillis: number
): Effect.Effect<O, CallError> =>
  Effect.async<O, CallError>((resume) => {
    const metadata = new grpc.Metadata({ waitForReady: true })
    const call = client.makeUnaryRequest<I, O>(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      metadata,
      { deadline: new Date(Date.now() + timeoutMillis) },
      (error, response) => {
        if (error) resume(Effect.fail(toCallError(error)))
        else if (response === undefined) resume(Effect.fail(toCallError(new Error("empty response"))))
        else resume(Effect.succeed(response))
      }
    )
    return Effect.sync(() => call.cancel())
  })

/** The grpc-js target of a socket: `unix:///abs/path`, or an abstract name for `@name`. */
export const target = (endpoint: string): string =>
  endpoint.startsWith("@") ? `unix:\u0000${endpoint.slice(1)}` : `unix://${endpoint}`
