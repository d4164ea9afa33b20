/**
 * @tokenrequest/signer-jose: key loading, key ids, signing, verification, JWKS and rotation with jose and node:crypto.
 *
 * @since 0.1.0
 */
export {}
