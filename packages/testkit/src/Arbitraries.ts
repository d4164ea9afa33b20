/**
 * fast-check arbitraries for the TokenRequest API, for property tests here and in other projects:
 * Kubernetes names (DNS-1123 labels and subdomains), audiences, `BoundObjectReference`s, the five
 * stored kinds, TokenRequest bodies the server accepts (201) or rejects (422), and compact
 * JWT-shaped strings.
 *
 * Everything is built on the `fast-check` bundled with `effect` (`import { FastCheck } from "effect"`),
 * so the arbitraries mix with `it.prop` of `@effect/vitest` and with `Arbitrary.make` of the domain
 * schemas; they produce wire JSON (what a client sends), which decodes with the domain schemas.
 *
 * @since 0.1.0
 */
import * as Arbitrary from "effect/Arbitrary"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import { BoundObjectReference } from "@tokenrequest/domain/BoundObjectReference"
import type * as KubeObject from "@tokenrequest/domain/KubeObject"
import { Time } from "@tokenrequest/domain/Time"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import * as Validation from "@tokenrequest/domain/Validation"

const alphanumeric = "abcdefghijklmnopqrstuvwxyz0123456789".split("")
const alphanumericChar = FastCheck.constantFrom(...alphanumeric)
const labelChar = FastCheck.constantFrom(...alphanumeric, "-")

/**
 * A DNS-1123 label (`[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters): Namespace names,
 * label values' shape.
 *
 * @since 0.1.0
 * @category names
 */
export const dns1123Label = (options?: { readonly maxLength?: number | undefined }): FastCheck.Arbitrary<string> => {
  const max = Math.max(1, Math.min(63, options?.maxLength ?? 20))
  return FastCheck.tuple(
    alphanumericChar,
    FastCheck.array(labelChar, { maxLength: Math.max(0, max - 2) }),
    alphanumericChar,
    FastCheck.boolean()
  ).map(([first, middle, last, single]) =>
    single || max === 1 ? first : `${first}${middle.join("")}${last}`
  )
}

/**
 * A DNS-1123 subdomain (labels joined by dots, at most 253 characters): the names of
 * ServiceAccounts, Pods, Secrets and Nodes.
 *
 * @since 0.1.0
 * @category names
 */
export const dns1123Subdomain = (options?: { readonly maxLabels?: number | undefined }): FastCheck.Arbitrary<string> =>
  FastCheck.array(dns1123Label({ maxLength: 12 }), { minLength: 1, maxLength: Math.max(1, options?.maxLabels ?? 3) })
    .map((labels) => labels.join("."))

/**
 * An audience: an `https://` URL on a subdomain (the usual shape) or a bare identifier (`vault`,
 * `sts.amazonaws.com`). Never empty.
 *
 * @since 0.1.0
 * @category audiences
 */
export const audience: FastCheck.Arbitrary<string> = FastCheck.oneof(
  FastCheck.tuple(dns1123Subdomain(), FastCheck.option(dns1123Label(), { nil: undefined })).map(([host, path]) =>
    `https://${host}${path === undefined ? "" : `/${path}`}`
  ),
  dns1123Subdomain()
)

/**
 * A list of distinct audiences (default 0 to 3).
 *
 * @since 0.1.0
 * @category audiences
 */
export const audiences = (
  options?: { readonly minLength?: number | undefined; readonly maxLength?: number | undefined }
): FastCheck.Arbitrary<Array<string>> =>
  FastCheck.uniqueArray(audience, { minLength: options?.minLength ?? 0, maxLength: options?.maxLength ?? 3 })

/**
 * A Kubernetes UID (a UUID, as the API server assigns).
 *
 * @since 0.1.0
 * @category names
 */
export const uid: FastCheck.Arbitrary<string> = FastCheck.uuid()

/**
 * The kinds a token can be bound to.
 *
 * @since 0.1.0
 * @category bound objects
 */
