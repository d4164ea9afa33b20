/**
 * Request-body decoding as the API server's create handler does it (semantics §4 H1–H2): output
 * negotiation (406), media type (415), size limit (413), JSON or protobuf envelope, default group/version/kind so `apiVersion` and
 * `kind` may be omitted, upstream 400 texts for decode errors and for a wrong `apiVersion` or `kind`,
 * then the domain schema (which applies the v1 defaults). The reference server reuses it for its
 * object API.
 *
 * @since 0.1.0
 */
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Errors from "@tokenrequest/domain/Errors"
import * as FieldError from "@tokenrequest/domain/FieldError"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { Readable } from "node:stream"
import { goSyntaxError, jsonTypeName, maxNestingDepth } from "./internal/jsonSyntax.js"
import * as Negotiation from "./Negotiation.js"
import * as LazyProtobuf from "./internal/protobuf.js"
import type * as Protobuf from "./Protobuf.js"
import * as RequestUrl from "./RequestUrl.js"
import * as Status from "./Status.js"

/**
 * The API server's default request-body limit (`MaxRequestBodyBytes`, 3 MiB).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxRequestBodyBytes = 3 * 1024 * 1024

/**
 * @since 0.1.0
 * @category models
 */
export interface GroupVersionKind {
  readonly group: string
  readonly version: string
  readonly kind: string
}

/**
 * `GroupVersion.String()`: `version` for the core group, else `group/version`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const groupVersionString = (gvk: Pick<GroupVersionKind, "group" | "version">): string =>
  gvk.group === "" ? gvk.version : `${gvk.group}/${gvk.version}`

/**
 * `schema.ParseGroupVersion` as `FromAPIVersionAndKind` uses it: `v1` is the core group, `g/v` a
 * group, anything with more slashes is empty.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseApiVersion = (apiVersion: string): { readonly group: string; readonly version: string } => {
  const parts = apiVersion.split("/")
  if (apiVersion === "" || parts.length > 2) return { group: "", version: "" }
  return parts.length === 1 ? { group: "", version: parts[0]! } : { group: parts[0]!, version: parts[1]! }
}

/**
 * `gvkWithDefaults`: fills the kind, and the group/version when both are missing (or the version
 * when the group is the default one).
 *
 * @since 0.1.0
 * @category parsing
 */
export const withDefaults = (actual: GroupVersionKind, defaults: GroupVersionKind): GroupVersionKind => {
  let { group, kind, version } = actual
  if (kind === "") kind = defaults.kind
  if (version === "" && group === "") {
    group = defaults.group
    version = defaults.version
  }
  if (version === "" && group === defaults.group) version = defaults.version
  return { group, version, kind }
}

/**
 * How to decode one kind of body.
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodeOptions<A, I> {
  /** The endpoint's kind: the default when the body omits `apiVersion`/`kind`, and the only one accepted. */
  readonly gvk: GroupVersionKind
  /** The domain schema of the JSON wire shape. */
  readonly schema: Schema.Schema<A, I>
  /** The protobuf message of the kind; without it protobuf bodies are refused with 415. */
  readonly protobuf?: Protobuf.DecodableKind | undefined
  /** Other kinds served in the same group/version (a body of one of those is a conversion error). */
  readonly siblingKinds?: ReadonlyArray<string> | undefined
  /** Body limit in bytes (default 3 MiB). */
  readonly maxBytes?: number | undefined
  /**
   * The fields the kind has, for server-side field validation of JSON bodies (`?fieldValidation=`
   * `Warn` by default: unknown fields become `Warning` texts; `Strict`: 400; `Ignore`). Without it,
   * unknown fields are dropped silently.
   */
  readonly fields?: FieldTree | undefined
  /**
   * The schema's decoding of the common shapes in plain code (`TokenRequest.decodeCommonShape`),
   * tried first; `undefined` from it means "use the schema".
   */
  readonly decodeCommonShape?: ((input: unknown) => A | undefined) | undefined
}

/**
 * The known fields of a kind: each key maps to its own sub-tree, or to `true` when anything below
 * it is accepted (maps, opaque lists).
 *
 * @since 0.1.0
 * @category models
 */
