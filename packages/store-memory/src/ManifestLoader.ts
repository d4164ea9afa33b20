/**
 * Loads Kubernetes manifests (the `--objects` files): YAML or JSON, several YAML documents per file
 * (`---`), and `kind: List` with `items`. Only core/v1 ServiceAccount, Pod, Secret, Node and Namespace
 * are accepted. Every problem is reported with its file and document index (0-based, in file order;
 * List items as `items[i]`), and loading is all-or-nothing: one bad document in any file, or two
 * documents naming the same object, and nothing is returned.
 *
 * @since 0.1.0
 */
import { readFile } from "node:fs/promises"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Yaml from "yaml"
import type { AlreadyExists } from "@tokenrequest/domain/Errors"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import { ObjectStore, type ObjectStoreError } from "@tokenrequest/domain/ObjectStore"

/**
 * One rejected document.
 *
 * @since 0.1.0
 * @category models
 */
export interface ManifestProblem {
  readonly path: string
  /** 0-based index of the document in its file; `undefined` when the file itself failed. */
  readonly document?: number | undefined
  /** `items[i]` inside a `kind: List`. */
  readonly item?: number | undefined
  readonly message: string
}

/**
 * Loading failed; `problems` lists every rejected document of every file. The message is one line:
 * `<path>: document <i>: <problem>; …`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ManifestError extends Schema.TaggedError<ManifestError>("@tokenrequest/store-memory/ManifestError")(
  "ManifestError",
  {
    problems: Schema.Array(Schema.Struct({
      path: Schema.String,
      document: Schema.optional(Schema.Number),
      item: Schema.optional(Schema.Number),
      message: Schema.String
    }))
  }
) {
  override get message(): string {
    return this.problems.map(formatProblem).join("; ")
  }
}

/**
 * `<path>: document <i>[, items[j]]: <message>`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatProblem = (problem: ManifestProblem): string =>
  `${where(problem.path, problem.document, problem.item)}: ${problem.message}`

const where = (path: string, document: number | undefined, item: number | undefined): string =>
  document === undefined ? path : `${path}: document ${document}${item === undefined ? "" : `, items[${item}]`}`

const supported = Object.keys(KubeObject.kinds).join(", ")
const decodeObject = Schema.decodeUnknownEither(KubeObject.KubeObject, { onExcessProperty: "preserve" })

const oneLine = (text: string): string => text.split("\n")[0]!.trim()

const describeParseError = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${oneLine(issue.message)}`)
    .join(", ")

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Checks one object document (not a List) and applies the defaults `kubectl` applies. */
const toObject = (document: unknown): Either.Either<KubeObject.KubeObject, string> => {
  if (!isRecord(document)) return Either.left("not a Kubernetes object (expected a mapping)")
  const { apiVersion, kind } = document
  if (typeof kind !== "string" || kind === "") return Either.left("Object 'Kind' is missing")
  if (!(kind in KubeObject.kinds)) {
    return Either.left(`unsupported kind "${kind}" (supported: ${supported}, and List)`)
  }
  if (apiVersion !== "v1") {
    return Either.left(`unsupported apiVersion ${JSON.stringify(apiVersion ?? "")} for ${kind} (expected "v1")`)
  }
  return decodeObject(document).pipe(
    Either.mapLeft(describeParseError),
    Either.flatMap((object) => {
      const name = object.metadata.name ?? ""
      if (name === "") return Either.left(`${kind}: metadata.name is required`)
      const namespaced = KubeObject.kinds[object.kind].namespaced
      const { namespace, ...rest } = object.metadata
      return Either.right({
        ...object,
        metadata: namespaced ? { ...rest, namespace: namespace === undefined || namespace === "" ? "default" : namespace } : rest
      })
    })
  )
}

interface Located {
  readonly object: KubeObject.KubeObject
  readonly document: number
  readonly item?: number | undefined
}

// The YAML parser is loaded with the first YAML file: a server given no manifests does not carry it.
let yamlModule: Promise<typeof Yaml> | undefined
const isJson = (path: string) => /\.json$/i.test(path)
const parserFor = (path: string): Effect.Effect<typeof Yaml | undefined> =>
  isJson(path) ? Effect.succeed(undefined) : Effect.promise(() => yamlModule ??= import("yaml"))

const parseDocuments = (text: string, path: string, yaml: typeof Yaml | undefined): Either.Either<Array<unknown>, string> => {
  if (yaml === undefined) {
    try {
      return Either.right([JSON.parse(text)])
    } catch (error) {
      return Either.left(`invalid JSON: ${oneLine(String((error as Error).message ?? error))}`)
    }
  }
  return Either.right(Array.from(yaml.parseAllDocuments(text)).map((doc) =>
    doc.errors.length > 0 ? new MalformedYaml(oneLine(doc.errors[0]!.message)) : doc.toJS()
  ))
}

