/**
 * A verification key (`--service-account-key-file`): parsing every key block of a PEM text as
 * upstream's `keyutil.ParsePublicKeysPEM` does, signature verification pinned to the key's own
 * algorithm, and the key's JWK in go-jose's layout.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as Either from "effect/Either"
import type { JsonWebKey, SignedToken } from "@tokenrequest/domain/KeySet"
import type { SigningAlgorithm } from "@tokenrequest/domain/TokenSigner"
import * as KeyId from "./KeyId.js"
import { algorithmOf, coordinateSize, hashOf, jwkCurves, publicKeyOfBlock } from "./internal/keys.js"
import * as Pem from "./internal/pem.js"

/**
 * A public key with the one algorithm it accepts and its key id.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerificationKey {
  readonly algorithm: SigningAlgorithm
  readonly keyId: string
  readonly publicKey: crypto.KeyObject
}

/**
 * A verification key from a node:crypto key (a private key is reduced to its public half);
 * `undefined` for key types and curves tokens are never signed with.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromKeyObject = (key: crypto.KeyObject): VerificationKey | undefined => {
  const publicKey = key.type === "private" ? crypto.createPublicKey(key) : key
  const kind = algorithmOf(publicKey)
  if (kind === undefined || !("algorithm" in kind)) return undefined
  return { algorithm: kind.algorithm, keyId: KeyId.make(publicKey), publicKey }
}

/**
 * Every RSA or ECDSA (P-256, P-384, P-521) key of a PEM text, in block order: public keys (`PUBLIC
 * KEY`, `RSA PUBLIC KEY`), private keys (PKCS#1, SEC1, PKCS#8) and certificates. Other blocks are
 * skipped; a text with no key at all is refused in upstream's words.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromPem = (pem: string | Uint8Array): Either.Either<ReadonlyArray<VerificationKey>, string> => {
  const keys = Pem.decode(pem).flatMap((block) => {
    const key = publicKeyOfBlock(block)
    const verificationKey = key && fromKeyObject(key)
    return verificationKey ? [verificationKey] : []
  })
  return keys.length === 0 ? Either.left("data does not contain any valid RSA or ECDSA public keys") : Either.right(keys)
}

/**
 * Checks a token's signature with this key. Only the key's own algorithm is accepted (`none`, HMAC,
 * RSA-PSS and mismatches are refused); never throws.
 *
 * @since 0.1.0
 * @category verification
 */
export const verify = (key: VerificationKey, token: SignedToken): boolean => {
  if (token.algorithm !== key.algorithm) return false
  try {
    const data = Buffer.from(token.signingInput, "utf8")
    if (key.algorithm === "RS256") {
      return crypto.verify(
        "sha256",
        data,
        { key: key.publicKey, padding: crypto.constants.RSA_PKCS1_PADDING },
        token.signature
      )
    }
    if (token.signature.length !== 2 * coordinateSize[key.algorithm]!) return false
    return crypto.verify(hashOf(key.algorithm), data, { key: key.publicKey, dsaEncoding: "ieee-p1363" }, token.signature)
  } catch {
    return false
  }
}

const padded = (value: string, size: number): string => {
  const bytes = Buffer.from(value, "base64url")
  return bytes.length >= size
    ? value
    : Buffer.concat([Buffer.alloc(size - bytes.length), bytes]).toString("base64url")
}

/**
 * The key's JWK as Kubernetes publishes it (go-jose field order `use, kty, kid, crv, alg, x, y, n,
 * e`; EC coordinates padded to the curve size; RSA `n`, `e` minimal big-endian).
 *
 * @since 0.1.0
 * @category jwks
 */
export const toJwk = (key: VerificationKey): JsonWebKey => {
  const jwk = key.publicKey.export({ format: "jwk" })
  if (key.algorithm === "RS256") {
    return { use: "sig", kty: "RSA", kid: key.keyId, alg: key.algorithm, n: jwk.n!, e: jwk.e! }
  }
  const size = coordinateSize[key.algorithm]!
  return {
    use: "sig",
    kty: "EC",
    kid: key.keyId,
    crv: jwkCurves[key.algorithm]!,
    alg: key.algorithm,
    x: padded(jwk.x!, size),
    y: padded(jwk.y!, size)
  }
}
