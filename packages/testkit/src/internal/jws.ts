/**
 * Independent JWS helpers for the signer contracts: splitting a compact token and checking a
 * signature against a published JWK with node:crypto only.
 *
 * @internal
 */
import * as crypto from "node:crypto"
import type { JsonWebKey, SignedToken } from "@tokenrequest/domain/KeySet"

/** @internal */
export const segments = (token: string): [Buffer, Buffer, Buffer] => {
  const parts = token.split(".")
  if (parts.length !== 3) throw new Error(`not a compact JWS: ${parts.length} segments`)
  for (const part of parts) {
    if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new Error(`segment is not unpadded base64url: ${part}`)
  }
  return parts.map((part) => Buffer.from(part, "base64url")) as [Buffer, Buffer, Buffer]
}

/** @internal */
export const encode = (header: Uint8Array, payload: Uint8Array, signature: Uint8Array): string =>
  [header, payload, signature].map((part) => Buffer.from(part).toString("base64url")).join(".")

/** The verifier's view of a token, taken apart without trusting the header more than needed. @internal */
export const toSignedToken = (token: string): SignedToken | undefined => {
  const parts = token.split(".")
  if (parts.length !== 3) return undefined
  let header: { alg?: unknown; kid?: unknown }
  try {
    header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
  if (typeof header !== "object" || header === null || typeof header.alg !== "string") return undefined
  return {
    keyId: typeof header.kid === "string" ? header.kid : "",
    algorithm: header.alg,
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: new Uint8Array(Buffer.from(parts[2]!, "base64url"))
  }
}

const hashes: Record<string, string> = { RS256: "sha256", ES256: "sha256", ES384: "sha384", ES512: "sha512" }

/** Verifies a compact token with one JWK using node:crypto directly. @internal */
export const verifyWithJwk = (token: string, jwk: JsonWebKey): boolean => {
  const [header, payload, signature] = token.split(".")
  const key = crypto.createPublicKey({ key: jwk as unknown as crypto.JsonWebKey, format: "jwk" })
  const data = Buffer.from(`${header}.${payload}`, "utf8")
  const bytes = Buffer.from(signature!, "base64url")
  return jwk.kty === "RSA"
    ? crypto.verify(hashes[jwk.alg]!, data, { key, padding: crypto.constants.RSA_PKCS1_PADDING }, bytes)
    : crypto.verify(hashes[jwk.alg]!, data, { key, dsaEncoding: "ieee-p1363" }, bytes)
}

/** The local-key kid of a JWK: SHA-256 of its PKIX DER, unpadded base64url. @internal */
export const kidOfJwk = (jwk: JsonWebKey): string => {
  const key = crypto.createPublicKey({ key: jwk as unknown as crypto.JsonWebKey, format: "jwk" })
  return crypto.createHash("sha256").update(key.export({ type: "spki", format: "der" })).digest("base64url")
}
