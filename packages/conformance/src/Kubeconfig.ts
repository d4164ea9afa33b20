/**
 * Reads the endpoint (server, bearer token or client certificate, CA, TLS verification) of a
 * kubeconfig's current context,
 * so the suite can be pointed at a cluster the way kubectl is.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Endpoint } from "./Endpoint.js"
import * as Yaml from "./internal/yaml.js"

/**
 * @since 0.1.0
 * @category errors
 */
export class KubeconfigError extends Data.TaggedError("@tokenrequest/conformance/KubeconfigError")<{
  readonly file: string
  readonly description: string
}> {
  override get message(): string {
    return `${this.file}: ${this.description}`
  }
}

type Named = { readonly name?: unknown } & Record<string, unknown>

const record = (u: unknown): Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : {}

const find = (list: unknown, name: unknown, field: string): Record<string, unknown> | undefined => {
  if (!Array.isArray(list)) return undefined
  const entry = (list as Array<Named>).find((e) => record(e).name === name)
  return entry === undefined ? undefined : record(record(entry)[field])
}

/**
 * The endpoint of the current context (or `context`) of a kubeconfig text. Relative file paths
 * (`certificate-authority`, `tokenFile`) are resolved against `directory`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (
  text: string,
  directory: string,
  context?: string
): Partial<Endpoint> => {
  const config = record(Yaml.parse(text))
  const contextName = context ?? config["current-context"]
  const current = find(config["contexts"], contextName, "context") ?? {}
  const cluster = find(config["clusters"], current["cluster"], "cluster") ?? {}
  const user = find(config["users"], current["user"], "user") ?? {}
  const file = (value: unknown) => fs.readFileSync(path.resolve(directory, String(value)), "utf8")
  const caData = cluster["certificate-authority-data"]
  const caFile = cluster["certificate-authority"]
  const certificateAuthority = typeof caData === "string"
    ? Buffer.from(caData, "base64").toString("utf8")
    : typeof caFile === "string"
    ? file(caFile)
    : undefined
  const token = typeof user["token"] === "string"
    ? user["token"]
    : typeof user["tokenFile"] === "string"
    ? file(user["tokenFile"]).trim()
    : undefined
  const pem = (data: unknown, fileName: unknown): string | undefined =>
    typeof data === "string"
      ? Buffer.from(data, "base64").toString("utf8")
      : typeof fileName === "string"
      ? file(fileName)
      : undefined
  const clientCertificate = pem(user["client-certificate-data"], user["client-certificate"])
  const clientKey = pem(user["client-key-data"], user["client-key"])
  return {
    ...(typeof cluster["server"] === "string" ? { server: cluster["server"] } : {}),
    ...(clientCertificate !== undefined ? { clientCertificate } : {}),
    ...(clientKey !== undefined ? { clientKey } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(certificateAuthority !== undefined ? { certificateAuthority } : {}),
    ...(cluster["insecure-skip-tls-verify"] === true ? { insecureSkipTlsVerify: true } : {})
  }
}

/**
 * Reads a kubeconfig file.
 *
 * @since 0.1.0
 * @category parsing
 */
export const read = (file: string, context?: string): Effect.Effect<Partial<Endpoint>, KubeconfigError> =>
  Effect.try({
    try: () => parse(fs.readFileSync(file, "utf8"), path.dirname(path.resolve(file)), context),
    catch: (e) => new KubeconfigError({ file, description: e instanceof Error ? e.message : String(e) })
  })
