/**
 * The token cache: verified tokens are reused (the key set is not asked again), yet every answer is
 * the one an uncached review gives — a deleted or re-created Pod, Secret, Node or ServiceAccount
 * rejects the token on the very next review even while it is cached; entries end with the TTL, the
 * token's `exp`, the capacity, and the store's watch events.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Config from "@tokenrequest/domain/Config"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import * as IdGenerator from "@tokenrequest/domain/IdGenerator"
import * as KeySet from "@tokenrequest/domain/KeySet"
import * as ObjectStore from "@tokenrequest/domain/ObjectStore"
import * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as TokenCache from "@tokenrequest/domain/TokenCache"
import * as TokenSigner from "@tokenrequest/domain/TokenSigner"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as Fixtures from "./fixtures.js"
import { request, t0 } from "./helpers.js"

let verifications = 0

/** The insecure key set, counting signature verifications. */
const countingKeySet = Layer.effect(
  KeySet.KeySet,
  Effect.map(KeySet.KeySet, (keys) => ({
    ...keys,
    verify: (token: KeySet.SignedToken) => Effect.zipRight(Effect.sync(() => verifications++), keys.verify(token))
  }))
).pipe(Layer.provide(KeySet.layerInsecure()))

const ports = Layer.mergeAll(
  ObjectStore.layerMemory(Fixtures.cluster),
  TokenSigner.layerInsecure(),
  countingKeySet,
  IdGenerator.layerSequence,
  Config.layer({ issuers: [Fixtures.issuer] })
)

const withCache = (options?: TokenCache.Options) => TokenCache.layer(options).pipe(Layer.provideMerge(ports))

const issue = (boundObjectRef?: { kind: string; name: string }, expirationSeconds = 3600) =>
  Effect.map(
    CreateToken.createToken(
      "ns-a",
      "bob",
      request({ spec: { expirationSeconds, ...(boundObjectRef ? { boundObjectRef: { apiVersion: "v1", ...boundObjectRef } } : {}) } })
    ),
    (issued) => issued.tokenRequest.status.token
  )

const outcome = (token: string) =>
  Effect.map(
    ReviewToken.reviewToken({ metadata: {}, spec: { token, audiences: [] } }),
    (r) => (r.status?.authenticated === true ? "authenticated" : r.status?.error ?? "")
  )

const handled = (m: string) => `[invalid bearer token, ${m}]`

const store = ObjectStore.ObjectStore

/** Lets the watch fiber catch up (bounded). */
const settle = (done: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1000 && !done(); i++) yield* Effect.yieldNow()
  })

/** What a cache holds for a token of `default/default`, accepted for `audiences`. */
const verified = (audiences: ReadonlyArray<string>): TokenCache.Verified => ({
  claims: {
    iss: "i",
    sub: "s",
    aud: [],
    exp: undefined,
    nbf: undefined,
    iat: undefined,
    jti: undefined,
    kubernetes: { namespace: "default", serviceaccount: { name: "default", uid: "u" } }
  } as unknown as TokenCache.Verified["claims"],
  audiences
})

