/**
 * Compact JWS tokens as the service-account authenticator reads them (`jwt.go`, go-jose
 * `ParseSigned`): the unverified issuer pre-check `hasCorrectIssuer`, and parsing into the parts a
 * `KeySet` verifies. Unpadded base64url throughout.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as base64url from "./internal/base64url.js"
import { field } from "./internal/goJson.js"
import type { SignedToken } from "./KeySet.js"

/**
 * Unpadded base64url of a UTF-8 text.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeSegment: (text: string) => string = base64url.encodeString

/**
 * Unpadded base64url of bytes.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeSegmentBytes: (bytes: Uint8Array) => string = base64url.encodeBytes

/**
 * Decodes strict unpadded base64url (as Go's `RawURLEncoding`); `None` on padding or a foreign
 * character.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeSegment = (segment: string): Option.Option<Uint8Array> => Option.fromNullable(base64url.decodeBytes(segment))

const parseJson = (text: string): Option.Option<unknown> => {
  try {
    return Option.some(JSON.parse(text) as unknown)
  } catch {
    return Option.none()
  }
}

/**
 * The unverified issuer of a token, read as `hasCorrectIssuer` reads it; `None` when the token is not
 * one this check can read: it starts with `{` after trimming, does not have exactly three
 * `.`-separated parts, its payload is not unpadded base64url of a JSON value, or `iss` (matched
 * case-insensitively, as Go's decoder does) is not a string.
 *
 * @since 0.1.0
 * @category parsing
 */
export const unverifiedIssuer = (token: string): Option.Option<string> => {
  if (token.trim().startsWith("{")) return Option.none()
  const parts = token.split(".")
  if (parts.length !== 3) return Option.none()
  const payload = base64url.decodeString(parts[1]!)
  if (payload === undefined) return Option.none()
  return Option.flatMap(parseJson(payload), issuerOfPayload)
}

const issuerOfPayload = (value: unknown): Option.Option<string> => {
  if (value === null) return Option.some("")
  if (typeof value !== "object" || Array.isArray(value)) return Option.none()
  const iss = field(value, "iss")
  if (iss === undefined || iss === null) return Option.some("")
  return typeof iss === "string" ? Option.some(iss) : Option.none()
}

/**
 * `unverifiedIssuer` of a token already parsed: read from the parsed payload when both readings
 * decode the same bytes (no whitespace, line breaks or padding in the token), else read again.
 *
 * @since 0.1.0
 * @category parsing
 */
export const unverifiedIssuerOf = (token: string, parsed: ParsedToken): Option.Option<string> =>
  parsed.plain ? issuerOfPayload(parsed.payload) : unverifiedIssuer(token)

/**
 * `hasCorrectIssuer`: whether an authenticator for `issuers` handles the token at all. A `false`
 * means "not handled" (no error of its own).
 *
 * @since 0.1.0
 * @category parsing
 */
export const hasCorrectIssuer = (token: string, issuers: ReadonlyArray<string>): boolean =>
  Option.match(unverifiedIssuer(token), { onNone: () => false, onSome: (iss) => issuers.includes(iss) })

/**
 * A parsed (not yet verified) compact JWS.
 *
 * @since 0.1.0
 * @category models
 */
export interface ParsedToken {
  readonly header: Readonly<Record<string, unknown>>
  /** The decoded payload JSON value. */
  readonly payload: unknown
  /** What the key set verifies. */
  readonly signed: SignedToken
  /** The token had neither white space nor `=`: both ways of reading its payload see the same bytes. */
  readonly plain: boolean
}

// go-jose's `base64URLDecode` trims trailing `=` before a raw decode.
const joseDecode = (segment: string) => base64url.decodeBytes(segment.endsWith("=") ? segment.replace(/=+$/, "") : segment)

const utf8 = new TextDecoder()

/**
 * go-jose signs over the segments re-encoded from their decoded bytes; a segment that re-encodes to
 * itself is used as it is.
 */
const reencoded = (segment: string, bytes: Uint8Array) =>
  base64url.isCanonical(segment) ? segment : base64url.encodeBytes(bytes)

const compactShape = /^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/

// The tokens of one key share their header: the last one read is remembered (bytes and JSON value).
let lastHeader: { readonly segment: string; readonly bytes: Uint8Array | undefined; readonly value: Option.Option<unknown> } = {
  segment: "",
  bytes: undefined,
  value: Option.none()
}
const readHeader = (segment: string, decode: (segment: string) => Uint8Array | undefined) => {
  if (segment !== lastHeader.segment) {
    const bytes = decode(segment)
    lastHeader = { segment, bytes, value: bytes === undefined ? Option.none() : parseJson(utf8.decode(bytes)) }
  }
  return lastHeader
}

/**
 * go-jose `ParseSigned` on the compact form: whitespace removed, exactly three segments, a JSON
 * object header whose `alg` and `kid` (when present) are strings, a JSON payload. `None` when any of
 * it fails (the authenticator then silently does not handle the token).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (token: string): Option.Option<ParsedToken> => {
  // The common form, three segments of base64url digits, is recognised in one scan.
  const shaped = compactShape.test(token)
  const plain = shaped || !/[\s=]/.test(token)
  const compact = !plain && /\s/.test(token) ? token.replace(/\s/g, "") : token
  if (compact.startsWith("{")) return Option.none()
  const parts = compact.split(".")
  if (parts.length !== 3) return Option.none()
  const decode = shaped ? base64url.decodeDigitsOnly : joseDecode
  const { bytes: header, value: headerValue } = readHeader(parts[0]!, decode)
  const payload = decode(parts[1]!)
  const signature = decode(parts[2]!)
  if (header === undefined || payload === undefined || signature === undefined) return Option.none()
  return Option.flatMap(headerValue, (h) => {
    if (h === null || typeof h !== "object" || Array.isArray(h)) return Option.none()
    const record = h as Record<string, unknown>
    const alg = record["alg"] ?? ""
    const kid = record["kid"] ?? ""
    if (typeof alg !== "string" || typeof kid !== "string") return Option.none()
    return Option.map(parseJson(utf8.decode(payload)), (p) => ({
      header: record,
      payload: p,
      plain,
      signed: {
        keyId: kid,
        algorithm: alg,
        signingInput: base64url.isCanonical(parts[0]!) && base64url.isCanonical(parts[1]!)
          ? compact.slice(0, parts[0]!.length + 1 + parts[1]!.length)
          : `${reencoded(parts[0]!, header)}.${reencoded(parts[1]!, payload)}`,
        signature
      }
    }))
  })
}
