/**
 * Our client against our server over a real Unix socket: the port contracts, equivalence with local
 * signing, rotation while signing, both API versions, and the socket file's life cycle.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import { FastCheck } from "effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import type { KeySet } from "@tokenrequest/domain/KeySet"
import type { TokenSigner } from "@tokenrequest/domain/TokenSigner"
import { KeyRing, SignedToken } from "@tokenrequest/signer-jose"
import { ExternalSigner, SignerServer } from "@tokenrequest/signer-external"
import * as KeySetContract from "@tokenrequest/testkit/KeySetContract"
import * as TokenSignerContract from "@tokenrequest/testkit/TokenSignerContract"
import * as Support from "./support.js"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "tr-ext-rt-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let counter = 0

/** A directory with a signing key file and a key file listing extra public keys after it. */
const keyFiles = (algorithm: "ES256" | "ES384" | "ES512" | "RS256", extra: ReadonlyArray<Support.GeneratedKey> = []) =>
  Effect.gen(function*() {
    const dir = path.join(root, `case-${counter++}`)
    fs.mkdirSync(dir)
    const signing = yield* Support.generateKey(algorithm)
    const signingKeyFile = path.join(dir, "sa.key")
    const publicFile = path.join(dir, "sa.pub")
    fs.writeFileSync(signingKeyFile, signing.pem)
    fs.writeFileSync(publicFile, [signing.publicPem, ...extra.map((k) => k.publicPem)].join(""))
    return { dir, signing, signingKeyFile, publicFile, socket: path.join(dir, "signer.sock") }
  })

/** Server and client as one layer: what an apiserver pointed at `tokenrequest signer serve` sees. */
const throughSocket = (algorithm: "ES256" | "ES384" | "ES512" | "RS256", apiVersion: "v1" | "v1alpha1" = "v1") =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const files = yield* keyFiles(algorithm)
    yield* SignerServer.serveFiles({
      socket: files.socket,
      signingKeyFile: files.signingKeyFile,
      keyFiles: [files.publicFile],
      maxTokenExpirationSeconds: 86400,
      refreshHintSeconds: 300,
      watch: false
    })
    return ExternalSigner.layer({ endpoint: files.socket, apiVersion })
  })) as Layer.Layer<TokenSigner | KeySet | ExternalSigner.ExternalSigner, ExternalSigner.ExternalSignerError>

for (const algorithm of ["ES256", "RS256"] as const) {
  const layer = throughSocket(algorithm)
  TokenSignerContract.suite(`external signer over a socket, ${algorithm}`, layer, { localKeyLayout: false, numRuns: 20 })
  KeySetContract.suite(`external signer over a socket, ${algorithm}`, layer, { cacheMaxAgeSeconds: undefined, numRuns: 20 })
}
TokenSignerContract.suite("external signer over a socket, ES512, v1alpha1", throughSocket("ES512", "v1alpha1"), {
  localKeyLayout: false,
  numRuns: 10
})

