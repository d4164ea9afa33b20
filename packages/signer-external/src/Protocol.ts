/**
 * The `ExternalJWTSigner` protocol of Kubernetes (semantics §13): its API versions, full method
 * names and message shapes (the generated protobuf types live in `generated/`, compiled from
 * `proto/<version>/api.proto` by `pnpm generate`). Both versions carry the same messages.
 *
 * @since 0.1.0
 */
import * as V1 from "./generated/v1/api_pb.js"
import * as V1alpha1 from "./generated/v1alpha1/api_pb.js"

/**
 * `v1` (Kubernetes 1.34 and later) or `v1alpha1` (1.32 and 1.33).
 *
 * @since 0.1.0
 * @category models
 */
export type ApiVersion = "v1" | "v1alpha1"

/**
 * Both API versions, newest first.
 *
 * @since 0.1.0
 * @category constants
 */
export const apiVersions: ReadonlyArray<ApiVersion> = ["v1", "v1alpha1"]

/**
 * `claims`: the unpadded base64url payload, exactly the second JWT segment.
 *
 * @since 0.1.0
 * @category messages
 */
export interface SignJWTRequest {
  readonly claims: string
}

/**
 * The unpadded base64url header (only `alg`, `kid`, `typ`) and signature segments.
 *
 * @since 0.1.0
 * @category messages
 */
export interface SignJWTResponse {
  readonly header: string
  readonly signature: string
}

/**
 * One verification key: its id (at most 1024 characters), PKIX DER, and whether it is kept out of
 * OIDC discovery (verification only, never used to sign).
 *
 * @since 0.1.0
 * @category messages
 */
export interface Key {
  readonly keyId: string
  readonly key: Uint8Array
  readonly excludeFromOidcDiscovery: boolean
}

/**
 * `google.protobuf.Timestamp`.
 *
 * @since 0.1.0
 * @category messages
 */
export interface Timestamp {
  readonly seconds: bigint
  readonly nanos: number
}

/**
 * The trusted keys, when they were read from their source, and seconds until the next fetch.
 *
 * @since 0.1.0
 * @category messages
 */
export interface FetchKeysResponse {
  readonly keys: ReadonlyArray<Key | undefined>
  readonly dataTimestamp?: Timestamp | undefined
  readonly refreshHintSeconds: bigint
}

/**
 * The longest token lifetime the signer supports (at least 600 seconds).
 *
 * @since 0.1.0
 * @category messages
 */
export interface MetadataResponse {
  readonly maxTokenExpirationSeconds: bigint
}

/**
 * The full method names of a version: `/v1.ExternalJWTSigner/Sign`, `…/FetchKeys`, `…/Metadata`.
 *
 * @since 0.1.0
 * @category constants
 */
export const methodPaths = (version: ApiVersion): ReadonlyArray<string> => {
  const service = version === "v1" ? V1.ExternalJWTSigner : V1alpha1.ExternalJWTSigner
  return service.methods.map((m) => `/${service.typeName}/${m.name}`)
}
