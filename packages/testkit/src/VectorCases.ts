/**
 * The inputs of every conformance vector, one list per spec chapter. The generator runs each input
 * through `Vectors.execute` and writes `packages/conformance/vectors/<chapter>.json`
 * (`UPDATE_VECTORS=1 npx vitest run packages/testkit/test/Vectors.test.ts`).
 *
 * @since 0.1.0
 */
import type { VectorConfig, VectorInput } from "./Vectors.js"
import * as Vectors from "./Vectors.js"

/**
 * A vector before its expected output is known. Review vectors mint their token first (`input` is
 * then asynchronous).
 *
 * @since 0.1.0
 * @category models
 */
export interface Case {
  readonly id: string
  readonly description: string
  readonly upstream: string
  readonly input: VectorInput | (() => Promise<VectorInput>)
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Chapter {
  readonly chapter: string
  readonly spec: string
  readonly cases: ReadonlyArray<Case>
}

const issuer = "https://kubernetes.default.svc.cluster.local"
const ns = "ns-a"
const sa = "bob"
const saUid = "11111111-1111-4111-8111-111111111111"
const podUid = "22222222-2222-4222-8222-222222222222"
const secretUid = "33333333-3333-4333-8333-333333333333"
const nodeUid = "44444444-4444-4444-8444-444444444444"
const otherUid = "55555555-5555-4555-8555-555555555555"
const jti = "6f1b8c9e-2d3a-4b5c-8d7e-9f0a1b2c3d4e"
const now = "2026-01-02T03:04:05.678Z"
const nowSeconds = Math.floor(Date.parse(now) / 1000)
const at = (offsetSeconds: number) => new Date((nowSeconds + offsetSeconds) * 1000).toISOString()

const upstream = {
  def: "pkg/apis/authentication/v1/defaults.go",
  token: "pkg/registry/core/serviceaccount/storage/token.go",
  tokenTest: "pkg/registry/core/serviceaccount/storage/token_test.go",
  val: "pkg/apis/authentication/validation/validation.go",
  createH: "staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go",
  claims: "pkg/serviceaccount/claims.go",
  jwt: "pkg/serviceaccount/jwt.go",
  legacy: "pkg/serviceaccount/legacy.go",
  tr: "pkg/registry/authentication/tokenreview/storage.go",
  saUtil: "staging/src/k8s.io/apiserver/pkg/authentication/serviceaccount/util.go",
  audiences: "staging/src/k8s.io/apiserver/pkg/authentication/authenticator/audiences.go",
  union: "staging/src/k8s.io/apiserver/pkg/authentication/request/union/union.go",
  oidc: "pkg/serviceaccount/openidmetadata.go",
  errors: "staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go",
  jose: "gopkg.in/go-jose/go-jose.v2 jwt/validation.go"
} as const

const config = (overrides: Partial<VectorConfig> = {}): VectorConfig => ({
  issuers: [issuer],
  apiAudiences: [],
  maxExpirationSeconds: 0,
  extendExpiration: true,
  maxExtendedExpirationSeconds: 31536000,
  jwksUri: `${issuer}/openid/v1/jwks`,
  ...overrides
})

const serviceAccount = (name = sa, uid = saUid) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, uid } })
const pod = (name: string, options: { uid?: string; sa?: string; node?: string; deleted?: string } = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: ns, uid: options.uid ?? podUid, ...(options.deleted !== undefined ? { deletionTimestamp: options.deleted } : {}) },
  spec: { serviceAccountName: options.sa ?? sa, ...(options.node !== undefined ? { nodeName: options.node } : {}) }
})
const secret = (name = "secret-1", uid = secretUid, deleted?: string) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: ns, uid, ...(deleted !== undefined ? { deletionTimestamp: deleted } : {}) }
})
const node = (name = "node-1", uid = nodeUid) => ({ apiVersion: "v1", kind: "Node", metadata: { name, uid } })

