/**
 * In-process benchmarks: the domain programs `createToken` and `reviewToken` over the memory store
 * and the key ring, against the baseline's direct `node:crypto` sign and verify of the same claims.
 * Each operation is timed on its own (`process.hrtime`), so the percentiles are per operation.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import * as Config from "@tokenrequest/domain/Config"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import { IdGenerator } from "@tokenrequest/domain/IdGenerator"
import { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as TokenCache from "@tokenrequest/domain/TokenCache"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import * as TokenReview from "@tokenrequest/domain/TokenReview"
import * as KeyRing from "@tokenrequest/signer-jose/KeyRing"
import * as MemoryStore from "@tokenrequest/store-memory/MemoryStore"
import * as Baseline from "./Baseline.js"
import * as Fixture from "./Fixture.js"

/**
 * Operations per second and per-operation latency percentiles in milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Timing {
  readonly opsPerSecond: number
  readonly p50: number
  readonly p99: number
  readonly count: number
}

/**
 * The value at quantile `q` of ascending `sorted`.
 *
 * @since 0.1.0
 * @category statistics
 */
export const quantile = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!

/**
 * Runs `op` repeatedly for `seconds` (at most `maxOps` times) and times each call.
 *
 * @since 0.1.0
 * @category running
 */
export const time = (op: () => unknown, seconds: number, maxOps = 2_000_000): Timing => {
  const samples = new Float64Array(maxOps)
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9))
  const start = process.hrtime.bigint()
  let count = 0
  let now = start
  while (count < maxOps && now < deadline) {
    const before = now
    op()
    now = process.hrtime.bigint()
    samples[count++] = Number(now - before) / 1e6
  }
  const elapsed = Number(now - start) / 1e9
  const sorted = samples.subarray(0, count).sort()
  return { opsPerSecond: count / Math.max(elapsed, 1e-9), p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), count }
}

/**
 * The four operations of one algorithm, ready to be timed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Operations {
  readonly createToken: () => unknown
  readonly sign: () => unknown
  readonly reviewToken: () => unknown
  /** `reviewToken` with a `TokenCache` (the same token every time: served from the cache). */
  readonly reviewTokenCached: () => unknown
  readonly verify: () => unknown
  readonly dispose: () => Promise<void>
}

/**
 * Builds the operations: our programs over a runtime with the memory store (holding the
 * ServiceAccount), a key ring with `pem`, the issuer configuration and random UUIDs; the baseline's
 * `issue` and `review` with the same key. Checks once that every operation succeeds.
 *
 * @since 0.1.0
 * @category constructors
 */
export const operations = async (algorithm: Fixture.Algorithm, pem: string): Promise<Operations> => {
  const ports = Layer.mergeAll(
    MemoryStore.layerWithObjects([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: Fixture.serviceAccount.namespace } },
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: Fixture.serviceAccount.name, namespace: Fixture.serviceAccount.namespace }
      }
    ]),
    KeyRing.layerFromKeys({ signingKey: pem }),
    Config.layer({ issuers: [Fixture.issuer] }),
    Layer.succeed(IdGenerator, { next: Effect.sync(() => randomUUID()) })
  )
  const runtime = ManagedRuntime.make(ports)
  const { namespace, name } = Fixture.serviceAccount
  const request = Schema.decodeUnknownSync(TokenRequest.TokenRequest)(JSON.parse(Fixture.tokenRequestBody))
  const issueProgram = CreateToken.createToken(namespace, name, request)
  const issued = await runtime.runPromise(issueProgram)
  const review = Schema.decodeUnknownSync(TokenReview.TokenReview)(
    JSON.parse(Fixture.tokenReviewBody(issued.tokenRequest.status.token))
  )
  const reviewProgram = ReviewToken.reviewToken(review)
  // The cache in the runtime's context, as in a server (not provided anew on every run).
  const cachedRuntime = Runtime.provideService(await runtime.runtime(), TokenCache.TokenCache, TokenCache.unsafeMake())
  const reviewed = await runtime.runPromise(reviewProgram)
  if (reviewed.status?.authenticated !== true) throw new Error(`in-process review failed: ${JSON.stringify(reviewed.status)}`)

  const uid = await runtime.runPromise(
    Effect.flatMap(ObjectStore, (store) => store.get("ServiceAccount", namespace, name)).pipe(
      Effect.map(Option.match({ onNone: () => "", onSome: (sa) => sa.metadata.uid ?? "" }))
    )
  )
  const options: Baseline.Options = {
    key: Baseline.makeKey(algorithm, pem),
    issuer: Fixture.issuer,
    apiAudiences: [Fixture.issuer],
    serviceAccounts: new Map([[`${namespace}/${name}`, uid]]),
    adminToken: Fixture.adminToken
  }
  const body = JSON.parse(Fixture.tokenRequestBody)
  const token = Baseline.issue(options, namespace, name, uid, body, Math.floor(Date.now() / 1000)).status.token
  const direct = Baseline.review(options, token, [Fixture.issuer], Math.floor(Date.now() / 1000))
  if (direct["authenticated"] !== true) throw new Error(`baseline review failed: ${JSON.stringify(direct)}`)

  return {
    createToken: () => runtime.runSync(issueProgram),
    sign: () => Baseline.issue(options, namespace, name, uid, body, Math.floor(Date.now() / 1000)),
    reviewToken: () => runtime.runSync(reviewProgram),
    reviewTokenCached: () => Runtime.runSync(cachedRuntime)(reviewProgram),
    verify: () => Baseline.review(options, token, [Fixture.issuer], Math.floor(Date.now() / 1000)),
    dispose: () => runtime.dispose()
  }
}
