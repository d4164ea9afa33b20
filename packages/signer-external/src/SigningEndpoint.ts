/**
 * The `--service-account-signing-endpoint` flag (semantics §12.2): its syntax (an absolute Unix
 * socket path, or `@name` for a socket in the abstract namespace), its mutual exclusion with the
 * key-file flags, and the upstream texts for each refusal, for servers that offer the flag.
 *
 * @since 0.1.0
 */

const abstractName = /^@[A-Za-z0-9._-]+$/
const socketPath = /^(?:\/[A-Za-z0-9._-]+)+\/?$/

/**
 * Whether a value names a socket: `@` followed by letters, digits, `.`, `_`, `-`; or an absolute
 * path whose segments use the same characters. (Upstream's table: `/e/an_b-d/efg`, `@ebc.sock`,
 * `@ebc.eng.hij` are accepted; `abc`, `@abc@`, `@abc.abc  .ae`, `/e /xyz /efg` are not.)
 *
 * @since 0.1.0
 * @category validation
 */
export const isValid = (value: string): boolean => abstractName.test(value) || socketPath.test(value)

/**
 * The refusal of a malformed endpoint.
 *
 * @since 0.1.0
 * @category messages
 */
export const invalidValueMessage = (value: string): string =>
  `invalid value ${JSON.stringify(value)} passed for \`--service-account-signing-endpoint\`, should be a valid location on the filesystem or must be prefixed with @ to name UDS in abstract namespace`

/**
 * Endpoint together with `--service-account-signing-key-file` and/or `--service-account-key-file`
 * (options validation).
 *
 * @since 0.1.0
 * @category messages
 */
export const mutuallyExclusiveMessage =
  "can't set `--service-account-signing-key-file` and/or `--service-account-key-file` with `--service-account-signing-endpoint` (They are mutually exclusive)"

/**
 * Endpoint together with `--service-account-signing-key-file` (when completing options).
 *
 * @since 0.1.0
 * @category messages
 */
export const signingKeyFileExclusiveMessage =
  "service-account-signing-key-file and service-account-signing-endpoint are mutually exclusive and cannot be set at the same time"

/**
 * Endpoint together with `--service-account-key-file` (authentication options).
 *
 * @since 0.1.0
 * @category messages
 */
export const keyFileExclusiveMessage =
  "cannot set mutually exclusive flags `--service-account-key-file` and `--service-account-signing-endpoint` at the same time"

/**
 * Neither a key file nor an endpoint (authentication options).
 *
 * @since 0.1.0
 * @category messages
 */
export const missingMessage =
  "either `--service-account-key-file` or `--service-account-signing-endpoint` must be set"

/**
 * The flags the check looks at.
 *
 * @since 0.1.0
 * @category models
 */
export interface Flags {
  readonly endpoint?: string | undefined
  readonly signingKeyFile?: string | undefined
  readonly keyFiles?: ReadonlyArray<string> | undefined
}

/**
 * Upstream's `validateServiceAccountTokenSigningConfig` (without the feature gate, which is on in
 * 1.34+): every error, in upstream order: the mutual exclusion, then a malformed endpoint. Empty when
 * no endpoint is set or all is well.
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (flags: Flags): ReadonlyArray<string> => {
  const endpoint = flags.endpoint ?? ""
  if (endpoint === "") return []
  const errors: Array<string> = []
  if ((flags.signingKeyFile ?? "") !== "" || (flags.keyFiles ?? []).length > 0) errors.push(mutuallyExclusiveMessage)
  if (!isValid(endpoint)) errors.push(invalidValueMessage(endpoint))
  return errors
}

/**
 * The first error of `validate`, for a one-line startup failure; `undefined` when valid.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateEndpointFlag = (
  value: string,
  others?: Omit<Flags, "endpoint">
): string | undefined => validate({ ...others, endpoint: value })[0]
