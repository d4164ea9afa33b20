/**
 * A small reader for the Kubernetes protobuf encoding of the five core/v1 kinds the object API
 * stores, enough for what kubectl's typed create commands send (`kubectl create namespace|
 * serviceaccount|secret`, `kubectl run`): ObjectMeta (name, generateName, namespace, labels,
 * annotations, finalizers), ServiceAccount secrets, Secret data/stringData/type/immutable, and the Pod
 * spec fields the token rules and `kubectl get` read (service account, node, containers' name,
 * image, command, args, restart and DNS policy). Field numbers are those of
 * `k8s.io/api/core/v1/generated.proto` and `apimachinery/pkg/apis/meta/v1/generated.proto`.
 *
 * @internal
 */

type Field = { readonly field: number; readonly wire: number; readonly varint?: bigint; readonly bytes?: Uint8Array }

const readVarint = (buf: Uint8Array, start: number): [bigint, number] => {
  let result = 0n
  let shift = 0n
  let pos = start
  for (;;) {
    if (pos >= buf.length) throw new Error("unexpected end of data in varint")
    const byte = buf[pos++]!
    result |= BigInt(byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return [result, pos]
    shift += 7n
    if (shift > 70n) throw new Error("varint too long")
  }
}

/** The fields of one message, in order. */
export const fields = (buf: Uint8Array): Array<Field> => {
  const out: Array<Field> = []
  let pos = 0
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos)
    pos = afterKey
    const field = Number(key >> 3n)
    const wire = Number(key & 7n)
    switch (wire) {
      case 0: {
        const [value, next] = readVarint(buf, pos)
        out.push({ field, wire, varint: value })
        pos = next
        break
      }
      case 1:
        pos += 8
        out.push({ field, wire })
        break
      case 2: {
        const [length, next] = readVarint(buf, pos)
        const end = next + Number(length)
        if (end > buf.length) throw new Error("unexpected end of data in length-delimited field")
        out.push({ field, wire, bytes: buf.subarray(next, end) })
        pos = end
        break
      }
      case 5:
        pos += 4
        out.push({ field, wire })
        break
      default:
        throw new Error(`unsupported wire type ${wire}`)
    }
  }
  return out
}

const decoder = new TextDecoder()
const str = (f: Field) => decoder.decode(f.bytes ?? new Uint8Array())

const stringMap = (entries: ReadonlyArray<Field>, asBase64 = false): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const entry of entries) {
    let key = ""
    let value = ""
    for (const f of fields(entry.bytes ?? new Uint8Array())) {
      if (f.field === 1) key = str(f)
      if (f.field === 2) value = asBase64 ? Buffer.from(f.bytes ?? new Uint8Array()).toString("base64") : str(f)
    }
    out[key] = value
  }
  return out
}

const group = (buf: Uint8Array) => {
  const byField = new Map<number, Array<Field>>()
  for (const f of fields(buf)) {
    const list = byField.get(f.field) ?? []
    list.push(f)
    byField.set(f.field, list)
  }
  return {
    string: (n: number) => {
      const list = byField.get(n)
      return list === undefined ? undefined : str(list[list.length - 1]!)
    },
    strings: (n: number) => (byField.get(n) ?? []).map(str),
    message: (n: number) => {
      const list = byField.get(n)
      return list === undefined ? undefined : list[list.length - 1]!.bytes
    },
    messages: (n: number) => (byField.get(n) ?? []).map((f) => f.bytes ?? new Uint8Array()),
    entries: (n: number) => byField.get(n) ?? [],
    bool: (n: number) => {
      const list = byField.get(n)
      return list === undefined ? undefined : list[list.length - 1]!.varint !== 0n
    }
  }
}

const compact = (record: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(record).filter(([, v]) =>
      v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0) &&
      !(typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)
    )
  )

const objectMeta = (buf: Uint8Array | undefined): Record<string, unknown> => {
  if (buf === undefined) return {}
  const m = group(buf)
  return compact({
    name: m.string(1),
    generateName: m.string(2),
    namespace: m.string(3),
    labels: stringMap(m.entries(11)),
    annotations: stringMap(m.entries(12)),
    finalizers: m.strings(14)
  })
}

const container = (buf: Uint8Array): Record<string, unknown> => {
  const c = group(buf)
  return compact({ name: c.string(1), image: c.string(2), command: c.strings(3), args: c.strings(4), workingDir: c.string(5) })
}

const podSpec = (buf: Uint8Array | undefined): Record<string, unknown> => {
  if (buf === undefined) return {}
  const s = group(buf)
  return compact({
    containers: s.messages(2).map(container),
    restartPolicy: s.string(3),
    dnsPolicy: s.string(6),
    nodeSelector: stringMap(s.entries(7)),
    serviceAccountName: s.string(8),
    serviceAccount: s.string(9),
    nodeName: s.string(10)
  })
}

/** The JSON shape of a core/v1 object from its protobuf message bytes. */
export const decodeObject = (kind: string, raw: Uint8Array): Record<string, unknown> => {
  const o = group(raw)
  const base = { apiVersion: "v1", kind, metadata: objectMeta(o.message(1)) }
  switch (kind) {
    case "ServiceAccount": {
      const automount = o.bool(4)
      return compact({
        ...base,
        secrets: o.messages(2).map((ref) => compact({ name: group(ref).string(3), namespace: group(ref).string(2) })),
        imagePullSecrets: o.messages(3).map((ref) => compact({ name: group(ref).string(1) })),
        ...(automount === undefined ? {} : { automountServiceAccountToken: automount })
      })
    }
    case "Secret": {
      const immutable = o.bool(5)
      return compact({
        ...base,
        data: stringMap(o.entries(2), true),
        type: o.string(3),
        stringData: stringMap(o.entries(4)),
        ...(immutable === undefined ? {} : { immutable })
      })
    }
    case "Pod":
      return { ...base, spec: podSpec(o.message(2)) }
    default:
      return base
  }
}