export const boundObjectKind: FastCheck.Arbitrary<"Pod" | "Secret" | "Node"> = FastCheck.constantFrom(
  "Pod",
  "Secret",
  "Node"
)

/**
 * A well-formed `BoundObjectReference` (`apiVersion: v1`, a bindable kind, a subdomain name, with or
 * without a uid), as wire JSON. Whether the server accepts it depends on the object existing.
 *
 * @since 0.1.0
 * @category bound objects
 */
export const boundObjectReference: FastCheck.Arbitrary<typeof BoundObjectReference.Encoded> = FastCheck.record(
  {
    kind: boundObjectKind,
    apiVersion: FastCheck.constant("v1"),
    name: dns1123Subdomain(),
    uid
  },
  { requiredKeys: ["kind", "apiVersion", "name"] }
)

/**
 * Any value of the `BoundObjectReference` schema (every field optional, any strings), from
 * `Arbitrary.make`: for robustness properties (the server answers with a Status, never a 500).
 *
 * @since 0.1.0
 * @category bound objects
 */
export const anyBoundObjectReference: FastCheck.Arbitrary<BoundObjectReference> = Arbitrary.make(BoundObjectReference)

/**
 * A `metav1.Time` wire string (RFC 3339, second precision), from the domain's `Time` schema.
 *
 * @since 0.1.0
 * @category objects
 */
export const time: FastCheck.Arbitrary<string> = Arbitrary.make(Time).map((instant) => Schema.encodeSync(Time)(instant))

const labels = FastCheck.dictionary(dns1123Label({ maxLength: 10 }), dns1123Label({ maxLength: 10 }), { maxKeys: 3 })

/**
 * The namespaces objects are generated in, unless told otherwise.
 *
 * @since 0.1.0
 * @category objects
 */
export const namespace: FastCheck.Arbitrary<string> = dns1123Label({ maxLength: 20 })

/**
 * Options of {@link kubeObject}.
 *
 * @since 0.1.0
 * @category objects
 */
export interface KubeObjectOptions {
  /** The namespace of namespaced kinds; default an arbitrary label. */
  readonly namespace?: FastCheck.Arbitrary<string> | undefined
  /** For Pods: the service account; default an arbitrary subdomain. */
  readonly serviceAccountName?: FastCheck.Arbitrary<string> | undefined
  /** For Pods: the node; default none or an arbitrary subdomain. */
  readonly nodeName?: FastCheck.Arbitrary<string | undefined> | undefined
  /** Also generate `uid`, `creationTimestamp` and `resourceVersion` (as a store hands objects out). Default `false`. */
  readonly stored?: boolean | undefined
}

/**
 * An object of one kind as wire JSON (`apiVersion: v1`, `metadata` with a valid name, the namespace
 * for namespaced kinds, labels; a Pod `spec` with `serviceAccountName` and maybe `nodeName`; a
 * Secret's `type`), ready for `FakeApiServer.createObject` or a manifest.
 *
 * @since 0.1.0
 * @category objects
 */
export const kubeObject = (
  kind: KubeObject.ObjectKind,
  options: KubeObjectOptions = {}
): FastCheck.Arbitrary<typeof KubeObject.KubeObject.Encoded> => {
  const namespaced = kind !== "Namespace" && kind !== "Node"
  const name = kind === "Namespace" ? dns1123Label({ maxLength: 30 }) : dns1123Subdomain()
  const stored = options.stored === true
    ? FastCheck.record({ uid, creationTimestamp: time, resourceVersion: FastCheck.nat().map(String) })
    : FastCheck.constant({})
  const metadata = FastCheck.tuple(
    name,
    namespaced ? (options.namespace ?? namespace) : FastCheck.constant(undefined),
    FastCheck.option(labels, { nil: undefined }),
    stored
  ).map(([n, ns, l, s]) => ({
    name: n,
    ...(ns === undefined ? {} : { namespace: ns }),
    ...(l === undefined || Object.keys(l).length === 0 ? {} : { labels: l }),
    ...s
  }))
  const rest: FastCheck.Arbitrary<Record<string, unknown>> = kind === "Pod"
    ? FastCheck.tuple(
      options.serviceAccountName ?? dns1123Subdomain(),
      options.nodeName ?? FastCheck.option(dns1123Subdomain(), { nil: undefined })
    ).map(([serviceAccountName, nodeName]) => ({
      spec: {
        serviceAccountName,
        ...(nodeName === undefined ? {} : { nodeName }),
        containers: [{ name: "main", image: "registry.example/app:1" }]
      }
    }))
    : kind === "Secret"
    ? FastCheck.constantFrom("Opaque", "kubernetes.io/service-account-token").map((type) => ({ type }))
    : FastCheck.constant({})
  return FastCheck.tuple(metadata, rest).map(([m, r]) => ({ apiVersion: "v1" as const, kind, metadata: m, ...r }))
}

