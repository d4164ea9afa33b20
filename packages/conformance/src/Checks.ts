/**
 * The checks, in the order they run. Each names the rule it proves (its id is used by the spec in
 * docs/spec/ and by the vectors), talks to the endpoint only through the public API, and either
 * passes, fails with every mismatch it saw, or is skipped because the endpoint does not enable the
 * feature (the max-expiration clamp, the 3607-second extension).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as jose from "jose"
import type { Endpoint, Response, TransportError } from "./Endpoint.js"
import * as Http from "./Endpoint.js"
import type { Fixture } from "./Fixture.js"
import * as Fixtures from "./Fixture.js"
import type { CheckFailed, Skipped } from "./internal/expect.js"
import { describeResponse, Expectations, fail, record, show, skip, status } from "./internal/expect.js"

/**
 * What the checks share: the endpoint, the fixture, and what earlier checks learned.
 *
 * @since 0.1.0
 * @category models
 */
export interface Context {
  readonly endpoint: Endpoint
  readonly fixture: Fixture
  /** Every token issued during the run (all must verify against the JWKS). */
  readonly tokens: Array<string>
  /** Learned from a token requested without audiences. */
  apiAudiences?: ReadonlyArray<string>
  discovery?: Record<string, unknown>
  jwks?: jose.JSONWebKeySet
  /** The configured maximum expiration when a clamp is observed, `null` when none is. */
  maxExpirationSeconds?: number | null
  /** Whether the 3607-second extension was observed. */
  extension?: boolean
  /** How long an invalidation may take to show in a TokenReview (default 16 s: upstream caches successes 10 s). */
  readonly invalidationWaitMillis?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Check {
  readonly id: string
  readonly title: string
  /** docs/spec chapter file. */
  readonly chapter: string
  readonly run: (context: Context) => Effect.Effect<void, CheckFailed | Skipped | TransportError | Fixtures.FixtureError>
}

/**
 * Upstream constants the checks use.
 *
 * @since 0.1.0
 * @category constants
 */
export const constants = {
  defaultExpirationSeconds: 3600,
  minExpirationSeconds: 600,
  maxExpirationSeconds: 2 ** 32,
  warnOnlyBoundTokenExpirationSeconds: 3607,
  expirationExtensionSeconds: 365 * 24 * 60 * 60,
  algorithms: ["ES256", "ES384", "ES512", "RS256"]
} as const

const group = "authentication.k8s.io"

// ---------------------------------------------------------------------------------------------------------------------
// requests

/**
 * An issued token and its decoded parts.
 *
 * @since 0.1.0
 * @category models
 */
export interface Issued {
  readonly response: Response
  readonly body: Record<string, unknown>
  readonly spec: Record<string, unknown>
  readonly status: Record<string, unknown>
  readonly token: string
  readonly header: Record<string, unknown>
  /** The payload exactly as sent (JSON text). */
  readonly payloadText: string
  readonly claims: Record<string, unknown>
  readonly kubernetes: Record<string, unknown>
  /** `exp - iat`. */
  readonly lifetime: number
}

const tokenPath = (namespace: string, serviceAccount: string) =>
  `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`

/**
 * POSTs a TokenRequest with the given spec (and metadata) for a service account of the fixture.
 *
 * @since 0.1.0
 * @category requests
 */
export const requestToken = (
  context: Context,
  spec: Record<string, unknown>,
  options: { readonly serviceAccount?: string; readonly metadata?: Record<string, unknown> } = {}
): Effect.Effect<Response, TransportError> =>
  Http.request(
    context.endpoint,
    "POST",
    tokenPath(context.fixture.namespace, options.serviceAccount ?? context.fixture.serviceAccount.name),
    { apiVersion: `${group}/v1`, kind: "TokenRequest", metadata: options.metadata ?? {}, spec }
  )

const decodeSegment = (segment: string | undefined): string =>
  segment === undefined ? "" : Buffer.from(segment, "base64url").toString("utf8")

const parseObject = (text: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * Requests a token and expects 201 with a compact JWS in `status.token`.
 *
 * @since 0.1.0
 * @category requests
 */
export const issue = (
  context: Context,
  spec: Record<string, unknown>,
  options: Parameters<typeof requestToken>[2] = {}
): Effect.Effect<Issued, CheckFailed | TransportError> =>
  Effect.gen(function*() {
    const response = yield* requestToken(context, spec, options)
    if (response.status !== 201) return yield* fail(`expected 201 Created, got ${describeResponse(response)}`)
    const body = record(response.json)
    const tokenStatus = record(body["status"])
    const token = tokenStatus["token"]
    if (typeof token !== "string") return yield* fail(`status.token is not a string: ${describeResponse(response)}`)
    const parts = token.split(".")
    const header = parseObject(decodeSegment(parts[0]))
    const payloadText = decodeSegment(parts[1])
    const claims = parseObject(payloadText)
    if (parts.length !== 3 || header === undefined || claims === undefined) {
      return yield* fail(`status.token is not a compact JWS with JSON header and payload: ${token.slice(0, 80)}`)
    }
    context.tokens.push(token)
    return {
      response,
      body,
      spec: record(body["spec"]),
      status: tokenStatus,
      token,
      header,
      payloadText,
      claims,
      kubernetes: record(claims["kubernetes.io"]),
      lifetime: Number(claims["exp"]) - Number(claims["iat"])
    }
  })

/**
 * POSTs a TokenReview.
 *
 * @since 0.1.0
 * @category requests
 */
export const requestReview = (
  context: Context,
  token: string,
  audiences?: ReadonlyArray<string>
): Effect.Effect<Response, TransportError> =>
  Http.request(context.endpoint, "POST", `/apis/${group}/v1/tokenreviews`, {
    apiVersion: `${group}/v1`,
    kind: "TokenReview",
    spec: { token, ...(audiences !== undefined ? { audiences } : {}) }
  })

/**
 * Reviews a token and expects 201; returns `status`.
 *
 * @since 0.1.0
 * @category requests
 */
export const review = (
  context: Context,
  token: string,
  audiences?: ReadonlyArray<string>
): Effect.Effect<Record<string, unknown>, CheckFailed | TransportError> =>
  Effect.flatMap(requestReview(context, token, audiences), (response) =>
    response.status === 201
      ? Effect.succeed(record(record(response.json)["status"]))
      : fail(`TokenReview: expected 201 Created, got ${describeResponse(response)}`))

const apiAudiences = (context: Context): Effect.Effect<ReadonlyArray<string>, CheckFailed | TransportError> =>
  context.apiAudiences !== undefined
    ? Effect.succeed(context.apiAudiences)
    : Effect.gen(function*() {
      const issued = yield* issue(context, {})
      const aud = issued.claims["aud"]
      if (!Array.isArray(aud) || aud.length === 0) return yield* fail(`cannot learn the API audiences: aud is ${show(aud)}`)
      context.apiAudiences = aud.map(String)
      return context.apiAudiences
    })

const seconds = (rfc3339: unknown): number => (typeof rfc3339 === "string" ? Math.floor(Date.parse(rfc3339) / 1000) : NaN)

const rfc3339Seconds = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The username of a service account. */
const username = (namespace: string, name: string) => `system:serviceaccount:${namespace}:${name}`

const groups = (namespace: string) => ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"]

/** Keys sorted at every level, as Go's encoding/json writes maps. */
const keysSorted = (value: unknown): boolean => {
  if (typeof value !== "object" || value === null) return true
  if (Array.isArray(value)) return value.every(keysSorted)
  const keys = Object.keys(value)
  return keys.every((k, i) => i === 0 || keys[i - 1]! < k) && Object.values(value).every(keysSorted)
}

const expectedLifetime = (context: Context, requested: number): number =>
  typeof context.maxExpirationSeconds === "number" && requested > context.maxExpirationSeconds
    ? context.maxExpirationSeconds
    : requested

/** `status.expirationTimestamp` = the answer's `creationTimestamp` + the (clamped) `spec.expirationSeconds`, never extended. */
const expectExpirationTimestamp = (e: Expectations, issued: Issued): void => {
  const expirationSeconds = Number(issued.spec["expirationSeconds"])
  const iat = Number(issued.claims["iat"])
  const timestamp = seconds(issued.status["expirationTimestamp"])
  e.that("status.expirationTimestamp is RFC 3339 with second precision in UTC",
    rfc3339Seconds.test(String(issued.status["expirationTimestamp"])), show(issued.status["expirationTimestamp"]))
  // Upstream reads the clock twice (creationTimestamp, then iat a few microseconds later), so a second
  // boundary may fall in between: iat + expirationSeconds - 1 is the only other value allowed.
  e.that("status.expirationTimestamp = iat + spec.expirationSeconds",
    timestamp === iat + expirationSeconds || timestamp === iat + expirationSeconds - 1,
    `expirationTimestamp ${issued.status["expirationTimestamp"]} (${timestamp}), iat ${iat}, spec.expirationSeconds ${expirationSeconds}`)
  e.that("status.expirationTimestamp <= exp", timestamp <= Number(issued.claims["exp"]),
    `${timestamp} > ${issued.claims["exp"]}`)
}

// ---------------------------------------------------------------------------------------------------------------------
// the checks

const check = (id: string, chapter: string, title: string, run: Check["run"]): Check => ({ id, chapter, title, run })

const discoveryChecks: ReadonlyArray<Check> = [
  check("discovery.openid-configuration", "10-discovery.md",
    "GET /.well-known/openid-configuration answers the OIDC discovery document", (context) =>
    Effect.gen(function*() {
      const response = yield* Http.request(context.endpoint, "GET", "/.well-known/openid-configuration")
      if (response.status !== 200) return yield* fail(`expected 200, got ${describeResponse(response)}`)
      const doc = record(response.json)
      context.discovery = doc
      const e = new Expectations()
      e.that("content-type is application/json", String(response.headers["content-type"] ?? "").startsWith("application/json"),
        show(response.headers["content-type"]))
      e.equal("keys in order", Object.keys(doc), ["issuer", "jwks_uri", "response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"])
      e.that("issuer is a URL", typeof doc["issuer"] === "string" && URL.canParse(doc["issuer"]), show(doc["issuer"]))
      e.that("jwks_uri is a URL", typeof doc["jwks_uri"] === "string" && URL.canParse(doc["jwks_uri"]), show(doc["jwks_uri"]))
      e.equal("response_types_supported", doc["response_types_supported"], ["id_token"])
      e.equal("subject_types_supported", doc["subject_types_supported"], ["public"])
      const algs = doc["id_token_signing_alg_values_supported"]
      e.that("id_token_signing_alg_values_supported is a non-empty sorted list of RS256/ES256/ES384/ES512",
        Array.isArray(algs) && algs.length > 0 && algs.every((a) => constants.algorithms.includes(a)) &&
          algs.every((a, i) => i === 0 || String(algs[i - 1]) < String(a)), show(algs))
      e.that("Cache-Control is public with a max-age", /^public, max-age=\d+$/.test(String(response.headers["cache-control"] ?? "")),
        show(response.headers["cache-control"]))
      yield* e.done
    })),
  check("discovery.jwks", "10-discovery.md", "GET /openid/v1/jwks answers the key set the discovery document advertises", (context) =>
    Effect.gen(function*() {
      const response = yield* Http.request(context.endpoint, "GET", "/openid/v1/jwks")
      if (response.status !== 200) return yield* fail(`expected 200, got ${describeResponse(response)}`)
      const set = record(response.json)
      const keys = Array.isArray(set["keys"]) ? (set["keys"] as Array<unknown>).map(record) : []
      context.jwks = set as unknown as jose.JSONWebKeySet
      const e = new Expectations()
      e.that("content-type is application/jwk-set+json", String(response.headers["content-type"] ?? "").startsWith("application/jwk-set+json"),
        show(response.headers["content-type"]))
      e.that("at least one key", keys.length > 0)
      for (const key of keys) {
        e.equal(`key ${key["kid"]} use`, key["use"], "sig")
        e.that(`key ${key["kid"]} has a kid`, typeof key["kid"] === "string" && key["kid"] !== "")
        const expectedAlg = key["kty"] === "RSA" ? "RS256" : ({ "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" } as Record<string, string>)[String(key["crv"])]
        e.equal(`key ${key["kid"]} alg`, key["alg"], expectedAlg)
        e.that(`key ${key["kid"]} has no private part`, key["d"] === undefined && key["p"] === undefined)
      }
      if (context.discovery !== undefined) {
        e.equal("discovery algs = sorted JWKS algs", context.discovery["id_token_signing_alg_values_supported"],
          [...new Set(keys.map((k) => String(k["alg"])))].sort())
      }
      yield* e.done
    }))
]

const defaultingChecks: ReadonlyArray<Check> = [
  check("defaulting.expiration", "02-defaulting.md", "expirationSeconds defaults to 3600", (context) =>
    Effect.gen(function*() {
      const issued = yield* issue(context, {})
      const e = new Expectations()
      e.equal("spec.expirationSeconds", issued.spec["expirationSeconds"], constants.defaultExpirationSeconds)
      e.equal("exp - iat", issued.lifetime, constants.defaultExpirationSeconds)
      yield* e.done
    })),
  check("defaulting.audiences", "02-defaulting.md", "empty audiences default to the API audiences, echoed in spec and aud", (context) =>
    Effect.gen(function*() {
      const issued = yield* issue(context, { audiences: [] })
      const aud = issued.claims["aud"]
      const e = new Expectations()
      e.that("aud is a non-empty array", Array.isArray(aud) && aud.length > 0, show(aud))
      e.equal("spec.audiences = aud", issued.spec["audiences"], aud)
      // The defaulted audiences must be the API audiences: a TokenReview without audiences accepts them all.
      const reviewed = yield* review(context, issued.token)
      e.equal("TokenReview with the API audiences: authenticated", reviewed["authenticated"], true)
      e.equal("TokenReview with the API audiences: status.audiences = aud", reviewed["audiences"], aud)
      yield* e.done
      context.apiAudiences = (aud as Array<unknown>).map(String)
    })),
  check("defaulting.metadata", "02-defaulting.md",
    "the answer's metadata carries the service account's name, namespace and UID and the issue time", (context) =>
    Effect.gen(function*() {
      const issued = yield* issue(context, {})
      const metadata = record(issued.body["metadata"])
      const e = new Expectations()
      e.equal("kind", issued.body["kind"], "TokenRequest")
      e.equal("apiVersion", issued.body["apiVersion"], `${group}/v1`)
      e.equal("metadata.name", metadata["name"], context.fixture.serviceAccount.name)
      e.equal("metadata.namespace", metadata["namespace"], context.fixture.namespace)
      e.equal("metadata.uid", metadata["uid"], context.fixture.serviceAccount.uid)
      const created = seconds(metadata["creationTimestamp"])
      const iat = Number(issued.claims["iat"])
      e.that("metadata.creationTimestamp = iat", created === iat || created === iat - 1,
        `${metadata["creationTimestamp"]} vs iat ${iat}`)
      e.equal("spec.boundObjectRef", issued.spec["boundObjectRef"] ?? null, null)
      yield* e.done
    }))
]

const invalid = (context: Context, value: number, detail: string) =>
  Effect.flatMap(requestToken(context, { expirationSeconds: value }), (response) =>
    status(response, {
      code: 422,
      reason: "Invalid",
      message: `TokenRequest.${group} "" is invalid: spec.expirationSeconds: Invalid value: ${value}: ${detail}`,
      details: {
        group,
        kind: "TokenRequest",
        causes: [{ reason: "FieldValueInvalid", message: `Invalid value: ${value}: ${detail}`, field: "spec.expirationSeconds" }]
      }
    }))

const validationChecks: ReadonlyArray<Check> = [
  check("validation.minimum", "03-validation.md", "expirationSeconds 599 is refused with 422 Invalid and the upstream message", (context) =>
    invalid(context, 599, "may not specify a duration less than 10 minutes")),
  check("validation.minimum-boundary", "03-validation.md", "expirationSeconds 600 is accepted", (context) =>
    Effect.gen(function*() {
      const issued = yield* issue(context, { expirationSeconds: 600 })
      yield* new Expectations().equal("spec.expirationSeconds", issued.spec["expirationSeconds"], 600).equal("exp - iat", issued.lifetime, 600).done
    })),
  check("validation.maximum-boundary", "03-validation.md", "expirationSeconds 2^32 is accepted (clamped when a maximum is configured)", (context) =>
    Effect.gen(function*() {
      const issued = yield* issue(context, { expirationSeconds: constants.maxExpirationSeconds })
      const granted = Number(issued.spec["expirationSeconds"])
      context.maxExpirationSeconds = granted < constants.maxExpirationSeconds ? granted : null
      yield* new Expectations()
        .that("spec.expirationSeconds <= 2^32", granted <= constants.maxExpirationSeconds && granted >= 3600, show(granted))
        .equal("exp - iat", issued.lifetime, granted).done
    })),
  check("validation.maximum", "03-validation.md", "expirationSeconds 2^32+1 is refused with 422 Invalid and the upstream message", (context) =>
    invalid(context, constants.maxExpirationSeconds + 1, "may not specify a duration larger than 2^32 seconds")),
  check("validation.name-mismatch", "03-validation.md", "a body metadata.name other than the service account's is refused with 422", (context) =>
    Effect.flatMap(requestToken(context, {}, { metadata: { name: "someone-else" } }), (response) =>
      status(response, {
        code: 422,
        reason: "Invalid",
        message: `TokenRequest.${group} "${context.fixture.serviceAccount.name}" is invalid: metadata.name: Invalid value: "someone-else": must match the service account name if specified`,
        details: {
          name: context.fixture.serviceAccount.name,
          group,
          kind: "TokenRequest",
          causes: [{ reason: "FieldValueInvalid", message: `Invalid value: "someone-else": must match the service account name if specified`, field: "metadata.name" }]
        }
      }))),
  check("validation.uid-mismatch", "03-validation.md", "a body metadata.uid other than the service account's is refused with 409 Conflict", (context) =>
    Effect.flatMap(requestToken(context, {}, { metadata: { uid: "00000000-0000-4000-8000-000000000000" } }), (response) =>
      status(response, {
        code: 409,
        reason: "Conflict",
        message: `Operation cannot be fulfilled on TokenRequest.${group} "${context.fixture.serviceAccount.name}": the UID in the token request (00000000-0000-4000-8000-000000000000) does not match the UID of the service account (${context.fixture.serviceAccount.uid})`,
        details: { name: context.fixture.serviceAccount.name, group, kind: "TokenRequest" }
      }))),
  check("errors.service-account-not-found", "11-errors.md", "a token for a missing service account is 404 NotFound", (context) =>
    Effect.flatMap(requestToken(context, {}, { serviceAccount: "conformance-missing-sa" }), (response) =>
      status(response, {
        code: 404,
        reason: "NotFound",
        message: `serviceaccounts "conformance-missing-sa" not found`,
        details: { name: "conformance-missing-sa", kind: "serviceaccounts" }
      })))
]

const expirationChecks: ReadonlyArray<Check> = [
  check("expiration.timestamp", "04-expiration.md", "status.expirationTimestamp = iat + spec.expirationSeconds and <= exp", (context) =>
    Effect.gen(function*() {
      const e = new Expectations()
      for (const expirationSeconds of [600, 3600, 7200]) {
        const issued = yield* issue(context, { expirationSeconds })
        expectExpirationTimestamp(e, issued)
      }
      const bound = yield* issue(context, { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: context.fixture.pod.name } })
      expectExpirationTimestamp(e, bound)
      yield* e.done
    })),
  check("expiration.clamp", "04-expiration.md",
    "a lifetime above --service-account-max-token-expiration is shortened with a Warning", (context) =>
    Effect.gen(function*() {
      const requested = constants.maxExpirationSeconds
      const issued = yield* issue(context, { expirationSeconds: requested })
      const granted = Number(issued.spec["expirationSeconds"])
      if (granted === requested) {
        context.maxExpirationSeconds = null
        return yield* skip("no maximum token expiration is configured (2^32 s granted)")
      }
      context.maxExpirationSeconds = granted
      const e = new Expectations()
      e.equal("Warning", issued.response.warnings, [`requested expiration of ${requested} seconds shortened to ${granted} seconds`])
      e.equal("exp - iat", issued.lifetime, granted)
      expectExpirationTimestamp(e, issued)
      const below = yield* issue(context, { expirationSeconds: 600 })
      e.equal("no Warning below the maximum", below.response.warnings, [])
      yield* e.done
    })),
  check("expiration.extension", "04-expiration.md",
    "a Pod-bound 3607-second token for the API audiences is extended, with warnafter = iat + 3607", (context) =>
    Effect.gen(function*() {
      const issued = yield* issue(context, {
        expirationSeconds: constants.warnOnlyBoundTokenExpirationSeconds,
        boundObjectRef: { kind: "Pod", apiVersion: "v1", name: context.fixture.pod.name }
      })
      const granted = Number(issued.spec["expirationSeconds"])
      const iat = Number(issued.claims["iat"])
      const e = new Expectations()
      if (granted < constants.warnOnlyBoundTokenExpirationSeconds) {
        // Capping runs first: a maximum below 3607 means the token is never extended.
        context.extension = false
        e.equal("exp - iat", issued.lifetime, granted).equal("warnafter", issued.kubernetes["warnafter"], undefined)
        yield* e.done
        return yield* skip(`the maximum expiration (${granted} s) is below 3607 s, so no token is extended`)
      }
      if (issued.lifetime === constants.warnOnlyBoundTokenExpirationSeconds) {
        context.extension = false
        e.equal("warnafter", issued.kubernetes["warnafter"], undefined)
        yield* e.done
        return yield* skip("the token expiration extension is not enabled")
      }
      context.extension = true
      e.that("exp - iat is longer than 3607 and at most one year",
        issued.lifetime > constants.warnOnlyBoundTokenExpirationSeconds && issued.lifetime <= constants.expirationExtensionSeconds,
        show(issued.lifetime))
      e.equal("kubernetes.io.warnafter", issued.kubernetes["warnafter"], iat + constants.warnOnlyBoundTokenExpirationSeconds)
      e.equal("spec.expirationSeconds (never the extended value)", granted, constants.warnOnlyBoundTokenExpirationSeconds)
      e.equal("no Warning", issued.response.warnings, [])
      expectExpirationTimestamp(e, issued)
      yield* e.done
    })),
  check("expiration.extension-conditions", "04-expiration.md",
    "only exactly 3607 s, Pod-bound, API audiences is extended: other audiences, 3608 s, Secret- and unbound tokens are not", (context) =>
    Effect.gen(function*() {
      if (context.extension !== true) return yield* skip("the token expiration extension is not enabled")
      const pod = { kind: "Pod", apiVersion: "v1", name: context.fixture.pod.name }
      const cases: ReadonlyArray<[string, Record<string, unknown>, number]> = [
        ["another audience", { expirationSeconds: 3607, boundObjectRef: pod, audiences: ["conformance-other-audience"] }, 3607],
        ["3608 seconds", { expirationSeconds: 3608, boundObjectRef: pod }, 3608],
        ["Secret-bound", { expirationSeconds: 3607, boundObjectRef: { kind: "Secret", apiVersion: "v1", name: context.fixture.secret.name } }, 3607],
        ["Node-bound", { expirationSeconds: 3607, boundObjectRef: { kind: "Node", apiVersion: "v1", name: context.fixture.node.name } }, 3607],
        ["unbound", { expirationSeconds: 3607 }, 3607]
      ]
      const e = new Expectations()
      for (const [name, spec, lifetime] of cases) {
        const issued = yield* issue(context, spec)
        e.equal(`${name}: exp - iat`, issued.lifetime, expectedLifetime(context, lifetime))
        e.equal(`${name}: warnafter`, issued.kubernetes["warnafter"], undefined)
      }
      yield* e.done
    }))
]

const audienceChecks: ReadonlyArray<Check> = [
  check("audiences.explicit", "05-audiences.md", "requested audiences are kept in order in spec and as the aud array", (context) =>
    Effect.gen(function*() {
      const issued = yield* issue(context, { audiences: ["conformance-b", "conformance-a"] })
      yield* new Expectations()
        .equal("spec.audiences", issued.spec["audiences"], ["conformance-b", "conformance-a"])
        .equal("aud", issued.claims["aud"], ["conformance-b", "conformance-a"]).done
    })),
  check("audiences.single", "05-audiences.md", "a single audience is still a JSON array in aud", (context) =>
    Effect.gen(function*() {
      const issued = yield* issue(context, { audiences: ["conformance-a"] })
      yield* new Expectations().equal("aud", issued.claims["aud"], ["conformance-a"])
        .that("aud is written as an array", issued.payloadText.includes(`"aud":["conformance-a"]`), issued.payloadText).done
    }))
]

const claimsChecks: ReadonlyArray<Check> = [
  check("claims.layout", "07-claims.md", "an unbound token carries iss, sub, aud, exp, iat, nbf, jti and kubernetes.io, keys sorted", (context) =>
    Effect.gen(function*() {
      const audiences = yield* apiAudiences(context)
      const issued = yield* issue(context, {})
      const c = issued.claims
      const f = context.fixture
      const e = new Expectations()
      e.equal("header alg is one of RS256/ES256/ES384/ES512", constants.algorithms.includes(String(issued.header["alg"]) as "RS256"), true)
      e.that("header kid is set", typeof issued.header["kid"] === "string" && issued.header["kid"] !== "", show(issued.header))
      if (context.discovery !== undefined) e.equal("iss = discovery issuer", c["iss"], context.discovery["issuer"])
      e.equal("sub", c["sub"], username(f.namespace, f.serviceAccount.name))
      e.equal("aud", c["aud"], audiences)
      e.equal("nbf = iat", c["nbf"], c["iat"])
      e.that("iat is an integer NumericDate", Number.isInteger(c["iat"]), show(c["iat"]))
      e.that("iat is now (within 5 minutes)", Math.abs(Number(c["iat"]) - Date.now() / 1000) < 300, show(c["iat"]))
      e.that("jti is a lowercase UUID when present", c["jti"] === undefined || uuid.test(String(c["jti"])), show(c["jti"]))
      e.equal("kubernetes.io", issued.kubernetes, {
        namespace: f.namespace,
        serviceaccount: { name: f.serviceAccount.name, uid: f.serviceAccount.uid }
      })
      e.that("payload keys sorted at every level", keysSorted(c), issued.payloadText)
      e.equal("claim names", Object.keys(c).filter((k) => k !== "jti"), ["aud", "exp", "iat", "iss", "kubernetes.io", "nbf", "sub"])
      yield* e.done
    }))
]

const ref = (kind: string, name: string, uid?: string) => ({ kind, apiVersion: "v1", name, ...(uid !== undefined ? { uid } : {}) })

const bindingChecks: ReadonlyArray<Check> = [
  check("binding.pod", "06-binding.md", "a Pod-bound token names the pod and the node it is scheduled on", (context) =>
    Effect.gen(function*() {
      const f = context.fixture
      const issued = yield* issue(context, { boundObjectRef: ref("Pod", f.pod.name, f.pod.uid) })
      yield* new Expectations()
        .equal("spec.boundObjectRef", issued.spec["boundObjectRef"], ref("Pod", f.pod.name, f.pod.uid))
        .equal("kubernetes.io.pod", issued.kubernetes["pod"], { name: f.pod.name, uid: f.pod.uid })
        .equal("kubernetes.io.node", issued.kubernetes["node"], { name: f.node.name, uid: f.node.uid })
        .equal("kubernetes.io.secret", issued.kubernetes["secret"], undefined).done
    })),
  check("binding.secret", "06-binding.md", "a Secret-bound token names the secret", (context) =>
    Effect.gen(function*() {
      const f = context.fixture
      const issued = yield* issue(context, { boundObjectRef: ref("Secret", f.secret.name) })
      yield* new Expectations()
        .equal("kubernetes.io.secret", issued.kubernetes["secret"], { name: f.secret.name, uid: f.secret.uid })
        .equal("kubernetes.io.pod", issued.kubernetes["pod"], undefined)
        .equal("kubernetes.io.node", issued.kubernetes["node"], undefined).done
    })),
  check("binding.node", "06-binding.md", "a Node-bound token names the node", (context) =>
    Effect.gen(function*() {
      const f = context.fixture
      const issued = yield* issue(context, { boundObjectRef: ref("Node", f.node.name, f.node.uid) })
      yield* new Expectations()
        .equal("kubernetes.io.node", issued.kubernetes["node"], { name: f.node.name, uid: f.node.uid })
        .equal("kubernetes.io.pod", issued.kubernetes["pod"], undefined).done
    })),
  ...(["Pod", "Secret", "Node"] as const).map((kind) =>
    check(`binding.${kind.toLowerCase()}-not-found`, "06-binding.md", `binding to a missing ${kind} is 404 NotFound`, (context) =>
      Effect.flatMap(requestToken(context, { boundObjectRef: ref(kind, "conformance-missing") }), (response) => {
        const resource = `${kind.toLowerCase()}s`
        return status(response, {
          code: 404,
          reason: "NotFound",
          message: `${resource} "conformance-missing" not found`,
          details: { name: "conformance-missing", kind: resource }
        })
      }))
  ),
  check("binding.pod-other-service-account", "06-binding.md",
    "binding to a pod of another service account is 400 BadRequest", (context) =>
    Effect.flatMap(requestToken(context, { boundObjectRef: ref("Pod", context.fixture.otherPod.name) }), (response) =>
      status(response, {
        code: 400,
        reason: "BadRequest",
        message: `cannot bind token for serviceaccount "${context.fixture.serviceAccount.name}" to pod running with different serviceaccount name.`,
        details: null
      }))),
  ...(["Pod", "Secret", "Node"] as const).map((kind) =>
    check(`binding.${kind.toLowerCase()}-uid-mismatch`, "06-binding.md", `a ${kind} reference with a stale UID is 409 Conflict`, (context) => {
      const name = kind === "Pod" ? context.fixture.pod.name : kind === "Secret" ? context.fixture.secret.name : context.fixture.node.name
      const stale = "00000000-0000-4000-8000-00000000dead"
      return Effect.flatMap(requestToken(context, { boundObjectRef: ref(kind, name, stale) }), (response) =>
        status(response, {
          code: 409,
          reason: "Conflict",
          message: `Operation cannot be fulfilled on ${kind} "${name}": the UID in the bound object reference (${stale}) does not match the UID in record. The object might have been deleted and then recreated`,
          details: { name, kind }
        }))
    })
  ),
  check("binding.unsupported-kind", "06-binding.md", "binding to a ConfigMap is 400 BadRequest naming the group/version/kind", (context) =>
    Effect.flatMap(requestToken(context, { boundObjectRef: ref("ConfigMap", "anything") }), (response) =>
      status(response, { code: 400, reason: "BadRequest", message: "cannot bind token to object of type /v1, Kind=ConfigMap", details: null }))),
  check("binding.group-version", "06-binding.md", "only the group of apiVersion counts: apps/v1 Pod is unsupported, v2 Pod is a Pod", (context) =>
    Effect.gen(function*() {
      const apps = yield* requestToken(context, { boundObjectRef: { kind: "Pod", apiVersion: "apps/v1", name: context.fixture.pod.name } })
      yield* status(apps, { code: 400, reason: "BadRequest", message: "cannot bind token to object of type apps/v1, Kind=Pod", details: null })
      const issued = yield* issue(context, { boundObjectRef: { kind: "Pod", apiVersion: "v2", name: context.fixture.pod.name } })
      yield* new Expectations().equal("kubernetes.io.pod.name", record(issued.kubernetes["pod"])["name"], context.fixture.pod.name).done
    }))
]

const reviewUser = (context: Context, extra: Record<string, ReadonlyArray<string>>, claims: Record<string, unknown>) => {
  const f = context.fixture
  const jti = claims["jti"]
  const allExtra = {
    ...extra,
    ...(typeof jti === "string" && jti !== "" ? { "authentication.kubernetes.io/credential-id": [`JTI=${jti}`] } : {})
  }
  return {
    username: username(f.namespace, f.serviceAccount.name),
    uid: f.serviceAccount.uid,
    groups: groups(f.namespace),
    ...(Object.keys(allExtra).length > 0 ? { extra: allExtra } : {})
  }
}

const reviewChecks: ReadonlyArray<Check> = [
  check("review.unbound", "08-review.md", "TokenReview authenticates an unbound token: user, groups, credential-id, audiences", (context) =>
    Effect.gen(function*() {
      const audiences = yield* apiAudiences(context)
      const issued = yield* issue(context, {})
      const result = yield* review(context, issued.token)
      yield* new Expectations()
        .equal("status.authenticated", result["authenticated"], true)
        .equal("status.user", result["user"], reviewUser(context, {}, issued.claims))
        .equal("status.audiences", result["audiences"], audiences)
        .equal("status.error", result["error"], undefined).done
    })),
  check("review.pod", "08-review.md", "a Pod-bound token's user carries pod-name, pod-uid, node-name and node-uid extras", (context) =>
    Effect.gen(function*() {
      const f = context.fixture
      const issued = yield* issue(context, { boundObjectRef: ref("Pod", f.pod.name) })
      const result = yield* review(context, issued.token)
      yield* new Expectations()
        .equal("status.authenticated", result["authenticated"], true)
        .equal("status.user", result["user"], reviewUser(context, {
          "authentication.kubernetes.io/node-name": [f.node.name],
          "authentication.kubernetes.io/node-uid": [f.node.uid],
          "authentication.kubernetes.io/pod-name": [f.pod.name],
          "authentication.kubernetes.io/pod-uid": [f.pod.uid]
        }, issued.claims)).done
    })),
  check("review.secret-and-node", "08-review.md", "Secret-bound tokens get no binding extras; Node-bound tokens get node-name and node-uid", (context) =>
    Effect.gen(function*() {
      const f = context.fixture
      const secret = yield* issue(context, { boundObjectRef: ref("Secret", f.secret.name) })
      const node = yield* issue(context, { boundObjectRef: ref("Node", f.node.name) })
      const e = new Expectations()
      const secretResult = yield* review(context, secret.token)
      e.equal("Secret-bound: status.user", secretResult["user"], reviewUser(context, {}, secret.claims))
      const nodeResult = yield* review(context, node.token)
      e.equal("Node-bound: status.user", nodeResult["user"], reviewUser(context, {
        "authentication.kubernetes.io/node-name": [f.node.name],
        "authentication.kubernetes.io/node-uid": [f.node.uid]
      }, node.claims))
      yield* e.done
    })),
  check("review.audiences", "08-review.md", "status.audiences is the intersection in requested order; no overlap is an audience error", (context) =>
    Effect.gen(function*() {
      const issued = yield* issue(context, { audiences: ["conformance-a", "conformance-b"] })
      const e = new Expectations()
      const both = yield* review(context, issued.token, ["conformance-c", "conformance-b", "conformance-a"])
      e.equal("overlap: authenticated", both["authenticated"], true)
      e.equal("overlap: status.audiences", both["audiences"], ["conformance-b", "conformance-a"])
      const none = yield* review(context, issued.token, ["conformance-c"])
      e.equal("no overlap: authenticated omitted", none["authenticated"], undefined)
      e.equal("no overlap: user", none["user"], {})
      e.equal("no overlap: error", none["error"],
        `[invalid bearer token, token audiences ["conformance-a" "conformance-b"] is invalid for the target audiences ["conformance-c"]]`)
      const audiences = yield* apiAudiences(context)
      const api = yield* review(context, issued.token)
      e.equal("default (API audiences): error", api["error"],
        `[invalid bearer token, token audiences ["conformance-a" "conformance-b"] is invalid for the target audiences [${audiences.map((a) => JSON.stringify(a)).join(" ")}]]`)
      yield* e.done
    })),
  check("review.invalid-token", "08-review.md", "a string that is not a token is `invalid bearer token`, not an HTTP error", (context) =>
    Effect.gen(function*() {
      const result = yield* review(context, "conformance-not-a-token")
      yield* new Expectations()
        .equal("status", result, { user: {}, error: "invalid bearer token" }).done
    })),
  check("review.bad-signature", "08-review.md", "a token with a broken signature fails with the go-jose error", (context) =>
    Effect.gen(function*() {
      const issued = yield* issue(context, {})
      const [h, p, s] = issued.token.split(".") as [string, string, string]
      const signature = Buffer.from(s, "base64url")
      signature[Math.floor(signature.length / 2)] ^= 0x01
      const result = yield* review(context, `${h}.${p}.${signature.toString("base64url")}`)
      yield* new Expectations()
        .equal("status", result, { user: {}, error: "[invalid bearer token, go-jose/go-jose: error in cryptographic primitive]" }).done
    })),
  check("review.unknown-key", "08-review.md", "a token whose kid matches no key fails with `invalid signature, no keys found`", (context) =>
    Effect.gen(function*() {
      const issued = yield* issue(context, {})
      const [, p, s] = issued.token.split(".") as [string, string, string]
      const header = Buffer.from(JSON.stringify({ ...issued.header, kid: "conformance-unknown-kid" })).toString("base64url")
      const result = yield* review(context, `${header}.${p}.${s}`)
      yield* new Expectations()
        .equal("status", result, { user: {}, error: "[invalid bearer token, invalid signature, no keys found]" }).done
    })),
  check("review.empty-token", "08-review.md", "a TokenReview without a token is 400 BadRequest", (context) =>
    Effect.flatMap(requestReview(context, ""), (response) =>
      status(response, { code: 400, reason: "BadRequest", message: "token is required for TokenReview in authentication", details: null })))
]

/** Reviews until the outcome changes to the expected error (the upstream success cache keeps a result 10 s). */
const awaitInvalidation = (context: Context, token: string): Effect.Effect<void, CheckFailed | TransportError> =>
  Effect.gen(function*() {
    const expected = "[invalid bearer token, service account token has been invalidated]"
    let last: Record<string, unknown> = {}
    const attempts = Math.max(1, Math.ceil((context.invalidationWaitMillis ?? 16_000) / 500))
    for (let attempt = 0; attempt < attempts; attempt++) {
      last = yield* review(context, token)
      if (last["error"] === expected) {
        return yield* new Expectations().equal("status", last, { user: {}, error: expected }).done
      }
      yield* Effect.sleep("500 millis")
    }
    return yield* fail(`after ${attempts * 0.5} s the review still says ${show(last)}, expected error ${show(expected)}`)
  })

const invalidationChecks: ReadonlyArray<Check> = [
  check("review.pod-deleted", "08-review.md", "deleting the bound pod invalidates the token", (context) =>
    Effect.gen(function*() {
      const f = context.fixture
      const issued = yield* issue(context, { boundObjectRef: ref("Pod", f.doomedPod.name) })
      const before = yield* review(context, issued.token)
      if (before["authenticated"] !== true) return yield* fail(`before the deletion the review says ${show(before)}`)
      yield* Fixtures.remove(context.endpoint, "Pod", f.namespace, f.doomedPod.name)
      yield* awaitInvalidation(context, issued.token)
    })),
  check("review.secret-deleted", "08-review.md", "deleting the bound secret invalidates the token", (context) =>
    Effect.gen(function*() {
      const f = context.fixture
      const issued = yield* issue(context, { boundObjectRef: ref("Secret", f.doomedSecret.name) })
      const before = yield* review(context, issued.token)
      if (before["authenticated"] !== true) return yield* fail(`before the deletion the review says ${show(before)}`)
      yield* Fixtures.remove(context.endpoint, "Secret", f.namespace, f.doomedSecret.name)
      yield* awaitInvalidation(context, issued.token)
    }))
]

const keyChecks: ReadonlyArray<Check> = [
  check("keys.verify", "09-keys.md", "every token issued in this run verifies with jose against the published JWKS alone", (context) =>
    Effect.gen(function*() {
      if (context.discovery === undefined) {
        const response = yield* Http.request(context.endpoint, "GET", "/.well-known/openid-configuration")
        if (response.status !== 200) return yield* fail(`discovery document: ${describeResponse(response)}`)
        context.discovery = record(response.json)
      }
      if (context.jwks === undefined) {
        const response = yield* Http.request(context.endpoint, "GET", "/openid/v1/jwks")
        if (response.status !== 200) return yield* fail(`JWKS: ${describeResponse(response)}`)
        context.jwks = response.json as jose.JSONWebKeySet
      }
      if (context.tokens.length === 0) return yield* fail("no token was issued")
      const keySet = jose.createLocalJWKSet(context.jwks)
      const algorithms = (context.discovery["id_token_signing_alg_values_supported"] as Array<string>) ?? []
      const issuer = String(context.discovery["issuer"])
      const problems: Array<string> = []
      for (const token of context.tokens) {
        yield* Effect.tryPromise(() => jose.jwtVerify(token, keySet, { algorithms, issuer, clockTolerance: 60 })).pipe(
          Effect.catchAll((e) => Effect.sync(() => problems.push(`${token.slice(0, 24)}…: ${e.cause instanceof Error ? e.cause.message : String(e.cause)}`)))
        )
      }
      if (problems.length > 0) return yield* fail(`${problems.length} of ${context.tokens.length} tokens do not verify: ${problems.slice(0, 3).join("; ")}`)
    }))
]

/**
 * Every check, in run order.
 *
 * @since 0.1.0
 * @category checks
 */
export const all: ReadonlyArray<Check> = [
  ...discoveryChecks,
  ...defaultingChecks,
  ...validationChecks,
  ...expirationChecks,
  ...audienceChecks,
  ...claimsChecks,
  ...bindingChecks,
  ...reviewChecks,
  ...invalidationChecks,
  ...keyChecks
]
