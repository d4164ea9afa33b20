import { Clock } from "@tokenrequest/clock"
import { assert, describe, it, layer } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as EffectClock from "effect/Clock"
import { FastCheck } from "effect"

const start = "2026-01-02T03:04:05.678Z"

describe("Clock.layerFixed", () => {
  it.effect("every reading is the fixed instant, in millis, nanos and DateTime", () =>
    Effect.gen(function*() {
      const a = yield* EffectClock.currentTimeMillis
      const nanos = yield* EffectClock.currentTimeNanos
      const now = yield* DateTime.now
      const b = yield* EffectClock.currentTimeMillis
      assert.strictEqual(a, Date.parse(start))
      assert.strictEqual(b, a)
      assert.strictEqual(nanos, BigInt(a) * 1_000_000n)
      assert.strictEqual(DateTime.formatIso(now), start)
    }).pipe(Effect.provide(Clock.layerFixed(start))))

  it.effect.prop("accepts any epoch millisecond instant", [FastCheck.integer({ min: 0, max: 8_640_000_000_000 })], ([ms]) =>
    Effect.gen(function*() {
      assert.strictEqual(yield* EffectClock.currentTimeMillis, ms)
    }).pipe(Effect.provide(Clock.layerFixed(ms))))

  it.live("sleep still uses real timers", () =>
    Effect.gen(function*() {
      yield* Effect.sleep("5 millis")
      assert.strictEqual(yield* EffectClock.currentTimeMillis, Date.parse(start))
    }).pipe(Effect.provide(Clock.layerFixed(start))))

  it("rejects an invalid instant", () => {
    assert.throws(() => Clock.makeFixed("not a time"))
  })
})

describe("Clock.layerManual", () => {
  layer(Clock.layerManual(start))((it) => {
    it.effect("advance and set move the reading, and only they do", () =>
      Effect.gen(function*() {
        const manual = yield* Clock.Manual
        assert.strictEqual(yield* EffectClock.currentTimeMillis, Date.parse(start))
        yield* manual.advance("90 minutes")
        assert.strictEqual(yield* EffectClock.currentTimeMillis, Date.parse(start) + 90 * 60_000)
        assert.strictEqual(DateTime.formatIso(yield* DateTime.now), "2026-01-02T04:34:05.678Z")
        assert.strictEqual(DateTime.formatIso(yield* manual.now), "2026-01-02T04:34:05.678Z")
        yield* manual.set(0)
        assert.strictEqual(yield* EffectClock.currentTimeMillis, 0)
        yield* manual.advance("1 seconds")
        assert.strictEqual(yield* EffectClock.currentTimeMillis, 1000)
      }))
  })

  it.effect.prop(
    "advancing by a then b equals advancing by a + b",
    [FastCheck.nat({ max: 1e9 }), FastCheck.nat({ max: 1e9 })],
    ([a, b]) =>
      Effect.gen(function*() {
        const one = Clock.makeManual(start)
        const two = Clock.makeManual(start)
        yield* one.advance(a)
        yield* one.advance(b)
        yield* two.advance(a + b)
        assert.strictEqual(one.clock.unsafeCurrentTimeMillis(), two.clock.unsafeCurrentTimeMillis())
      })
  )
})

describe("Clock.layerSystem", () => {
  it.effect("reads wall time even inside a TestClock test", () =>
    Effect.gen(function*() {
      const before = Date.now()
      const read = yield* EffectClock.currentTimeMillis
      assert.isTrue(read >= before && read <= Date.now())
    }).pipe(Effect.provide(Clock.layerSystem)))
})
