/**
 * The language-neutral conformance vectors of `packages/conformance/vectors/`: their format, and
 * the runner that replays one vector's input through the domain programs behind the HTTP app (fixed
 * clock, fixed jti, fixed key, in-memory objects) and returns the exact answer. The generator writes
 * what the runner returns; the vector test proves the runner still returns what is written.
 *
 * @since 0.1.0
 */
import * as Clock from "@tokenrequest/clock/Clock"
import * as Config from "@tokenrequest/domain/Config"
import * as IdGenerator from "@tokenrequest/domain/IdGenerator"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import * as ObjectStore from "@tokenrequest/domain/ObjectStore"
import * as App from "@tokenrequest/http/App"
import * as KeyRing from "@tokenrequest/signer-jose/KeyRing"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/**
 * The vectors directory of the conformance package.
 *
 * @since 0.1.0
 * @category constants
 */
export const directory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../conformance/vectors")

/**
 * A fixed key of `keys.json`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Key {
  readonly algorithm: string
  readonly privateKey: string
  readonly publicKey: string
}

/**
 * The server configuration of a vector (CONTRACT §3 flag names in comments).
 *
 * @since 0.1.0
 * @category models
 */
export interface VectorConfig {
  /** `--service-account-issuer` (the first signs). */
  readonly issuers: ReadonlyArray<string>
  /** `--api-audiences`; empty means the issuers. */
  readonly apiAudiences: ReadonlyArray<string>
  /** `--service-account-max-token-expiration` in seconds; 0 = no cap. */
  readonly maxExpirationSeconds: number
  /** `--service-account-extend-token-expiration`. */
  readonly extendExpiration: boolean
  /** The extended lifetime (one year upstream, less with an external signer). */
  readonly maxExtendedExpirationSeconds: number
  /** `--service-account-jwks-uri`. */
  readonly jwksUri: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface VectorInput {
  readonly config: VectorConfig
  /** Id of the signing key in keys.json. */
  readonly signingKey: string
  /** Ids of further verification keys in keys.json (`--service-account-key-file`). */
  readonly verificationKeys: ReadonlyArray<string>
  /** The objects in the store (wire JSON). */
  readonly objects: ReadonlyArray<unknown>
  /** The one clock reading of the request, RFC 3339 (sub-second digits allowed: they are truncated). */
  readonly now: string
  /** The `jti` the server draws. */
  readonly jti: string
  readonly request: {
    readonly method: "GET" | "POST"
    readonly path: string
    readonly body?: unknown
  }
}

/**
 * The answer: HTTP code, the relevant headers, the body (its exact text is
 * `JSON.stringify(body)`), and for a TokenRequest the token split into its three segments (header and
 * payload as their exact decoded JSON text, the signature as base64url; RS256 signatures are
 * deterministic).
 *
 * @since 0.1.0
 * @category models
 */
export interface VectorOutput {
  readonly code: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
  readonly token?: { readonly header: string; readonly payload: string; readonly signature: string }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Vector {
  readonly id: string
  readonly description: string
  /** The upstream source the rule comes from. */
  readonly upstream: string
  readonly input: VectorInput
  readonly expected: VectorOutput
}

/**
 * One vectors file: the vectors of one spec chapter.
 *
 * @since 0.1.0
 * @category models
 */
export interface VectorFile {
  readonly chapter: string
  readonly spec: string
  readonly vectors: ReadonlyArray<Vector>
}

/**
 * keys.json.
 *
 * @since 0.1.0
 * @category loading
 */
export const readKeys = (): Readonly<Record<string, Key>> =>
  (JSON.parse(fs.readFileSync(path.join(directory, "keys.json"), "utf8")) as { keys: Record<string, Key> }).keys

/**
 * Every vectors file except keys.json, by file name.
 *
 * @since 0.1.0
 * @category loading
 */
export const readFiles = (): ReadonlyArray<readonly [string, VectorFile]> =>
  fs.readdirSync(directory)
    .filter((f) => f.endsWith(".json") && f !== "keys.json")
    .sort()
    .map((f) => [f, JSON.parse(fs.readFileSync(path.join(directory, f), "utf8")) as VectorFile] as const)

const decodeObject = Schema.decodeUnknownSync(KubeObject.KubeObject)

const headerNames = ["content-type", "cache-control", "warning"]

/**
 * Replays a vector's input through the HTTP app over the domain programs and returns the answer.
 *
 * @since 0.1.0
 * @category running
 */
export const execute = async (input: VectorInput, keys: Readonly<Record<string, Key>> = readKeys()): Promise<VectorOutput> => {
  const key = (id: string) => {
    const k = keys[id]
    if (k === undefined) throw new Error(`unknown key ${id}`)
    return k
  }
  const ports = Layer.mergeAll(
    ObjectStore.layerMemory(input.objects.map((o) => decodeObject(o))),
    Layer.orDie(KeyRing.layerFromKeys({
      signingKey: key(input.signingKey).privateKey,
      keys: [key(input.signingKey).publicKey, ...input.verificationKeys.map((id) => key(id).publicKey)]
    })),
    IdGenerator.layerFixed(input.jti),
    Config.layer({
      issuers: input.config.issuers as [string, ...Array<string>],
      apiAudiences: input.config.apiAudiences,
      maxExpirationSeconds: input.config.maxExpirationSeconds,
      extendExpiration: input.config.extendExpiration,
      maxExtendedExpirationSeconds: input.config.maxExtendedExpirationSeconds,
      jwksUri: input.config.jwksUri
    })
  ).pipe(Layer.provideMerge(Clock.layerFixed(input.now)))
  const { dispose, handler } = App.toWebHandler(ports)
  try {
    const response = await handler(
      new Request(`http://vectors.invalid${input.request.path}`, {
        method: input.request.method,
        ...(input.request.body !== undefined
          ? { body: JSON.stringify(input.request.body), headers: { "content-type": "application/json" } }
          : {})
      })
    )
    const text = await response.text()
    const headers: Record<string, string> = {}
    for (const name of headerNames) {
      const value = response.headers.get(name)
      if (value !== null) headers[name] = value
    }
    const body: unknown = JSON.parse(text)
    if (JSON.stringify(body) !== text) throw new Error(`the body is not compact JSON: ${text}`)
    const token = (body as { status?: { token?: unknown } }).status?.token
    if (typeof token === "string") {
      const [h, p, s] = token.split(".") as [string, string, string]
      return {
        code: response.status,
        headers,
        body,
        token: {
          header: Buffer.from(h, "base64url").toString("utf8"),
          payload: Buffer.from(p, "base64url").toString("utf8"),
          signature: s
        }
      }
    }
    return { code: response.status, headers, body }
  } finally {
    await dispose()
  }
}
