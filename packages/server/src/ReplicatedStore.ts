/**
 * One object store shared by the worker processes of `tokenrequest serve --workers N` (`Workers`):
 * the primary process holds the authoritative store (`host`), each worker a replica of it
 * (`replica`) that answers `get`, `list` and `watch` from its own memory and sends `create` and
 * `delete` to the primary. The primary applies a write, sends the change to every worker in commit
 * order, and answers the writer only once every worker has applied it: an object created through
 * one worker can be used through any other as soon as the create returns, and a deletion has
 * revoked its tokens on every worker before the delete returns.
 *
 * The two sides talk over a `Channel` (a worker's IPC channel in `Workers`; anything that carries
 * JSON-like messages in order).
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { AlreadyExists, NotFound } from "@tokenrequest/domain/Errors"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import { type ObjectEvent, ObjectStore, ObjectStoreError } from "@tokenrequest/domain/ObjectStore"
import * as Wire from "./internal/storeWire.js"

/**
 * An ordered, message-carrying link between the primary and one worker.
 *
 * @since 0.1.0
 * @category models
 */
export interface Channel {
  /** Sends a message; returns `false` when the other side is gone. */
  readonly send: (message: unknown) => boolean
  /** Calls `handler` with every message received; returns the function that stops it. */
  readonly onMessage: (handler: (message: unknown) => void) => () => void
}

/**
 * Options of the primary's side.
 *
 * @since 0.1.0
 * @category models
 */
export interface HostOptions {
  /** How long a write waits for a worker to apply it before that worker is reported as stuck. Default 10 s. */
  readonly ackTimeoutMillis?: number | undefined
  /** Called with a worker that did not apply a change in time (`Workers` restarts it). */
  readonly onStuck?: ((channel: Channel) => void) | undefined
  /** Objects per snapshot message. Default 2000. */
  readonly snapshotChunk?: number | undefined
}

/**
 * The primary's side: serves the replicas attached to it from `store`, which must be written only
 * through the host.
 *
 * @since 0.1.0
 * @category models
 */
export interface Host {
  /** Serves one worker's channel until the returned function detaches it (the worker exited). */
  readonly attach: (channel: Channel) => () => void
  /**
   * Creates objects in the store before any worker is attached (the primary's `--objects`); fails
   * on the first object that exists already.
   */
  readonly seed: (objects: Iterable<KubeObject.KubeObject>) => Effect.Effect<void, AlreadyExists | ObjectStoreError>
  /** The number of writes applied. */
  readonly sequence: () => number
}

interface Subscriber {
  readonly channel: Channel
  acked: number
}

interface PendingWrite {
  readonly seq: number
  readonly waiting: Set<Subscriber>
  readonly answer: () => void
  readonly timer: ReturnType<typeof setTimeout>
}

const allKinds = Object.keys(KubeObject.kinds) as ReadonlyArray<KubeObject.ObjectKind>

