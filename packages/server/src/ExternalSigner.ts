/**
 * The external signer (`--service-account-signing-endpoint`, semantics §12.2 and §13), re-exported
 * from `@tokenrequest/signer-external` so the CLI reaches it through the server package: the client
 * adapter (`TokenSigner` + `KeySet` of an endpoint), the flag checks and expiration limits with
 * upstream's texts, and the `ExternalJWTSigner` server behind `tokenrequest signer serve`.
 *
 * @since 0.1.0
 */

export {
  /**
   * The signer's limits applied to `--service-account-max-token-expiration` (semantics §12.2).
   *
   * @since 0.1.0
   * @category modules
   */
  Expiration,
  /**
   * The client of an external signer: `ExternalSigner.layer({ endpoint })`.
   *
   * @since 0.1.0
   * @category modules
   */
  ExternalSigner,
  /**
   * API versions, method names and message shapes of `ExternalJWTSigner`.
   *
   * @since 0.1.0
   * @category modules
   */
  Protocol,
  /**
   * The server: `SignerServer.serve({ socket, ring, … })`, `SignerServer.serveFiles(…)`.
   *
   * @since 0.1.0
   * @category modules
   */
  SignerServer,
  /**
   * `--service-account-signing-endpoint` syntax and mutual exclusion with upstream's texts.
   *
   * @since 0.1.0
   * @category modules
   */
  SigningEndpoint,
  /**
   * The key cache model: validation of `FetchKeys` responses, JWKS, cache age.
   *
   * @since 0.1.0
   * @category modules
   */
  VerificationKeys
} from "@tokenrequest/signer-external"
