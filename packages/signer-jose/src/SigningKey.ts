/**
 * The local signing key (`--service-account-signing-key-file`): parsing as upstream's
 * `keyutil.ParsePrivateKeyPEM` and `JWTTokenGenerator` accept it, signing with node:crypto, and key
 * generation for ephemeral keys and `tokenrequest keys generate`.
 *
 * Tokens are `base64url({"alg":…,"kid":…}) "." base64url(payload) "." base64url(signature)`, the
 * layout go-jose v2 writes for Kubernetes: no `typ`, header keys sorted, ECDSA signatures as raw
 * `R||S`.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import { promisify } from "node:util"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { SigningAlgorithm } from "@tokenrequest/domain/TokenSigner"
import * as KeyId from "./KeyId.js"
import { algorithmOf, hashOf, privateKeyOfBlock } from "./internal/keys.js"
import * as Pem from "./internal/pem.js"

/**
 * A parsed signing key with its algorithm, key id and pre-encoded JWS header.
 *
 * @since 0.1.0
 * @category models
 */
export interface SigningKey {
  readonly algorithm: SigningAlgorithm
  readonly keyId: string
  readonly privateKey: crypto.KeyObject
  readonly publicKey: crypto.KeyObject
  /** `base64url({"alg":"…","kid":"…"})`. */
  readonly encodedHeader: string
}

/**
 * Builds a signing key from a node:crypto private key, or returns upstream's refusal text.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromKeyObject = (privateKey: crypto.KeyObject): Either.Either<SigningKey, string> => {
  const kind = algorithmOf(privateKey)
  if (kind === undefined) return Either.left("data does not contain a valid RSA or ECDSA private key")
  if ("refused" in kind) return Either.left(kind.refused)
  const publicKey = crypto.createPublicKey(privateKey)
  const keyId = KeyId.make(publicKey)
  const header = `{"alg":"${kind.algorithm}","kid":"${keyId}"}`
  return Either.right({
    algorithm: kind.algorithm,
    keyId,
    privateKey,
    publicKey,
    encodedHeader: Buffer.from(header, "utf8").toString("base64url")
  })
}

/**
 * Parses the first private key block of a PEM text (`EC PRIVATE KEY`, `RSA PRIVATE KEY` or
 * unencrypted `PRIVATE KEY`; other blocks such as `EC PARAMETERS` are skipped), or returns the
 * reason it was refused, in upstream's words.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromPem = (pem: string | Uint8Array): Either.Either<SigningKey, string> => {
  for (const block of Pem.decode(pem)) {
    const key = privateKeyOfBlock(block)
    if (key) return fromKeyObject(key)
  }
  return Either.left("data does not contain a valid RSA or ECDSA private key")
}

/**
 * Signs a payload: the payload text is used verbatim (base64url of its UTF-8 bytes).
 *
 * @since 0.1.0
 * @category signing
 */
export const sign = (key: SigningKey, payload: string): string => {
  const signingInput = `${key.encodedHeader}.${Buffer.from(payload, "utf8").toString("base64url")}`
  const data = Buffer.from(signingInput, "utf8")
  const signature = key.algorithm === "RS256"
    ? crypto.sign("sha256", data, { key: key.privateKey, padding: crypto.constants.RSA_PKCS1_PADDING })
    : crypto.sign(hashOf(key.algorithm), data, { key: key.privateKey, dsaEncoding: "ieee-p1363" })
  return `${signingInput}.${signature.toString("base64url")}`
}

const generateKeyPair = promisify(crypto.generateKeyPair)

const curves: Record<Exclude<SigningAlgorithm, "RS256">, string> = {
  ES256: "prime256v1",
  ES384: "secp384r1",
  ES512: "secp521r1"
}

/**
 * Generates a new private key for an algorithm, as PEM: SEC1 `EC PRIVATE KEY` for ECDSA, PKCS#1
 * `RSA PRIVATE KEY` (2048 bits unless told) for RS256, the formats kubeadm writes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const generate = (
  algorithm: SigningAlgorithm,
  options?: { readonly modulusLength?: number }
): Effect.Effect<string> =>
  Effect.promise(() =>
    algorithm === "RS256"
      ? generateKeyPair("rsa", {
        modulusLength: options?.modulusLength ?? 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs1", format: "pem" }
      })
      : generateKeyPair("ec", {
        namedCurve: curves[algorithm],
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "sec1", format: "pem" }
      })
  ).pipe(Effect.map(({ privateKey }) => privateKey))
