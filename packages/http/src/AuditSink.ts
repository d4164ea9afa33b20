/**
 * The audit events of the token endpoints, and the sink that receives them. The TokenRequest and
 * TokenReview handlers record one event per request, after the answer is known; a host provides an
 * `AuditSink` to receive them (the reference server writes them as JSON lines with
 * `--audit-log-path`). Without one, recording does nothing.
 *
 * The event is a small JSON object named after Kubernetes audit events (`auditID`, `stage`, `verb`,
 * `requestURI`, `user`, `sourceIPs`, `objectRef`, `responseStatus`, `annotations`, timestamps), plus
 * a `tokenRequest` or `tokenReview` section. It never holds a token nor any request header but the
 * user agent.
 *
 * @since 0.1.0
 */
import * as Audit from "@tokenrequest/domain/Audit"
import type { UserInfo } from "@tokenrequest/domain/UserInfo"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * Who made the request (the authenticated caller), without `extra`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuditUser {
  readonly username: string
  readonly uid?: string | undefined
  readonly groups: ReadonlyArray<string>
}

/**
 * The object a request is about.
 *
 * @since 0.1.0
 * @category models
 */
export interface ObjectRef {
  readonly resource: string
  readonly subresource?: string | undefined
  readonly namespace?: string | undefined
  readonly name?: string | undefined
  readonly apiGroup: string
  readonly apiVersion: string
}

/**
 * The answer: HTTP code, and for failures the `Status` reason and message.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseStatus {
  readonly code: number
  readonly reason?: string | undefined
  readonly message?: string | undefined
}

/**
 * What a TokenRequest asked for and what it got. `expirationSeconds` and `expirationTimestamp` are
 * the answer's (clamped) values; `exp` is the token's own `exp` claim (seconds since the epoch),
 * later than `expirationTimestamp` when the lifetime was extended.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenRequestDetails {
  readonly audiences: ReadonlyArray<string>
  readonly boundObjectRef?: {
    readonly kind?: string | undefined
    readonly apiVersion?: string | undefined
    readonly name?: string | undefined
    readonly uid?: string | undefined
  } | undefined
  readonly requestedExpirationSeconds?: number | undefined
  readonly expirationSeconds?: number | undefined
  readonly expirationTimestamp?: string | undefined
  readonly exp?: number | undefined
  readonly warnings: ReadonlyArray<string>
}

/**
 * A TokenReview's question and outcome: the requested audiences, whether the token authenticated,
 * as whom and for which audiences, or the `status.error` text.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenReviewDetails {
  readonly audiences: ReadonlyArray<string>
  readonly authenticated?: boolean | undefined
  readonly subject?: AuditUser | undefined
  readonly grantedAudiences?: ReadonlyArray<string> | undefined
  /** `JTI=<jti>` of the reviewed token (its `authentication.kubernetes.io/credential-id` extra). */
  readonly credentialId?: string | undefined
  readonly error?: string | undefined
}

/**
 * One audit event (`stage` is always `ResponseComplete`: one event per request).
 *
 * @since 0.1.0
 * @category models
 */
export interface AuditEvent {
  readonly auditID: string
  readonly stage: "ResponseComplete"
  readonly verb: string
  readonly requestURI: string
  readonly user?: AuditUser | undefined
  readonly sourceIPs: ReadonlyArray<string>
  readonly userAgent?: string | undefined
  readonly objectRef?: ObjectRef | undefined
  readonly responseStatus: ResponseStatus
  /** Why a request's credentials were refused (a host's 401 events): the authenticator's error text. */
  readonly authenticationError?: string | undefined
  readonly requestReceivedTimestamp: string
  readonly stageTimestamp: string
  /** Upstream's audit annotations (`Audit.issuedCredentialId`, `staleToken`, `legacyToken`). */
  readonly annotations: Readonly<Record<string, string>>
  readonly tokenRequest?: TokenRequestDetails | undefined
  readonly tokenReview?: TokenReviewDetails | undefined
}

/**
 * Receives audit events. `record` must not block the request: a sink that writes somewhere queues
 * the event and returns; it never fails.
 *
 * @since 0.1.0
 * @category tags
 */
export class AuditSink extends Context.Tag("@tokenrequest/http/AuditSink")<
  AuditSink,
  { readonly record: (event: AuditEvent) => Effect.Effect<void> }
>() {}

/**
 * The sink that drops every event (what the handlers use when the host provides none).
 *
 * @since 0.1.0
 * @category constructors
 */
export const noop: AuditSink["Type"] = { record: () => Effect.void }

/**
 * Records an event with the provided sink, or does nothing without one.
 *
 * @since 0.1.0
 * @category accessors
 */
export const record = (event: AuditEvent): Effect.Effect<void> =>
  Effect.flatMap(
    Effect.serviceOption(AuditSink),
    Option.match({ onNone: () => Effect.void, onSome: (sink) => sink.record(event) })
  )

/**
 * A caller's user info as the event's `user` (no `extra`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const auditUser = (user: UserInfo): AuditUser => ({
  username: user.username ?? "",
  ...(user.uid === undefined || user.uid === "" ? {} : { uid: user.uid }),
  groups: user.groups ?? []
})

/**
 * The annotations as the event's object.
 *
 * @since 0.1.0
 * @category constructors
 */
export const annotationsOf = (annotations: ReadonlyArray<Audit.Annotation>): Record<string, string> =>
  Object.fromEntries(annotations.map((a) => [a.key, a.value]))

/**
 * The claims of a verified or freshly signed compact JWS (its payload), or nothing. Used for the
 * `exp`, `jti`, `aud` and `warnafter` an event reports, never to decide anything.
 *
 * @since 0.1.0
 * @category decoding
 */
export const claimsOf = (token: string): Record<string, unknown> | undefined => {
  try {
    const payload = token.trim().split(/\s+/)[0]?.split(".")[1]
    if (payload === undefined) return undefined
    const claims: unknown = JSON.parse(new TextDecoder().decode(base64urlDecode(payload)))
    return typeof claims === "object" && claims !== null && !Array.isArray(claims)
      ? claims as Record<string, unknown>
      : undefined
  } catch {
    return undefined
  }
}

const base64urlDecode = (text: string): Uint8Array => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/")
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

/**
 * The annotations of an authenticated token: `stale-token` when its `kubernetes.io.warnafter` has
 * passed (at `nowSeconds`), `legacy-token` when it has no `aud`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const reviewAnnotations = (
  subject: string,
  claims: Record<string, unknown> | undefined,
  nowSeconds: number
): ReadonlyArray<Audit.Annotation> => {
  const annotations: Array<Audit.Annotation> = []
  const kubernetes = claims?.["kubernetes.io"] as Record<string, unknown> | undefined
  const warnafter = kubernetes?.["warnafter"]
  if (typeof warnafter === "number" && warnafter > 0 && nowSeconds > warnafter) {
    annotations.push(Audit.staleToken(subject, nowSeconds - warnafter))
  }
  if (claims !== undefined && claims["aud"] === undefined) annotations.push(Audit.legacyToken(subject))
  return annotations
}
