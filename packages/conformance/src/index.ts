/**
 * @tokenrequest/conformance: black-box conformance suite for any TokenRequest endpoint, and language-neutral vectors.
 *
 * @since 0.1.0
 */
export {}
