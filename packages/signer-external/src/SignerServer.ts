/**
 * An `ExternalJWTSigner` server (semantics §13) on top of the jose key ring, so that a real
 * kube-apiserver (`--service-account-signing-endpoint`) or this project's server signs with keys
 * from files, rotated without restart.
 *
 * - `Sign` signs the claims with the signing key in force, header `{"alg","kid","typ":"JWT"}`.
 * - `FetchKeys` returns every verification key as PKIX DER under its Kubernetes kid (plus the
 *   signing key's public half when the key files do not list it), a `data_timestamp` that changes
 *   whenever the key set changes, and the configured refresh hint.
 * - `Metadata` returns the configured maximum token lifetime.
 *
 * Both API versions (`v1`, `v1alpha1`) are served on the same socket. A stale socket file (no one
 * listening) is replaced at start; the socket file is removed at shutdown.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as grpc from "@grpc/grpc-js"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as KeyFile from "@tokenrequest/signer-jose/KeyFile"
import * as KeyRing from "@tokenrequest/signer-jose/KeyRing"
import type * as SigningKey from "@tokenrequest/signer-jose/SigningKey"
import * as Grpc from "./internal/grpc.js"
import type { ApiVersion, FetchKeysResponse, Key, MetadataResponse, SignJWTRequest, SignJWTResponse } from "./Protocol.js"

/**
 * The server could not start (socket in use, not a socket, bind failure).
 *
 * @since 0.1.0
 * @category errors
 */
export class SignerServerError extends Schema.TaggedError<SignerServerError>(
  "@tokenrequest/signer-external/SignerServerError"
)("SignerServerError", {
  description: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.description
  }
}

/**
 * Options of the server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** An absolute socket path, or `@name` in the abstract namespace. */
  readonly socket: string
  /** The keys: the ring's signing key signs, its verification keys are published. */
  readonly ring: KeyRing.KeyRing["Type"]
  /** Answered by `Metadata`; kube-apiserver refuses less than 600. */
  readonly maxTokenExpirationSeconds: number
  /** Answered by `FetchKeys`; must be positive. */
  readonly refreshHintSeconds: number
  /** Served API versions. Default both. */
  readonly apiVersions?: ReadonlyArray<ApiVersion> | undefined
  /** File mode of the socket. Default `0o600` (only the owner, usually root, may connect). */
  readonly socketMode?: number | undefined
}

/**
 * The running server.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignerServer {
  readonly socket: string
  readonly apiVersions: ReadonlyArray<ApiVersion>
}

const hashes = { RS256: "sha256", ES256: "sha256", ES384: "sha384", ES512: "sha512" } as const

/**
 * Signs `header.claims` with a key and returns the header and signature segments; the header is
 * `{"alg":…,"kid":…,"typ":"JWT"}` (upstream requires `typ`).
 *
 * @since 0.1.0
 * @category signing
 */
export const signClaims = (key: SigningKey.SigningKey, claims: string): SignJWTResponse => {
  const header = Buffer.from(JSON.stringify({ alg: key.algorithm, kid: key.keyId, typ: "JWT" }), "utf8").toString(
    "base64url"
  )
  const data = Buffer.from(`${header}.${claims}`, "utf8")
  const signature = key.algorithm === "RS256"
    ? crypto.sign("sha256", data, { key: key.privateKey, padding: crypto.constants.RSA_PKCS1_PADDING })
    : crypto.sign(hashes[key.algorithm], data, { key: key.privateKey, dsaEncoding: "ieee-p1363" })
  return { header, signature: signature.toString("base64url") }
}

const base64url = /^[A-Za-z0-9_-]*$/

const grpcError = (code: grpc.status, details: string): Partial<grpc.StatusObject> => ({ code, details })

const isLive = (path: string): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ path })
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

const prepareSocketFile = (path: string): Effect.Effect<void, SignerServerError> =>
  Effect.tryPromise({
    try: async () => {
      let stat: fs.Stats
      try {
        stat = fs.lstatSync(path)
      } catch {
        return
      }
      if (!stat.isSocket()) throw new Error(`refusing to replace ${path}: it exists and is not a socket`)
      if (await isLive(path)) throw new Error(`socket ${path} is in use by another process`)
      fs.rmSync(path, { force: true })
    },
    catch: (cause) => new SignerServerError({ description: cause instanceof Error ? cause.message : String(cause), cause })
  })

