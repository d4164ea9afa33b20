/**
 * Strict decoding of the JWS header an external signer returns, as upstream's
 * `json.Decoder` with `DisallowUnknownFields` into `{alg, kid, typ}` does: field names match
 * case-insensitively, unknown fields and non-string values are refused, `null` leaves a field empty.
 *
 * @internal
 */
import { decodeRawUrl } from "./goText.js"

export interface Header {
  readonly alg: string
  readonly kid: string
  readonly typ: string
}

const goStruct =
  "struct { Algorithm string \"json:\\\"alg,omitempty\\\"\"; KeyID string \"json:\\\"kid,omitempty\\\"\"; Type string \"json:\\\"typ,omitempty\\\"\" }"

const kindOf = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
    ? "array"
    : typeof value === "object"
    ? "object"
    : typeof value === "boolean"
    ? "bool"
    : typeof value

/** The header, or the error upstream wraps in `while validating header: …`. */
export const decode = (segment: string): { readonly header: Header } | { readonly error: string } => {
  const raw = decodeRawUrl(segment)
  if ("error" in raw) return { error: `while unwrapping header: ${raw.error}` }
  let value: unknown
  try {
    value = JSON.parse(raw.bytes.toString("utf8"))
  } catch (cause) {
    const text = raw.bytes.length === 0 ? "EOF" : cause instanceof Error ? cause.message : String(cause)
    return { error: `while parsing header JSON: ${text}` }
  }
  const fields = { alg: "", kid: "", typ: "" }
  if (value === null) return { header: fields }
  if (typeof value !== "object" || Array.isArray(value)) {
    return { error: `while parsing header JSON: json: cannot unmarshal ${kindOf(value)} into Go value of type ${goStruct}` }
  }
  for (const [name, field] of Object.entries(value as Record<string, unknown>)) {
    const known = name.toLowerCase()
    if (known !== "alg" && known !== "kid" && known !== "typ") {
      return { error: `while parsing header JSON: json: unknown field ${JSON.stringify(name)}` }
    }
    if (field === null) continue
    if (typeof field !== "string") {
      return {
        error: `while parsing header JSON: json: cannot unmarshal ${kindOf(field)} into Go struct field .${known} of type string`
      }
    }
    fields[known] = field
  }
  return { header: fields }
}