export interface FieldTree {
  readonly [field: string]: FieldTree | true
}

/**
 * The fields of `metav1.ObjectMeta`.
 *
 * @since 0.1.0
 * @category field validation
 */
export const objectMetaFields: FieldTree = Object.fromEntries(
  [
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields"
  ].map((field) => [field, true as const])
)

/**
 * The unknown fields of a JSON object against a field tree, as dotted paths (`spec.foo`).
 *
 * @since 0.1.0
 * @category field validation
 */
export const unknownFields = (value: unknown, tree: FieldTree, prefix = ""): Array<string> => {
  const found: Array<string> = []
  collectUnknownFields(value, tree, prefix, found)
  return found
}

const collectUnknownFields = (value: unknown, tree: FieldTree, prefix: string, found: Array<string>): void => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record)) {
    // own fields of the tree only (`constructor` is not a field because every object has one)
    const known = Object.hasOwn(tree, key) ? tree[key] : undefined
    if (known === true) continue
    const path = prefix === "" ? key : `${prefix}.${key}`
    if (known === undefined) found.push(path)
    else collectUnknownFields(record[key], known, path, found)
  }
}

/**
 * A decoded body and the warnings decoding produced (unknown fields).
 *
 * @since 0.1.0
 * @category models
 */
export interface Decoded<A> {
  readonly object: A
  readonly warnings: ReadonlyArray<string>
}

const fieldValidationValues = ["Ignore", "Warn", "Strict"] as const

/**
 * The `fieldValidation` query parameter (default `Warn`); an unsupported value is the 422 of
 * `ValidateCreateOptions`.
 *
 * @since 0.1.0
 * @category field validation
 */
export const fieldValidation: Effect.Effect<
  "Ignore" | "Warn" | "Strict",
  Errors.Invalid,
  HttpServerRequest.HttpServerRequest
> = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
  // Without a query there is nothing to parse.
  const value = request.url.includes("?")
    ? RequestUrl.parse(request.url).searchParams.get("fieldValidation") ?? ""
    : ""
  if (value === "") return Effect.succeed("Warn" as const)
  const known = fieldValidationValues.find((v) => v === value)
  return known !== undefined
    ? Effect.succeed(known)
    : Effect.fail(
      new Errors.Invalid({
        group: "meta.k8s.io",
        kind: "CreateOptions",
        name: "",
        causes: [
          new FieldError.FieldError({
            type: "FieldValueNotSupported",
            field: "fieldValidation",
            value,
            detail: `supported values: ${fieldValidationValues.map((v) => JSON.stringify(v)).join(", ")}`
          })
        ]
      })
    )
})

const fail = (message: string) => Effect.fail(new Status.StatusFailure({ status: Status.badRequest(message) }))

