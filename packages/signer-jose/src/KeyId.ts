/**
 * The key id Kubernetes derives for a local key: the unpadded base64url SHA-256 of the DER-encoded
 * PKIX SubjectPublicKeyInfo of the public key (43 characters).
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as Pem from "./internal/pem.js"
import { publicKeyOfBlock } from "./internal/keys.js"

/**
 * The key id of a key (a private key is reduced to its public half first).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (key: crypto.KeyObject): string => {
  const publicKey = key.type === "private" ? crypto.createPublicKey(key) : key
  const der = publicKey.export({ type: "spki", format: "der" })
  return crypto.createHash("sha256").update(der).digest("base64url")
}

/**
 * The key ids of every key in a PEM text (public keys, private keys and certificates, in block
 * order), or of one key object.
 *
 * @since 0.1.0
 * @category constructors
 */
export const kidOf = (input: string | Uint8Array | crypto.KeyObject): ReadonlyArray<string> => {
  if (input instanceof crypto.KeyObject) return [make(input)]
  return Pem.decode(input).flatMap((block) => {
    const key = publicKeyOfBlock(block)
    return key ? [make(key)] : []
  })
}
