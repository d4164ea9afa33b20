/**
 * Splitting a compact JWS into the parts `KeySet.verify` needs. Anything that is not three
 * base64url segments with a JSON object header yields `undefined`.
 *
 * @since 0.1.0
 */
import type { SignedToken } from "@tokenrequest/domain/KeySet"

const segment = /^[A-Za-z0-9_-]*$/

/**
 * Parses `header.payload.signature`; the `kid` is `""` when absent, the `alg` as sent.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (compact: string): SignedToken | undefined => {
  const parts = compact.split(".")
  if (parts.length !== 3 || !parts.every((part) => segment.test(part))) return undefined
  let header: unknown
  try {
    header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) return undefined
  const { alg, kid } = header as { alg?: unknown; kid?: unknown }
  if (typeof alg !== "string" || (kid !== undefined && typeof kid !== "string")) return undefined
  return {
    keyId: kid ?? "",
    algorithm: alg,
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: new Uint8Array(Buffer.from(parts[2]!, "base64url"))
  }
}