/**
 * The primary's side over an authoritative store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const host = (store: ObjectStore["Type"], options: HostOptions = {}): Host => {
  const ackTimeoutMillis = options.ackTimeoutMillis ?? 10_000
  const chunk = Math.max(1, options.snapshotChunk ?? 2000)
  const subscribers = new Set<Subscriber>()
  const pending = new Set<PendingWrite>()
  let seq = 0
  // One operation at a time (subscriptions included), so that snapshots and events agree.
  let queue: Promise<void> = Promise.resolve()
  const enqueue = (operation: () => Promise<void>) => {
    queue = queue.then(operation, operation).catch(() => {})
  }

  const settle = () => {
    for (const write of pending) {
      if (write.waiting.size === 0) {
        pending.delete(write)
        clearTimeout(write.timer)
        write.answer()
      }
    }
  }

  // The writer gets the change as an event like every other worker, then the answer; it is not
  // waited for, since it applies the event before it reads the answer (the channel keeps order).
  const commit = (event: ObjectEvent, writer: Subscriber, id: number) => {
    seq += 1
    const object = Wire.encodeObject(event.object)
    const message: Wire.ToWorker = { t: Wire.tag, op: "event", seq, type: event.type, object }
    const waiting = new Set<Subscriber>()
    for (const subscriber of subscribers) {
      if (subscriber.channel.send(message) && subscriber !== writer) waiting.add(subscriber)
    }
    const write: PendingWrite = {
      seq,
      waiting,
      answer: () => writer.channel.send({ t: Wire.tag, op: "reply", id, object } satisfies Wire.ToWorker),
      timer: setTimeout(() => {
        for (const subscriber of write.waiting) options.onStuck?.(subscriber.channel)
      }, ackTimeoutMillis)
    }
    write.timer.unref?.()
    pending.add(write)
    settle()
  }

  const replyFailure = (channel: Channel, id: number, cause: Cause.Cause<AlreadyExists | NotFound | ObjectStoreError>) => {
    channel.send({
      t: Wire.tag,
      op: "reply",
      id,
      error: Option.match(Cause.failureOption(cause), {
        onNone: () => ({ _tag: "ObjectStoreError", reason: "Unexpected", description: "the object store failed" }),
        onSome: Wire.encodeError
      })
    } satisfies Wire.ToWorker)
  }

  const write = (
    subscriber: Subscriber,
    id: number,
    run: () => Effect.Effect<KubeObject.KubeObject, AlreadyExists | NotFound | ObjectStoreError>,
    type: ObjectEvent["type"]
  ) =>
    enqueue(async () => {
      let effect: Effect.Effect<KubeObject.KubeObject, AlreadyExists | NotFound | ObjectStoreError>
      try {
        effect = run()
      } catch (error) {
        effect = Effect.fail(
          new ObjectStoreError({ reason: "Unexpected", description: `bad object: ${(error as Error).message}` })
        )
      }
      const exit = await Effect.runPromiseExit(effect)
      if (Exit.isSuccess(exit)) commit({ type, object: exit.value }, subscriber, id)
      else replyFailure(subscriber.channel, id, exit.cause)
    })

  const attach = (channel: Channel) => {
    const subscriber: Subscriber = { channel, acked: 0 }
    let attached = true
    const stop = channel.onMessage((message) => {
      if (!attached || !Wire.isMessage(message)) return
      const m = message as Wire.ToPrimary
      switch (m.op) {
        case "subscribe":
          enqueue(async () => {
            const objects: Array<Wire.Encoded> = []
            for (const kind of allKinds) {
              for (const object of await Effect.runPromise(Effect.orDie(store.list(kind)))) {
                objects.push(Wire.encodeObject(object))
              }
            }
            if (!attached) return
            for (let start = 0; start === 0 || start < objects.length; start += chunk) {
              channel.send({
                t: Wire.tag,
                op: "snapshot",
                seq,
                objects: objects.slice(start, start + chunk),
                last: start + chunk >= objects.length
              } satisfies Wire.ToWorker)
            }
            subscriber.acked = seq
            subscribers.add(subscriber)
          })
          return
        case "create":
          return write(subscriber, m.id, () => store.create(Wire.decodeObject(m.object)), "ADDED")
        case "delete":
          return write(subscriber, m.id, () => store.delete(m.kind, m.namespace, m.name), "DELETED")
        case "ack":
          subscriber.acked = Math.max(subscriber.acked, m.seq)
          for (const write of pending) if (write.seq <= subscriber.acked) write.waiting.delete(subscriber)
          settle()
          return
      }
    })
    return () => {
      if (!attached) return
      attached = false
      stop()
      subscribers.delete(subscriber)
      for (const write of pending) write.waiting.delete(subscriber)
      settle()
    }
  }

  const seed = (objects: Iterable<KubeObject.KubeObject>) =>
    Effect.gen(function*() {
      for (const object of objects) {
        yield* store.create(object)
        seq += 1
      }
    })

  return { attach, seed, sequence: () => seq }
}

const unavailable = new ObjectStoreError({
  reason: "Unavailable",
  description: "the primary process holding the object store is gone"
})

/**
 * Options of a worker's side.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReplicaOptions {
  /**
   * While it answers `true`, creating an object that was in the first snapshot returns that object
   * (once per object) instead of asking the primary: the leader worker "seeds" the objects the primary
   * already seeded (`Host.seed`), and gets them as created, with their uids, at no cost.
   */
  readonly adopting?: (() => boolean) | undefined
}

/**
 * A worker's replica of the primary's store over `channel`: waits for the primary's snapshot, then
 * follows its changes (answering each one once applied, which the primary waits for before
 * answering the write). Reads and watches are local; writes go to the primary and return once
 * every worker has the change.
 *
 * @since 0.1.0
 * @category constructors
 */
