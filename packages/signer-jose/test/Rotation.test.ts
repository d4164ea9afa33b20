import { KeyRing, SignedToken, SigningKey } from "@tokenrequest/signer-jose"
import { KeySet } from "@tokenrequest/domain/KeySet"
import { TokenSigner } from "@tokenrequest/domain/TokenSigner"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "signer-jose-rotation-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

let counter = 0
/** A fresh directory with a signing key and a verification key file holding its public half. */
const setup = (algorithm: "ES256" | "RS256" = "ES256") =>
  Effect.gen(function*() {
    const dir = path.join(root, `case-${counter++}`)
    fs.mkdirSync(dir)
    const oldKey = yield* SigningKey.generate(algorithm)
    const newKey = yield* SigningKey.generate("ES384")
    const publicPem = (pem: string) =>
      Either.getOrThrow(SigningKey.fromPem(pem)).publicKey.export({ type: "spki", format: "pem" }) as string
    const files = { signing: path.join(dir, "sa.key"), keys: path.join(dir, "sa.pub") }
    fs.writeFileSync(files.signing, oldKey)
    fs.writeFileSync(files.keys, publicPem(oldKey))
    const kid = (pem: string) => Either.getOrThrow(SigningKey.fromPem(pem)).keyId
    return { dir, files, oldKey, newKey, oldPublic: publicPem(oldKey), newPublic: publicPem(newKey), kid }
  })

/** Writes a file the way editors and `kubectl`-mounted Secrets do: a new file renamed over the old one. */
const replaceFile = (file: string, content: string) => {
  const temporary = `${file}.tmp-${counter++}`
  fs.writeFileSync(temporary, content)
  fs.renameSync(temporary, file)
}

/** Signs and verifies in a loop until interrupted, recording every request that did not verify. */
const traffic = Effect.gen(function*() {
  const signer = yield* TokenSigner
  const keySet = yield* KeySet
  const state = { requests: 0, failures: [] as Array<string>, kids: new Set<string>() }
  const fiber = yield* Effect.fork(Effect.forever(Effect.gen(function*() {
    const payload = JSON.stringify({ n: state.requests })
    const token = yield* signer.sign(payload)
    const parsed = SignedToken.parse(token)!
    const result = yield* keySet.verify(parsed)
    state.requests++
    state.kids.add(parsed.keyId)
    if (result !== "Verified") state.failures.push(`${parsed.keyId}: ${result}`)
    yield* state.requests % 25 === 0 ? Effect.sleep("1 millis") : Effect.yieldNow()
  })))
  /** Waits until at least `n` more requests completed (so requests run between two steps). */
  const progress = (n: number) =>
    Effect.gen(function*() {
      const target = state.requests + n
      while (state.requests < target) yield* Effect.sleep("1 millis")
    })
  return { state, fiber, progress }
})

const eventually = <E, R>(description: string, check: Effect.Effect<boolean, E, R>) =>
  check.pipe(
    Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (ok) => ok }),
    Effect.timeoutFail({ duration: "15 seconds", onTimeout: () => new Error(`timed out waiting for: ${description}`) })
  )

const currentKid = Effect.flatMap(TokenSigner, (signer) => Effect.map(signer.current, (c) => c.keyId))
const publishedKids = Effect.flatMap(KeySet, (keySet) => Effect.map(keySet.jwks, (jwks) => jwks.keys.map((k) => k.kid)))