/**
 * An object of any of the five kinds.
 *
 * @since 0.1.0
 * @category objects
 */
export const anyKubeObject = (options: KubeObjectOptions = {}): FastCheck.Arbitrary<typeof KubeObject.KubeObject.Encoded> =>
  FastCheck.constantFrom<KubeObject.ObjectKind>("Namespace", "ServiceAccount", "Pod", "Secret", "Node")
    .chain((kind) => kubeObject(kind, options))

/**
 * A TokenRequest body, as a client sends it.
 *
 * @since 0.1.0
 * @category token requests
 */
export type TokenRequestBody = typeof TokenRequest.TokenRequest.Encoded

/**
 * A valid `spec.expirationSeconds`: from 10 minutes to 2^32 seconds, biased towards everyday values.
 *
 * @since 0.1.0
 * @category token requests
 */
export const validExpirationSeconds: FastCheck.Arbitrary<number> = FastCheck.oneof(
  FastCheck.constantFrom(600, 3600, 3607, 86400),
  FastCheck.integer({ min: Validation.minExpirationSeconds, max: Validation.maxExpirationSeconds })
)

/**
 * An out-of-range `spec.expirationSeconds` (below 10 minutes, negative included, or above 2^32).
 *
 * @since 0.1.0
 * @category token requests
 */
export const invalidExpirationSeconds: FastCheck.Arbitrary<number> = FastCheck.oneof(
  FastCheck.integer({ min: -(2 ** 31), max: Validation.minExpirationSeconds - 1 }),
  FastCheck.integer({ min: Validation.maxExpirationSeconds + 1, max: Number.MAX_SAFE_INTEGER })
)

/**
 * Options of {@link validTokenRequestBody}.
 *
 * @since 0.1.0
 * @category token requests
 */
export interface ValidTokenRequestOptions {
  /**
   * References of objects that exist (and, for Pods, run as the requested service account): a body
   * either binds to one of them or is unbound. Default: always unbound.
   */
  readonly boundObjects?: ReadonlyArray<typeof BoundObjectReference.Encoded> | undefined
  /** The audiences to draw from; default {@link audiences}. An empty list means the API audiences. */
  readonly audiences?: FastCheck.Arbitrary<Array<string>> | undefined
}

const typeMeta = FastCheck.option(
  FastCheck.constant({ apiVersion: TokenRequest.apiVersion, kind: "TokenRequest" }),
  { nil: undefined }
)

/**
 * A TokenRequest body any service account that exists gets `201 Created` for: optional TypeMeta,
 * empty metadata or labels, 0–3 audiences, an omitted or in-range `expirationSeconds`, and no bound
 * object unless `boundObjects` lists existing ones.
 *
 * @since 0.1.0
 * @category token requests
 */