/**
 * Reads the body, at most `maxBytes` (413 `Request entity too large: limit is <n>` beyond). The
 * bytes are remembered for the request: a later `readBody` of the same request gets them again.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readBody = (
  maxBytes: number = defaultMaxRequestBodyBytes
): Effect.Effect<Uint8Array, Status.StatusFailure, HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    // Built only when needed: an error captures a stack trace, too costly for every request.
    const tooLarge = () => new Status.StatusFailure({ status: Status.requestEntityTooLarge(maxBytes) })
    const declared = Number(request.headers["content-length"])
    if (Number.isFinite(declared) && declared > maxBytes) return Effect.fail(tooLarge())
    // A body can be read only once; a host that read it already (to look at it before handing the
    // request on) gets the same bytes to every later reader.
    const read = bodiesRead.get(request) ?? nodeBodiesRead.get(request.source as object)
    if (read !== undefined) return read.length > maxBytes ? Effect.fail(tooLarge()) : Effect.succeed(read)
    // A Node request (the platform's Node server) is read straight from its stream, as its
    // `stream` would, without a Stream per request; any other request through its `stream`.
    if (request.source instanceof Readable) return readNodeBody(request, request.source, maxBytes, tooLarge)
    return request.stream.pipe(
      Stream.mapError((error) => new Status.StatusFailure({ status: Status.badRequest(error.message) })),
      Stream.runFoldEffect({ size: 0, chunks: Chunk.empty<Uint8Array>() }, (acc, chunk) => {
        const size = acc.size + chunk.length
        return size > maxBytes ? Effect.fail(tooLarge()) : Effect.succeed({ size, chunks: Chunk.append(acc.chunks, chunk) })
      }),
      Effect.map(({ chunks, size }) => {
        const out = concatenate(chunks, size)
        bodiesRead.set(request, out)
        return out
      })
    )
  })

/** The chunks of a body, `size` bytes in all, as one array. */
const concatenate = (chunks: Iterable<Uint8Array>, size: number): Uint8Array => {
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/** The bodies read so far, by request. */
const bodiesRead = new WeakMap<HttpServerRequest.HttpServerRequest, Uint8Array>()

/** Bodies a host read from the Node request before handing it to the app, by Node request. */
const nodeBodiesRead = new WeakMap<object, Uint8Array>()

/**
 * Hands over a Node request whose body the host already read: the app's `readBody` of that request
 * gets these bytes (same limit, same answers) instead of reading the spent stream.
 *
 * @since 0.1.0
 * @category decoding
 */
export const rememberNodeBody = (request: Readable, body: Uint8Array): void => {
  nodeBodiesRead.set(request, body)
}

/**
 * Reads a Node request's body the way the platform's `stream` of it does (same error, same
 * release: listeners removed, the stream destroyed unless closed), in one callback-driven step.
 */
const readNodeBody = (
  request: HttpServerRequest.HttpServerRequest,
  readable: Readable,
  maxBytes: number,
  tooLarge: () => Status.StatusFailure
): Effect.Effect<Uint8Array, Status.StatusFailure> => {
  if (!readable.readable) {
    const empty = new Uint8Array(0)
    bodiesRead.set(request, empty)
    return Effect.succeed(empty)
  }
  return Effect.async<Uint8Array, Status.StatusFailure>((resume) => {
    const chunks: Array<Uint8Array> = []
    let size = 0
    const release = () => {
      readable.off("readable", onReadable)
      readable.off("error", onError)
      readable.off("end", onEnd)
      if ("closed" in readable && !readable.closed) readable.destroy()
    }
    const settle = (effect: Effect.Effect<Uint8Array, Status.StatusFailure>) => {
      release()
      resume(effect)
    }
    function onReadable() {
      let chunk: Buffer | null
      while ((chunk = readable.read() as Buffer | null) !== null) {
        size += chunk.length
        if (size > maxBytes) return settle(Effect.fail(tooLarge()))
        chunks.push(chunk)
      }
    }
    function onError(error: unknown) {
      const failure = new HttpServerError.RequestError({ request, reason: "Decode", cause: error })
      settle(Effect.fail(new Status.StatusFailure({ status: Status.badRequest(failure.message) })))
    }
    function onEnd() {
      onReadable()
      if (size > maxBytes) return
      const out = concatenate(chunks, size)
      bodiesRead.set(request, out)
      settle(Effect.succeed(out))
    }
    readable.on("readable", onReadable)
    readable.on("error", onError)
    readable.on("end", onEnd)
    return Effect.sync(release)
  })
}

/**
 * `summarizeData(body, 30)`: the start of a JSON body as text, of anything else as hex.
 *
 * @since 0.1.0
 * @category formatting
 */
export const summarizeData = (data: Uint8Array, maxLength = 30): string => {
  if (data.length === 0) return "<empty>"
  const head = data.subarray(0, maxLength)
  const more = data.length > maxLength ? " ..." : ""
  if (data[0] === 0x7b) return new TextDecoder().decode(head) + more
  return Array.from(head, (b) => b.toString(16).padStart(2, "0")).join("") + more
}

const kindMetaType =
  "struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }"

/** The type-and-object pair a body decodes to before the schema runs. */
interface Envelope {
  readonly apiVersion: string
  readonly kind: string
  readonly object: () => unknown
}

const unrecognized = (kind: string, error: string, body: Uint8Array) =>
  `the object provided is unrecognized (must be of type ${kind}): ${error} (${summarizeData(body)})`

const utf8 = new TextDecoder()

/**
 * `JSON.parse` with Go's syntax errors. Both follow the same grammar (RFC 8259), so the Go-worded
 * scanner runs only to word a failure — or first, when the text is long enough to nest deeper than
 * Go's limit, which `JSON.parse` does not have.
 */
const parseJson = (text: string): Either.Either<unknown, string> => {
  if (text.length > maxNestingDepth) {
    const syntax = goSyntaxError(text)
    if (syntax !== undefined) return Either.left(syntax)
  }
  try {
    return Either.right(JSON.parse(text) as unknown)
  } catch (error) {
    return Either.left(goSyntaxError(text) ?? (error as Error).message)
  }
}

const openJson = (body: Uint8Array, kind: string): Either.Either<Envelope, string> => {
  const text = utf8.decode(body)
  const parsed = parseJson(text)
  if (Either.isLeft(parsed)) {
    return Either.left(unrecognized(kind, `couldn't get version/kind; json parse error: ${parsed.left}`, body))
  }
  const value = parsed.right
  if (value === null) return Either.right({ apiVersion: "", kind: "", object: () => ({}) })
  if (typeof value !== "object" || Array.isArray(value)) {
    const error = `json: cannot unmarshal ${jsonTypeName(value)} into Go value of type ${kindMetaType}`
    return Either.left(unrecognized(kind, `couldn't get version/kind; json parse error: ${error}`, body))
  }
  const record = value as Record<string, unknown>
  for (const key of ["apiVersion", "kind"] as const) {
    const field = record[key]
    if (field !== undefined && field !== null && typeof field !== "string") {
      const error = `json: cannot unmarshal ${jsonTypeName(field)} into Go struct field .${key} of type string`
      return Either.left(unrecognized(kind, `couldn't get version/kind; json parse error: ${error}`, body))
    }
  }
  return Either.right({
    apiVersion: typeof record["apiVersion"] === "string" ? record["apiVersion"] : "",
    kind: typeof record["kind"] === "string" ? record["kind"] : "",
    object: () => record
  })
}

/**
 * Decodes the request body into the domain object of `options.schema`, answering every failure with
 * the upstream `Status` (400, 413, 415).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = <A, I>(
  options: DecodeOptions<A, I>
): Effect.Effect<A, Status.StatusFailure | Errors.Invalid, HttpServerRequest.HttpServerRequest> =>
  Effect.map(decodeWithWarnings(options), (decoded) => decoded.object)

/**
 * `decode`, also returning the field-validation warnings (send them as `Warning` headers).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeWithWarnings = <A, I>(
  options: DecodeOptions<A, I>
): Effect.Effect<Decoded<A>, Status.StatusFailure | Errors.Invalid, HttpServerRequest.HttpServerRequest> =>
  Effect.gen(function*() {
    const expected = options.gvk
    yield* Negotiation.negotiateOutput
    const format = yield* Negotiation.requestFormat
    if (format === "protobuf" && options.protobuf === undefined) {
      return yield* Effect.fail(
        new Status.StatusFailure({ status: Status.unsupportedMediaType([Negotiation.jsonMediaType]) })
      )
    }
    const body = yield* readBody(options.maxBytes)
    const validation = yield* fieldValidation
    const opened: Either.Either<Envelope, string> = format === "json"
      ? openJson(body, expected.kind)
      : yield* Effect.map(LazyProtobuf.load, (Protobuf) =>
        Either.match(Protobuf.decodeEnvelope(body), {
          onLeft: (error) => Either.left(unrecognized(expected.kind, error, body)),
          onRight: (envelope) =>
            Either.right<Envelope>({
              apiVersion: envelope.apiVersion,
              kind: envelope.kind,
              object: () => Protobuf.toJsonShape(options.protobuf!, envelope.raw)
            })
        }))
    if (Either.isLeft(opened)) return yield* fail(opened.left)
    const decoded = fromEnvelope(options, opened.right, format === "json" ? validation : "Ignore")
    return Either.isLeft(decoded) ? yield* fail(decoded.left) : decoded.right
  })

/**
 * The JSON branch of `decodeWithWarnings` as a pure function of the body bytes and the
 * `fieldValidation` value: the decoded object and its warnings, or the 400 message. For a host that
 * read the body itself (the reference server's fast path); same checks, same texts.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeJson = <A, I>(
  options: DecodeOptions<A, I>,
  body: Uint8Array,
  validation: "Ignore" | "Warn" | "Strict"
): Either.Either<Decoded<A>, string> =>
  Either.flatMap(openJson(body, options.gvk.kind), (envelope) => fromEnvelope(options, envelope, validation))

const noWarnings: ReadonlyArray<string> = []

/** Kind and version checks, field validation and the schema, on an opened body. */
const fromEnvelope = <A, I>(
  options: DecodeOptions<A, I>,
  envelope: Envelope,
  validation: "Ignore" | "Warn" | "Strict"
): Either.Either<Decoded<A>, string> => {
  const expected = options.gvk
  // the common case, the endpoint's own apiVersion and kind, needs no parsing
  const actual = envelope.kind === expected.kind && envelope.apiVersion === groupVersionString(expected)
    ? expected
    : withDefaults({ ...parseApiVersion(envelope.apiVersion), kind: envelope.kind }, expected)
  const cannotHandle = (error: string) =>
    `${actual.kind} in version ${JSON.stringify(actual.version)} cannot be handled as a ${expected.kind}: ${error}`
  if (actual.kind !== expected.kind) {
    const gv = groupVersionString(actual)
    const sameGroupVersion = actual.group === expected.group && actual.version === expected.version
    return Either.left(cannotHandle(
      sameGroupVersion && (options.siblingKinds ?? []).includes(actual.kind)
        ? `converting (${actual.version}.${actual.kind}) to (${internalPackage(expected.group)}.${expected.kind}): unknown conversion`
        : `no kind ${JSON.stringify(actual.kind)} is registered for version ${JSON.stringify(gv)} in scheme "pkg/api/legacyscheme/scheme.go:30"`
    ))
  }
  if (actual.group !== expected.group || actual.version !== expected.version) {
    return Either.left(
      `the API version in the data (${groupVersionString(actual)}) does not match the expected API version (${
        groupVersionString(expected)
      })`
    )
  }
  let object: unknown
  try {
    object = envelope.object()
  } catch (e) {
    return Either.left(cannotHandle(e instanceof Error ? e.message : String(e)))
  }
  // Field validation applies to JSON only (a protobuf decoder drops unknown fields by design).
  const unknown = options.fields !== undefined && validation !== "Ignore" ? unknownFields(object, options.fields) : []
  if (validation === "Strict" && unknown.length > 0) {
    return Either.left(
      cannotHandle(`strict decoding error: ${unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(", ")}`)
    )
  }
  const common = options.decodeCommonShape?.(object)
  if (common !== undefined) {
    return Either.right({ object: common, warnings: unknown.length === 0 ? noWarnings : unknown.map((f) => `unknown field ${JSON.stringify(f)}`) })
  }
  return Either.match(Schema.decodeUnknownEither(options.schema)(object), {
    onLeft: (error) => Either.left(cannotHandle(goDecodeError(expected.kind, error.issue))),
    onRight: (decoded) => Either.right({ object: decoded, warnings: unknown.map((f) => `unknown field ${JSON.stringify(f)}`) })
  })
}

const internalPackage = (group: string): string => (group === "" ? "core" : group.split(".")[0]!)

/**
 * The request namespace check (`EnsureObjectNamespaceMatchesRequestNamespace`): an empty body
 * namespace takes the URL's; a different one is 400.
 *
 * @since 0.1.0
 * @category decoding
 */
export const ensureNamespace = <M extends { readonly namespace?: string | undefined }>(
  requestNamespace: string,
  metadata: M
): Effect.Effect<M, Status.StatusFailure> => {
  const namespace = metadata.namespace ?? ""
  if (namespace === "") return Effect.succeed({ ...metadata, namespace: requestNamespace })
  return namespace === requestNamespace
    ? Effect.succeed(metadata)
    : fail("the namespace of the provided object does not match the namespace sent on the request")
}

const goFieldTypes: Record<string, string> = {
  expirationSeconds: "int64",
  gracePeriodSeconds: "int64",
  audiences: "[]string",
  groups: "[]string",
  dryRun: "[]string",
  authenticated: "bool",
  orphanDependents: "bool",
  labels: "map[string]string",
  annotations: "map[string]string",
  extra: "map[string]v1.ExtraValue",
  metadata: "v1.ObjectMeta",
  boundObjectRef: "v1.BoundObjectReference",
  user: "v1.UserInfo",
  userInfo: "v1.UserInfo",
  creationTimestamp: "v1.Time",
  deletionTimestamp: "v1.Time"
}

const goStructOf = (kind: string, objectPath: ReadonlyArray<string>): string => {
  const last = objectPath[objectPath.length - 1]
  if (last === undefined) return kind
  if (objectPath.length === 1 && (last === "spec" || last === "status")) {
    return `${kind}${last === "spec" ? "Spec" : "Status"}`
  }
  const type = goFieldTypes[last]
  return type !== undefined && type.startsWith("v1.") ? type.slice(3) : last
}

/**
 * Words a schema failure as Go's `encoding/json` does:
 * `json: cannot unmarshal string into Go struct field TokenRequestSpec.spec.expirationSeconds of type int64`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const goDecodeError = (kind: string, issue: ParseResult.ParseIssue): string => {
  const found = firstLeaf(issue, [])
  if (found === undefined) return "json: cannot unmarshal object into Go value of type " + kind
  const path = found.path.filter((p): p is string => typeof p === "string")
  const field = path[path.length - 1]
  if (field === undefined) return `json: cannot unmarshal ${jsonTypeName(found.actual)} into Go value of type v1.${kind}`
  if (found.message !== undefined && (field === "creationTimestamp" || field === "deletionTimestamp")) {
    return found.message
  }
  const inArray = typeof found.path[found.path.length - 1] === "number"
  let type = goFieldTypes[field] ?? (field === "spec" || field === "status"
    ? `v1.${kind}${field === "spec" ? "Spec" : "Status"}`
    : "string")
  if (inArray && type.startsWith("[]")) type = type.slice(2)
  const actual = typeof found.actual === "number" && type === "int64" && !Number.isInteger(found.actual)
    ? `number ${found.actual}`
    : jsonTypeName(found.actual)
  return `json: cannot unmarshal ${actual} into Go struct field ${goStructOf(kind, path.slice(0, -1))}.${
    path.join(".")
  } of type ${type}`
}

interface Leaf {
  readonly path: ReadonlyArray<PropertyKey>
  readonly actual: unknown
  readonly message: string | undefined
}

const firstLeaf = (issue: ParseResult.ParseIssue, path: ReadonlyArray<PropertyKey>): Leaf | undefined => {
  switch (issue._tag) {
    case "Pointer": {
      const segment = Array.isArray(issue.path) ? issue.path : [issue.path]
      return firstLeaf(issue.issue, [...path, ...(segment as Array<PropertyKey>)])
    }
    case "Composite": {
      const issues = Array.isArray(issue.issues) ? issue.issues : [issue.issues]
      for (const inner of issues as Array<ParseResult.ParseIssue>) {
        const leaf = firstLeaf(inner, path)
        if (leaf !== undefined) return leaf
      }
      return { path, actual: issue.actual, message: undefined }
    }
    case "Refinement":
    case "Transformation":
      return firstLeaf(issue.issue, path) ?? { path, actual: issue.actual, message: undefined }
    case "Type":
      return { path, actual: issue.actual, message: issue.message }
    case "Forbidden":
      return { path, actual: issue.actual, message: issue.message }
    case "Missing":
    case "Unexpected":
      return { path, actual: undefined, message: issue.message }
  }
}