describe("rotation with the documented procedure, under continuous signing and verification", () => {
  it.live("add verification key → switch signer → retire old key: no request fails", () =>
    Effect.gen(function*() {
      const c = yield* setup()
      yield* Effect.gen(function*() {
        const ring = yield* KeyRing.KeyRing
        const { fiber, progress, state } = yield* traffic
        yield* progress(50)
        const oldToken = SignedToken.parse(yield* (yield* TokenSigner).sign("{\"old\":true}"))!

        // 1. Publish the new public key next to the old one.
        replaceFile(c.files.keys, c.oldPublic + c.newPublic)
        yield* ring.reload
        assert.deepStrictEqual(yield* publishedKids, [c.kid(c.oldKey), c.kid(c.newKey)])
        yield* progress(50)

        // 2. Switch the signer to the new key.
        replaceFile(c.files.signing, c.newKey)
        yield* ring.reload
        assert.strictEqual(yield* currentKid, c.kid(c.newKey))
        assert.strictEqual(yield* (yield* KeySet).verify(oldToken), "Verified", "old tokens still verify")
        yield* progress(50) // stands in for "wait the maximum token lifetime"

        // 3. Retire the old key.
        replaceFile(c.files.keys, c.newPublic)
        yield* ring.reload
        assert.deepStrictEqual(yield* publishedKids, [c.kid(c.newKey)])
        yield* progress(50)

        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(state.failures, [])
        assert.isAtLeast(state.requests, 200)
        assert.deepStrictEqual([...state.kids], [c.kid(c.oldKey), c.kid(c.newKey)])
        assert.strictEqual(yield* (yield* KeySet).verify(oldToken), "NoKeys", "retired key no longer verifies")
      }).pipe(Effect.provide(KeyRing.layerFiles({ signingKeyFile: c.files.signing, keyFiles: [c.files.keys] })))
    }))

  it.live("the same procedure driven only by file watching, with files rewritten in place and replaced", () =>
    Effect.gen(function*() {
      const c = yield* setup("RS256")
      yield* Effect.gen(function*() {
        const { fiber, progress, state } = yield* traffic
        yield* progress(20)

        // In-place rewrite in two halves: the watch may see a half-written file; that reload fails and
        // the keys in force stay.
        const both = c.oldPublic + c.newPublic
        fs.writeFileSync(c.files.keys, both.slice(0, 40))
        yield* progress(5)
        fs.appendFileSync(c.files.keys, both.slice(40))
        yield* eventually("both keys published", Effect.map(publishedKids, (kids) => kids.length === 2))

        replaceFile(c.files.signing, c.newKey)
        yield* eventually("new signing key", Effect.map(currentKid, (kid) => kid === c.kid(c.newKey)))
        yield* progress(20)

        replaceFile(c.files.keys, c.newPublic)
        yield* eventually("old key retired", Effect.map(publishedKids, (kids) => kids.length === 1))
        yield* progress(20)

        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(state.failures, [])
        assert.deepStrictEqual(yield* publishedKids, [c.kid(c.newKey)])
      }).pipe(
        Effect.provide(
          KeyRing.layerFiles({ signingKeyFile: c.files.signing, keyFiles: [c.files.keys], watch: true, debounce: "30 millis" })
        )
      )
    }))
})

