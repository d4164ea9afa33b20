/**
 * Standard padded base64 decoding (Secret `data` values on the wire), strict about the alphabet and
 * the padding.
 *
 * @internal
 */
import { decodeDigits, digitTable } from "./base64url.js"

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
const lookup = digitTable(alphabet)

export const decode = (text: string): Uint8Array | undefined => {
  const clean = text.replace(/[\r\n]/g, "")
  return clean.length % 4 !== 0 ? undefined : decodeDigits(clean.replace(/={1,2}$/, ""), lookup)
}
