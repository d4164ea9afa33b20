/**
 * A JSON syntax check that words its errors as Go's `encoding/json` scanner does
 * (`invalid character 'x' looking for beginning of value`, `unexpected end of JSON input`), so
 * decode failures read like the API server's.
 *
 * @internal
 */

class SyntaxFailure {
  constructor(readonly message: string) {}
}

const endOfInput = "unexpected end of JSON input"

/** Go's `quoteChar`. */
const quoteChar = (code: number): string => {
  if (code === 0x27) return "'\\''"
  if (code === 0x22) return "'\"'"
  const quoted = JSON.stringify(String.fromCharCode(code)).slice(1, -1)
  if (code < 0x20 && !quoted.startsWith("\\u")) return `'${quoted}'`
  if (code < 0x20) return `'\\x${code.toString(16).padStart(2, "0")}'`
  return `'${quoted}'`
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
const isDigit = (c: number) => c >= 0x30 && c <= 0x39
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)

/**
 * Returns the Go error text of the first syntax error in `text`, or `undefined` when it is valid JSON.
 */
export const goSyntaxError = (text: string): string | undefined => {
  let i = 0
  const n = text.length
  const fail = (context: string): never => {
    if (i >= n) throw new SyntaxFailure(endOfInput)
    throw new SyntaxFailure(`invalid character ${quoteChar(text.charCodeAt(i))} ${context}`)
  }
  const skip = () => {
    while (i < n && isSpace(text.charCodeAt(i))) i++
  }
  const literal = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      i++
      if (i >= n) throw new SyntaxFailure(endOfInput)
      if (text[i] !== word[k]) fail(`in literal ${word} (expecting '${word[k]}')`)
    }
    i++
  }
  const string = () => {
    i++ // opening quote
    for (;;) {
      if (i >= n) throw new SyntaxFailure(endOfInput)
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        i++
        return
      }
      if (c === 0x5c) {
        i++
        if (i >= n) throw new SyntaxFailure(endOfInput)
        const e = text[i]!
        if (e === "u") {
          for (let k = 0; k < 4; k++) {
            i++
            if (i >= n) throw new SyntaxFailure(endOfInput)
            if (!isHex(text.charCodeAt(i))) fail("in \\u hexadecimal character escape")
          }
          i++
          continue
        }
        if (!"bfnrt\\/\"".includes(e)) fail("in string escape code")
        i++
        continue
      }
      if (c < 0x20) fail("in string literal")
      i++
    }
  }
  const number = () => {
    if (text[i] === "-") {
      i++
      if (i >= n) throw new SyntaxFailure(endOfInput)
      if (!isDigit(text.charCodeAt(i))) fail("in numeric literal")
    }
    if (text[i] === "0") i++
    else while (i < n && isDigit(text.charCodeAt(i))) i++
    if (text[i] === ".") {
      i++
      if (i >= n) throw new SyntaxFailure(endOfInput)
      if (!isDigit(text.charCodeAt(i))) fail("after decimal point in numeric literal")
      while (i < n && isDigit(text.charCodeAt(i))) i++
    }
    if (text[i] === "e" || text[i] === "E") {
      i++
      if (text[i] === "+" || text[i] === "-") i++
      if (i >= n) throw new SyntaxFailure(endOfInput)
      if (!isDigit(text.charCodeAt(i))) fail("in exponent of numeric literal")
      while (i < n && isDigit(text.charCodeAt(i))) i++
    }
  }
  const value = (): void => {
    skip()
    if (i >= n) throw new SyntaxFailure(endOfInput)
    const c = text[i]!
    if (c === "{") {
      i++
      skip()
      if (text[i] === "}") {
        i++
        return
      }
      for (;;) {
        skip()
        if (i >= n) throw new SyntaxFailure(endOfInput)
        if (text[i] !== "\"") fail("looking for beginning of object key string")
        string()
        skip()
        if (i >= n) throw new SyntaxFailure(endOfInput)
        if (text[i] !== ":") fail("after object key")
        i++
        value()
        skip()
        if (i >= n) throw new SyntaxFailure(endOfInput)
        if (text[i] === ",") {
          i++
          continue
        }
        if (text[i] === "}") {
          i++
          return
        }
        fail("after object key:value pair")
      }
    }
    if (c === "[") {
      i++
      skip()
      if (text[i] === "]") {
        i++
        return
      }
      for (;;) {
        value()
        skip()
        if (i >= n) throw new SyntaxFailure(endOfInput)
        if (text[i] === ",") {
          i++
          continue
        }
        if (text[i] === "]") {
          i++
          return
        }
        fail("after array element")
      }
    }
    if (c === "\"") return string()
    if (c === "-" || isDigit(text.charCodeAt(i))) return number()
    if (c === "t") return literal("true")
    if (c === "f") return literal("false")
    if (c === "n") return literal("null")
    fail("looking for beginning of value")
  }
  try {
    value()
    skip()
    if (i < n) fail("after top-level value")
    return undefined
  } catch (e) {
    if (e instanceof SyntaxFailure) return e.message
    throw e
  }
}

/** Go's name of a JSON value's type in `cannot unmarshal <type> into ...`. */
export const jsonTypeName = (value: unknown): string => {
  if (value === null) return "null"
  if (Array.isArray(value)) return "array"
  switch (typeof value) {
    case "string":
      return "string"
    case "number":
      return "number"
    case "boolean":
      return "bool"
    default:
      return "object"
  }
}
