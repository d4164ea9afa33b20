/**
 * @tokenrequest/signer-external: Kubernetes' ExternalJWTSigner gRPC protocol over a Unix domain
 * socket, in both directions: a `TokenSigner`/`KeySet` client of any external signer, and a signer
 * server on top of the jose key ring.
 *
 * @since 0.1.0
 */
export * as Expiration from "./Expiration.js"
export * as ExternalSigner from "./ExternalSigner.js"
export * as Protocol from "./Protocol.js"
export * as SignerServer from "./SignerServer.js"
export * as SigningEndpoint from "./SigningEndpoint.js"
export * as VerificationKeys from "./VerificationKeys.js"