describe("our client against our server", () => {
  for (const algorithm of ["ES256", "ES384", "ES512", "RS256"] as const) {
    it.live(`${algorithm}: sign through the socket, verify with the fetched keys; header {alg,kid,typ}`, () =>
      Effect.gen(function*() {
        const files = yield* keyFiles(algorithm)
        yield* SignerServer.serveFiles({
          socket: files.socket,
          signingKeyFile: files.signingKeyFile,
          keyFiles: [files.publicFile],
          maxTokenExpirationSeconds: 86400,
          refreshHintSeconds: 60,
          watch: false
        })
        const client = yield* ExternalSigner.make({ endpoint: files.socket })
        assert.strictEqual(client.signer.maxTokenExpirationSeconds, 86400)
        const token = yield* client.tokenSigner.sign(`{"iss":"https://example","sub":"a"}`)
        const parsed = SignedToken.parse(token)!
        assert.strictEqual(parsed.keyId, files.signing.key.keyId)
        assert.strictEqual(yield* client.keySet.verify(parsed), "Verified")
        const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString())
        assert.deepStrictEqual(header, { alg: algorithm, kid: files.signing.key.keyId, typ: "JWT" })
        assert.include([59, 60], yield* client.keySet.cacheMaxAgeSeconds)
      }).pipe(Effect.scoped))
  }

  it.live("locally or through the socket: the same payload segment, and both verify with the same JWKS", () =>
    Effect.gen(function*() {
      const other = yield* Support.generateKey("RS256")
      const files = yield* keyFiles("ES384", [other])
      const ring = yield* KeyRing.make({ _tag: "Files", signingKeyFile: files.signingKeyFile, keyFiles: [files.publicFile] })
      yield* SignerServer.serve({ socket: files.socket, ring, maxTokenExpirationSeconds: 3600, refreshHintSeconds: 60 })
      const client = yield* ExternalSigner.make({ endpoint: files.socket })
      const local = { signer: KeyRing.tokenSigner(ring), keySet: KeyRing.keySet(ring) }

      assert.deepStrictEqual(yield* client.keySet.jwks, yield* local.keySet.jwks, "the client's JWKS is the local one")

      const payloads = FastCheck.sample(
        FastCheck.oneof(FastCheck.json(), FastCheck.string({ unit: "grapheme" })),
        { numRuns: 40, seed: 42 }
      )
      for (const payload of payloads) {
        const viaSocket = yield* client.tokenSigner.sign(payload)
        const locally = yield* local.signer.sign(payload)
        assert.strictEqual(viaSocket.split(".")[1], locally.split(".")[1])
        for (const token of [viaSocket, locally]) {
          const parsed = SignedToken.parse(token)!
          assert.strictEqual(yield* client.keySet.verify(parsed), "Verified")
          assert.strictEqual(yield* local.keySet.verify(parsed), "Verified")
        }
      }
    }).pipe(Effect.scoped))

  it.live("the signing key is published even when the key files do not list it", () =>
    Effect.gen(function*() {
      const other = yield* Support.generateKey("ES256")
      const files = yield* keyFiles("ES256")
      fs.writeFileSync(files.publicFile, other.publicPem)
      yield* SignerServer.serveFiles({
        socket: files.socket,
        signingKeyFile: files.signingKeyFile,
        keyFiles: [files.publicFile],
        maxTokenExpirationSeconds: 3600,
        refreshHintSeconds: 60,
        watch: false
      })
      const client = yield* ExternalSigner.make({ endpoint: files.socket })
      assert.deepStrictEqual(
        (yield* client.keySet.jwks).keys.map((k) => k.kid),
        [other.key.keyId, files.signing.key.keyId]
      )
      assert.strictEqual(yield* client.keySet.verify(SignedToken.parse(yield* client.tokenSigner.sign("{}"))!), "Verified")
    }).pipe(Effect.scoped))

  it.live("rotation while signing: no failure, and the new key takes over", () =>
    Effect.gen(function*() {
      const files = yield* keyFiles("ES256")
      const server = yield* SignerServer.serveFiles({
        socket: files.socket,
        signingKeyFile: files.signingKeyFile,
        keyFiles: [files.publicFile],
        maxTokenExpirationSeconds: 3600,
        refreshHintSeconds: 3600,
        watch: true
      })
      const client = yield* ExternalSigner.make({ endpoint: files.socket })
      const failures = yield* Ref.make<ReadonlyArray<string>>([])
      const kids = yield* Ref.make<ReadonlySet<string>>(new Set())
      const issued = yield* Ref.make<ReadonlyArray<string>>([])
      const loop = Effect.gen(function*() {
        for (let i = 0; ; i++) {
          const outcome = yield* Effect.either(client.tokenSigner.sign(`{"n":${i}}`))
          if (Either.isLeft(outcome)) {
            yield* Ref.update(failures, (f) => [...f, outcome.left.description])
            continue
          }
          const parsed = SignedToken.parse(outcome.right)!
          yield* Ref.update(kids, (set) => new Set([...set, parsed.keyId]))
          yield* Ref.update(issued, (all) => [...all, outcome.right])
          const verdict = yield* client.keySet.verify(parsed)
          if (verdict !== "Verified") yield* Ref.update(failures, (f) => [...f, `${parsed.keyId}: ${verdict}`])
          yield* Effect.yieldNow()
        }
      })
      const fiber = yield* Effect.fork(loop)

      // The upstream procedure: publish the new public key first, then switch the signing key.
      const next = yield* Support.generateKey("RS256")
      yield* Effect.sleep("100 millis")
      Support.replaceFile(files.publicFile, files.signing.publicPem + next.publicPem)
      yield* server.ring.reload
      yield* Effect.sleep("100 millis")
      Support.replaceFile(files.signingKeyFile, next.pem)
      yield* server.ring.reload
      yield* Support.eventually(Effect.map(Ref.get(kids), (set) => (set.has(next.key.keyId) ? true : undefined)))
      yield* Effect.sleep("100 millis")
      yield* Fiber.interrupt(fiber)

      assert.deepStrictEqual(yield* Ref.get(failures), [])
      assert.deepStrictEqual([...(yield* Ref.get(kids))].sort(), [files.signing.key.keyId, next.key.keyId].sort())
      // Tokens of both keys still verify after the rotation.
      for (const token of yield* Ref.get(issued)) {
        assert.strictEqual(yield* client.keySet.verify(SignedToken.parse(token)!), "Verified")
      }
      assert.deepStrictEqual(
        (yield* client.keySet.jwks).keys.map((k) => k.kid),
        [files.signing.key.keyId, next.key.keyId]
      )
    }).pipe(Effect.scoped))

  it.live("FetchKeys' data_timestamp changes when the keys change, not otherwise", () =>
    Effect.gen(function*() {
      const files = yield* keyFiles("ES256")
      const server = yield* SignerServer.serveFiles({
        socket: files.socket,
        signingKeyFile: files.signingKeyFile,
        keyFiles: [files.publicFile],
        maxTokenExpirationSeconds: 3600,
        refreshHintSeconds: 60,
        watch: false
      })
      const client = yield* ExternalSigner.make({ endpoint: files.socket })
      const first = yield* client.signer.keys
      yield* client.signer.sync
      assert.strictEqual((yield* client.signer.keys).dataTimestampMillis, first.dataTimestampMillis)
      const next = yield* Support.generateKey("ES256")
      fs.writeFileSync(files.publicFile, files.signing.publicPem + next.publicPem)
      yield* server.ring.reload
      yield* client.signer.sync
      const after = yield* client.signer.keys
      assert.isAbove(after.dataTimestampMillis, first.dataTimestampMillis)
      assert.strictEqual(after.keys.length, 2)
    }).pipe(Effect.scoped))
})

