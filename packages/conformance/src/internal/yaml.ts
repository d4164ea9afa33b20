/**
 * A small YAML reader for kubeconfig files: block mappings, block sequences (`- key: value`), plain,
 * single- and double-quoted scalars, comments, and JSON documents (JSON is YAML). Anchors, flow
 * collections other than `[]`/`{}` and multi-line scalars are not supported (kubeconfigs do not use them).
 */

interface Line {
  readonly indent: number
  readonly text: string
}

const stripComment = (text: string): string => {
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote !== undefined) {
      if (c === quote) quote = undefined
    } else if (c === "'" || c === "\"") quote = c
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) return text.slice(0, i).trimEnd()
  }
  return text.trimEnd()
}

const scalar = (raw: string): unknown => {
  const text = raw.trim()
  if (text.startsWith("\"")) return JSON.parse(text)
  if (text.startsWith("'")) return text.slice(1, -1).replace(/''/g, "'")
  if (text === "[]") return []
  if (text === "{}") return {}
  if (text === "true") return true
  if (text === "false") return false
  if (text === "null" || text === "~" || text === "") return null
  if (/^-?\d+$/.test(text)) return Number(text)
  return text
}

const splitKey = (text: string): [string, string] | undefined => {
  const match = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:]+?):(?:\s+(.*))?$/.exec(text)
  if (match === null) return undefined
  return [String(scalar(match[1]!)), match[2] ?? ""]
}

const parseBlock = (lines: ReadonlyArray<Line>, start: number, indent: number): [unknown, number] => {
  let i = start
  if (i >= lines.length) return [null, i]
  if (lines[i]!.text.startsWith("- ") || lines[i]!.text === "-") {
    const list: Array<unknown> = []
    while (i < lines.length && lines[i]!.indent === indent && (lines[i]!.text.startsWith("- ") || lines[i]!.text === "-")) {
      const rest = lines[i]!.text.slice(1).trimStart()
      if (rest === "") {
        const [value, next] = parseBlock(lines, i + 1, lines[i + 1]?.indent ?? indent)
        list.push(value)
        i = next
      } else if (splitKey(rest) !== undefined && !rest.startsWith("\"") && !rest.startsWith("'")) {
        // `- key: value` opens a mapping whose further keys sit at the dash's indent + 2.
        const inner = indent + (lines[i]!.text.length - rest.length)
        const virtual: Array<Line> = [{ indent: inner, text: rest }]
        let j = i + 1
        while (j < lines.length && lines[j]!.indent >= inner) virtual.push(lines[j++]!)
        const [value] = parseBlock(virtual, 0, inner)
        list.push(value)
        i = j
      } else {
        list.push(scalar(rest))
        i++
      }
    }
    return [list, i]
  }
  const map: Record<string, unknown> = {}
  while (i < lines.length && lines[i]!.indent === indent) {
    const pair = splitKey(lines[i]!.text)
    if (pair === undefined) throw new Error(`cannot read YAML line: ${lines[i]!.text}`)
    const [key, rest] = pair
    if (rest === "") {
      const next = lines[i + 1]
      if (next !== undefined && (next.indent > indent || (next.indent === indent && next.text.startsWith("- ")))) {
        const [value, after] = parseBlock(lines, i + 1, next.indent)
        map[key] = value
        i = after
      } else {
        map[key] = null
        i++
      }
    } else {
      map[key] = scalar(rest)
      i++
    }
  }
  return [map, i]
}

/** Parses a kubeconfig-shaped YAML (or JSON) document. */
export const parse = (text: string): unknown => {
  const trimmed = text.trim()
  if (trimmed.startsWith("{")) return JSON.parse(trimmed)
  const lines: Array<Line> = []
  for (const raw of text.split(/\r?\n/)) {
    const content = stripComment(raw)
    if (content.trim() === "" || content.trim() === "---") continue
    lines.push({ indent: content.length - content.trimStart().length, text: content.trim() })
  }
  if (lines.length === 0) return null
  return parseBlock(lines, 0, lines[0]!.indent)[0]
}
