/**
 * Static validation of a TokenRequest (`ValidateTokenRequest`, `validation.go`) and the metadata
 * checks TokenREST.Create runs before the ServiceAccount lookup (`token.go`). Pure: every violation is
 * returned with its field path, never only the first.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { BadRequest, Invalid } from "./Errors.js"
import { FieldError } from "./FieldError.js"
import type { TokenRequest, TokenRequestSpec } from "./TokenRequest.js"

/**
 * The API group of TokenRequest and TokenReview.
 *
 * @since 0.1.0
 * @category constants
 */
export const group = "authentication.k8s.io"

/**
 * `MinTokenAgeSec`: the shortest accepted `expirationSeconds` (10 minutes).
 *
 * @since 0.1.0
 * @category constants
 */
export const minExpirationSeconds = 10 * 60

/**
 * The longest accepted `expirationSeconds`: `1<<32`.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxExpirationSeconds = 2 ** 32

/**
 * Every violation of the spec, in upstream order (empty when valid). 600 and 2^32 are both accepted.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateSpec = (spec: Pick<TokenRequestSpec, "expirationSeconds">): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  const field = "spec.expirationSeconds"
  if (spec.expirationSeconds < minExpirationSeconds) {
    errors.push(
      new FieldError({
        type: "FieldValueInvalid",
        field,
        value: spec.expirationSeconds,
        detail: "may not specify a duration less than 10 minutes"
      })
    )
  }
  if (spec.expirationSeconds > maxExpirationSeconds) {
    errors.push(
      new FieldError({
        type: "FieldValueInvalid",
        field,
        value: spec.expirationSeconds,
        detail: "may not specify a duration larger than 2^32 seconds"
      })
    )
  }
  return errors
}

/**
 * An `Invalid` error on `TokenRequest.authentication.k8s.io` with the given object name.
 *
 * @since 0.1.0
 * @category constructors
 */
export const invalid = (name: string, causes: ReadonlyArray<FieldError>): Invalid =>
  new Invalid({ group, kind: "TokenRequest", name, causes })

/**
 * Step T9: static validation. Upstream reports it with the empty object name
 * (`TokenRequest.authentication.k8s.io "" is invalid: ...`).
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (request: Pick<TokenRequest, "spec">): Either.Either<void, Invalid> => {
  const errors = validateSpec(request.spec)
  return errors.length === 0 ? Either.void : Either.left(invalid("", errors))
}

/**
 * Steps T1–T3: a namespace is required; a body `metadata.name` / `metadata.namespace`, when set, must
 * equal the URL's. The first failure wins; the error names the URL service account.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateMetadata = (
  namespace: string,
  name: string,
  request: Pick<TokenRequest, "metadata">
): Either.Either<void, Invalid | BadRequest> => {
  if (namespace === "") return Either.left(new BadRequest({ reason: "namespace is required" }))
  const bodyName = request.metadata.name ?? ""
  if (bodyName !== "" && bodyName !== name) {
    return Either.left(
      invalid(name, [
        new FieldError({
          type: "FieldValueInvalid",
          field: "metadata.name",
          value: bodyName,
          detail: "must match the service account name if specified"
        })
      ])
    )
  }
  const bodyNamespace = request.metadata.namespace ?? ""
  if (bodyNamespace !== "" && bodyNamespace !== namespace) {
    return Either.left(
      invalid(name, [
        new FieldError({
          type: "FieldValueInvalid",
          field: "metadata.namespace",
          value: bodyNamespace,
          detail: "must match the service account namespace if specified"
        })
      ])
    )
  }
  return Either.void
}