const cluster = [
  serviceAccount(),
  serviceAccount("alice", otherUid),
  pod("pod-1", { node: "node-1" }),
  pod("pod-unscheduled"),
  pod("pod-lost-node", { node: "node-gone" }),
  pod("pod-other-sa", { sa: "alice" }),
  secret(),
  node()
]

const tokenPath = (name = sa) => `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`

const tokenRequest = (
  spec: Record<string, unknown> | null,
  options: { config?: Partial<VectorConfig>; objects?: ReadonlyArray<unknown>; metadata?: Record<string, unknown>; name?: string; body?: unknown; path?: string } = {}
): VectorInput => ({
  config: config(options.config),
  signingKey: "rsa-2048",
  verificationKeys: [],
  objects: options.objects ?? cluster,
  now,
  jti,
  request: {
    method: "POST",
    path: options.path ?? tokenPath(options.name),
    body: options.body ?? {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
      spec
    }
  }
})

const ref = (kind: string, name: string, extra: Record<string, unknown> = {}) => ({ kind, apiVersion: "v1", name, ...extra })

const c = (id: string, description: string, source: string, input: Case["input"]): Case => ({ id, description, upstream: source, input })

/** Issues a token with `issue` (at `now` unless told), then reviews it with `review`. */
const reviewOf = (
  issue: { spec: Record<string, unknown>; config?: Partial<VectorConfig>; objects?: ReadonlyArray<unknown>; at?: string },
  review: { audiences?: ReadonlyArray<string>; config?: Partial<VectorConfig>; objects?: ReadonlyArray<unknown>; at?: string; mutate?: (token: string) => string }
) =>
async (): Promise<VectorInput> => {
  const issued = await Vectors.execute({ ...tokenRequest(issue.spec, issue), now: issue.at ?? now })
  if (issued.code !== 201) throw new Error(`could not issue the token to review: ${JSON.stringify(issued.body)}`)
  const token = (issued.body as { status: { token: string } }).status.token
  return reviewInput(review.mutate ? review.mutate(token) : token, review)
}

const reviewInput = (
  token: string,
  review: { audiences?: ReadonlyArray<string>; config?: Partial<VectorConfig>; objects?: ReadonlyArray<unknown>; at?: string }
): VectorInput => ({
  config: config(review.config),
  signingKey: "rsa-2048",
  verificationKeys: [],
  objects: review.objects ?? cluster,
  now: review.at ?? now,
  jti,
  request: {
    method: "POST",
    path: "/apis/authentication.k8s.io/v1/tokenreviews",
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token, ...(review.audiences !== undefined ? { audiences: review.audiences } : {}) }
    }
  }
})

const without = (objects: ReadonlyArray<unknown>, kind: string, name: string) =>
  objects.filter((o) => !((o as { kind: string }).kind === kind && (o as { metadata: { name: string } }).metadata.name === name))

const replace = (objects: ReadonlyArray<unknown>, object: { kind: string; metadata: { name: string; [k: string]: unknown } }) => [
  ...without(objects, object.kind, object.metadata.name),
  object
]

/** Signs a hand-written payload with the vectors' RS256 key (tokens no server would mint). */
const crafted = (payload: Record<string, unknown>) => async (): Promise<string> => {
  const keys = Vectors.readKeys()
  const { createPrivateKey, createPublicKey, createHash, sign } = await import("node:crypto")
  const privateKey = createPrivateKey(keys["rsa-2048"]!.privateKey)
  const der = createPublicKey(privateKey).export({ type: "spki", format: "der" })
  const kid = createHash("sha256").update(der).digest("base64url")
  const h = Buffer.from(JSON.stringify({ alg: "RS256", kid })).toString("base64url")
  const p = Buffer.from(JSON.stringify(payload)).toString("base64url")
  const s = sign("sha256", Buffer.from(`${h}.${p}`), privateKey).toString("base64url")
  return `${h}.${p}.${s}`
}

