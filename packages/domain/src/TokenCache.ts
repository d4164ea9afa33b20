/**
 * A cache of verified service-account tokens for the authenticator. Upstream caches successful token
 * authentications for 10 s (semantics §11.7), so a token can keep authenticating for up to that
 * long after its Pod or ServiceAccount is gone. This cache keeps the saving and drops the delay:
 *
 * - it holds only what depends on the token alone (signature verified, claims decoded, audiences
 *   intersected), keyed by the token and the requested audiences, for a bounded time (`ttl`,
 *   default 10 s, never past the token's `exp` + leeway) and a bounded number of entries;
 * - on every hit the validator still runs (time window, and every bound object's existence, UID and
 *   deletion grace against the store), so a deleted or re-created ServiceAccount, Pod, Secret or
 *   Node rejects the token on the very next review, whether the store's change event has arrived
 *   yet or not;
 * - the store's watch evicts every entry bound to an object that was deleted or created again, so
 *   revoked tokens do not linger in memory. If the watch fails, the cache is emptied.
 *
 * Key rotation: a verification key that is removed stops accepting cached tokens within `ttl`, as
 * upstream; call `clear` on a key reload to make it immediate.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { DecodedClaims } from "./Claims.js"
import type { ObjectKind } from "./KubeObject.js"
import { keyOf } from "./KubeObject.js"
import { ObjectStore } from "./ObjectStore.js"
import { leewaySeconds } from "./Validator.js"

/**
 * What a cached token saves: its verified claims and the audiences it was accepted for.
 *
 * @since 0.1.0
 * @category models
 */
