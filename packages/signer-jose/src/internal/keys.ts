/**
 * Classification of node:crypto keys into the algorithms Kubernetes signs and verifies with, and the
 * upstream texts for the keys it refuses.
 *
 * @internal
 */
import * as crypto from "node:crypto"
import type { SigningAlgorithm } from "@tokenrequest/domain/TokenSigner"
import type { PemBlock } from "./pem.js"

/** @internal */
export const curveAlgorithms: Record<string, SigningAlgorithm> = {
  prime256v1: "ES256",
  secp384r1: "ES384",
  secp521r1: "ES512"
}

/** @internal */
export const jwkCurves: Record<string, "P-256" | "P-384" | "P-521"> = {
  ES256: "P-256",
  ES384: "P-384",
  ES512: "P-521"
}

/** Byte length of one ECDSA signature half (R or S). @internal */
export const coordinateSize: Record<string, number> = { ES256: 32, ES384: 48, ES512: 66 }

/** @internal */
export const hashOf = (algorithm: SigningAlgorithm): "sha256" | "sha384" | "sha512" =>
  algorithm === "ES384" ? "sha384" : algorithm === "ES512" ? "sha512" : "sha256"

/** Curves Go's crypto/x509 parses (so upstream loads them) but the token generator refuses. @internal */
const goOnlyCurves = new Set(["secp224r1"])

/** The algorithm of a key, or the reason upstream refuses it as a signing key. @internal */
export const algorithmOf = (
  key: crypto.KeyObject
): { readonly algorithm: SigningAlgorithm } | { readonly refused: string } | undefined => {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return { algorithm: "RS256" }
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? ""
      const algorithm = curveAlgorithms[curve]
      if (algorithm) return { algorithm }
      return goOnlyCurves.has(curve) ? { refused: "unknown private key curve, must be 256, 384, or 521" } : undefined
    }
    case "ed25519":
      return {
        refused:
          "unknown private key type *ed25519.PrivateKey, must be *rsa.PrivateKey, *ecdsa.PrivateKey, or jose.OpaqueSigner"
      }
    case "x25519":
      return {
        refused:
          "unknown private key type *ecdh.PrivateKey, must be *rsa.PrivateKey, *ecdsa.PrivateKey, or jose.OpaqueSigner"
      }
    default:
      return undefined
  }
}

const attempt = <A>(f: () => A): A | undefined => {
  try {
    return f()
  } catch {
    return undefined
  }
}

/** Parses a private key as `keyutil.ParsePrivateKeyPEM` does: by block type. @internal */
export const privateKeyOfBlock = (block: PemBlock): crypto.KeyObject | undefined => {
  const type = block.type === "EC PRIVATE KEY"
    ? "sec1"
    : block.type === "RSA PRIVATE KEY"
    ? "pkcs1"
    : block.type === "PRIVATE KEY"
    ? "pkcs8"
    : undefined
  if (type === undefined) return undefined
  const key = attempt(() => crypto.createPrivateKey({ key: block.bytes, format: "der", type }))
  // PKCS#1 and SEC1 blocks hold exactly one key type; PKCS#8 may hold any.
  if (key && type === "pkcs1" && key.asymmetricKeyType !== "rsa") return undefined
  if (key && type === "sec1" && key.asymmetricKeyType !== "ec") return undefined
  return key
}

/**
 * Extracts a public key from any key block, whatever its label (upstream tries every parser on the
 * bytes): a PKCS#1, SEC1 or PKCS#8 private key, a PKIX or PKCS#1 public key, or a certificate.
 * @internal
 */
export const publicKeyOfBlock = (block: PemBlock): crypto.KeyObject | undefined => {
  const der = block.bytes
  for (const type of ["pkcs1", "pkcs8", "sec1"] as const) {
    const key = attempt(() => crypto.createPrivateKey({ key: der, format: "der", type }))
    if (key) return crypto.createPublicKey(key)
  }
  for (const type of ["spki", "pkcs1"] as const) {
    const key = attempt(() => crypto.createPublicKey({ key: der, format: "der", type }))
    if (key) return key
  }
  return attempt(() => new crypto.X509Certificate(der).publicKey)
}

/** Formats a file-system error as Go's `os.ReadFile` does (`open <file>: no such file or directory`). @internal */
export const describeReadError = (file: string, error: unknown): string => {
  const code = (error as { code?: string } | undefined)?.code
  switch (code) {
    case "ENOENT":
      return `open ${file}: no such file or directory`
    case "EACCES":
      return `open ${file}: permission denied`
    case "EISDIR":
      return `read ${file}: is a directory`
    default:
      return `open ${file}: ${error instanceof Error ? error.message : String(error)}`
  }
}
