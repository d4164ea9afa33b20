/**
 * Unpadded base64url, as Go's `base64.RawURLEncoding`: encoding without `=`, decoding that rejects
 * padding and foreign characters, ignores `\r` and `\n`, and tolerates non-zero trailing bits.
 *
 * @internal
 */

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
const lookup = new Map<string, number>(Array.from(alphabet, (c, i) => [c, i]))

export const encodeBytes = (bytes: Uint8Array): string => {
  let out = ""
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]!
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]!
  }
  return out
}

export const encodeString = (text: string): string => encodeBytes(new TextEncoder().encode(text))

/** The decoded bytes, or `undefined` when the text is not unpadded base64url. */
export const decodeBytes = (text: string): Uint8Array | undefined => {
  const clean = text.replace(/[\r\n]/g, "")
  return clean.length % 4 === 1 ? undefined : decodeDigits(clean, lookup)
}

/**
 * Decodes base64 digits (no padding) with the given alphabet's lookup table; `undefined` on a foreign
 * character. Trailing bits that do not fill a byte are dropped, as Go does.
 */
export const decodeDigits = (digits: string, table: ReadonlyMap<string, number>): Uint8Array | undefined => {
  const out = new Uint8Array(Math.floor((digits.length * 3) / 4))
  let bits = 0
  let acc = 0
  let j = 0
  for (const c of digits) {
    const v = table.get(c)
    if (v === undefined) return undefined
    acc = ((acc << 6) | v) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[j++] = (acc >> bits) & 0xff
    }
  }
  return out.subarray(0, j)
}

export const decodeString = (text: string): string | undefined => {
  const bytes = decodeBytes(text)
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes)
}
