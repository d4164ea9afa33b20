/**
 * Test support: temporary directories with key files, and a deliberately misbehaving
 * `ExternalJWTSigner` whose every answer a test can script.
 */
import * as grpc from "@grpc/grpc-js"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { SigningKey } from "@tokenrequest/signer-jose"
import * as Grpc from "../src/internal/grpc.js"
import type { ApiVersion, FetchKeysResponse, Key, MetadataResponse, SignJWTResponse } from "../src/Protocol.js"
import { signClaims } from "../src/SignerServer.js"

/** A temporary directory removed with the scope. */
export const tempDir: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "tr-ext-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

/** A generated key: its PEM, parsed form, public PEM and PKIX DER. */
export const generateKey = (algorithm: "ES256" | "ES384" | "ES512" | "RS256" = "ES256") =>
  Effect.map(SigningKey.generate(algorithm), (pem) => {
    const key = Either.getOrThrow(SigningKey.fromPem(pem))
    return {
      pem,
      key,
      publicPem: key.publicKey.export({ type: "spki", format: "pem" }) as string,
      der: new Uint8Array(key.publicKey.export({ type: "spki", format: "der" }))
    }
  })

export type GeneratedKey = Effect.Effect.Success<ReturnType<typeof generateKey>>

/** Writes a file the way Secret mounts and editors do: a new file renamed over the old one. */
let counter = 0
export const replaceFile = (file: string, content: string) => {
  const temporary = `${file}.tmp-${counter++}`
  fs.writeFileSync(temporary, content)
  fs.renameSync(temporary, file)
}

type Answer<A> = A | { readonly code: grpc.status; readonly details: string }

/** What the fake signer answers; tests change these fields between calls. */
export interface Script {
  sign: (claims: string) => Answer<SignJWTResponse>
  fetchKeys: () => Answer<FetchKeysResponse>
  metadata: () => Answer<MetadataResponse>
  readonly calls: { sign: number; fetchKeys: number; metadata: number }
}

/** A well-behaved script for one key: signs with it, publishes it, 1 year max, 60 s hint. */
export const honest = (signing: GeneratedKey, options?: { readonly extraKeys?: ReadonlyArray<Key> }): Script => ({
  sign: (claims) => signClaims(signing.key, claims),
  fetchKeys: () => ({
    keys: [{ keyId: signing.key.keyId, key: signing.der, excludeFromOidcDiscovery: false }, ...(options?.extraKeys ?? [])],
    dataTimestamp: { seconds: 1_700_000_000n, nanos: 0 },
    refreshHintSeconds: 60n
  }),
  metadata: () => ({ maxTokenExpirationSeconds: 31_536_000n }),
  calls: { sign: 0, fetchKeys: 0, metadata: 0 }
})

const reply = <A>(answer: Answer<A>, callback: grpc.sendUnaryData<A>) => {
  if (typeof answer === "object" && answer !== null && "code" in answer && "details" in answer) {
    callback({ code: answer.code, details: answer.details })
  } else {
    callback(null, answer as A)
  }
}

/** Serves a script on a socket (one API version) until the scope closes. */
export const fakeSigner = (
  socket: string,
  script: Script,
  version: ApiVersion = "v1"
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<grpc.Server>((resume) => {
      const server = new grpc.Server()
      server.addService(Grpc.serviceDefinition(version), {
        Sign: (call: grpc.ServerUnaryCall<{ claims: string }, SignJWTResponse>, callback: grpc.sendUnaryData<SignJWTResponse>) => {
          script.calls.sign++
          reply(script.sign(call.request.claims), callback)
        },
        FetchKeys: (_call: unknown, callback: grpc.sendUnaryData<FetchKeysResponse>) => {
          script.calls.fetchKeys++
          reply(script.fetchKeys(), callback)
        },
        Metadata: (_call: unknown, callback: grpc.sendUnaryData<MetadataResponse>) => {
          script.calls.metadata++
          reply(script.metadata(), callback)
        }
      })
      server.bindAsync(Grpc.target(socket), grpc.ServerCredentials.createInsecure(), (error) => {
        if (error) throw error
        resume(Effect.succeed(server))
      })
    }),
    (server) => Effect.sync(() => server.forceShutdown())
  )

/** Polls a condition with real time (for effects of background fibers), failing after ~10 s. */
export const eventually = <A, E, R>(check: Effect.Effect<A | undefined, E, R>): Effect.Effect<A, E | Error, R> =>
  Effect.gen(function*() {
    for (let i = 0; i < 200; i++) {
      const value = yield* check
      if (value !== undefined) return value
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))
    }
    return yield* Effect.fail(new Error("condition not met within 10 s"))
  })

/** The base64url of a JSON value. */
export const b64 = (value: unknown): string =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8").toString("base64url")

/**
 * Leaves a stale socket file behind: a child process listens on it and is killed with SIGKILL, so
 * nobody removes the file and nobody accepts connections.
 */
export const staleSocket = (socket: string): Effect.Effect<void> =>
  Effect.promise(async () => {
    const { spawn } = await import("node:child_process")
    const child = spawn(process.execPath, [
      "-e",
      `require("node:net").createServer().listen(${JSON.stringify(socket)}, () => console.log("ready"))`
    ], { stdio: ["ignore", "pipe", "inherit"] })
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once("data", () => resolve())
      child.once("exit", () => reject(new Error("the stale-socket child exited early")))
    })
    const exited = new Promise((resolve) => child.once("exit", resolve))
    child.kill("SIGKILL")
    await exited
  })
