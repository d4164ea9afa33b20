/**
 * @tokenrequest/signer-jose: key loading, key ids, signing, verification, JWKS and rotation with jose and node:crypto.
 *
 * @since 0.1.0
 */
export * as KeyFile from "./KeyFile.js"
export * as KeyId from "./KeyId.js"
export * as KeyRing from "./KeyRing.js"
export * as SignedToken from "./SignedToken.js"
export * as SigningKey from "./SigningKey.js"
export * as VerificationKey from "./VerificationKey.js"