const baseClaims = (overrides: Record<string, unknown> = {}) => ({
  aud: [issuer],
  exp: nowSeconds + 3600,
  iat: nowSeconds,
  iss: issuer,
  jti,
  "kubernetes.io": { namespace: ns, serviceaccount: { name: sa, uid: saUid } },
  nbf: nowSeconds,
  sub: `system:serviceaccount:${ns}:${sa}`,
  ...overrides
})

const reviewCrafted = (payload: Record<string, unknown>, review: Parameters<typeof reviewInput>[1] = {}) => async () =>
  reviewInput(await crafted(payload)(), review)

const legacyClaims = (overrides: Record<string, unknown> = {}, drop: ReadonlyArray<string> = []) =>
  Object.fromEntries(Object.entries({
    iss: "kubernetes/serviceaccount",
    "kubernetes.io/serviceaccount/namespace": ns,
    "kubernetes.io/serviceaccount/secret.name": "legacy-secret",
    "kubernetes.io/serviceaccount/service-account.name": sa,
    "kubernetes.io/serviceaccount/service-account.uid": saUid,
    sub: `system:serviceaccount:${ns}:${sa}`,
    ...overrides
  }).filter(([k]) => !drop.includes(k)))

const legacySecret = (token: string, options: { labels?: Record<string, string>; deleted?: string } = {}) => ({
  apiVersion: "v1",
  kind: "Secret",
  type: "kubernetes.io/service-account-token",
  metadata: {
    name: "legacy-secret",
    namespace: ns,
    uid: "66666666-6666-4666-8666-666666666666",
    annotations: { "kubernetes.io/service-account.name": sa, "kubernetes.io/service-account.uid": saUid },
    ...(options.labels !== undefined ? { labels: options.labels } : {}),
    ...(options.deleted !== undefined ? { deletionTimestamp: options.deleted } : {})
  },
  data: { token: Buffer.from(token).toString("base64") }
})

/** A legacy (secret-based) token, and the cluster at review time built around it. */
const reviewLegacy = (
  payload: Record<string, unknown>,
  objects: (token: string) => ReadonlyArray<unknown> = (token) => [...cluster, legacySecret(token)]
) =>
async () => {
  const token = await crafted(payload)()
  return reviewInput(token, { objects: objects(token) })
}

/**
 * Every chapter's cases.
 *
 * @since 0.1.0
 * @category cases
 */