export const validTokenRequestBody = (options: ValidTokenRequestOptions = {}): FastCheck.Arbitrary<TokenRequestBody> => {
  const refs = options.boundObjects ?? []
  const boundObjectRef = refs.length === 0
    ? FastCheck.constant(undefined)
    : FastCheck.option(FastCheck.constantFrom(...refs), { nil: undefined })
  return FastCheck.tuple(
    typeMeta,
    FastCheck.option(labels, { nil: undefined }),
    options.audiences ?? audiences(),
    FastCheck.option(validExpirationSeconds, { nil: undefined }),
    boundObjectRef
  ).map(([type, l, a, expirationSeconds, ref]) => ({
    ...type,
    metadata: l === undefined ? {} : { labels: l },
    spec: {
      audiences: a,
      ...(expirationSeconds === undefined ? {} : { expirationSeconds }),
      ...(ref === undefined ? {} : { boundObjectRef: ref })
    }
  }))
}

/**
 * A TokenRequest body every server rejects with `422 Invalid` (field `spec.expirationSeconds`,
 * "may not specify a duration less than 10 minutes" or "… larger than 2^32 seconds"), whatever else it
 * carries. It still decodes with the `TokenRequest` schema: the rejection is validation, not syntax.
 *
 * @since 0.1.0
 * @category token requests
 */
export const invalidTokenRequestBody: FastCheck.Arbitrary<TokenRequestBody> = FastCheck.tuple(
  typeMeta,
  audiences(),
  invalidExpirationSeconds
).map(([type, a, expirationSeconds]) => ({ ...type, metadata: {}, spec: { audiences: a, expirationSeconds } }))

/**
 * Any value of the `TokenRequest` schema, from `Arbitrary.make` (any strings, any integers), encoded to
 * wire JSON: for robustness properties (always a Status or a TokenRequest back, never a 500).
 *
 * @since 0.1.0
 * @category token requests
 */
export const anyTokenRequestBody: FastCheck.Arbitrary<TokenRequestBody> = Arbitrary.make(TokenRequest.TokenRequest)
  .map((request) => Schema.encodeSync(TokenRequest.TokenRequest)(request))

const base64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url")
const segmentOf = (value: unknown): string => Buffer.from(JSON.stringify(value), "utf8").toString("base64url")

/**
 * A compact JWS (`header.payload.signature`, base64url without padding) with a JSON header (`alg`,
 * maybe `kid` and `typ`), a JSON claims payload (`iss`, `sub`, `aud`, `iat`, `exp` in some mix) and a
 * random signature: parses like a service-account token but verifies with no key.
 *
 * @since 0.1.0
 * @category tokens
 */
export const compactJwt: FastCheck.Arbitrary<string> = FastCheck.tuple(
  FastCheck.record(
    {
      alg: FastCheck.constantFrom("ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA", "none"),
      kid: FastCheck.stringMatching(/^[A-Za-z0-9_-]{1,43}$/),
      typ: FastCheck.constant("JWT")
    },
    { requiredKeys: ["alg"] }
  ),
  FastCheck.record(
    {
      iss: audience,
      sub: FastCheck.tuple(namespace, dns1123Subdomain()).map(([ns, n]) => `system:serviceaccount:${ns}:${n}`),
      aud: audiences({ minLength: 1 }),
      iat: FastCheck.integer({ min: 0, max: 2 ** 32 }),
      exp: FastCheck.integer({ min: 0, max: 2 ** 33 })
    },
    { requiredKeys: [] }
  ),
  FastCheck.uint8Array({ minLength: 0, maxLength: 96 })
).map(([header, payload, signature]) => `${segmentOf(header)}.${segmentOf(payload)}.${base64url(signature)}`)

/**
 * Three dot-separated base64url segments of arbitrary bytes: JWT-shaped on the outside, usually not
 * parseable inside (for authenticator robustness: such bearer tokens are not service-account tokens).
 *
 * @since 0.1.0
 * @category tokens
 */
export const jwtShaped: FastCheck.Arbitrary<string> = FastCheck.tuple(
  FastCheck.uint8Array({ minLength: 1, maxLength: 64 }),
  FastCheck.uint8Array({ minLength: 1, maxLength: 128 }),
  FastCheck.uint8Array({ maxLength: 96 })
).map(([a, b, c]) => `${base64url(a)}.${base64url(b)}.${base64url(c)}`)