export const replica = (
  channel: Channel,
  options: ReplicaOptions = {}
): Effect.Effect<ObjectStore["Type"], never, Scope.Scope> =>
  Effect.gen(function*() {
    const objects = new Map<string, KubeObject.KubeObject>()
    const events = yield* Effect.acquireRelease(PubSub.unbounded<ObjectEvent>(), PubSub.shutdown)
    const waiting = new Map<number, (answer: Wire.ToWorker & { op: "reply" }) => void>()
    let nextId = 0
    let seq = 0
    let closed = false
    let onSnapshot: (() => void) | undefined
    let snapshotDone = false
    // Keys of the first snapshot that can still be adopted.
    const adoptable = options.adopting === undefined ? undefined : new Set<string>()
    const keyOf = (object: KubeObject.KubeObject) => {
      const k = KubeObject.keyOf(object)
      return Wire.keyString(k.kind, k.namespace, k.name)
    }

    const stop = channel.onMessage((message) => {
      if (!Wire.isMessage(message)) return
      const m = message as Wire.ToWorker
      switch (m.op) {
        case "snapshot": {
          for (const encoded of m.objects) {
            const object = Wire.decodeObject(encoded)
            objects.set(keyOf(object), object)
            adoptable?.add(keyOf(object))
          }
          seq = m.seq
          if (m.last) {
            snapshotDone = true
            onSnapshot?.()
          }
          return
        }
        case "event": {
          if (m.seq > seq) {
            seq = m.seq
            const object = Wire.decodeObject(m.object)
            if (m.type === "ADDED") objects.set(keyOf(object), object)
            else objects.delete(keyOf(object))
            Effect.runSync(PubSub.publish(events, { type: m.type, object }))
          }
          channel.send({ t: Wire.tag, op: "ack", seq: m.seq } satisfies Wire.ToPrimary)
          return
        }
        case "reply": {
          const resume = waiting.get(m.id)
          waiting.delete(m.id)
          resume?.(m)
          return
        }
      }
    })
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        stop()
        for (const resume of waiting.values()) {
          resume({ t: Wire.tag, op: "reply", id: -1, error: Wire.encodeError(unavailable) })
        }
        waiting.clear()
      })
    )

    yield* Effect.async<void>((resume) => {
      if (snapshotDone) return resume(Effect.void)
      onSnapshot = () => resume(Effect.void)
      channel.send({ t: Wire.tag, op: "subscribe" } satisfies Wire.ToPrimary)
    })

    const request = (message: (id: number) => Wire.ToPrimary) =>
      Effect.async<KubeObject.KubeObject, AlreadyExists | NotFound | ObjectStoreError>((resume) => {
        if (closed) return resume(Effect.fail(unavailable))
        const id = nextId++
        waiting.set(id, (answer) => {
          if (answer.error !== undefined) resume(Effect.fail(Wire.decodeError(answer.error)))
          else resume(Effect.sync(() => Wire.decodeObject(answer.object)))
        })
        if (!channel.send(message(id))) {
          waiting.delete(id)
          resume(Effect.fail(unavailable))
        }
      })

    const unsafeGet = (kind: KubeObject.ObjectKind, namespace: string, name: string) =>
      Either.right(Option.fromNullable(objects.get(Wire.keyString(kind, namespace, name))))
    return ObjectStore.of({
      get: (kind, namespace, name) => Effect.suspend(() => unsafeGet(kind, namespace, name)),
      unsafeGet,
      list: (kind, namespace) =>
        Effect.sync(() => {
          const result: Array<KubeObject.KubeObject> = []
          for (const object of objects.values()) {
            if (object.kind !== kind) continue
            if (namespace !== undefined && KubeObject.kinds[kind].namespaced && object.metadata.namespace !== namespace) {
              continue
            }
            result.push(object)
          }
          return result.sort(KubeObject.order)
        }),
      create: (object) =>
        Effect.suspend(() => {
          if (adoptable !== undefined && adoptable.size > 0 && options.adopting!()) {
            const key = keyOf(object)
            const existing = adoptable.delete(key) ? objects.get(key) : undefined
            if (existing !== undefined) return Effect.succeed(existing)
          }
          return Effect.flatMap(
            Effect.try({
              try: () => Wire.encodeObject(object),
              catch: (error) => new ObjectStoreError({ reason: "Unexpected", description: `bad object: ${String(error)}` })
            }),
            (encoded) => request((id) => ({ t: Wire.tag, op: "create", id, object: encoded }))
          )
        }) as Effect.Effect<KubeObject.KubeObject, AlreadyExists | ObjectStoreError>,
      delete: (kind, namespace, name) =>
        request((id) => ({ t: Wire.tag, op: "delete", id, kind, namespace, name })) as Effect.Effect<
          KubeObject.KubeObject,
          NotFound | ObjectStoreError
        >,
      watch: Stream.fromPubSub(events)
    })
  })

/**
 * The replica as the `ObjectStore` layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerReplica = (channel: Channel, options: ReplicaOptions = {}): Layer.Layer<ObjectStore> =>
  Layer.scoped(ObjectStore, replica(channel, options))
