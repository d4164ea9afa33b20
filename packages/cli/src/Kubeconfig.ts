/**
 * A small kubeconfig reader: enough of `clientcmd` to find the server, its CA and the credentials of
 * the current context. `$KUBECONFIG` may list several files (`:`-separated); as kubectl does, the first
 * file that sets a value wins, and `~/.kube/config` is the default.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as YAML from "yaml"
import * as CommandError from "./CommandError.js"

/**
 * The cluster, user and namespace of one context, with file paths made absolute (relative paths in a
 * kubeconfig are relative to the file that holds them).
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedContext {
  readonly contextName: string | undefined
  readonly server: string | undefined
  readonly namespace: string | undefined
  readonly certificateAuthority: Buffer | undefined
  readonly certificateAuthorityFile: string | undefined
  readonly insecureSkipTlsVerify: boolean
  readonly tlsServerName: string | undefined
  readonly token: string | undefined
  readonly clientCertificate: Buffer | undefined
  readonly clientKey: Buffer | undefined
}

/**
 * Nothing configured: no kubeconfig file was found.
 *
 * @since 0.1.0
 * @category constants
 */
export const empty: ResolvedContext = {
  contextName: undefined,
  server: undefined,
  namespace: undefined,
  certificateAuthority: undefined,
  certificateAuthorityFile: undefined,
  insecureSkipTlsVerify: false,
  tlsServerName: undefined,
  token: undefined,
  clientCertificate: undefined,
  clientKey: undefined
}

type Entry = Record<string, unknown>

interface LoadedFile {
  readonly file: string
  readonly document: Entry
}

const asRecord = (value: unknown): Entry =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Entry) : {}

const asString = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined)

const named = (files: ReadonlyArray<LoadedFile>, list: string, name: string, field: string) => {
  for (const { document, file } of files) {
    const items = document[list]
    if (!Array.isArray(items)) continue
    for (const item of items) {
      const entry = asRecord(item)
      if (entry.name === name) return { value: asRecord(entry[field]), file }
    }
  }
  return undefined
}

const readFile = (file: string, what: string) =>
  Effect.try({
    try: () => fs.readFileSync(file),
    catch: (e) => CommandError.usage(`${what}: ${(e as NodeJS.ErrnoException).message}`)
  })

const decodeData = (value: unknown, what: string) =>
  Effect.suspend(() => {
    const text = asString(value)
    if (text === undefined) return Effect.succeed(undefined)
    const data = Buffer.from(text, "base64")
    return data.length === 0
      ? Effect.fail(CommandError.usage(`${what}: illegal base64 data`))
      : Effect.succeed(data)
  })

const fileOrData = (entry: { value: Entry; file: string } | undefined, fileField: string, dataField: string) =>
  Effect.gen(function*() {
    if (entry === undefined) return { data: undefined, file: undefined }
    const data = yield* decodeData(entry.value[dataField], `kubeconfig ${entry.file}: ${dataField}`)
    if (data !== undefined) return { data, file: undefined }
    const relative = asString(entry.value[fileField])
    if (relative === undefined) return { data: undefined, file: undefined }
    const absolute = path.resolve(path.dirname(entry.file), relative)
    return { data: yield* readFile(absolute, `unable to read ${fileField} ${absolute}`), file: absolute }
  })

/**
 * The kubeconfig files to read: `--kubeconfig` alone when given, else every file in `$KUBECONFIG`
 * that exists, else `~/.kube/config` when it exists.
 *
 * @since 0.1.0
 * @category loading
 */
export const files = (explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): ReadonlyArray<string> => {
  if (explicit !== undefined) return [explicit]
  const list = env.KUBECONFIG
  if (list !== undefined && list !== "") {
    return list.split(path.delimiter).filter((f) => f !== "" && fs.existsSync(f))
  }
  const home = path.join(os.homedir(), ".kube", "config")
  return fs.existsSync(home) ? [home] : []
}

const load = (file: string) =>
  Effect.gen(function*() {
    const text = yield* readFile(file, `unable to read kubeconfig ${file}`)
    const document = yield* Effect.try({
      try: () => YAML.parse(text.toString("utf8")) as unknown,
      catch: (e) => CommandError.usage(`error loading config file "${file}": ${(e as Error).message}`)
    })
    return { file: path.resolve(file), document: asRecord(document) }
  })

/**
 * Reads the kubeconfig files and resolves a context: `contextName`, or the first `current-context`.
 * A missing explicit file or an unknown context is a usage error, as in kubectl.
 *
 * @since 0.1.0
 * @category loading
 */
export const resolve = (
  paths: ReadonlyArray<string>,
  contextName?: string
): Effect.Effect<ResolvedContext, CommandError.UsageError> =>
  Effect.gen(function*() {
    if (paths.length === 0) return empty
    const loaded = yield* Effect.forEach(paths, load)
    const current = contextName ??
      loaded.map((f) => asString(f.document["current-context"])).find((c) => c !== undefined)
    if (current === undefined) return empty
    const context = named(loaded, "contexts", current, "context")
    if (context === undefined) {
      return yield* Effect.fail(CommandError.usage(`context was not found for specified context: ${current}`))
    }
    const clusterName = asString(context.value.cluster)
    const userName = asString(context.value.user)
    const cluster = clusterName === undefined ? undefined : named(loaded, "clusters", clusterName, "cluster")
    const user = userName === undefined ? undefined : named(loaded, "users", userName, "user")
    if (clusterName !== undefined && cluster === undefined) {
      return yield* Effect.fail(CommandError.usage(`cluster "${clusterName}" not found in kubeconfig`))
    }
    const ca = yield* fileOrData(cluster, "certificate-authority", "certificate-authority-data")
    const cert = yield* fileOrData(user, "client-certificate", "client-certificate-data")
    const key = yield* fileOrData(user, "client-key", "client-key-data")
    let token = asString(user?.value.token)
    const tokenFile = asString(user?.value.tokenFile)
    if (token === undefined && tokenFile !== undefined && user !== undefined) {
      const absolute = path.resolve(path.dirname(user.file), tokenFile)
      token = (yield* readFile(absolute, `unable to read tokenFile ${absolute}`)).toString("utf8").trim()
    }
    return {
      contextName: current,
      server: asString(cluster?.value.server),
      namespace: asString(context.value.namespace),
      certificateAuthority: ca.data,
      certificateAuthorityFile: ca.file,
      insecureSkipTlsVerify: cluster?.value["insecure-skip-tls-verify"] === true,
      tlsServerName: asString(cluster?.value["tls-server-name"]),
      token,
      clientCertificate: cert.data,
      clientKey: key.data
    }
  })