export const chapters: ReadonlyArray<Chapter> = [
  {
    chapter: "request",
    spec: "docs/spec/01-request.md",
    cases: [
      c("request.minimal-body", "kind and apiVersion may be omitted; an empty object is a TokenRequest with defaults", upstream.createH,
        tokenRequest(null, { body: {} })),
      c("request.null-fields", "null audiences, expirationSeconds and boundObjectRef mean absent", upstream.def,
        tokenRequest({ audiences: null, expirationSeconds: null, boundObjectRef: null })),
      c("request.namespace-mismatch", "a body metadata.namespace other than the URL's is 400 BadRequest (handler check)", upstream.createH,
        tokenRequest({}, { metadata: { namespace: "other" } })),
      c("request.uid-echoed", "a body metadata.uid equal to the service account's is kept", upstream.token,
        tokenRequest({}, { metadata: { uid: saUid } }))
    ]
  },
  {
    chapter: "defaulting",
    spec: "docs/spec/02-defaulting.md",
    cases: [
      c("defaulting.expiration", "expirationSeconds defaults to 3600", upstream.def, tokenRequest({ audiences: ["a"] })),
      c("defaulting.audiences-issuers", "empty audiences become the API audiences, which default to every issuer in flag order",
        upstream.token, tokenRequest({}, { config: { issuers: [issuer, "https://second.example"] } })),
      c("defaulting.audiences-api", "empty audiences become --api-audiences when set", upstream.token,
        tokenRequest({ audiences: [] }, { config: { apiAudiences: ["api-a", "api-b"] } })),
      c("defaulting.metadata", "name, namespace and uid come from the service account; creationTimestamp is now (truncated)",
        upstream.token, tokenRequest({}, { metadata: {} }))
    ]
  },
  {
    chapter: "validation",
    spec: "docs/spec/03-validation.md",
    cases: [
      c("validation.minimum", "599 s is below the 10-minute minimum: 422 Invalid", upstream.val, tokenRequest({ expirationSeconds: 599 })),
      c("validation.zero", "0 s is below the minimum", upstream.val, tokenRequest({ expirationSeconds: 0 })),
      c("validation.negative", "a negative lifetime is below the minimum", upstream.val, tokenRequest({ expirationSeconds: -1 })),
      c("validation.minimum-boundary", "600 s is accepted", upstream.val, tokenRequest({ expirationSeconds: 600 })),
      c("validation.maximum-boundary", "2^32 s is accepted", upstream.val, tokenRequest({ expirationSeconds: 4294967296 })),
      c("validation.maximum", "2^32+1 s is above the maximum: 422 Invalid", upstream.val, tokenRequest({ expirationSeconds: 4294967297 })),
      c("validation.name-mismatch", "a body metadata.name other than the service account's: 422 Invalid naming the service account",
        upstream.token, tokenRequest({}, { metadata: { name: "other" } })),
      c("validation.uid-mismatch", "a body metadata.uid other than the service account's: 409 Conflict", upstream.token,
        tokenRequest({}, { metadata: { uid: otherUid } })),
      c("validation.service-account-not-found", "a missing service account: 404 NotFound", upstream.token,
        tokenRequest({}, { name: "nobody" }))
    ]
  },
  {
    chapter: "expiration",
    spec: "docs/spec/04-expiration.md",
    cases: [
      c("expiration.clamp", "above --service-account-max-token-expiration: shortened, with a Warning", upstream.token,
        tokenRequest({ expirationSeconds: 7200 }, { config: { maxExpirationSeconds: 3600 } })),
      c("expiration.clamp-below", "at or below the maximum: unchanged, no Warning", upstream.token,
        tokenRequest({ expirationSeconds: 3600 }, { config: { maxExpirationSeconds: 3600 } })),
      c("expiration.extended", "3607 s, Pod-bound, API audiences: exp = now + 1 year, warnafter = now + 3607, expirationTimestamp = now + 3607",
        upstream.token, tokenRequest({ expirationSeconds: 3607, boundObjectRef: ref("Pod", "pod-1") })),
      // The worked cases of token_test.go (semantics §5.5).
      c("expiration.case-extend-off", "extend false, max 5h: 3607", upstream.tokenTest,
        tokenRequest({ expirationSeconds: 3607, boundObjectRef: ref("Pod", "pod-1") }, { config: { extendExpiration: false, maxExpirationSeconds: 18000 } })),
      c("expiration.case-max-extended-5h", "extend true, max 2h, extended max 5h: 5h", upstream.tokenTest,
        tokenRequest({ expirationSeconds: 3607, boundObjectRef: ref("Pod", "pod-1") }, { config: { maxExpirationSeconds: 7200, maxExtendedExpirationSeconds: 18000 } })),
      c("expiration.case-max-2y", "extend true, max 2y, extended max 1y: 1y", upstream.tokenTest,
        tokenRequest({ expirationSeconds: 3607, boundObjectRef: ref("Pod", "pod-1") }, { config: { maxExpirationSeconds: 2 * 31536000 } })),
      c("expiration.case-max-5h", "extend true, max 5h, extended max 1y: 1y", upstream.tokenTest,
        tokenRequest({ expirationSeconds: 3607, boundObjectRef: ref("Pod", "pod-1") }, { config: { maxExpirationSeconds: 18000 } })),
      c("expiration.case-extend-off-no-max", "extend false, no max: 3607", upstream.tokenTest,
        tokenRequest({ expirationSeconds: 3607, boundObjectRef: ref("Pod", "pod-1") }, { config: { extendExpiration: false } })),
      c("expiration.case-clamped-30m", "extend false, max 30m: 1800, with a Warning", upstream.tokenTest,
        tokenRequest({ expirationSeconds: 3607, boundObjectRef: ref("Pod", "pod-1") }, { config: { extendExpiration: false, maxExpirationSeconds: 1800 } })),
      c("expiration.case-clamped-before-extension", "max 3600 caps 3607 first, so it is never extended", upstream.tokenTest,
        tokenRequest({ expirationSeconds: 3607, boundObjectRef: ref("Pod", "pod-1") }, { config: { maxExpirationSeconds: 3600 } })),
      c("expiration.not-extended-other-audience", "an audience outside the API audiences: not extended", upstream.token,
        tokenRequest({ expirationSeconds: 3607, audiences: ["other"], boundObjectRef: ref("Pod", "pod-1") })),
      c("expiration.not-extended-3608", "3608 s: not extended", upstream.token,
        tokenRequest({ expirationSeconds: 3608, boundObjectRef: ref("Pod", "pod-1") })),
      c("expiration.not-extended-secret", "Secret-bound: not extended", upstream.token,
        tokenRequest({ expirationSeconds: 3607, boundObjectRef: ref("Secret", "secret-1") })),
      c("expiration.not-extended-unbound", "unbound: not extended", upstream.token, tokenRequest({ expirationSeconds: 3607 }))
    ]
  },
  {
    chapter: "audiences",
    spec: "docs/spec/05-audiences.md",
    cases: [
      c("audiences.explicit", "requested audiences are kept in order", upstream.token, tokenRequest({ audiences: ["b", "a"] })),
      c("audiences.single", "one audience is still an array in aud", upstream.claims, tokenRequest({ audiences: ["only"] })),
      c("audiences.duplicates", "audiences are not de-duplicated", upstream.token, tokenRequest({ audiences: ["a", "a"] }))
    ]
  },
  {
    chapter: "binding",
    spec: "docs/spec/06-binding.md",
    cases: [
      c("binding.pod", "Pod-bound: pod {name, uid} and the node it runs on {name, uid}", upstream.token,
        tokenRequest({ boundObjectRef: ref("Pod", "pod-1") })),
      c("binding.pod-with-uid", "the reference's uid, when it matches, is accepted", upstream.token,
        tokenRequest({ boundObjectRef: ref("Pod", "pod-1", { uid: podUid }) })),
      c("binding.pod-unscheduled", "a pod without spec.nodeName: no node claim", upstream.token,
        tokenRequest({ boundObjectRef: ref("Pod", "pod-unscheduled") })),
      c("binding.pod-node-missing", "the pod's node does not exist: node {name} without uid", upstream.token,
        tokenRequest({ boundObjectRef: ref("Pod", "pod-lost-node") })),
      c("binding.pod-other-version", "only the group of apiVersion counts: v2 Pod is a Pod", upstream.token,
        tokenRequest({ boundObjectRef: { kind: "Pod", apiVersion: "v2", name: "pod-1" } })),
      c("binding.secret", "Secret-bound: secret {name, uid}", upstream.token, tokenRequest({ boundObjectRef: ref("Secret", "secret-1") })),
      c("binding.node", "Node-bound: node {name, uid}", upstream.token, tokenRequest({ boundObjectRef: ref("Node", "node-1") })),
      c("binding.pod-not-found", "a missing pod: 404", upstream.token, tokenRequest({ boundObjectRef: ref("Pod", "missing") })),
      c("binding.secret-not-found", "a missing secret: 404", upstream.token, tokenRequest({ boundObjectRef: ref("Secret", "missing") })),
      c("binding.node-not-found", "a missing node: 404", upstream.token, tokenRequest({ boundObjectRef: ref("Node", "missing") })),
      c("binding.pod-other-service-account", "a pod running as another service account: 400", upstream.token,
        tokenRequest({ boundObjectRef: ref("Pod", "pod-other-sa") })),
      c("binding.pod-uid-mismatch", "a stale pod uid: 409 on the Kind, not the resource", upstream.token,
        tokenRequest({ boundObjectRef: ref("Pod", "pod-1", { uid: otherUid }) })),
      c("binding.secret-uid-mismatch", "a stale secret uid: 409", upstream.token,
        tokenRequest({ boundObjectRef: ref("Secret", "secret-1", { uid: otherUid }) })),
      c("binding.node-uid-mismatch", "a stale node uid: 409", upstream.token,
        tokenRequest({ boundObjectRef: ref("Node", "node-1", { uid: otherUid }) })),
      c("binding.unsupported-kind", "a ConfigMap: 400 naming group/version/kind", upstream.token,
        tokenRequest({ boundObjectRef: ref("ConfigMap", "cm") })),
      c("binding.unsupported-group", "apps/v1 Pod is not core Pod: 400", upstream.token,
        tokenRequest({ boundObjectRef: { kind: "Pod", apiVersion: "apps/v1", name: "pod-1" } })),
      c("binding.kind-case-sensitive", "the kind match is case-sensitive: pod is unsupported", upstream.token,
        tokenRequest({ boundObjectRef: ref("pod", "pod-1") }))
    ]
  },
  {
    chapter: "claims",
    spec: "docs/spec/07-claims.md",
    cases: [
      c("claims.unbound", "the full claim layout of an unbound token: keys sorted, aud array, jti, kubernetes.io", upstream.claims,
        tokenRequest({})),
      c("claims.second-issuer", "only the first issuer signs", upstream.claims,
        tokenRequest({}, { config: { issuers: ["https://first.example", "https://second.example"] } })),
      c("claims.sub-second-now", "iat/nbf/exp truncate a sub-second now", upstream.jose,
        { ...tokenRequest({ expirationSeconds: 600 }), now: "2026-01-02T03:04:05.999Z" })
    ]
  },
  {
    chapter: "review",
    spec: "docs/spec/08-review.md",
    cases: [
      c("review.unbound", "an unbound token: user, groups with system:authenticated, credential-id, audiences", upstream.tr,
        reviewOf({ spec: {} }, {})),
      c("review.pod", "a Pod-bound token: pod-name, pod-uid, node-name, node-uid extras", upstream.saUtil,
        reviewOf({ spec: { boundObjectRef: ref("Pod", "pod-1") } }, {})),
      c("review.secret", "a Secret-bound token: no binding extras", upstream.saUtil,
        reviewOf({ spec: { boundObjectRef: ref("Secret", "secret-1") } }, {})),
      c("review.node", "a Node-bound token: node-name and node-uid extras", upstream.saUtil,
        reviewOf({ spec: { boundObjectRef: ref("Node", "node-1") } }, {})),
      c("review.audiences-intersection", "status.audiences is the intersection in requested order", upstream.audiences,
        reviewOf({ spec: { audiences: ["a", "b"] } }, { audiences: ["c", "b", "a"] })),
      c("review.audiences-mismatch", "no audience in common", upstream.jwt,
        reviewOf({ spec: { audiences: ["a", "b"] } }, { audiences: ["c"] })),
      c("review.audiences-default", "a review without audiences checks the API audiences", upstream.tr,
        reviewOf({ spec: { audiences: ["a"] } }, {})),
      c("review.expired", "60 s past exp (the leeway) plus one: expired", upstream.jose,
        reviewOf({ spec: { expirationSeconds: 600 } }, { at: at(600 + 61) })),
      c("review.within-leeway", "60 s past exp: still valid", upstream.jose,
        reviewOf({ spec: { expirationSeconds: 600 } }, { at: at(600 + 60) })),
      c("review.not-yet-valid", "61 s before nbf: not valid yet", upstream.jose, reviewOf({ spec: {} }, { at: at(-61) })),
      c("review.issued-in-future", "iat in the future beyond the leeway, no nbf", upstream.jose,
        reviewCrafted(Object.fromEntries(Object.entries(baseClaims({ iat: nowSeconds + 120 })).filter(([k]) => k !== "nbf")))),
      c("review.stale", "past warnafter: still authenticated", upstream.claims,
        reviewOf({ spec: { expirationSeconds: 3607, boundObjectRef: ref("Pod", "pod-1") } }, { at: at(4000) })),
      c("review.service-account-missing", "the service account was deleted", upstream.claims,
        reviewOf({ spec: {} }, { objects: without(cluster, "ServiceAccount", sa) })),
      c("review.service-account-uid", "the service account was recreated", upstream.claims,
        reviewOf({ spec: {} }, { objects: replace(cluster, serviceAccount(sa, otherUid)) })),
      c("review.pod-deleted", "the bound pod is gone", upstream.claims,
        reviewOf({ spec: { boundObjectRef: ref("Pod", "pod-1") } }, { objects: without(cluster, "Pod", "pod-1") })),
      c("review.pod-uid", "the bound pod was recreated", upstream.claims,
        reviewOf({ spec: { boundObjectRef: ref("Pod", "pod-1") } }, { objects: replace(cluster, pod("pod-1", { uid: otherUid, node: "node-1" })) })),
      c("review.pod-terminating-grace", "a pod deleted less than 60 s ago is still accepted", upstream.claims,
        reviewOf({ spec: { boundObjectRef: ref("Pod", "pod-1") } }, { objects: replace(cluster, pod("pod-1", { node: "node-1", deleted: at(-30) })) })),
      c("review.pod-terminating-past-grace", "a pod deleted more than 60 s ago is invalidated", upstream.claims,
        reviewOf({ spec: { boundObjectRef: ref("Pod", "pod-1") } }, { objects: replace(cluster, pod("pod-1", { node: "node-1", deleted: at(-61) })) })),
      c("review.secret-deleted", "the bound secret is gone", upstream.claims,
        reviewOf({ spec: { boundObjectRef: ref("Secret", "secret-1") } }, { objects: without(cluster, "Secret", "secret-1") })),
      c("review.secret-uid", "the bound secret was recreated", upstream.claims,
        reviewOf({ spec: { boundObjectRef: ref("Secret", "secret-1") } }, { objects: replace(cluster, secret("secret-1", otherUid)) })),
      c("review.node-deleted", "the bound node is gone", upstream.claims,
        reviewOf({ spec: { boundObjectRef: ref("Node", "node-1") } }, { objects: without(cluster, "Node", "node-1") })),
      c("review.node-uid", "the bound node was recreated", upstream.claims,
        reviewOf({ spec: { boundObjectRef: ref("Node", "node-1") } }, { objects: replace(cluster, node("node-1", otherUid)) })),
      c("review.pod-node-not-checked", "a Pod-bound token's node is not checked on review", upstream.claims,
        reviewOf({ spec: { boundObjectRef: ref("Pod", "pod-1") } }, { objects: without(cluster, "Node", "node-1") })),
      c("review.bad-signature", "a signature that does not verify", upstream.jwt,
        reviewOf({ spec: {} }, { mutate: (t) => t.slice(0, -8) + (t.slice(-8, -7) === "A" ? "B" : "A") + t.slice(-7) })),
      c("review.unknown-kid", "no key has the token's kid", upstream.jwt,
        reviewOf({ spec: {} }, { mutate: (t) => `${Buffer.from(JSON.stringify({ alg: "RS256", kid: "unknown" })).toString("base64url")}.${t.split(".")[1]}.${t.split(".")[2]}` })),
      c("review.other-issuer", "a token of an issuer this server does not accept is not handled", upstream.jwt,
        reviewOf({ spec: {}, config: { issuers: ["https://elsewhere.example"] } }, {})),
      c("review.second-issuer", "every configured issuer is accepted on review", upstream.jwt,
        reviewOf({ spec: {}, config: { issuers: ["https://old.example"] } }, { config: { issuers: [issuer, "https://old.example"], apiAudiences: ["https://old.example"] } })),
      c("review.service-account-deleted", "the service account was deleted more than 60 s ago", upstream.claims,
        reviewOf({ spec: {} }, { objects: replace(cluster, { ...serviceAccount(), metadata: { ...serviceAccount().metadata, deletionTimestamp: at(-61) } }) })),
      c("review.no-audience", "a token without aud counts as carrying the API audiences", upstream.jwt,
        reviewCrafted(Object.fromEntries(Object.entries(baseClaims()).filter(([k]) => k !== "aud")))),
      c("review.legacy", "a legacy secret-based token whose secret holds it: authenticated, no extras", upstream.legacy,
        reviewLegacy(legacyClaims())),
      ...([
        ["sub", "review.legacy-sub-missing"],
        ["kubernetes.io/serviceaccount/namespace", "review.legacy-namespace-missing"],
        ["kubernetes.io/serviceaccount/secret.name", "review.legacy-secret-name-missing"],
        ["kubernetes.io/serviceaccount/service-account.name", "review.legacy-service-account-name-missing"],
        ["kubernetes.io/serviceaccount/service-account.uid", "review.legacy-service-account-uid-missing"]
      ] as const).map(([claim, id]) => c(id, `a legacy token without ${claim}`, upstream.legacy, reviewLegacy(legacyClaims({}, [claim])))),
      c("review.legacy-sub-invalid", "a legacy token whose sub names another service account", upstream.legacy,
        reviewLegacy(legacyClaims({ sub: `system:serviceaccount:${ns}:alice` }))),
      c("review.legacy-secret-missing", "the legacy token's secret is gone", upstream.legacy,
        reviewLegacy(legacyClaims(), () => cluster)),
      c("review.legacy-secret-mismatch", "the secret holds another token", upstream.legacy,
        reviewLegacy(legacyClaims(), () => [...cluster, legacySecret("another-token")])),
      c("review.legacy-service-account-missing", "the service account is gone", upstream.legacy,
        reviewLegacy(legacyClaims(), (token) => [...without(cluster, "ServiceAccount", sa), legacySecret(token)])),
      c("review.legacy-service-account-uid", "the service account was recreated", upstream.legacy,
        reviewLegacy(legacyClaims(), (token) => [...replace(cluster, serviceAccount(sa, otherUid)), legacySecret(token)])),
      c("review.legacy-marked-invalid", "the secret carries kubernetes.io/legacy-token-invalid-since", upstream.legacy,
        reviewLegacy(legacyClaims(), (token) => [...cluster, legacySecret(token, { labels: { "kubernetes.io/legacy-token-invalid-since": "2026-01-01" } })])),
      c("review.not-a-token", "a string that is not a JWT", upstream.union, async () => reviewInput("not-a-token", {})),
      c("review.empty-token", "an empty token: 400 BadRequest", upstream.tr, async () => reviewInput("", {}))
    ]
  },
  {
    chapter: "discovery",
    spec: "docs/spec/10-discovery.md",
    cases: [
      c("discovery.openid-configuration", "the discovery document of an RS256 issuer", upstream.oidc,
        { ...tokenRequest({}), request: { method: "GET", path: "/.well-known/openid-configuration" } }),
      c("discovery.openid-configuration-two-algorithms", "algs of every published key, sorted, de-duplicated; --service-account-jwks-uri", upstream.oidc,
        {
          ...tokenRequest({}, { config: { jwksUri: "https://keys.example/jwks" } }),
          verificationKeys: ["ec-p256"],
          request: { method: "GET", path: "/.well-known/openid-configuration" }
        }),
      c("discovery.jwks", "the JWKS of an RSA and an EC key: use, kty, kid, crv, alg, x, y, n, e", upstream.oidc,
        { ...tokenRequest({}), verificationKeys: ["ec-p256"], request: { method: "GET", path: "/openid/v1/jwks" } })
    ]
  }
]
