/**
 * `ReplicatedStore`: the primary's store and the workers' replicas over in-memory channels that
 * deliver in order and asynchronously, as an IPC channel does. The ObjectStore contract suite runs on
 * a store that writes through one replica and reads and watches through another, so every contract
 * check is also a check that a write is on every replica when it returns.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Chunk from "effect/Chunk"
import * as Fiber from "effect/Fiber"
import { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as MemoryStore from "@tokenrequest/store-memory/MemoryStore"
import * as ObjectStoreContract from "@tokenrequest/testkit/ObjectStoreContract"
import * as ReplicatedStore from "@tokenrequest/server/ReplicatedStore"

/** Two ends of an ordered, asynchronous link; `delayMillis` slows the primary-to-worker direction. */
const link = (delayMillis = 0) => {
  const handlers = { primary: new Set<(m: unknown) => void>(), worker: new Set<(m: unknown) => void>() }
  let open = true
  let muted = false
  let last = Promise.resolve()
  const deliver = (to: Set<(m: unknown) => void>, message: unknown, delay: number) => {
    // JSON round trip, as IPC does
    const copy = JSON.parse(JSON.stringify(message))
    last = last.then(() => new Promise<void>((resolve) => setTimeout(resolve, delay))).then(() => {
      if (open && !(muted && to === handlers.worker)) for (const h of to) h(copy)
    })
  }
  const end = (mine: Set<(m: unknown) => void>, theirs: Set<(m: unknown) => void>, delay: number): ReplicatedStore.Channel => ({
    send: (message) => {
      if (!open) return false
      deliver(theirs, message, delay)
      return true
    },
    onMessage: (handler) => {
      mine.add(handler)
      return () => mine.delete(handler)
    }
  })
  return {
    primary: end(handlers.primary, handlers.worker, delayMillis),
    worker: end(handlers.worker, handlers.primary, 0),
    close: () => {
      open = false
    },
    /** The worker stops answering (its messages are lost, the channel stays open). */
    mute: () => {
      muted = true
    }
  }
}

/** A host with `count` replicas (the first `delays.length` links slowed). */
const cluster = (count: number, delays: ReadonlyArray<number> = [], options: ReplicatedStore.HostOptions = {}) =>
  Effect.gen(function*() {
    const authoritative = yield* MemoryStore.make
    const host = ReplicatedStore.host(authoritative, options)
    const links = Array.from({ length: count }, (_, i) => link(delays[i] ?? 0))
    const detach = links.map((l) => host.attach(l.primary))
    const replicas = yield* Effect.forEach(links, (l) => ReplicatedStore.replica(l.worker))
    return { authoritative, host, links, detach, replicas }
  })

// Writes through replica 0, reads and watches through replica 1.
const crossed = Layer.scoped(
  ObjectStore,
  Effect.map(cluster(2), ({ replicas: [writer, reader] }) =>
    ObjectStore.of({
      get: reader!.get,
      list: reader!.list,
      create: writer!.create,
      delete: writer!.delete,
      watch: reader!.watch
    }))
)

ObjectStoreContract.suite("replicated (write through one replica, read through another)", crossed, { numRuns: 15 })