describe("the socket", () => {
  it.live("is created with mode 0600 and removed at shutdown", () =>
    Effect.gen(function*() {
      const files = yield* keyFiles("ES256")
      yield* Effect.scoped(Effect.gen(function*() {
        yield* SignerServer.serveFiles({
          socket: files.socket,
          keyFiles: [files.signingKeyFile],
          maxTokenExpirationSeconds: 3600,
          refreshHintSeconds: 60,
          watch: false
        })
        const stat = fs.lstatSync(files.socket)
        assert.isTrue(stat.isSocket())
        assert.strictEqual(stat.mode & 0o777, 0o600)
      }))
      assert.isFalse(fs.existsSync(files.socket))
    }))

  it.live("a stale socket file is replaced at start", () =>
    Effect.gen(function*() {
      const files = yield* keyFiles("ES256")
      yield* Support.staleSocket(files.socket)
      assert.isTrue(fs.lstatSync(files.socket).isSocket())
      yield* SignerServer.serveFiles({
        socket: files.socket,
        keyFiles: [files.signingKeyFile],
        maxTokenExpirationSeconds: 3600,
        refreshHintSeconds: 60,
        watch: false
      })
      const client = yield* ExternalSigner.make({ endpoint: files.socket })
      assert.strictEqual(yield* client.keySet.verify(SignedToken.parse(yield* client.tokenSigner.sign("{}"))!), "Verified")
    }).pipe(Effect.scoped))

  it.live("a socket another server listens on, or a file that is not a socket, is refused", () =>
    Effect.gen(function*() {
      const files = yield* keyFiles("ES256")
      const options = {
        socket: files.socket,
        keyFiles: [files.signingKeyFile],
        maxTokenExpirationSeconds: 3600,
        refreshHintSeconds: 60,
        watch: false
      }
      yield* SignerServer.serveFiles(options)
      const second = yield* Effect.exit(Effect.scoped(SignerServer.serveFiles(options)))
      assert.isTrue(Exit.isFailure(second))
      assert.strictEqual(
        (yield* Effect.flip(Effect.scoped(SignerServer.serveFiles(options)))).message,
        `socket ${files.socket} is in use by another process`
      )
      const plain = path.join(files.dir, "plain-file")
      fs.writeFileSync(plain, "x")
      assert.strictEqual(
        (yield* Effect.flip(Effect.scoped(SignerServer.serveFiles({ ...options, socket: plain })))).message,
        `refusing to replace ${plain}: it exists and is not a socket`
      )
      assert.strictEqual(fs.readFileSync(plain, "utf8"), "x")
    }).pipe(Effect.scoped))

  it.live("an abstract socket name (@name) works on Linux", () =>
    Effect.gen(function*() {
      if (process.platform !== "linux") return
      const files = yield* keyFiles("ES256")
      const name = `@tokenrequest-test-${process.pid}-${counter++}`
      yield* SignerServer.serveFiles({
        socket: name,
        keyFiles: [files.signingKeyFile],
        maxTokenExpirationSeconds: 3600,
        refreshHintSeconds: 60,
        watch: false
      })
      const client = yield* ExternalSigner.make({ endpoint: name, keySyncTimeout: "5 seconds" })
      assert.strictEqual(yield* client.keySet.verify(SignedToken.parse(yield* client.tokenSigner.sign("{}"))!), "Verified")
      void net
    }).pipe(Effect.scoped))
})
