/**
 * The audit annotations the TokenRequest and TokenReview paths add upstream (`token.go`,
 * `claims.go`, `jwt.go`): key and value, for an adapter that writes audit events.
 *
 * @since 0.1.0
 */

/**
 * One audit annotation.
 *
 * @since 0.1.0
 * @category models
 */
export interface Annotation {
  readonly key: string
  readonly value: string
}

/**
 * `authentication.kubernetes.io/issued-credential-id: JTI=<jti>`, on a TokenRequest that issued a
 * token with a `jti` (step T17).
 *
 * @since 0.1.0
 * @category constructors
 */
export const issuedCredentialId = (jti: string): Annotation => ({
  key: "authentication.kubernetes.io/issued-credential-id",
  value: `JTI=${jti}`
})

/**
 * `authentication.k8s.io/stale-token: subject: <sub>, seconds after warning threshold: <n>`, when an
 * extended token is used after its `warnafter`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const staleToken = (subject: string, secondsAfterWarning: number): Annotation => ({
  key: "authentication.k8s.io/stale-token",
  value: `subject: ${subject}, seconds after warning threshold: ${secondsAfterWarning}`
})

/**
 * `authentication.k8s.io/legacy-token: <sub>`, when a token without `aud` is authenticated.
 *
 * @since 0.1.0
 * @category constructors
 */
export const legacyToken = (subject: string): Annotation => ({
  key: "authentication.k8s.io/legacy-token",
  value: subject
})