describe("ReplicatedStore", () => {
  it.live("a replica started later gets every object in the snapshot, with the same uid", () =>
    Effect.gen(function*() {
      const authoritative = yield* MemoryStore.make
      const host = ReplicatedStore.host(authoritative, { snapshotChunk: 3 })
      const first = link()
      host.attach(first.primary)
      const writer = yield* ReplicatedStore.replica(first.worker)
      const created = yield* Effect.forEach(
        Array.from({ length: 10 }, (_, i) => ObjectStoreContract.object("ServiceAccount", "default", `sa-${i}`)),
        (object) => writer.create(object)
      )
      const second = link()
      host.attach(second.primary)
      const late = yield* ReplicatedStore.replica(second.worker)
      const listed = yield* late.list("ServiceAccount", "default")
      assert.deepStrictEqual(listed.map((o) => o.metadata.uid), created.map((o) => o.metadata.uid))
      assert.deepStrictEqual(listed, yield* authoritative.list("ServiceAccount", "default"))
      assert.strictEqual(host.sequence(), 10)
    }).pipe(Effect.scoped))

  it.live("a write returns only once the slowest replica applied it, and its watch saw it", () =>
    Effect.gen(function*() {
      const { replicas: [writer, slow] } = yield* cluster(2, [0, 150])
      const events = yield* slow!.watch.pipe(Stream.take(2), Stream.runCollect, Effect.fork)
      yield* Effect.sleep("20 millis")
      yield* writer!.create(ObjectStoreContract.object("Pod", "default", "web"))
      assert.isTrue(Option.isSome(yield* slow!.get("Pod", "default", "web")))
      yield* writer!.delete("Pod", "default", "web")
      assert.isTrue(Option.isNone(yield* slow!.get("Pod", "default", "web")))
      const seen = Chunk.toReadonlyArray(yield* Fiber.join(events))
      assert.deepStrictEqual(seen.map((e) => `${e.type} ${e.object.metadata.name}`), ["ADDED web", "DELETED web"])
    }).pipe(Effect.scoped))

  it.live("objects the host seeded are adopted once, while adopting, by a replica that creates them again", () =>
    Effect.gen(function*() {
      const authoritative = yield* MemoryStore.make
      const host = ReplicatedStore.host(authoritative)
      const seeded = [ObjectStoreContract.object("Namespace", "", "ci"), ObjectStoreContract.object("ServiceAccount", "ci", "builder")]
      yield* host.seed(seeded)
      assert.strictEqual(host.sequence(), 2)
      const again = yield* Effect.flip(host.seed([ObjectStoreContract.object("Namespace", "", "ci")]))
      assert.strictEqual(again._tag, "AlreadyExists")
      let adopting = true
      const l = link()
      host.attach(l.primary)
      const leader = yield* ReplicatedStore.replica(l.worker, { adopting: () => adopting })
      const stored = yield* authoritative.get("ServiceAccount", "ci", "builder")
      const adopted = yield* leader.create(seeded[1]!)
      assert.deepStrictEqual(adopted, Option.getOrThrow(stored))
      // Once only: the second create is a real one, and the store says it exists.
      assert.strictEqual((yield* Effect.flip(leader.create(seeded[1]!)))._tag, "AlreadyExists")
      // Not adopting any more: a real create.
      adopting = false
      assert.strictEqual((yield* Effect.flip(leader.create(seeded[0]!)))._tag, "AlreadyExists")
      assert.strictEqual(host.sequence(), 2)
    }).pipe(Effect.scoped))

  it.live("errors come back as the store's errors", () =>
    Effect.gen(function*() {
      const { replicas: [a, b] } = yield* cluster(2)
      yield* a!.create(ObjectStoreContract.object("Namespace", "", "ci"))
      const again = yield* Effect.flip(b!.create(ObjectStoreContract.object("Namespace", "", "ci")))
      assert.strictEqual(again._tag, "AlreadyExists")
      assert.strictEqual(again.message, 'namespaces "ci" already exists')
      const missing = yield* Effect.flip(b!.delete("Secret", "ci", "nope"))
      assert.strictEqual(missing._tag, "NotFound")
      assert.strictEqual(missing.message, 'secrets "nope" not found')
    }).pipe(Effect.scoped))

  it.live("a replica that goes away does not hold up writes; one that never answers is reported", () =>
    Effect.gen(function*() {
      const stuck: Array<ReplicatedStore.Channel> = []
      const { links, detach, replicas: [writer] } = yield* cluster(3, [], {
        ackTimeoutMillis: 100,
        onStuck: (channel) => stuck.push(channel)
      })
      // Replica 1 is gone: detached at once.
      links[1]!.close()
      detach[1]!()
      yield* writer!.create(ObjectStoreContract.object("Node", "", "node-1"))
      // Replica 2 stops answering: the write waits, the host reports it, detaching it lets the write return.
      links[2]!.mute()
      const write = yield* Effect.fork(writer!.create(ObjectStoreContract.object("Node", "", "node-2")))
      yield* Effect.sleep("300 millis")
      assert.deepStrictEqual(stuck, [links[2]!.primary])
      assert.isTrue(Option.isNone(yield* Fiber.poll(write)))
      detach[2]!()
      const created = yield* Fiber.join(write)
      assert.strictEqual(created.metadata.name, "node-2")
    }).pipe(Effect.scoped))

  it.live("writes fail as Unavailable once the primary is gone", () =>
    Effect.gen(function*() {
      const { links, replicas: [writer] } = yield* cluster(1)
      links[0]!.close()
      const error = yield* Effect.flip(writer!.create(ObjectStoreContract.object("Node", "", "node-1")))
      assert.strictEqual(error._tag, "ObjectStoreError")
      assert.strictEqual((error as { reason?: string }).reason, "Unavailable")
    }).pipe(Effect.scoped))
})
