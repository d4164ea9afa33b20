/**
 * The compact form of a stored object: one JSON string per object, without the
 * `{"apiVersion":"v1","kind":"…",` opening (the store knows the kind), with `creationTimestamp` as
 * epoch milliseconds, and the commonest pieces of JSON (`,"namespace":"`, `,"uid":"`, …) written as
 * one control character each (JSON text never holds one raw). `unpack` turns it back into an equal
 * object. A fraction of the heap of the object itself (no per-object hidden classes, no
 * `DateTime`, no rope strings): about 150 characters for a Pod.
 *
 * Only objects that survive JSON unchanged are packed (plain objects and arrays, strings, finite
 * numbers, booleans, null) and open with `apiVersion: "v1"` and `kind`; anything else (a `DateTime`
 * `deletionTimestamp`, `undefined` fields, class instances, symbols) is kept as it is, so that what
 * the store hands out is always equal to what it stored.
 *
 * @internal
 */
import * as DateTime from "effect/DateTime"
import type * as KubeObject from "@tokenrequest/domain/KubeObject"

const openings: { readonly [K in KubeObject.ObjectKind]: string } = {
  Namespace: `{"apiVersion":"v1","kind":"Namespace",`,
  ServiceAccount: `{"apiVersion":"v1","kind":"ServiceAccount",`,
  Pod: `{"apiVersion":"v1","kind":"Pod",`,
  Secret: `{"apiVersion":"v1","kind":"Secret",`,
  Node: `{"apiVersion":"v1","kind":"Node",`
}

// Pieces of JSON written as U+0001, U+0002, … (at most 31): longer ones first where one contains
// another.
const pieces: ReadonlyArray<string> = [
  `{"metadata":{"name":"`,
  `,"namespace":"`,
  `,"uid":"`,
  `,"creationTimestamp":`,
  `,"resourceVersion":"`,
  `"},"spec":{`,
  `"serviceAccountName":"`,
  `,"nodeName":"`,
  `,"labels":{"`,
  `,"annotations":{"`,
  `kubernetes.io/service-account.name":"`,
  `,"type":"kubernetes.io/service-account-token"`,
  `"containers":[{"name":"`,
  `,"image":"`,
  `"},"data":{"`,
  `"}}`
]
const pieceOf = (c: string): string => pieces[c.charCodeAt(0) - 1]!
const shorten = (json: string): string => {
  let s = json
  for (let i = 0; i < pieces.length; i++) s = s.replaceAll(pieces[i]!, String.fromCharCode(i + 1))
  return s
}
const tokens = new RegExp(`[\\u0001-\\u${pieces.length.toString(16).padStart(4, "0")}]`, "g")
const lengthen = (packed: string): string => packed.replace(tokens, pieceOf)

/** Deeper than any real object; a cycle ends here too (the object is then kept as it is). */
const maxDepth = 64

// What JSON keeps and `assert.deepStrictEqual` compares: own enumerable string and symbol keys (not
// non-enumerable ones), prototypes, and array holes.
const survivesJson = (value: unknown, depth: number): boolean => {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0)
    case "object": {
      if (value === null) return true
      if (depth >= maxDepth || Object.getOwnPropertySymbols(value).length !== 0) return false
      if (Array.isArray(value)) {
        // Holes and extra properties do not survive.
        if (Object.getPrototypeOf(value) !== Array.prototype || Object.keys(value).length !== value.length) return false
        for (let i = 0; i < value.length; i++) {
          if (!survivesJson(value[i], depth + 1)) return false
        }
        return true
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false
      for (const key of Object.keys(value)) {
        if (!survivesJson((value as Record<string, unknown>)[key], depth + 1)) return false
      }
      return true
    }
    default:
      return false
  }
}

/**
 * The packed form of an object as stamped by the store, or `undefined` when it must be kept as it
 * is. The result is a flat string (not a rope of concatenations).
 */
export const pack = (object: KubeObject.KubeObject): string | undefined => {
  const created = object.metadata.creationTimestamp
  if (!DateTime.isDateTime(created) || !DateTime.isUtc(created)) return undefined
  const metadata = object.metadata
  if (Object.getPrototypeOf(object) !== Object.prototype || Object.getPrototypeOf(metadata) !== Object.prototype) {
    return undefined
  }
  const keys = Object.keys(object)
  // Only the usual opening is left out; an object in another key order is kept as it is.
  if (keys.length < 3 || keys[0] !== "apiVersion" || keys[1] !== "kind" || object.apiVersion !== "v1") return undefined
  if (Object.getOwnPropertySymbols(object).length !== 0) return undefined
  // The rest in the same key order, `creationTimestamp` where it was.
  const rest: Record<string, unknown> = {}
  for (let i = 2; i < keys.length; i++) {
    const key = keys[i]!
    // Assigning it would set the prototype (rare enough to keep such an object as it is).
    if (key === "__proto__") return undefined
    rest[key] = key === "metadata" ? { ...metadata, creationTimestamp: DateTime.toEpochMillis(created) } : object[key]
  }
  if (!survivesJson(rest, 0)) return undefined
  // `{"metadata":…}`: its `{` stands for the opening (a slice would keep the whole string alive).
  // The result of `replaceAll` is a rope of its pieces; a flat copy is a fraction of that.
  return flat(shorten(JSON.stringify(rest)))
}

/** The object of a packed form: equal to the one given to `pack`, but a new value. */
export const unpack = (kind: KubeObject.ObjectKind, packed: string): KubeObject.KubeObject => {
  const object = JSON.parse(openings[kind] + lengthen(packed).slice(1)) as { metadata: { creationTimestamp: unknown } }
  object.metadata.creationTimestamp = DateTime.unsafeMake(object.metadata.creationTimestamp as number)
  return object as unknown as KubeObject.KubeObject
}

/**
 * A flat copy of a string, for strings kept as long-lived map keys: a name built by concatenation is
 * a rope of many small strings until flattened, several times the size of its characters.
 */
export const flat = (s: string): string => s.length < 13 ? s : JSON.parse(JSON.stringify(s)) as string