describe("reload", () => {
  it.effect("switching the signer before publishing its key breaks verification (why the order matters)", () =>
    Effect.gen(function*() {
      const c = yield* setup()
      yield* Effect.gen(function*() {
        replaceFile(c.files.signing, c.newKey)
        yield* (yield* KeyRing.KeyRing).reload
        const token = SignedToken.parse(yield* (yield* TokenSigner).sign("{}"))!
        assert.strictEqual(yield* (yield* KeySet).verify(token), "NoKeys")
      }).pipe(Effect.provide(KeyRing.layerFiles({ signingKeyFile: c.files.signing, keyFiles: [c.files.keys] })))
    }))

  it.effect("a failed reload keeps the keys in force and returns the error", () =>
    Effect.gen(function*() {
      const c = yield* setup()
      yield* Effect.gen(function*() {
        const ring = yield* KeyRing.KeyRing
        const before = yield* ring.keys

        fs.writeFileSync(c.files.signing, "-----BEGIN EC PRIVATE KEY-----\ncorrupt\n-----END EC PRIVATE KEY-----\n")
        const corrupt = yield* Effect.flip(ring.reload)
        assert.strictEqual(
          corrupt.message,
          `failed to parse service-account-issuer-key-file: error reading private key file ${c.files.signing}: data does not contain a valid RSA or ECDSA private key`
        )
        assert.strictEqual(yield* ring.keys, before)

        fs.writeFileSync(c.files.signing, c.newKey) // a valid signing key, but the key file is now missing
        fs.rmSync(c.files.keys)
        const missing = yield* Effect.flip(ring.reload)
        assert.strictEqual(missing.message, `open ${c.files.keys}: no such file or directory`)
        assert.strictEqual(yield* ring.keys, before, "nothing half-applied")

        const token = SignedToken.parse(yield* (yield* TokenSigner).sign("{}"))!
        assert.strictEqual(token.keyId, c.kid(c.oldKey))
        assert.strictEqual(yield* (yield* KeySet).verify(token), "Verified")

        fs.writeFileSync(c.files.keys, c.oldPublic + c.newPublic)
        const after = yield* ring.reload
        assert.strictEqual(Option.getOrThrow(after.signing).keyId, c.kid(c.newKey))
      }).pipe(Effect.provide(KeyRing.layerFiles({ signingKeyFile: c.files.signing, keyFiles: [c.files.keys] })))
    }))

  it.effect("a bad key at start fails the layer with the file named", () =>
    Effect.gen(function*() {
      const c = yield* setup()
      fs.writeFileSync(c.files.keys, "no keys here\n")
      const error = yield* Effect.flip(
        Layer.build(KeyRing.layerFiles({ signingKeyFile: c.files.signing, keyFiles: [c.files.keys] })).pipe(Effect.scoped)
      )
      assert.strictEqual(
        error.message,
        `error reading public key file ${c.files.keys}: data does not contain any valid RSA or ECDSA public keys`
      )
      assert.strictEqual(error.file, c.files.keys)
    }))

  it.effect("concurrent reloads are serialised and end in a consistent state", () =>
    Effect.gen(function*() {
      const c = yield* setup()
      yield* Effect.gen(function*() {
        const ring = yield* KeyRing.KeyRing
        fs.writeFileSync(c.files.keys, c.oldPublic + c.newPublic)
        fs.writeFileSync(c.files.signing, c.newKey)
        const results = yield* Effect.all(Array.from({ length: 8 }, () => ring.reload), { concurrency: "unbounded" })
        for (const keys of results) {
          assert.strictEqual(Option.getOrThrow(keys.signing).keyId, c.kid(c.newKey))
          assert.strictEqual(keys.verification.length, 2)
        }
      }).pipe(Effect.provide(KeyRing.layerFiles({ signingKeyFile: c.files.signing, keyFiles: [c.files.keys] })))
    }))

  it.effect("in memory: KeyRing.load swaps PEM keys atomically; a bad PEM changes nothing", () =>
    Effect.gen(function*() {
      const c = yield* setup()
      yield* Effect.gen(function*() {
        const ring = yield* KeyRing.KeyRing
        assert.strictEqual(yield* currentKid, c.kid(c.oldKey))
        assert.deepStrictEqual(yield* publishedKids, [c.kid(c.oldKey)], "default: the signing key's public half")
        const bad = yield* Effect.flip(ring.load({ _tag: "Pem", signingKey: "nope", keys: [c.newPublic] }))
        assert.strictEqual(
          bad.message,
          "failed to parse service-account-issuer-key-file: data does not contain a valid RSA or ECDSA private key"
        )
        assert.strictEqual(yield* currentKid, c.kid(c.oldKey))
        yield* ring.load({ _tag: "Pem", signingKey: c.newKey, keys: [c.oldPublic, c.newPublic] })
        assert.strictEqual(yield* currentKid, c.kid(c.newKey))
        assert.deepStrictEqual(yield* publishedKids, [c.kid(c.oldKey), c.kid(c.newKey)])
        assert.deepStrictEqual(yield* ring.reload, yield* ring.keys)
      }).pipe(Effect.provide(KeyRing.layerFromKeys({ signingKey: c.oldKey })))
    }))
})

describe("SIGHUP", () => {
  it.live("reloadOnSignal reloads on SIGHUP and removes its handler when the layer closes", () =>
    Effect.gen(function*() {
      const c = yield* setup()
      const listeners = process.listenerCount("SIGHUP")
      yield* Effect.gen(function*() {
        assert.strictEqual(process.listenerCount("SIGHUP"), listeners + 1)
        fs.writeFileSync(c.files.keys, c.oldPublic + c.newPublic)
        fs.writeFileSync(c.files.signing, c.newKey)
        // No watch: nothing changes until the signal.
        yield* Effect.sleep("100 millis")
        assert.strictEqual(yield* currentKid, c.kid(c.oldKey))
        process.kill(process.pid, "SIGHUP")
        yield* eventually("reloaded after SIGHUP", Effect.map(currentKid, (kid) => kid === c.kid(c.newKey)))
        assert.strictEqual((yield* publishedKids).length, 2)
      }).pipe(
        Effect.provide(
          KeyRing.layerFiles({
            signingKeyFile: c.files.signing,
            keyFiles: [c.files.keys],
            reloadOnSignal: true,
            debounce: "10 millis"
          })
        )
      )
      assert.strictEqual(process.listenerCount("SIGHUP"), listeners)
    }))

  it.effect("without reloadOnSignal no handler is installed", () =>
    Effect.gen(function*() {
      const c = yield* setup()
      const listeners = process.listenerCount("SIGHUP")
      yield* Effect.gen(function*() {
        assert.strictEqual(process.listenerCount("SIGHUP"), listeners)
      }).pipe(Effect.provide(KeyRing.layerFiles({ signingKeyFile: c.files.signing, watch: false })))
    }))
})
