/**
 * Standard padded base64 decoding (Secret `data` values on the wire), strict about the alphabet.
 *
 * @internal
 */
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
const lookup = new Map<string, number>(Array.from(alphabet, (c, i) => [c, i]))

export const decode = (text: string): Uint8Array | undefined => {
  const clean = text.replace(/[\r\n]/g, "")
  if (clean.length % 4 !== 0) return undefined
  const body = clean.replace(/={1,2}$/, "")
  const out = new Uint8Array(Math.floor((body.length * 3) / 4))
  let bits = 0
  let acc = 0
  let j = 0
  for (const c of body) {
    const v = lookup.get(c)
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