export interface Verified {
  readonly claims: DecodedClaims
  /** The intersection of the token's audiences with the requested ones, in requested order. */
  readonly audiences: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How long a verified token is kept; default 10 s (upstream's `TokenSuccessCacheTTL`). `0` disables. */
  readonly ttl?: Duration.DurationInput | undefined
  /** At most this many tokens (the least recently used go first); default 4096. */
  readonly capacity?: number | undefined
}

/**
 * The cache service. Its operations are synchronous: they sit on the hot path of every review.
 *
 * @since 0.1.0
 * @category tags
 */
export class TokenCache extends Context.Tag("@tokenrequest/domain/TokenCache")<
  TokenCache,
  {
    /** The verified token for these (defaulted) audiences, when cached and not expired at `nowMillis`. */
    readonly lookup: (token: string, audiences: ReadonlyArray<string>, nowMillis: number) => Verified | undefined
    /** Remembers a verified token that has just authenticated. */
    readonly remember: (token: string, audiences: ReadonlyArray<string>, verified: Verified, nowMillis: number) => void
    /** Drops every token bound to the object (its ServiceAccount, Pod, Secret or Node). */
    readonly evict: (kind: ObjectKind, namespace: string, name: string) => void
    /** Drops everything. */
    readonly clear: () => void
    /** The number of cached tokens. */
    readonly size: () => number
  }
>() {}

interface Entry {
  readonly token: string
  readonly audiences: string
  readonly verified: Verified
  readonly expiresAt: number
  readonly dependencies: ReadonlyArray<string>
}

const objectKey = (kind: ObjectKind, namespace: string, name: string) => `${kind}\u0000${namespace}\u0000${name}`

const dependenciesOf = (claims: DecodedClaims): Array<string> => {
  const { namespace, node, pod, secret, serviceaccount } = claims.kubernetes
  return [
    objectKey("ServiceAccount", namespace, serviceaccount.name),
    ...(pod !== undefined ? [objectKey("Pod", namespace, pod.name)] : []),
    ...(secret !== undefined ? [objectKey("Secret", namespace, secret.name)] : []),
    ...(node !== undefined ? [objectKey("Node", "", node.name)] : [])
  ]
}

/** A cached token's cached answers, by requested audiences. */
interface Slot {
  readonly token: string
  readonly byAudiences: Map<string, Entry>
}

/** Where a token is looked up: its last 32 characters (24 bytes of its signature, for a JWS). */
const slotKey = (token: string) => token.length > 32 ? token.slice(-32) : token

/** The requested audiences as one key, one-to-one (a JSON array starts with `[`, never with `:`). */
const audiencesKey = (audiences: ReadonlyArray<string>) =>
  audiences.length === 1 ? `:${audiences[0]!}` : JSON.stringify(audiences)

/**
 * A cache without a watch (evict by hand). Prefer `layer`, which follows the store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = (options: Options = {}): TokenCache["Type"] => {
  const ttlMillis = Duration.toMillis(Duration.decode(options.ttl ?? "10 seconds"))
  const capacity = Math.max(0, Math.floor(options.capacity ?? 4096))
  // Tokens are found by their last characters (the signature's), then compared whole: each review's
  // token is a new string, and hashing all of it would cost more than the rest of a cache hit.
  // Two cached tokens ending alike share a slot, the later one replacing the other.
  // The slots are kept least recently used first.
  const slots = new Map<string, Slot>()
  let count = 0
  const index = new Map<string, Set<Entry>>()
  const remove = (entry: Entry) => {
    const key = slotKey(entry.token)
    const slot = slots.get(key)
    if (slot?.token !== entry.token || slot.byAudiences.get(entry.audiences) !== entry) return
    slot.byAudiences.delete(entry.audiences)
    if (slot.byAudiences.size === 0) slots.delete(key)
    count -= 1
    for (const dependency of entry.dependencies) {
      const dependents = index.get(dependency)
      dependents?.delete(entry)
      if (dependents?.size === 0) index.delete(dependency)
    }
  }
  const removeAll = (slot: Slot) => {
    for (const entry of [...slot.byAudiences.values()]) remove(entry)
  }
  return TokenCache.of({
    lookup: (token, audiences, nowMillis) => {
      const key = slotKey(token)
      const slot = slots.get(key)
      if (slot === undefined || slot.token !== token) return undefined
      const entry = slot.byAudiences.get(audiencesKey(audiences))
      if (entry === undefined) return undefined
      if (nowMillis >= entry.expiresAt) {
        remove(entry)
        return undefined
      }
      // Most recently used last.
      slots.delete(key)
      slots.set(key, slot)
      return entry.verified
    },
    remember: (token, audiences, verified, nowMillis) => {
      if (ttlMillis <= 0 || capacity === 0) return
      const audiencesId = audiencesKey(audiences)
      const key = slotKey(token)
      const taken = slots.get(key)
      if (taken !== undefined && taken.token !== token) removeAll(taken)
      const previous = slots.get(key)?.byAudiences.get(audiencesId)
      if (previous !== undefined) remove(previous)
      const exp = verified.claims.exp
      const expiresAt = Math.min(nowMillis + ttlMillis, exp === undefined ? Infinity : (exp + leewaySeconds) * 1000)
      if (expiresAt <= nowMillis) return
      while (count >= capacity) {
        const oldest = slots.values().next()
        if (oldest.done === true) break
        removeAll(oldest.value)
      }
      const entry: Entry = { token, audiences: audiencesId, verified, expiresAt, dependencies: dependenciesOf(verified.claims) }
      const slot = slots.get(key)
      if (slot === undefined) slots.set(key, { token, byAudiences: new Map([[audiencesId, entry]]) })
      else slot.byAudiences.set(audiencesId, entry)
      count += 1
      for (const dependency of entry.dependencies) {
        const dependents = index.get(dependency)
        if (dependents === undefined) index.set(dependency, new Set([entry]))
        else dependents.add(entry)
      }
    },
    evict: (kind, namespace, name) => {
      const dependents = index.get(objectKey(kind, namespace, name))
      if (dependents === undefined) return
      for (const entry of [...dependents]) remove(entry)
    },
    clear: () => {
      slots.clear()
      index.clear()
      count = 0
    },
    size: () => count
  })
}

/**
 * The cache, following the store's watch: every ADDED or DELETED object evicts the tokens bound to
 * it. When the watch fails the cache is emptied and the watch is resumed a second later.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<TokenCache, never, ObjectStore> =>
  Layer.scoped(
    TokenCache,
    Effect.gen(function*() {
      const cache = unsafeMake(options)
      const store = yield* ObjectStore
      yield* store.watch.pipe(
        Stream.runForEach((event) =>
          Effect.sync(() => {
            const key = keyOf(event.object)
            cache.evict(key.kind, key.namespace, key.name)
          })
        ),
        Effect.catchAllCause(() => Effect.void),
        Effect.zipRight(Effect.sync(() => cache.clear())),
        Effect.zipRight(Effect.sleep("1 second")),
        Effect.forever,
        Effect.forkScoped
      )
      return cache
    })
  )
