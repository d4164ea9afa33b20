import { assert, describe, it } from "@effect/vitest"
import { existsSync } from "node:fs"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Etcd from "@tokenrequest/testkit/Etcd"

const health = (endpoint: string) =>
  Effect.promise(() =>
    fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.json() as Promise<{ health: string }>, () => undefined)
  )

describe("Etcd (test etcd)", () => {
  it.live("starts healthy on loopback, survives kill and restart on the same port and data, cleans up", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
      const etcd = yield* Scope.extend(Etcd.make(), scope)
      assert.match(etcd.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.strictEqual((yield* health(etcd.endpoint))?.health, "true")
      const put = yield* Effect.promise(() =>
        fetch(`${etcd.endpoint}/v3/kv/put`, {
          method: "POST",
          body: JSON.stringify({ key: Buffer.from("k").toString("base64"), value: Buffer.from("v").toString("base64") })
        }).then((r) => r.status)
      )
      assert.strictEqual(put, 200)

      yield* etcd.kill
      assert.isFalse(yield* etcd.running)
      assert.strictEqual(yield* health(etcd.endpoint), undefined)

      yield* etcd.start
      assert.isTrue(yield* etcd.running)
      const range = yield* Effect.promise(() =>
        fetch(`${etcd.endpoint}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: Buffer.from("k").toString("base64") }) })
          .then((r) => r.json() as Promise<{ kvs?: Array<{ value: string }> }>)
      )
      assert.strictEqual(Buffer.from(range.kvs?.[0]?.value ?? "", "base64").toString(), "v", "data survived the kill")

      yield* etcd.stop
      assert.isFalse(yield* etcd.running)
      yield* etcd.start
      assert.isTrue(yield* etcd.running)

      yield* Scope.close(scope, Exit.void)
      assert.isFalse(yield* etcd.running)
      assert.isFalse(existsSync(etcd.dataDir), "data directory removed")
    }).pipe(Effect.scoped), 60_000)
})
