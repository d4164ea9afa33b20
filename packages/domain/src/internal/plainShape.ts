/**
 * Checks for the hand-written codecs of the common wire shapes (`TokenRequest.decodeCommonShape`
 * and friends): they take a value only when every key is one they know and every value has the
 * plain type; anything else goes to the schema.
 *
 * @internal
 */

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Every own key of `record` is in `known`. */
export const keysWithin = (record: Record<string, unknown>, known: ReadonlySet<string>): boolean => {
  for (const key in record) if (!known.has(key)) return false
  return true
}

/** A copy of an array of strings, or `undefined` when it is not one. */
export const stringArray = (value: unknown): Array<string> | undefined => {
  if (!Array.isArray(value)) return undefined
  for (const item of value) if (typeof item !== "string") return undefined
  return value.slice() as Array<string>
}

/** A record with no keys (a fresh `{}` for it), or `undefined`. */
export const emptyRecord = (value: unknown): Record<string, never> | undefined => {
  if (!isRecord(value)) return undefined
  for (const _ in value) return undefined
  return {}
}

/**
 * The common opening of a plain object body: only `known` top-level keys, string `apiVersion` and
 * `kind` when present, no metadata (absent, `null` or `{}`), a spec record (absent or `null`: `{}`).
 */
export const openBody = (input: unknown, known: ReadonlySet<string>):
  | {
    readonly typeMeta: { readonly kind: string | undefined; readonly apiVersion: string | undefined }
    readonly metadata: Record<string, never>
    readonly spec: Record<string, unknown>
  }
  | undefined =>
{
  if (!isRecord(input) || !keysWithin(input, known)) return undefined
  const { apiVersion, kind } = input
  if ((apiVersion !== undefined && typeof apiVersion !== "string") || (kind !== undefined && typeof kind !== "string")) {
    return undefined
  }
  const metadata = input["metadata"] === undefined || input["metadata"] === null ? {} : emptyRecord(input["metadata"])
  const spec = input["spec"] ?? {}
  if (metadata === undefined || !isRecord(spec)) return undefined
  return { typeMeta: { kind, apiVersion }, metadata, spec }
}

/**
 * `{ kind, apiVersion, metadata, spec }` in that key order, `kind` and `apiVersion` only when present
 * (built without spreads: the fast path decodes every body with it).
 */
export const withTypeMeta = <M, S>(
  typeMeta: { readonly kind?: string | undefined; readonly apiVersion?: string | undefined },
  metadata: M,
  spec: S
) => {
  const out: { kind?: string; apiVersion?: string; metadata: M; spec: S } = {} as never
  if (typeMeta.kind !== undefined) out.kind = typeMeta.kind
  if (typeMeta.apiVersion !== undefined) out.apiVersion = typeMeta.apiVersion
  out.metadata = metadata
  out.spec = spec
  return out
}
