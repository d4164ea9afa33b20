/**
 * Key tooling for the command line (`tokenrequest keys generate|jwks|kid`), re-exported from
 * `@tokenrequest/signer-jose` so the CLI reaches it through the server package: reading key files
 * with upstream's messages, key ids, the JWKS of key files, and key generation.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as crypto from "node:crypto"
import type { SigningAlgorithm } from "@tokenrequest/domain/TokenSigner"
import * as SigningKey from "@tokenrequest/signer-jose/SigningKey"

export {
  /**
   * A key file that cannot be read or holds no usable key; `description` is the one-line message.
   *
   * @since 0.1.0
   * @category errors
   */
  KeyFileError,
  /**
   * The JWKS (semantics §10.3 layout) of every key in some PEM files, in file and block order.
   *
   * @since 0.1.0
   * @category files
   */
  jwksOf,
  /**
   * The key ids of every key in a PEM file, in block order.
   *
   * @since 0.1.0
   * @category files
   */
  kidOf,
  /**
   * Reads every verification key (public keys, private keys, certificates) of a PEM file.
   *
   * @since 0.1.0
   * @category files
   */
  readVerificationKeys,
  /**
   * Reads the signing key file, with kube-apiserver's messages.
   *
   * @since 0.1.0
   * @category files
   */
  readSigningKey
} from "@tokenrequest/signer-jose/KeyFile"

/**
 * Generates a private key for an algorithm as unencrypted PKCS#8 PEM (`PRIVATE KEY`): P-256, P-384 or
 * P-521 for ES256/384/512, RSA 2048 bits for RS256.
 *
 * @since 0.1.0
 * @category generation
 */
export const generatePrivateKey = (algorithm: SigningAlgorithm): Effect.Effect<string> =>
  SigningKey.generate(algorithm).pipe(
    Effect.map((pem) => crypto.createPrivateKey(pem).export({ type: "pkcs8", format: "pem" }).toString())
  )

/**
 * The key id Kubernetes derives for a key (base64url SHA-256 of the public key's PKIX DER).
 *
 * @since 0.1.0
 * @category key ids
 */
export { make as keyIdOf } from "@tokenrequest/signer-jose/KeyId"