class MalformedYaml {
  constructor(readonly message: string) {}
}

/**
 * Parses the text of one manifest file (`path` names it in problems and picks JSON for `*.json`;
 * anything else is read as YAML, which also accepts JSON). Empty documents are skipped.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string, path: string): Effect.Effect<Array<KubeObject.KubeObject>, ManifestError> =>
  Effect.flatMap(parserFor(path), (yaml) => {
    const { objects, problems } = collect(text, path, yaml)
    return problems.length > 0 ? Effect.fail(new ManifestError({ problems })) : Effect.succeed(objects.map((o) => o.object))
  })

const collect = (
  text: string,
  path: string,
  yaml: typeof Yaml | undefined
): { objects: Array<Located>; problems: Array<ManifestProblem> } => {
  const objects: Array<Located> = []
  const problems: Array<ManifestProblem> = []
  const documents = parseDocuments(text, path, yaml)
  if (Either.isLeft(documents)) {
    problems.push({ path, document: 0, message: documents.left })
    return { objects, problems }
  }
  documents.right.forEach((document, index) => {
    if (document instanceof MalformedYaml) {
      problems.push({ path, document: index, message: `invalid YAML: ${document.message}` })
      return
    }
    if (document === null || document === undefined) return
    if (isRecord(document) && document["kind"] === "List") {
      if (document["apiVersion"] !== "v1") {
        problems.push({ path, document: index, message: `unsupported apiVersion ${JSON.stringify(document["apiVersion"] ?? "")} for List (expected "v1")` })
        return
      }
      const items = document["items"] ?? []
      if (!Array.isArray(items)) {
        problems.push({ path, document: index, message: "List: items must be a sequence" })
        return
      }
      items.forEach((item, i) => {
        const result = toObject(item)
        if (Either.isLeft(result)) problems.push({ path, document: index, item: i, message: result.left })
        else objects.push({ object: result.right, document: index, item: i })
      })
      return
    }
    const result = toObject(document)
    if (Either.isLeft(result)) problems.push({ path, document: index, message: result.left })
    else objects.push({ object: result.right, document: index })
  })
  return { objects, problems }
}

/**
 * Reads and parses manifest files, in order. Fails with every problem of every file, including a
 * second document for an object already defined (same kind, namespace and name); on success the
 * objects come in file and document order.
 *
 * @since 0.1.0
 * @category loading
 */
export const load = (paths: ReadonlyArray<string>): Effect.Effect<Array<KubeObject.KubeObject>, ManifestError> =>
  Effect.gen(function*() {
    const problems: Array<ManifestProblem> = []
    const all: Array<Located & { readonly path: string }> = []
    for (const path of paths) {
      const text = yield* Effect.either(Effect.tryPromise(() => readFile(path, "utf8")))
      if (Either.isLeft(text)) {
        const cause = text.left.error as NodeJS.ErrnoException
        problems.push({ path, message: `cannot read file: ${oneLine(cause?.message ?? String(cause))}` })
        continue
      }
      const result = collect(text.right, path, yield* parserFor(path))
      problems.push(...result.problems)
      all.push(...result.objects.map((o) => ({ ...o, path })))
    }
    const seen = new Map<string, Located & { readonly path: string }>()
    for (const entry of all) {
      const key = KubeObject.keyOf(entry.object)
      const id = `${key.kind}/${key.namespace}/${key.name}`
      const first = seen.get(id)
      if (first === undefined) {
        seen.set(id, entry)
        continue
      }
      const what = `${KubeObject.kinds[key.kind].resource} "${key.namespace === "" ? key.name : `${key.namespace}/${key.name}`}"`
      problems.push({
        path: entry.path,
        document: entry.document,
        item: entry.item,
        message: `${what} is defined twice (first in ${where(first.path, first.document, first.item)})`
      })
    }
    if (problems.length > 0) return yield* new ManifestError({ problems })
    return all.map((entry) => entry.object)
  })

/**
 * Creates objects in the store, in order. With `skipExisting`, an object whose key is already taken
 * is left as it is (a restarted replica seeding a shared etcd); otherwise that is `AlreadyExists`.
 *
 * @since 0.1.0
 * @category loading
 */
export const seed = (
  objects: Iterable<KubeObject.KubeObject>,
  options?: { readonly skipExisting?: boolean | undefined }
): Effect.Effect<Array<KubeObject.KubeObject>, AlreadyExists | ObjectStoreError, ObjectStore> =>
  Effect.gen(function*() {
    const store = yield* ObjectStore
    const created: Array<KubeObject.KubeObject> = []
    for (const object of objects) {
      const result = store.create(object)
      if (options?.skipExisting === true) {
        const outcome = yield* Effect.catchTag(result, "AlreadyExists", () => Effect.succeed(undefined))
        if (outcome !== undefined) created.push(outcome)
      } else {
        created.push(yield* result)
      }
    }
    return created
  })
