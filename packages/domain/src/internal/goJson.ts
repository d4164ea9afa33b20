/**
 * Go `encoding/json` output for the values a JWT payload holds after go-jose's normalisation
 * (everything is a map, a slice, a string, a number, a bool or null): compact, object keys sorted by
 * code point (the byte order of UTF-8) at every level, and Go's string escapes (`<`, `>`, `&`,
 * U+2028, U+2029 as `\u....`; lone surrogates as `\ufffd`, which is what invalid UTF-8 becomes).
 *
 * @internal
 */

const hex = (code: number) => `\\u${code.toString(16).padStart(4, "0")}`

const isSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdfff

/** Compares two strings by Unicode code points (equal to Go's byte-wise order on UTF-8). */
export const compareCodePoints = (a: string, b: string): number => {
  // Where the first differing code units are not surrogates, they are the differing code points.
  const units = Math.min(a.length, b.length)
  let i = 0
  while (i < units && a.charCodeAt(i) === b.charCodeAt(i)) i++
  if (i === units) return a.length - b.length
  const p = a.charCodeAt(i)
  const q = b.charCodeAt(i)
  return isSurrogate(p) || isSurrogate(q) ? compareBySurrogatePairs(a, b) : p - q
}

const compareBySurrogatePairs = (a: string, b: string): number => {
  const x = Array.from(a)
  const y = Array.from(b)
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!
    if (d !== 0) return d
  }
  return x.length - y.length
}

/** The characters Go escapes (or replaces) in a string: controls, `"`, `\\`, `<`, `>`, `&`, U+2028, U+2029, surrogates. */
const escaped = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/

/** A Go-escaped JSON string literal. */
export const quoteString = (s: string): string => (escaped.test(s) ? quoteEscaped(s) : `"${s}"`)

const quoteEscaped = (s: string): string => {
  let out = "\""
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!
        i++
      } else out += "\\ufffd"
      continue
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += "\\ufffd"
      continue
    }
    switch (c) {
      case 0x22:
        out += "\\\""
        break
      case 0x5c:
        out += "\\\\"
        break
      case 0x0a:
        out += "\\n"
        break
      case 0x0d:
        out += "\\r"
        break
      case 0x09:
        out += "\\t"
        break
      case 0x3c:
      case 0x3e:
      case 0x26:
      case 0x2028:
      case 0x2029:
        out += hex(c)
        break
      default:
        out += c < 0x20 ? hex(c) : s[i]
    }
  }
  return out + "\""
}

/** Whether keys are in code-point order already (objects built in that order need no sort). */
const isSorted = (keys: ReadonlyArray<string>): boolean => {
  for (let i = 1; i < keys.length; i++) if (compareCodePoints(keys[i - 1]!, keys[i]!) > 0) return false
  return true
}

/** Marshals a JSON-like value as Go's `json.Marshal` does after go-jose's map normalisation. */
export const marshal = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  switch (typeof value) {
    case "string":
      return quoteString(value)
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`json: unsupported value: ${value}`)
      return JSON.stringify(value)
    case "bigint":
      return value.toString()
    case "boolean":
      return value ? "true" : "false"
    case "object": {
      if (Array.isArray(value)) {
        let out = "["
        for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + marshal(value[i])
        return out + "]"
      }
      const record = value as Record<string, unknown>
      const keys = Object.keys(record)
      if (!isSorted(keys)) keys.sort(compareCodePoints)
      let out = "{"
      for (let i = 0; i < keys.length; i++) {
        const field = record[keys[i]!]
        if (field !== undefined) out += `${out.length === 1 ? "" : ","}${quoteString(keys[i]!)}:${marshal(field)}`
      }
      return out + "}"
    }
    default:
      throw new TypeError(`json: unsupported type: ${typeof value}`)
  }
}

/**
 * Reads a field of a decoded JSON object the way Go decodes into a struct: keys match the field name
 * case-insensitively, and the last matching key wins.
 */
export const field = (object: unknown, name: string): unknown => {
  if (object === null || typeof object !== "object" || Array.isArray(object)) return undefined
  const lower = name.toLowerCase()
  const record = object as Record<string, unknown>
  let found: unknown = undefined
  for (const k in record) {
    // Lowercasing keeps the length of any key that could match an ASCII name (the names read here
    // are all ASCII), so other lengths are skipped without lowercasing.
    if ((k === name || (k.length === name.length && k.toLowerCase() === lower)) && Object.hasOwn(record, k)) {
      found = record[k]
    }
  }
  return found
}
