/**
 * The `ObjectStore` port on etcd v3, for several replicas sharing one store. Objects are JSON values
 * under Kubernetes-style keys (`<prefix>/<resource>/<namespace>/<name>`, cluster-scoped kinds
 * `<prefix>/<resource>/<name>`); `resourceVersion` is etcd's mod revision.
 *
 * Reads are served from a local cache fed by one etcd watch (an initial range read, then a watch
 * from the next revision; after any watch failure a fresh range read and a new watch). Each
 * replica applies its own successful writes to its cache at once (read-your-writes); other replicas
 * see them as soon as their watch delivers them, typically within milliseconds.
 *
 * When etcd cannot be reached, writes fail with `ObjectStoreError` reason `Unavailable` within
 * `requestTimeout`, and cached reads keep being served only while the cache is provably recent:
 * while the watch is connected, and for `staleAfter` after it dropped; later reads fail with
 * `Unavailable` too, so a deletion made elsewhere is never hidden for longer than that. Recovery is
 * automatic: the store re-reads and re-watches until etcd answers again.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { noop, retry, handleWhen, ConstantBackoff } from "cockatiel"
import * as DateTime from "effect/DateTime"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { Etcd3, GRPCDeadlineExceededError, isRecoverableError, type IKeyValue, type IWatchResponse } from "etcd3"
import { AlreadyExists, NotFound } from "@tokenrequest/domain/Errors"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import { ObjectStore, ObjectStoreError, type ObjectEvent } from "@tokenrequest/domain/ObjectStore"

/** The object with etcd's mod revision as its `metadata.resourceVersion`. */
const withResourceVersion = (object: KubeObject.KubeObject, revision: string): KubeObject.KubeObject => ({
  ...object,
  metadata: { ...object.metadata, resourceVersion: revision }
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** etcd client URLs, e.g. `http://127.0.0.1:2379` (the server's `--etcd-servers`). */
  readonly endpoints: ReadonlyArray<string>
  /** Key prefix; default `/registry` (the server's `--etcd-prefix`). */
  readonly prefix?: string | undefined
  /** Upper bound of every etcd request, and of the first synchronisation at start; default 2 s. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** How long cached reads are still served after the watch dropped; default 1 s. */
  readonly staleAfter?: Duration.DurationInput | undefined
  /** Pause between attempts to re-read and re-watch after a failure; default 250 ms. */
  readonly retryInterval?: Duration.DurationInput | undefined
}

/**
 * The default key prefix, as kube-apiserver's `--etcd-prefix`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPrefix = "/registry"

const normalizePrefix = (prefix: string | undefined): string => {
  const p = (prefix ?? defaultPrefix).replace(/\/+$/, "")
  return p.startsWith("/") || p === "" ? p : `/${p}`
}

/**
 * The etcd key of an object: `<prefix>/<resource>/<namespace>/<name>`, or `<prefix>/<resource>/<name>`
 * for Namespace and Node.
 *
 * @since 0.1.0
 * @category keys
 */
export const key = (prefix: string, kind: KubeObject.ObjectKind, namespace: string, name: string): string => {
  const { namespaced, resource } = KubeObject.kinds[kind]
  const base = `${normalizePrefix(prefix)}/${resource}`
  return namespaced ? `${base}/${namespace}/${name}` : `${base}/${name}`
}

const ObjectJson = Schema.parseJson(KubeObject.KubeObject)
const encodeObject = Schema.encodeSync(ObjectJson)
const decodeObject = Schema.decodeUnknownEither(ObjectJson)

interface Entry {
  readonly object: KubeObject.KubeObject
  readonly revision: bigint
}

/** The first line of a gRPC error, without grpc-js's resolver notes. */
const brief = (error: unknown): string =>
  String((error as Error)?.message ?? error).split("\n")[0]!.replace(/\s*Resolution note:.*$/, "").trim()

const unavailable = (description: string, cause?: unknown) =>
  new ObjectStoreError({ reason: "Unavailable", description, cause })

/**
 * Connects to etcd, reads every stored object and starts the watch. Fails with `Unavailable` when
 * etcd does not answer within `requestTimeout`. The scope closes the watch and the client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<ObjectStore["Type"], ObjectStoreError, Scope.Scope> =>
  Effect.gen(function*() {
    if (options.endpoints.length === 0) {
      return yield* new ObjectStoreError({ reason: "Unexpected", description: "etcd store: no endpoints given" })
    }
    const prefix = normalizePrefix(options.prefix)
    const rangePrefix = `${prefix}/`
    const endpoints = options.endpoints.join(",")
    const requestTimeout = Duration.toMillis(Duration.decode(options.requestTimeout ?? "2 seconds"))
    const staleAfter = Duration.toMillis(Duration.decode(options.staleAfter ?? "1 second"))
    const retryInterval = Duration.decode(options.retryInterval ?? "250 millis")

    const client = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new Etcd3({
          hosts: [...options.endpoints],
          dialTimeout: requestTimeout,
          // Every unary call carries a deadline; watch streams live until cancelled.
          defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + requestTimeout }),
          grpcOptions: {
            "grpc.keepalive_time_ms": 10_000,
            "grpc.keepalive_timeout_ms": 3_000,
            "grpc.initial_reconnect_backoff_ms": 100,
            "grpc.max_reconnect_backoff_ms": 1_000
          },
          faultHandling: {
            // No circuit breaker: a host that failed is tried again on the next call.
            host: () => noop,
            // With several endpoints, a failed call moves on to the next one.
            global: options.endpoints.length > 1
              ? retry(handleWhen(isRecoverableError), { maxAttempts: options.endpoints.length - 1 })
              : noop,
            watchBackoff: new ConstantBackoff(Duration.toMillis(retryInterval)).next()
          }
        })
      ),
      (c) => Effect.sync(() => c.close())
    )

    // --- the cache -------------------------------------------------------------------------------
    const entries = new Map<KubeObject.ObjectKind, Map<string, Entry>>(
      (Object.keys(KubeObject.kinds) as Array<KubeObject.ObjectKind>).map((k) => [k, new Map()])
    )
    /** Keys deleted at a revision the watch may not have delivered yet. */
    const tombstones = new Map<string, bigint>()
    /** The highest revision the cache is known to reflect (range read or watch). */
    let revision = 0n
    let connected = false
    let freshUntil = 0
    let lastError = "not synchronised yet"
    const events = yield* PubSub.unbounded<ObjectEvent>()
    const publish = (event: ObjectEvent) => Effect.runSync(PubSub.publish(events, event))

    const kindOfKey = (etcdKey: string): KubeObject.ObjectKind | undefined => {
      if (!etcdKey.startsWith(rangePrefix)) return undefined
      const resource = etcdKey.slice(rangePrefix.length).split("/", 1)[0]!
      return Option.getOrUndefined(KubeObject.kindOfResource(resource))
    }

    const applyPut = (kind: KubeObject.ObjectKind, etcdKey: string, object: KubeObject.KubeObject, at: bigint) => {
      const deletedAt = tombstones.get(etcdKey)
      if (deletedAt !== undefined) {
        if (deletedAt >= at) return
        tombstones.delete(etcdKey)
      }
      const map = entries.get(kind)!
      const current = map.get(etcdKey)
      if (current !== undefined && current.revision >= at) return
      map.set(etcdKey, { object, revision: at })
      if (current !== undefined && current.object.metadata.uid === object.metadata.uid) return
      if (current !== undefined) publish({ type: "DELETED", object: current.object })
      publish({ type: "ADDED", object })
    }

    const applyDelete = (kind: KubeObject.ObjectKind, etcdKey: string, at: bigint) => {
      const previous = tombstones.get(etcdKey)
      if (previous === undefined || previous < at) tombstones.set(etcdKey, at)
      const map = entries.get(kind)!
      const current = map.get(etcdKey)
      if (current === undefined || current.revision >= at) return
      map.delete(etcdKey)
      publish({ type: "DELETED", object: current.object })
    }

    const pruneTombstones = () => {
      for (const [k, at] of tombstones) if (at <= revision) tombstones.delete(k)
    }

    const decodeKv = (kv: IKeyValue): { kind: KubeObject.ObjectKind; object: KubeObject.KubeObject } | undefined => {
      const etcdKey = kv.key.toString("utf8")
      const kind = kindOfKey(etcdKey)
      if (kind === undefined) return undefined
      const decoded = decodeObject(kv.value.toString("utf8"))
      // Not ours (another writer under the prefix, or a Kubernetes protobuf value): ignored.
      if (Either.isLeft(decoded) || decoded.right.kind !== kind) return undefined
      return { kind, object: withResourceVersion(decoded.right, kv.mod_revision) }
    }

    const applyWatchResponse = (response: IWatchResponse) => {
      for (const event of response.events) {
        const at = BigInt(event.kv.mod_revision)
        const etcdKey = event.kv.key.toString("utf8")
        if (event.type === "Delete") {
          const kind = kindOfKey(etcdKey)
          if (kind !== undefined) applyDelete(kind, etcdKey, at)
        } else {
          const decoded = decodeKv(event.kv)
          if (decoded !== undefined) applyPut(decoded.kind, etcdKey, decoded.object, at)
        }
        if (at > revision) revision = at
      }
      const header = BigInt(response.header.revision)
      if (response.events.length === 0 && header > revision) revision = header
      pruneTombstones()
    }

    // --- talking to etcd -------------------------------------------------------------------------
    const call = <A>(what: string, f: () => Promise<A>): Effect.Effect<A, ObjectStoreError> =>
      Effect.tryPromise({
        try: f,
        catch: (error) =>
          isRecoverableError(error as Error) || error instanceof GRPCDeadlineExceededError
            ? unavailable(`etcd at ${endpoints} is unavailable: ${what}: ${brief(error)}`, error)
            : new ObjectStoreError({ reason: "Unexpected", description: `etcd ${what}: ${brief(error)}`, cause: error })
      }).pipe(
        Effect.timeoutFail({
          duration: Duration.millis(requestTimeout + 250),
          onTimeout: () => unavailable(`etcd at ${endpoints} is unavailable: ${what} timed out after ${requestTimeout} ms`)
        })
      )

    /** Range read of everything under the prefix; makes the cache equal to it. */
    const relist = call("list", () => client.getAll().prefix(rangePrefix).exec()).pipe(
      Effect.map((response) => {
        const at = BigInt(response.header.revision)
        const seen = new Set<string>()
        for (const kv of response.kvs) {
          const decoded = decodeKv(kv)
          if (decoded === undefined) continue
          const etcdKey = kv.key.toString("utf8")
          seen.add(etcdKey)
          applyPut(decoded.kind, etcdKey, decoded.object, BigInt(kv.mod_revision))
        }
        for (const [kind, map] of entries) {
          for (const [etcdKey, entry] of map) {
            if (!seen.has(etcdKey) && entry.revision <= at) applyDelete(kind, etcdKey, at)
          }
        }
        if (at > revision) revision = at
        pruneTombstones()
        freshUntil = Date.now() + staleAfter
      })
    )

    const markDown = (reason: string) => {
      if (connected) freshUntil = Date.now() + staleAfter
      connected = false
      lastError = reason
    }

    /** Runs one watch from `revision + 1` until it fails; applies its events to the cache. */
    const watchOnce = Effect.async<never, string>((resume) => {
      let done = false
      const watcher = client.watch().prefix(rangePrefix).startRevision((revision + 1n).toString()).watcher()
      const end = (reason: string) => {
        if (done) return
        done = true
        clearTimeout(timer)
        markDown(reason)
        watcher.cancel().catch(() => undefined)
        resume(Effect.fail(reason))
      }
      const timer = setTimeout(() => end(`watch did not start within ${requestTimeout} ms`), requestTimeout)
      watcher.on("connected", () => {
        if (done) return
        clearTimeout(timer)
        connected = true
      })
      watcher.on("data", (response: IWatchResponse) => {
        if (!done) applyWatchResponse(response)
      })
      watcher.on("disconnected", (error: Error) => end(`watch disconnected: ${brief(error)}`))
      watcher.on("error", (error: Error) => end(`watch failed: ${brief(error)}`))
      return Effect.sync(() => {
        done = true
        clearTimeout(timer)
        connected = false
        watcher.cancel().catch(() => undefined)
      })
    })

    const synced = yield* Deferred.make<void>()
    yield* Effect.gen(function*() {
      while (true) {
        const listed = yield* Effect.either(relist)
        if (Either.isRight(listed)) {
          yield* Deferred.succeed(synced, undefined)
          yield* Effect.either(watchOnce)
        } else {
          markDown(listed.left.description.replace(`etcd at ${endpoints} is unavailable: `, ""))
        }
        yield* Effect.sleep(retryInterval)
      }
    }).pipe(Effect.forkScoped)

    yield* Deferred.await(synced).pipe(
      Effect.timeoutFail({
        duration: Duration.millis(requestTimeout * 2),
        onTimeout: () => unavailable(`etcd at ${endpoints} is unavailable: ${lastError}`)
      })
    )

    // --- the port --------------------------------------------------------------------------------
    const fresh = Effect.suspend(() =>
      connected || Date.now() < freshUntil
        ? Effect.void
        : Effect.fail(unavailable(`etcd at ${endpoints} is unavailable (${lastError}); cached objects may be stale`))
    )

    const get: ObjectStore["Type"]["get"] = (kind, namespace, name) =>
      Effect.map(fresh, () => Option.fromNullable(entries.get(kind)!.get(key(prefix, kind, namespace, name))?.object))

    const list: ObjectStore["Type"]["list"] = (kind, namespace) =>
      Effect.map(fresh, () => {
        const result: Array<KubeObject.KubeObject> = []
        for (const entry of entries.get(kind)!.values()) {
          if (namespace !== undefined && KubeObject.kinds[kind].namespaced && entry.object.metadata.namespace !== namespace) {
            continue
          }
          result.push(entry.object)
        }
        return result.sort(KubeObject.order)
      })

    const create: ObjectStore["Type"]["create"] = (object) =>
      Effect.gen(function*() {
        const { kind, name, namespace } = KubeObject.keyOf(object)
        const etcdKey = key(prefix, kind, namespace, name)
        const stored = KubeObject.stamp(object, { uid: randomUUID(), now: yield* DateTime.now })
        const value = encodeObject(stored)
        const response = yield* call(
          "create",
          () =>
            client.if(etcdKey, "Create", "==", 0).then(client.put(etcdKey).value(value)).else(client.get(etcdKey))
              .commit()
        )
        if (!response.succeeded) {
          // The object in the way goes into the cache now, not when the watch brings it: whoever was
          // told it exists can read it at once (a server seeding objects another replica created).
          const existing = response.responses[0]?.response_range?.kvs[0]
          const decoded = existing === undefined ? undefined : decodeKv(existing)
          if (decoded !== undefined) applyPut(decoded.kind, etcdKey, decoded.object, BigInt(existing!.mod_revision))
          return yield* new AlreadyExists({ group: "", resource: KubeObject.kinds[kind].resource, name })
        }
        const at = BigInt(response.header.revision)
        const result = withResourceVersion(stored, at.toString())
        applyPut(kind, etcdKey, result, at)
        return result
      })

    const del: ObjectStore["Type"]["delete"] = (kind, namespace, name) =>
      Effect.gen(function*() {
        const etcdKey = key(prefix, kind, namespace, name)
        const response = yield* call(
          "delete",
          () => client.kv.deleteRange({ key: Buffer.from(etcdKey), prev_kv: true })
        )
        if (BigInt(response.deleted) === 0n) {
          return yield* new NotFound({ group: "", resource: KubeObject.kinds[kind].resource, name })
        }
        const at = BigInt(response.header.revision)
        const previous = response.prev_kvs.length > 0 ? decodeKv(response.prev_kvs[0]!) : undefined
        const cached = entries.get(kind)!.get(etcdKey)?.object
        applyDelete(kind, etcdKey, at)
        return previous?.object ?? cached ??
          ({ apiVersion: "v1", kind, metadata: KubeObject.kinds[kind].namespaced ? { name, namespace } : { name } })
      })

    return ObjectStore.of({ get, list, create, delete: del, watch: Stream.fromPubSub(events) })
  })

/**
 * The etcd store as a layer; building it fails with `Unavailable` when etcd does not answer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<ObjectStore, ObjectStoreError> =>
  Layer.scoped(ObjectStore, make(options))
