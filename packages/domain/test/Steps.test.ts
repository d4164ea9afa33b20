import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Config from "@tokenrequest/domain/Config"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import { IdGenerator, layerRandom, sequenceId } from "@tokenrequest/domain/IdGenerator"
import { KeySet } from "@tokenrequest/domain/KeySet"
import type * as KubeObject from "@tokenrequest/domain/KubeObject"
import { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as Steps from "@tokenrequest/domain/Steps"
import * as TokenCache from "@tokenrequest/domain/TokenCache"
import { TokenSigner } from "@tokenrequest/domain/TokenSigner"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as Fixtures from "./fixtures.js"
import { request, t0 } from "./helpers.js"

// The same programs run two ways — as Effect programs over the port services, and synchronously
// over `SyncPorts` — must give the same answers for the same ports, clock and inputs.

type Ports = ObjectStore | TokenSigner | KeySet | IdGenerator | Config.Config

/** Two independent copies of the same ports (a fresh store and id sequence each). */
const twoPorts = (objects: ReadonlyArray<KubeObject.KubeObject>) =>
  Effect.all([Layer.build(Fixtures.layer({ objects })), Layer.build(Fixtures.layer({ objects }))])

/** The test layers' own synchronous forms (`unsafeGet`, `unsafeSign`, …), at a fixed time. */
const syncPortsOf = (context: Context.Context<Ports>, nowMillis: number): Steps.SyncPorts => ({
  ...Option.getOrThrow(Steps.syncPorts(context, Clock.make())),
  nowMillis: () => nowMillis
})

/** Failures compared by class and message, successes by value. */
const comparable = <A, E>(result: Either.Either<A, E>) =>
  Either.isRight(result)
    ? { right: result.right }
    : { left: (result.left as object).constructor.name, message: (result.left as { message?: string }).message }

const objectsVariants = {
  all: Fixtures.cluster,
  noPod: Fixtures.cluster.filter((o) => o.metadata.name !== "pod-1"),
  noSecretOrNode: Fixtures.cluster.filter((o) => o.kind !== "Secret" && o.kind !== "Node"),
  otherServiceAccount: [Fixtures.serviceAccount("bob", "99999999-9999-4999-8999-999999999999"), ...Fixtures.cluster.slice(1)]
}

const reference = FastCheck.oneof(
  FastCheck.constant(null),
  FastCheck.record({
    kind: FastCheck.constantFrom("Pod", "Secret", "Node", "Deployment", ""),
    apiVersion: FastCheck.constantFrom("v1", "apps/v1", ""),
    name: FastCheck.constantFrom("pod-1", "pod-unscheduled", "pod-lost-node", "pod-other-sa", "secret-1", "node-1", "gone"),
    uid: FastCheck.constantFrom(undefined, "", Fixtures.podUid, Fixtures.secretUid, Fixtures.nodeUid, "wrong")
  }, { requiredKeys: ["kind", "apiVersion", "name"] })
)

/** Mostly the usual (so that most requests succeed), sometimes one of the others. */
const mostly = <A>(usual: A, ...others: ReadonlyArray<A>) =>
  FastCheck.oneof({ arbitrary: FastCheck.constant(usual), weight: 6 }, FastCheck.constantFrom(usual, ...others))

const tokenRequest = FastCheck.record({
  namespace: mostly("ns-a", "", "ns-b"),
  name: mostly("bob", "alice", "nobody"),
  metadata: FastCheck.oneof(
    { arbitrary: FastCheck.constant({}), weight: 4 },
    FastCheck.record({
      name: FastCheck.constantFrom("bob", "other"),
      namespace: FastCheck.constantFrom("ns-a", "other"),
      uid: FastCheck.constantFrom(Fixtures.saUid, "other")
    }, { requiredKeys: [] })
  ),
  audiences: FastCheck.subarray([Fixtures.issuer, "vault", "https://b"]),
  expirationSeconds: FastCheck.oneof(
    { arbitrary: FastCheck.integer({ min: 600, max: 2 ** 32 }), weight: 4 },
    FastCheck.constant(3607),
    FastCheck.integer({ min: 1, max: 2 ** 33 })
  ),
  boundObjectRef: FastCheck.oneof(
    { arbitrary: FastCheck.constant(null), weight: 2 },
    FastCheck.constantFrom(
      { kind: "Pod", apiVersion: "v1", name: "pod-1" },
      { kind: "Secret", apiVersion: "v1", name: "secret-1", uid: Fixtures.secretUid },
      { kind: "Node", apiVersion: "v1", name: "node-1" },
      { kind: "Pod", apiVersion: "v1", name: "pod-lost-node" }
    ),
    reference
  )
})

/** How many runs of each property ended in a success (both ways): the properties must not be vacuous. */
const successes = { createToken: 0, review: 0 }
afterAll(() => {
  assert.isAtLeast(successes.createToken, 30, "createToken runs that succeeded")
  assert.isAtLeast(successes.review, 30, "reviews that authenticated")
})

describe("Steps: Effect and synchronous runs agree", () => {
  it.effect.prop(
    "createToken",
    { input: tokenRequest, objects: FastCheck.constantFrom(...Object.keys(objectsVariants)) },
    ({ input, objects }) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(t0)
        const [viaEffect, viaSync] = yield* twoPorts(objectsVariants[objects as keyof typeof objectsVariants])
        const body = request({
          metadata: input.metadata,
          spec: { audiences: input.audiences, expirationSeconds: input.expirationSeconds, boundObjectRef: input.boundObjectRef }
        })
        const effect = yield* Effect.either(CreateToken.createToken(input.namespace, input.name, body)).pipe(
          Effect.provide(viaEffect)
        )
        const sync = Steps.runSync(
          CreateToken.createTokenSteps(Context.get(viaSync, Config.Config), input.namespace, input.name, body),
          syncPortsOf(viaSync, t0)
        )
        assert.deepStrictEqual(comparable(sync), comparable(effect))
        if (Either.isRight(sync)) successes.createToken++
      }).pipe(Effect.scoped),
    { fastCheck: { numRuns: 150 } }
  )

  it.effect.prop(
    "review (with and without a token cache)",
    {
      issue: tokenRequest,
      objects: mostly("all", ...Object.keys(objectsVariants)),
      laterSeconds: mostly(0, 59, 3600 + 61, -120, 86_400 * 366),
      audiences: FastCheck.subarray([Fixtures.issuer, "vault", "https://other"]),
      mangle: mostly("none", "signature", "garbage", "empty", "whitespace"),
      cached: FastCheck.boolean()
    },
    (p) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(t0)
        // a token issued against the whole cluster, reviewed against a variant of it
        const [issuing] = yield* twoPorts(Fixtures.cluster)
        const issued = yield* Effect.either(CreateToken.createToken(p.issue.namespace, p.issue.name, request({
          spec: { audiences: p.issue.audiences, expirationSeconds: 3607, boundObjectRef: p.issue.boundObjectRef }
        }))).pipe(Effect.provide(issuing))
        const token0 = Either.isRight(issued) ? issued.right.tokenRequest.status.token : "not-a-token"
        const mangled: Record<string, string> = {
          none: token0,
          signature: `${token0.slice(0, -4)}AAAA`,
          garbage: "a.b.c",
          empty: "",
          whitespace: ` ${token0}\n`
        }
        const token = mangled[p.mangle] ?? token0
        const now = t0 + p.laterSeconds * 1000
        yield* TestClock.setTime(now)
        const [viaEffect, viaSync] = yield* twoPorts(objectsVariants[p.objects as keyof typeof objectsVariants])
        const cacheA = p.cached ? TokenCache.unsafeMake() : undefined
        const cacheB = p.cached ? TokenCache.unsafeMake() : undefined
        const body = { metadata: {}, spec: { token, audiences: p.audiences } }
        // twice: the second review of a cached token takes the cache's path
        for (let round = 0; round < 2; round++) {
          const effect = yield* Effect.either(ReviewToken.review(body)).pipe(
            Effect.provide(cacheA === undefined ? viaEffect : Context.add(viaEffect, TokenCache.TokenCache, cacheA))
          )
          const sync = Steps.runSync(
            ReviewToken.reviewSteps(Context.get(viaSync, Config.Config), cacheB, body),
            syncPortsOf(viaSync, now)
          )
          assert.deepStrictEqual(comparable(sync), comparable(effect))
          if (Either.isRight(sync) && sync.right.authentication._tag === "Authenticated") successes.review++
        }
      }).pipe(Effect.scoped),
    { fastCheck: { numRuns: 150 } }
  )

  it.effect("the domain's in-memory layers answer synchronously, and agree with their Effect forms", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(Fixtures.layer({ objects: [] }))
      const ports = Option.getOrThrow(Steps.syncPorts(context, Clock.make()))
      const store = Context.get(context, ObjectStore)
      const ids = Context.get(context, IdGenerator)
      // one id sequence for both forms
      assert.strictEqual(yield* ids.next, sequenceId(1))
      assert.strictEqual(ports.nextId(), sequenceId(2))
      // a write through the Effect form is read at once by the synchronous one
      assert.deepStrictEqual(ports.get("ServiceAccount", "ns-a", "sa"), Either.right(Option.none()))
      const created = yield* store.create(Fixtures.serviceAccount("sa", "11111111-1111-4111-8111-111111111111"))
      assert.deepStrictEqual(ports.get("ServiceAccount", "ns-a", "sa"), Either.right(Option.some(created)))
      yield* store.delete("ServiceAccount", "ns-a", "sa")
      assert.deepStrictEqual(ports.get("ServiceAccount", "ns-a", "sa"), Either.right(Option.none()))
      // both forms sign alike
      const signed = Either.getOrThrow(ports.sign("{}"))
      assert.deepStrictEqual(Either.right(signed), yield* Effect.either(Context.get(context, TokenSigner).sign("{}")))
      // Effect's Random has no synchronous form: no SyncPorts then
      const random = yield* Layer.build(Layer.merge(Fixtures.layer({ objects: [] }), layerRandom))
      assert.isTrue(Option.isNone(Steps.syncPorts(random, Clock.make())))
    }).pipe(Effect.scoped))
})
