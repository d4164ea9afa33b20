/**
 * Every protocol error path of the client (semantics §13.3), against a deliberately misbehaving
 * signer on a real Unix socket.
 */
import { assert, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as TestClock from "effect/TestClock"
import * as path from "node:path"
import { SignedToken } from "@tokenrequest/signer-jose"
import { ExternalSigner, VerificationKeys } from "@tokenrequest/signer-external"
import { signClaims } from "@tokenrequest/signer-external/SignerServer"
import * as Support from "./support.js"

const setupPrefix =
  "while setting up external-jwt-signer: while initially filling key cache: while performing initial cache fill: while fetching token verification keys: "

/** A fake signer on a fresh socket, and the start of a client against it. */
const fixture = (configure?: (script: Support.Script, key: Support.GeneratedKey) => void) =>
  Effect.gen(function*() {
    const dir = yield* Support.tempDir
    const socket = path.join(dir, "signer.sock")
    const key = yield* Support.generateKey("ES256")
    const script = Support.honest(key)
    configure?.(script, key)
    yield* Support.fakeSigner(socket, script)
    const start = (options?: Partial<ExternalSigner.Options>) =>
      ExternalSigner.make({ endpoint: socket, keySyncTimeout: "5 seconds", ...options })
    return { dir, socket, key, script, start }
  })

/** The description of a start that must fail; a start that succeeds fails the test. */
const startError = <A, R>(effect: Effect.Effect<A, ExternalSigner.ExternalSignerError, R>): Effect.Effect<string, Error, R> =>
  Effect.matchEffect(effect, {
    onFailure: (error) => Effect.succeed(error.description),
    onSuccess: () => Effect.fail(new Error("expected the start to fail"))
  })

const signError = (effect: Effect.Effect<string, { readonly description: string }>) =>
  Effect.map(Effect.flip(effect), (error) => error.description)

describe("start-up", () => {
  it.live("a FetchKeys error is fatal, with upstream's wrapping", () =>
    Effect.gen(function*() {
      const { start } = yield* fixture((script) => {
        script.fetchKeys = () => ({ code: grpc.status.UNKNOWN, details: "keys fetch error" })
      })
      assert.strictEqual(
        yield* startError(start()),
        `${setupPrefix}while getting externally supported jwt signing keys: rpc error: code = Unknown desc = keys fetch error`
      )
    }).pipe(Effect.scoped))

  it.live("a Metadata error is fatal", () =>
    Effect.gen(function*() {
      const { script, start } = yield* fixture((script) => {
        script.metadata = () => ({ code: grpc.status.UNKNOWN, details: "metadata error" })
      })
      assert.strictEqual(
        yield* startError(start()),
        "while setting up external-jwt-signer: rpc error: code = Unknown desc = metadata error"
      )
      assert.strictEqual(script.calls.fetchKeys, 1)
    }).pipe(Effect.scoped))

  it.live("no one listening on the socket: the start-up fetch times out (wait-for-ready)", () =>
    Effect.gen(function*() {
      const dir = yield* Support.tempDir
      assert.strictEqual(
        yield* startError(ExternalSigner.make({ endpoint: path.join(dir, "absent.sock"), keySyncTimeout: "300 millis" })),
        `${setupPrefix}while getting externally supported jwt signing keys: rpc error: code = DeadlineExceeded desc = context deadline exceeded`
      )
    }).pipe(Effect.scoped))

  it.live("a signer of the other API version answers Unimplemented", () =>
    Effect.gen(function*() {
      const { start } = yield* fixture()
      const description = yield* startError(start({ apiVersion: "v1alpha1" }))
      assert.match(
        description,
        /^while setting up external-jwt-signer: .*while getting externally supported jwt signing keys: rpc error: code = Unimplemented desc = /
      )
    }).pipe(Effect.scoped))

  it.live("apiVersion auto falls back to v1alpha1 for a signer without v1", () =>
    Effect.gen(function*() {
      const dir = yield* Support.tempDir
      const socket = path.join(dir, "alpha.sock")
      const key = yield* Support.generateKey("ES256")
      const script = Support.honest(key)
      yield* Support.fakeSigner(socket, script, "v1alpha1")
      const client = yield* ExternalSigner.make({ endpoint: socket, apiVersion: "auto" })
      assert.strictEqual(client.signer.apiVersion, "v1alpha1")
      assert.strictEqual(yield* client.keySet.verify(SignedToken.parse(yield* client.tokenSigner.sign("{}"))!), "Verified")
      assert.strictEqual(script.calls.fetchKeys, 1)
    }).pipe(Effect.scoped))

  it.live("apiVersion auto stays on v1 when the signer has it", () =>
    Effect.gen(function*() {
      const { start } = yield* fixture()
      assert.strictEqual((yield* start({ apiVersion: "auto" })).signer.apiVersion, "v1")
    }).pipe(Effect.scoped))

  it.live("a v1alpha1 signer works with apiVersion v1alpha1", () =>
    Effect.gen(function*() {
      const dir = yield* Support.tempDir
      const socket = path.join(dir, "alpha.sock")
      const key = yield* Support.generateKey("ES384")
      yield* Support.fakeSigner(socket, Support.honest(key), "v1alpha1")
      const client = yield* ExternalSigner.make({ endpoint: socket, apiVersion: "v1alpha1" })
      const token = yield* client.tokenSigner.sign("{}")
      assert.strictEqual(yield* client.keySet.verify(SignedToken.parse(token)!), "Verified")
      assert.strictEqual(client.signer.apiVersion, "v1alpha1")
    }).pipe(Effect.scoped))

  const invalidResponses: ReadonlyArray<
    readonly [string, (script: Support.Script, key: Support.GeneratedKey) => void, string]
  > = [
    ["refresh hint 0", (s) => {
      const ok = s.fetchKeys()
      s.fetchKeys = () => ({ ...(ok as VerificationKeysResponse), refreshHintSeconds: 0n })
    }, "found invalid refresh hint (0s)"],
    ["negative refresh hint", (s) => {
      const ok = s.fetchKeys()
      s.fetchKeys = () => ({ ...(ok as VerificationKeysResponse), refreshHintSeconds: -5n })
    }, "found invalid refresh hint (-5s)"],
    ["no keys", (s) => {
      const ok = s.fetchKeys()
      s.fetchKeys = () => ({ ...(ok as VerificationKeysResponse), keys: [] })
    }, "found no keys"],
    ["no data timestamp", (s) => {
      const ok = s.fetchKeys()
      s.fetchKeys = () => ({ ...(ok as VerificationKeysResponse), dataTimestamp: undefined })
    }, "invalid data timestamp: invalid nil Timestamp"],
    ["empty key id", (s, k) => {
      const ok = s.fetchKeys()
      s.fetchKeys = () => ({
        ...(ok as VerificationKeysResponse),
        keys: [{ keyId: "", key: k.der, excludeFromOidcDiscovery: false }]
      })
    }, "found invalid public key id \"\""],
    ["key id over 1024 characters", (s, k) => {
      const ok = s.fetchKeys()
      s.fetchKeys = () => ({
        ...(ok as VerificationKeysResponse),
        keys: [{ keyId: "k".repeat(1025), key: k.der, excludeFromOidcDiscovery: false }]
      })
    }, `found invalid public key id "${"k".repeat(1025)}"`],
    ["empty key", (s) => {
      const ok = s.fetchKeys()
      s.fetchKeys = () => ({
        ...(ok as VerificationKeysResponse),
        keys: [{ keyId: "a", key: new Uint8Array(), excludeFromOidcDiscovery: false }]
      })
    }, "found empty public key"]
  ]
  type VerificationKeysResponse = Parameters<typeof VerificationKeys.fromResponse>[0]

  for (const [name, configure, message] of invalidResponses) {
    it.live(`FetchKeys with ${name}: ${message}`, () =>
      Effect.gen(function*() {
        const { start } = yield* fixture(configure)
        assert.strictEqual(yield* startError(start()), `${setupPrefix}${message}`)
      }).pipe(Effect.scoped))
  }

  it.live("FetchKeys with a key that is not PKIX DER", () =>
    Effect.gen(function*() {
      const { start } = yield* fixture((s) => {
        const ok = s.fetchKeys() as VerificationKeysResponse
        s.fetchKeys = () => ({ ...ok, keys: [{ keyId: "a", key: new Uint8Array([1, 2, 3]), excludeFromOidcDiscovery: false }] })
      })
      assert.match(yield* startError(start()), /^while setting up external-jwt-signer: .*while parsing external public keys: /)
    }).pipe(Effect.scoped))

  it("a nil key rejects the response (not expressible on the wire)", () => {
    const result = VerificationKeys.fromResponse({
      keys: [undefined],
      dataTimestamp: { seconds: 1n, nanos: 0 },
      refreshHintSeconds: 1n
    }, 0)
    assert.deepStrictEqual(result, Either.left("found nil public key"))
  })

  it("timestamps out of range reject the response, as Timestamp.CheckValid", () => {
    const at = (seconds: bigint, nanos = 0) =>
      VerificationKeys.fromResponse({
        keys: [{ keyId: "a", key: new Uint8Array([1]), excludeFromOidcDiscovery: false }],
        dataTimestamp: { seconds, nanos },
        refreshHintSeconds: 1n
      }, 0)
    assert.deepStrictEqual(at(-62135596801n), Either.left("invalid data timestamp: timestamp (seconds:-62135596801) before 0001-01-01"))
    assert.deepStrictEqual(at(253402300800n), Either.left("invalid data timestamp: timestamp (seconds:253402300800) after 9999-12-31"))
    assert.deepStrictEqual(at(1n, 1_000_000_000), Either.left("invalid data timestamp: timestamp (seconds:1 nanos:1000000000) has out-of-range nanos"))
    // A valid timestamp moves on to the key checks.
    const valid = at(1n)
    assert.isTrue(Either.isLeft(valid) && valid.left.startsWith("while parsing external public keys: "))
  })
})

describe("Sign", () => {
  const header = (value: unknown) => Support.b64(value)
  const cases: ReadonlyArray<readonly [string, () => string, string]> = [
    ["header not base64url", () => "a*b", "while validating header: while unwrapping header: illegal base64 data at input byte 1"],
    ["header not JSON", () => Support.b64("{not json"), "while validating header: while parsing header JSON: "],
    ["unknown header field", () => header({ alg: "ES256", kid: "k", typ: "JWT", cty: "x" }), "while validating header: while parsing header JSON: json: unknown field \"cty\""],
    ["non-string alg", () => header({ alg: 256, kid: "k", typ: "JWT" }), "while validating header: while parsing header JSON: json: cannot unmarshal number into Go struct field .alg of type string"],
    ["no typ", () => header({ alg: "ES256", kid: "k" }), "while validating header: bad type"],
    ["typ jwt in lower case", () => header({ alg: "ES256", kid: "k", typ: "jwt" }), "while validating header: bad type"],
    ["bad type wins over missing kid", () => header({ alg: "HS256", typ: "JOSE" }), "while validating header: bad type"],
    ["no kid", () => header({ alg: "ES256", typ: "JWT" }), "while validating header: key id missing"],
    ["kid over 1 KiB", () => header({ alg: "ES256", kid: "k".repeat(1025), typ: "JWT" }), "while validating header: key id longer than 1 kb"],
    ["HS256", () => header({ alg: "HS256", kid: "k", typ: "JWT" }), "while validating header: bad signing algorithm \"HS256\""],
    ["kid of 513 two-byte characters (1026 bytes)", () => header({ alg: "ES256", kid: "é".repeat(513), typ: "JWT" }), "while validating header: key id longer than 1 kb"],
    ["no alg", () => header({ kid: "k", typ: "JWT" }), "while validating header: bad signing algorithm \"\""],
    ["PS256", () => header({ alg: "PS256", kid: "k", typ: "JWT" }), "while validating header: bad signing algorithm \"PS256\""]
  ]
  for (const [name, make, message] of cases) {
    it.live(`${name}: ${message}`, () =>
      Effect.gen(function*() {
        const { script, start } = yield* fixture()
        const client = yield* start()
        script.sign = () => ({ header: make(), signature: "c2ln" })
        const description = yield* signError(client.tokenSigner.sign("{}"))
        if (message.endsWith(": ")) assert.isTrue(description.startsWith(message), description)
        else assert.strictEqual(description, message)
      }).pipe(Effect.scoped))
  }

  it.live("header field names match case-insensitively, as Go's decoder does", () =>
    Effect.gen(function*() {
      const { key, script, start } = yield* fixture()
      const client = yield* start()
      script.sign = (claims) => {
        const h = header({ ALG: "ES256", Kid: key.key.keyId, TYP: "JWT" })
        return { header: h, signature: signClaims(key.key, claims).signature }
      }
      const token = yield* client.tokenSigner.sign("{}")
      assert.strictEqual(token.split(".")[0], header({ ALG: "ES256", Kid: key.key.keyId, TYP: "JWT" }))
    }).pipe(Effect.scoped))

  it.live("a kid excluded from OIDC discovery may not sign", () =>
    Effect.gen(function*() {
      const legacy = yield* Support.generateKey("RS256")
      const { script, start } = yield* fixture((s, k) => {
        s.fetchKeys = () => ({
          keys: [
            { keyId: k.key.keyId, key: k.der, excludeFromOidcDiscovery: false },
            { keyId: "legacy", key: legacy.der, excludeFromOidcDiscovery: true }
          ],
          dataTimestamp: { seconds: 1n, nanos: 0 },
          refreshHintSeconds: 60n
        })
      })
      const client = yield* start()
      script.sign = () => ({ header: header({ alg: "RS256", kid: "legacy", typ: "JWT" }), signature: "c2ln" })
      assert.strictEqual(
        yield* signError(client.tokenSigner.sign("{}")),
        "while validating header: key used for signing JWT (kid: legacy) is excluded from OIDC discovery docs"
      )
    }).pipe(Effect.scoped))

  it.live("an empty signature", () =>
    Effect.gen(function*() {
      const { key, script, start } = yield* fixture()
      const client = yield* start()
      script.sign = () => ({ header: header({ alg: "ES256", kid: key.key.keyId, typ: "JWT" }), signature: "" })
      assert.strictEqual(yield* signError(client.tokenSigner.sign("{}")), "empty signature returned")
    }).pipe(Effect.scoped))

  it.live("an RPC failure is wrapped; Unavailable and deadline are reason Unavailable", () =>
    Effect.gen(function*() {
      const { script, start } = yield* fixture()
      const client = yield* start({ signTimeout: "300 millis" })
      script.sign = () => ({ code: grpc.status.PERMISSION_DENIED, details: "nope" })
      const denied = yield* Effect.flip(client.tokenSigner.sign("{}"))
      assert.strictEqual(denied.description, "while signing jwt: rpc error: code = PermissionDenied desc = nope")
      assert.strictEqual(denied.reason, "Failed")
      script.sign = () => ({ code: grpc.status.UNAVAILABLE, details: "hsm offline" })
      const unavailable = yield* Effect.flip(client.tokenSigner.sign("{}"))
      assert.strictEqual(unavailable.description, "while signing jwt: rpc error: code = Unavailable desc = hsm offline")
      assert.strictEqual(unavailable.reason, "Unavailable")
    }).pipe(Effect.scoped))

  it.live("the token is assembled verbatim and not verified locally", () =>
    Effect.gen(function*() {
      const { key, script, start } = yield* fixture()
      const client = yield* start()
      const h = header({ alg: "ES256", kid: key.key.keyId, typ: "JWT" })
      script.sign = () => ({ header: h, signature: "bm90LWEtc2lnbmF0dXJl" })
      const token = yield* client.tokenSigner.sign(`{"sub":"x"}`)
      assert.strictEqual(token, `${h}.${Support.b64(`{"sub":"x"}`)}.bm90LWEtc2lnbmF0dXJl`)
      assert.strictEqual(yield* client.keySet.verify(SignedToken.parse(token)!), "Failed")
    }).pipe(Effect.scoped))

  it.live("the claims sent are exactly the base64url of the payload", () =>
    Effect.gen(function*() {
      const { script, start } = yield* fixture()
      const client = yield* start()
      const seen: Array<string> = []
      const honestSign = script.sign
      script.sign = (claims) => {
        seen.push(claims)
        return honestSign(claims)
      }
      const payload = `{"aud":["é"],"exp":1}`
      const token = yield* client.tokenSigner.sign(payload)
      assert.deepStrictEqual(seen, [Buffer.from(payload, "utf8").toString("base64url")])
      assert.strictEqual(token.split(".")[1], seen[0])
    }).pipe(Effect.scoped))

  it.live("current reports the signer's algorithm and kid", () =>
    Effect.gen(function*() {
      const { key, start } = yield* fixture()
      const client = yield* start()
      assert.deepStrictEqual(yield* client.tokenSigner.current, { algorithm: "ES256", keyId: key.key.keyId })
    }).pipe(Effect.scoped))
})

describe("key cache", () => {
  it.effect("refreshes at the hint, retries every 10 s keeping stale keys, and reports the cache age", () =>
    Effect.gen(function*() {
      const { key, script, start } = yield* fixture()
      const client = yield* start()
      const token = SignedToken.parse(yield* client.tokenSigner.sign("{}"))!
      assert.strictEqual(script.calls.fetchKeys, 1)
      assert.strictEqual(yield* client.keySet.cacheMaxAgeSeconds, 60)
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual(yield* client.keySet.cacheMaxAgeSeconds, 30)

      script.fetchKeys = () => ({ code: grpc.status.UNAVAILABLE, details: "signer restarting" })
      yield* TestClock.adjust("30 seconds")
      const failed = yield* Support.eventually(
        Effect.map(client.signer.syncStatus, (status) => (status.attempts === 2 ? status : undefined))
      )
      assert.deepStrictEqual(failed, {
        attempts: 2,
        failures: 1,
        lastError:
          "while fetching token verification keys: while getting externally supported jwt signing keys: rpc error: code = Unavailable desc = signer restarting",
        lastAttemptMillis: 60_000,
        stale: true
      })
      assert.strictEqual(yield* client.keySet.cacheMaxAgeSeconds, 0)
      assert.strictEqual(yield* client.keySet.verify(token), "Verified", "stale keys stay in force")

      yield* TestClock.adjust("9 seconds")
      assert.strictEqual(script.calls.fetchKeys, 2)
      yield* TestClock.adjust("1 second")
      yield* Support.eventually(Effect.map(client.signer.syncStatus, (status) => (status.attempts === 3 || undefined)))
      assert.strictEqual(script.calls.fetchKeys, 3)

      const next = yield* Support.generateKey("ES512")
      script.fetchKeys = () => ({
        keys: [
          { keyId: next.key.keyId, key: next.der, excludeFromOidcDiscovery: false },
          { keyId: key.key.keyId, key: key.der, excludeFromOidcDiscovery: false }
        ],
        dataTimestamp: { seconds: 1_700_000_100n, nanos: 0 },
        refreshHintSeconds: 120n
      })
      yield* TestClock.adjust("10 seconds")
      const keys = yield* Support.eventually(
        Effect.map(client.signer.keys, (keys) => (keys.keys.length === 2 ? keys : undefined))
      )
      assert.deepStrictEqual(keys.keys.map((k) => k.keyId), [next.key.keyId, key.key.keyId])
      assert.strictEqual(yield* client.keySet.cacheMaxAgeSeconds, 120)
      assert.isFalse((yield* client.signer.syncStatus).stale)
      assert.deepStrictEqual(
        (yield* client.keySet.jwks).keys.map((k) => [k.kid, k.alg]),
        [[next.key.keyId, "ES512"], [key.key.keyId, "ES256"]]
      )
    }).pipe(Effect.scoped))

  it.live("an unknown kid triggers one synchronous sync", () =>
    Effect.gen(function*() {
      const later = yield* Support.generateKey("RS256")
      const { key, script, start } = yield* fixture()
      const client = yield* start()
      assert.strictEqual(script.calls.fetchKeys, 1)

      const signed = signClaims(later.key, "e30")
      const token = SignedToken.parse(`${signed.header}.e30.${signed.signature}`)!

      assert.strictEqual(yield* client.keySet.verify(token), "NoKeys")
      assert.strictEqual(script.calls.fetchKeys, 2, "one sync for the unknown kid")

      script.fetchKeys = () => ({
        keys: [
          { keyId: key.key.keyId, key: key.der, excludeFromOidcDiscovery: false },
          { keyId: later.key.keyId, key: later.der, excludeFromOidcDiscovery: false }
        ],
        dataTimestamp: { seconds: 1_700_000_200n, nanos: 0 },
        refreshHintSeconds: 60n
      })
      assert.strictEqual(yield* client.keySet.verify(token), "Verified")
      assert.strictEqual(script.calls.fetchKeys, 3)
      assert.strictEqual(yield* client.keySet.verify(token), "Verified")
      assert.strictEqual(script.calls.fetchKeys, 3, "a known kid needs no sync")
    }).pipe(Effect.scoped))

  it.live("concurrent misses share one sync", () =>
    Effect.gen(function*() {
      const { script, start } = yield* fixture()
      const client = yield* start()
      const unknown = SignedToken.parse(`${Support.b64({ alg: "ES256", kid: "nobody", typ: "JWT" })}.e30.c2ln`)!
      const results = yield* Effect.all(Array.from({ length: 8 }, () => client.keySet.verify(unknown)), {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(new Set(results), new Set(["NoKeys"]))
      assert.isAtMost(script.calls.fetchKeys, 4, "8 concurrent misses share their fetches")
      assert.isAtLeast(script.calls.fetchKeys, 2)
    }).pipe(Effect.scoped))

  it.live("a failed sync on an unknown kid gives NoKeys, not an error", () =>
    Effect.gen(function*() {
      const { script, start } = yield* fixture()
      const client = yield* start()
      script.fetchKeys = () => ({ code: grpc.status.INTERNAL, details: "boom" })
      const unknown = SignedToken.parse(`${Support.b64({ alg: "ES256", kid: "nobody", typ: "JWT" })}.e30.c2ln`)!
      assert.strictEqual(yield* client.keySet.verify(unknown), "NoKeys")
      const sync = yield* Effect.exit(client.signer.sync)
      assert.isTrue(Exit.isFailure(sync))
    }).pipe(Effect.scoped))

  it.live("keys excluded from OIDC discovery verify but are not published", () =>
    Effect.gen(function*() {
      const legacy = yield* Support.generateKey("RS256")
      const { key, start } = yield* fixture((s, k) => {
        s.fetchKeys = () => ({
          keys: [
            { keyId: "legacy", key: legacy.der, excludeFromOidcDiscovery: true },
            { keyId: k.key.keyId, key: k.der, excludeFromOidcDiscovery: false }
          ],
          dataTimestamp: { seconds: 1n, nanos: 0 },
          refreshHintSeconds: 60n
        })
      })
      const client = yield* start()
      assert.deepStrictEqual((yield* client.keySet.jwks).keys.map((k) => k.kid), [key.key.keyId])
      const signed = signClaims({ ...legacy.key, keyId: "legacy" }, "e30")
      assert.strictEqual(
        yield* client.keySet.verify(SignedToken.parse(`${signed.header}.e30.${signed.signature}`)!),
        "Verified"
      )
    }).pipe(Effect.scoped))

  it.live("changes emits when the key set changes", () =>
    Effect.gen(function*() {
      const { script, start } = yield* fixture()
      const client = yield* start()
      const initial = yield* client.signer.keys
      yield* client.signer.sync
      const same = yield* client.signer.keys
      assert.isFalse(VerificationKeys.changed(initial, same))
      const ok = script.fetchKeys() as Parameters<typeof VerificationKeys.fromResponse>[0]
      script.fetchKeys = () => ({ ...ok, dataTimestamp: { seconds: 1_800_000_000n, nanos: 0 } })
      yield* client.signer.sync
      assert.isTrue(VerificationKeys.changed(same, yield* client.signer.keys))
    }).pipe(Effect.scoped))
})

describe("connect (a server's start with an endpoint)", () => {
  it.live("limits from the signer's maximum; upstream's refusals", () =>
    Effect.gen(function*() {
      const { script, socket } = yield* fixture()
      script.metadata = () => ({ maxTokenExpirationSeconds: 600n })
      const defaulted = yield* ExternalSigner.connect({ endpoint: socket, maxExpirationSeconds: 0, extendExpiration: true })
      assert.deepStrictEqual(defaulted.limits, { maxExpirationSeconds: 600, maxExtendedExpirationSeconds: 600 })
      assert.strictEqual(defaulted.warnings.length, 2)
      assert.strictEqual(
        yield* startError(ExternalSigner.connect({ endpoint: socket, maxExpirationSeconds: 3600, extendExpiration: true })),
        "service-account-max-token-expiration cannot be set longer than the token expiration supported by service-account-signing-endpoint: 1h0m0s > 10m0s"
      )
      script.metadata = () => ({ maxTokenExpirationSeconds: 300n })
      assert.strictEqual(
        yield* startError(ExternalSigner.connect({ endpoint: socket, maxExpirationSeconds: 0, extendExpiration: true })),
        "max token life supported by external-jwt-signer (300s) is less than acceptable (min 600s)"
      )
    }).pipe(Effect.scoped))
})