/**
 * Serves the protocol on the socket until the scope closes; the socket file is then removed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve = (options: Options): Effect.Effect<SignerServer, SignerServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const versions = options.apiVersions ?? ["v1", "v1alpha1"]
    const runtime = yield* Effect.runtime<never>()
    const run = Runtime.runPromise(runtime)
    const isFile = !options.socket.startsWith("@")

    // data_timestamp: when the published key set last changed, as this server saw it.
    let published = { fingerprint: "", timestampMillis: yield* Clock.currentTimeMillis }

    const keysOfRing = Effect.gen(function*() {
      const keys = yield* options.ring.keys
      const verification = [...keys.verification]
      const signing = Option.getOrUndefined(keys.signing)
      if (signing !== undefined && !verification.some((key) => key.keyId === signing.keyId)) {
        verification.push({ algorithm: signing.algorithm, keyId: signing.keyId, publicKey: signing.publicKey })
      }
      const fingerprint = verification.map((key) => key.keyId).join(",")
      if (fingerprint !== published.fingerprint) {
        const now = yield* Clock.currentTimeMillis
        // Strictly later than the previous timestamp, so that clients see a change even within a millisecond.
        const later = published.fingerprint === "" ? now : Math.max(now, published.timestampMillis + 1)
        published = { fingerprint, timestampMillis: later }
      }
      const protoKeys: Array<Key> = verification.map((key) => ({
        keyId: key.keyId,
        key: new Uint8Array(key.publicKey.export({ type: "spki", format: "der" })),
        excludeFromOidcDiscovery: false
      }))
      return {
        keys: protoKeys,
        dataTimestamp: {
          seconds: BigInt(Math.floor(published.timestampMillis / 1000)),
          nanos: (published.timestampMillis % 1000) * 1e6
        },
        refreshHintSeconds: BigInt(options.refreshHintSeconds)
      } satisfies FetchKeysResponse
    })

    const handlers: grpc.UntypedServiceImplementation = {
      Sign: (call: grpc.ServerUnaryCall<SignJWTRequest, SignJWTResponse>, callback: grpc.sendUnaryData<SignJWTResponse>) => {
        const claims = call.request.claims
        if (!base64url.test(claims) || claims.length % 4 === 1) {
          callback(grpcError(grpc.status.INVALID_ARGUMENT, "claims must be the unpadded base64url payload"))
          return
        }
        run(options.ring.keys).then((keys) => {
          if (Option.isNone(keys.signing)) {
            callback(grpcError(grpc.status.FAILED_PRECONDITION, "no service account signing key configured"))
          } else {
            callback(null, signClaims(keys.signing.value, claims))
          }
        }, (error) => callback(grpcError(grpc.status.INTERNAL, String(error))))
      },
      FetchKeys: (_call: grpc.ServerUnaryCall<unknown, FetchKeysResponse>, callback: grpc.sendUnaryData<FetchKeysResponse>) => {
        run(keysOfRing).then(
          (response) => callback(null, response),
          (error) => callback(grpcError(grpc.status.INTERNAL, String(error)))
        )
      },
      Metadata: (_call: grpc.ServerUnaryCall<unknown, MetadataResponse>, callback: grpc.sendUnaryData<MetadataResponse>) => {
        callback(null, { maxTokenExpirationSeconds: BigInt(options.maxTokenExpirationSeconds) })
      }
    }

    if (isFile) yield* prepareSocketFile(options.socket)

    yield* Effect.acquireRelease(
      Effect.async<grpc.Server, SignerServerError>((resume) => {
        const server = new grpc.Server()
        for (const version of versions) server.addService(Grpc.serviceDefinition(version), handlers)
        server.bindAsync(Grpc.target(options.socket), grpc.ServerCredentials.createInsecure(), (error) => {
          if (error) {
            server.forceShutdown()
            resume(Effect.fail(
              new SignerServerError({ description: `cannot listen on ${options.socket}: ${error.message}`, cause: error })
            ))
          } else {
            resume(Effect.succeed(server))
          }
        })
      }),
      (server) =>
        Effect.async<void>((resume) => {
          const timer = setTimeout(() => server.forceShutdown(), 5_000)
          server.tryShutdown(() => {
            clearTimeout(timer)
            resume(Effect.void)
          })
        }).pipe(Effect.zipRight(Effect.sync(() => isFile && fs.rmSync(options.socket, { force: true }))))
    )
    if (isFile) {
      yield* Effect.try({
        try: () => fs.chmodSync(options.socket, options.socketMode ?? 0o600),
        catch: (cause) => new SignerServerError({ description: `cannot set the mode of ${options.socket}: ${String(cause)}`, cause })
      })
    }
    return { socket: options.socket, apiVersions: versions }
  })

/**
 * Options of `serveFiles`: the server's options with keys read from files.
 *
 * @since 0.1.0
 * @category models
 */
export interface FilesOptions extends Omit<Options, "ring"> {
  /** The private key that signs; default: the first key file (which must then hold a private key). */
  readonly signingKeyFile?: string | undefined
  /** The published verification keys (PEM public keys, private keys or certificates). */
  readonly keyFiles: ReadonlyArray<string>
  /** Reload when a key file changes. Default `true`. */
  readonly watch?: boolean | undefined
  /** Reload on `SIGHUP`. Default `false`. */
  readonly reloadOnSignal?: boolean | undefined
}

/**
 * `tokenrequest signer serve`: a key ring from files (followed for rotation) served on a socket.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serveFiles = (
  options: FilesOptions
): Effect.Effect<SignerServer & { readonly ring: KeyRing.KeyRing["Type"] }, SignerServerError | KeyFile.KeyFileError, Scope.Scope> =>
  Effect.gen(function*() {
    const ring = yield* KeyRing.make(
      { _tag: "Files", signingKeyFile: options.signingKeyFile ?? options.keyFiles[0], keyFiles: options.keyFiles },
      { watch: options.watch ?? true, reloadOnSignal: options.reloadOnSignal ?? false }
    )
    const server = yield* serve({ ...options, ring })
    return { ...server, ring }
  })