describe("TokenCache", () => {
  it.effect("a cached token is not verified again, and the answer is the same", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      const token = yield* issue({ kind: "Pod", name: "pod-1" })
      const before = verifications
      const first = yield* ReviewToken.reviewToken({ metadata: {}, spec: { token, audiences: [] } })
      const second = yield* ReviewToken.reviewToken({ metadata: {}, spec: { token, audiences: [] } })
      assert.strictEqual(verifications - before, 1)
      assert.deepStrictEqual(second, first)
      assert.strictEqual(first.status?.authenticated, true)
      assert.strictEqual((yield* TokenCache.TokenCache).size(), 1)
    }).pipe(Effect.provide(withCache())))

  it.effect("a deleted Pod's token is rejected on the very next review even when cached", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      const token = yield* issue({ kind: "Pod", name: "pod-1" })
      assert.strictEqual(yield* outcome(token), "authenticated")
      assert.strictEqual(yield* outcome(token), "authenticated")
      yield* Effect.flatMap(store, (s) => s.delete("Pod", "ns-a", "pod-1"))
      // No yield to the watch fiber in between: the very next review.
      assert.strictEqual(yield* outcome(token), handled("service account token has been invalidated"))
    }).pipe(Effect.provide(withCache())))

  it.effect("a re-created ServiceAccount, Secret or Node rejects its cached tokens at once", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      const s = yield* store
      const secretToken = yield* issue({ kind: "Secret", name: "secret-1" })
      const nodeToken = yield* issue({ kind: "Node", name: "node-1" })
      const plain = yield* issue()
      for (const token of [secretToken, nodeToken, plain]) assert.strictEqual(yield* outcome(token), "authenticated")

      yield* s.delete("Secret", "ns-a", "secret-1")
      const secret = yield* s.create(Fixtures.secret())
      assert.strictEqual(
        yield* outcome(secretToken),
        handled(`secret UID (${secret.metadata.uid}) does not match service account secret ref claim (${Fixtures.secretUid})`)
      )

      yield* s.delete("Node", "", "node-1")
      const node = yield* s.create(Fixtures.node())
      assert.strictEqual(
        yield* outcome(nodeToken),
        handled(`node UID (${node.metadata.uid}) does not match service account node ref claim (${Fixtures.nodeUid})`)
      )

      yield* s.delete("ServiceAccount", "ns-a", "bob")
      const sa = yield* s.create(Fixtures.serviceAccount())
      assert.strictEqual(
        yield* outcome(plain),
        handled(`service account UID (${sa.metadata.uid}) does not match claim (${Fixtures.saUid})`)
      )
    }).pipe(Effect.provide(withCache())))

  it.effect("the store's watch evicts every token bound to a deleted or re-created object", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      const cache = yield* TokenCache.TokenCache
      const s = yield* store
      // Let the watch fiber subscribe.
      yield* settle(() => false)
      const podToken = yield* issue({ kind: "Pod", name: "pod-1" })
      const secretToken = yield* issue({ kind: "Secret", name: "secret-1" })
      yield* outcome(podToken)
      yield* outcome(secretToken)
      assert.strictEqual(cache.size(), 2)
      yield* s.delete("Pod", "ns-a", "pod-1")
      yield* settle(() => cache.size() === 1)
      assert.strictEqual(cache.size(), 1)
      // Every token is bound to its ServiceAccount: deleting it evicts the rest.
      yield* s.delete("ServiceAccount", "ns-a", "bob")
      yield* settle(() => cache.size() === 0)
      assert.strictEqual(cache.size(), 0)
    }).pipe(Effect.provide(withCache())))

  it.effect("entries end with the TTL and never outlive the token's exp + leeway", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      const cache = yield* TokenCache.TokenCache
      const short = yield* issue(undefined, 600)
      yield* outcome(short)
      const before = verifications
      yield* outcome(short)
      assert.strictEqual(verifications, before)
      const issuedAt = Math.floor(t0 / 1000) * 1000
      yield* TestClock.setTime(issuedAt + (600 + 60) * 1000 - 1)
      assert.strictEqual(yield* outcome(short), "authenticated")
      assert.strictEqual(verifications, before)
      yield* TestClock.setTime(issuedAt + (600 + 60) * 1000 + 1000)
      assert.isUndefined(cache.lookup(short, [Fixtures.issuer], issuedAt + (600 + 60) * 1000))
      assert.strictEqual(yield* outcome(short), handled("service account token has expired"))
    }).pipe(Effect.provide(withCache({ ttl: "1 hour" }))))

  it.effect("the default TTL is 10 seconds; capacity bounds the entries", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(t0)
      const cache = yield* TokenCache.TokenCache
      const tokens = [yield* issue(), yield* issue(), yield* issue()]
      for (const token of tokens) yield* outcome(token)
      assert.strictEqual(cache.size(), 2)
      const before = verifications
      yield* outcome(tokens[2]!)
      assert.strictEqual(verifications, before)
      yield* TestClock.adjust("10 seconds")
      yield* outcome(tokens[2]!)
      assert.strictEqual(verifications, before + 1)
    }).pipe(Effect.provide(withCache({ capacity: 2 }))))

  it("keys entries by token and by the exact list of requested audiences", () => {
    const cache = TokenCache.unsafeMake({ capacity: 3 })
    cache.remember("t", ["a\u0000b"], verified(["a\u0000b"]), 0)
    cache.remember("t", ["[\"a\",\"b\"]"], verified(["[\"a\",\"b\"]"]), 0)
    assert.isUndefined(cache.lookup("t", ["a", "b"], 1))
    assert.isUndefined(cache.lookup("t", [], 1))
    assert.deepStrictEqual(cache.lookup("t", ["a\u0000b"], 1)?.audiences, ["a\u0000b"])
    cache.remember("t", ["a", "b"], verified(["a", "b"]), 0)
    assert.deepStrictEqual(cache.lookup("t", ["a", "b"], 1)?.audiences, ["a", "b"])
    assert.strictEqual(cache.size(), 3)
    // a fourth entry pushes out the least recently used token, with all its audience lists
    cache.remember("u", ["a"], verified(["a"]), 0)
    assert.strictEqual(cache.size(), 1)
    cache.evict("ServiceAccount", "default", "default")
    assert.strictEqual(cache.size(), 0)
  })

  it("two tokens that end alike are never taken for each other; the later one replaces the other", () => {
    const cache = TokenCache.unsafeMake()
    const ending = ".".padEnd(64, "S")
    const [first, second] = [`header.first${ending}`, `header.second${ending}`]
    cache.remember(first, ["a"], verified(["a"]), 0)
    assert.isDefined(cache.lookup(first, ["a"], 1))
    assert.isUndefined(cache.lookup(second, ["a"], 1))
    // a short token is its own key; it ends like neither
    assert.isUndefined(cache.lookup(ending.slice(-32), ["a"], 1))
    cache.remember(second, ["a"], verified(["a"]), 0)
    assert.isUndefined(cache.lookup(first, ["a"], 1))
    assert.isDefined(cache.lookup(second, ["a"], 1))
    assert.strictEqual(cache.size(), 1)
    cache.evict("ServiceAccount", "default", "default")
    assert.strictEqual(cache.size(), 0)
    assert.isUndefined(cache.lookup(second, ["a"], 1))
  })

  // With or without the cache, every review answers the same, whatever happens to the objects.
  it.effect.prop(
    "cached reviews answer exactly as uncached ones",
    {
      steps: FastCheck.array(
        FastCheck.oneof(
          FastCheck.record({ op: FastCheck.constant("review" as const), token: FastCheck.integer({ min: 0, max: 3 }) }),
          FastCheck.record({
            op: FastCheck.constantFrom("delete" as const, "recreate" as const),
            object: FastCheck.constantFrom("pod", "secret", "node", "sa")
          }),
          FastCheck.record({ op: FastCheck.constant("wait" as const), seconds: FastCheck.integer({ min: 0, max: 900 }) })
        ),
        { maxLength: 25 }
      )
    },
    ({ steps }) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(t0)
        const s = yield* store
        const cache = TokenCache.unsafeMake({ ttl: "1 hour" })
        const tokens = [
          yield* issue({ kind: "Pod", name: "pod-1" }, 600),
          yield* issue({ kind: "Secret", name: "secret-1" }, 1200),
          yield* issue(undefined, 3600),
          yield* issue({ kind: "Node", name: "node-1" }, 600)
        ]
        const objects = {
          pod: { kind: "Pod", namespace: "ns-a", name: "pod-1", make: () => Fixtures.pod("pod-1", { nodeName: "node-1" }) },
          secret: { kind: "Secret", namespace: "ns-a", name: "secret-1", make: () => Fixtures.secret() },
          node: { kind: "Node", namespace: "", name: "node-1", make: () => Fixtures.node() },
          sa: { kind: "ServiceAccount", namespace: "ns-a", name: "bob", make: () => Fixtures.serviceAccount() }
        } as const
        for (const step of steps) {
          if (step.op === "review") {
            const token = tokens[step.token]!
            const uncached = yield* outcome(token)
            const cached = yield* Effect.provideService(outcome(token), TokenCache.TokenCache, cache)
            assert.strictEqual(cached, uncached)
          } else if (step.op === "wait") {
            yield* TestClock.adjust(`${step.seconds} seconds`)
          } else {
            const o = objects[step.object as keyof typeof objects]
            const present = yield* s.get(o.kind, o.namespace, o.name)
            if (present._tag === "Some") yield* s.delete(o.kind, o.namespace, o.name)
            if (step.op === "recreate") yield* s.create(o.make())
          }
        }
      }).pipe(Effect.provide(ports)),
    { fastCheck: { numRuns: 100 } }
  )
})
