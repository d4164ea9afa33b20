/**
 * A deterministic, NON-CRYPTOGRAPHIC stand-in for a JWS signature, used only by the insecure test
 * layers of `TokenSigner` and `KeySet` so programs can be tested without crypto. Anyone can forge it:
 * never use it to protect anything.
 *
 * @internal
 */
import { encodeBytes, encodeString } from "./base64url.js"

const fnv1a = (text: string, seed: number): number => {
  let h = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** 32 bytes derived from the key id, algorithm and signing input. */
export const insecureSignature = (keyId: string, algorithm: string, signingInput: string): Uint8Array => {
  const out = new Uint8Array(32)
  const text = `${keyId}\u0000${algorithm}\u0000${signingInput}`
  for (let i = 0; i < 8; i++) {
    const h = fnv1a(text, i * 0x9e3779b9)
    out[i * 4] = h >>> 24
    out[i * 4 + 1] = (h >>> 16) & 0xff
    out[i * 4 + 2] = (h >>> 8) & 0xff
    out[i * 4 + 3] = h & 0xff
  }
  return out
}

export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])

/** `header.payload.signature` with the insecure signature. */
export const insecureSign = (keyId: string, algorithm: string, payload: string): string => {
  const header = JSON.stringify({ alg: algorithm, kid: keyId })
  const signingInput = `${encodeString(header)}.${encodeString(payload)}`
  return `${signingInput}.${encodeBytes(insecureSignature(keyId, algorithm, signingInput))}`
}
