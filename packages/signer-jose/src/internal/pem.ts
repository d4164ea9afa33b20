/**
 * PEM decoding as Go's `encoding/pem` does it: every `-----BEGIN TYPE-----` … `-----END TYPE-----`
 * block in order, optional RFC 1421 headers skipped, anything between blocks ignored, blocks whose
 * body is not base64 skipped.
 *
 * @internal
 */

/** @internal */
export interface PemBlock {
  readonly type: string
  readonly bytes: Buffer
}

const blockPattern = /-----BEGIN ([^\r\n-]*(?:-[^\r\n-]+)*)-----\r?\n([\s\S]*?)-----END \1-----/g
const base64Body = /^[A-Za-z0-9+/=\s]*$/

/** @internal */
export const decode = (data: string | Uint8Array): Array<PemBlock> => {
  const text = typeof data === "string" ? data : Buffer.from(data).toString("latin1")
  const blocks: Array<PemBlock> = []
  for (const match of text.matchAll(blockPattern)) {
    let body = match[2]!
    // RFC 1421 headers ("Proc-Type: …") end with an empty line.
    if (/^[^\r\n]*:/.test(body)) {
      const end = body.search(/\r?\n\r?\n/)
      if (end < 0) continue
      body = body.slice(end).trimStart()
    }
    if (!base64Body.test(body)) continue
    blocks.push({ type: match[1]!, bytes: Buffer.from(body.replace(/\s+/g, ""), "base64") })
  }
  return blocks
}
