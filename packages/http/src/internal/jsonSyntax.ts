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

/** Go's `maxNestingDepth`: the scanner refuses the 10001st nested object or array. */
export const maxNestingDepth = 10_000

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
  // Iterative, with an explicit stack of open containers, so that deep nesting cannot overflow the
  // call stack; like Go's scanner it refuses the 10001st level ("exceeded max depth").
  const objectKey = () => {
    skip()
    if (i >= n) throw new SyntaxFailure(endOfInput)
    if (text[i] !== "\"") fail("looking for beginning of object key string")
    string()
    skip()
    if (i >= n) throw new SyntaxFailure(endOfInput)
    if (text[i] !== ":") fail("after object key")
    i++
  }
  const value = (): void => {
    const open: Array<"{" | "["> = []
    for (;;) {
      skip()
      if (i >= n) throw new SyntaxFailure(endOfInput)
      const c = text[i]!
      if (c === "{" || c === "[") {
        if (open.length + 1 > maxNestingDepth) fail("exceeded max depth")
        i++
        skip()
        if (text[i] !== (c === "{" ? "}" : "]")) {
          open.push(c)
          if (c === "{") objectKey()
          continue
        }
        i++
      } else if (c === "\"") string()
      else if (c === "-" || isDigit(text.charCodeAt(i))) number()
      else if (c === "t") literal("true")
      else if (c === "f") literal("false")
      else if (c === "n") literal("null")
      else fail("looking for beginning of value")
      // A value is complete: close containers until one expects another element.
      for (;;) {
        const top = open[open.length - 1]
        if (top === undefined) return
        skip()
        if (i >= n) throw new SyntaxFailure(endOfInput)
        if (text[i] === ",") {
          i++
          if (top === "{") objectKey()
          break
        }
        if (text[i] === (top === "{" ? "}" : "]")) {
          i++
          open.pop()
          continue
        }
        fail(top === "{" ? "after object key:value pair" : "after array element")
      }
    }
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
