/**
 * Clock adapters for Effect's `Clock` service: the system clock, a fixed clock that always reads the
 * same instant, and a manually advanced clock. Embedding hosts and conformance vectors use the last
 * two to make `iat`, `nbf`, `exp` and timestamps deterministic.
 *
 * Only the time readings are controlled: `sleep` keeps using real timers in every adapter, so
 * timeouts, debounces and schedules of the host keep working while the reported time stands still.
 * (Tests that want virtual sleeping use Effect's `TestClock`.)
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as EffectClock from "effect/Clock"
import * as Layer from "effect/Layer"

const system = EffectClock.make()

const millisOf = (instant: DateTime.DateTime.Input): number => {
  const millis = DateTime.toEpochMillis(DateTime.unsafeMake(instant))
  if (!Number.isFinite(millis)) throw new RangeError(`invalid instant: ${String(instant)}`)
  return millis
}

const makeReading = (read: () => number): EffectClock.Clock => ({
  [EffectClock.ClockTypeId]: EffectClock.ClockTypeId,
  unsafeCurrentTimeMillis: read,
  unsafeCurrentTimeNanos: () => BigInt(read()) * 1_000_000n,
  currentTimeMillis: Effect.sync(read),
  currentTimeNanos: Effect.sync(() => BigInt(read()) * 1_000_000n),
  sleep: (duration) => system.sleep(duration)
})

/**
 * The system clock (wall time), as Effect provides it by default. Useful to undo an outer override.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSystem: Layer.Layer<never> = Layer.setClock(system)

/**
 * A clock that always reads `instant` (a `DateTime`, a `Date`, epoch milliseconds or an ISO string).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFixed = (instant: DateTime.DateTime.Input): EffectClock.Clock => {
  const millis = millisOf(instant)
  return makeReading(() => millis)
}

/**
 * Installs a clock that always reads `instant`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFixed = (instant: DateTime.DateTime.Input): Layer.Layer<never> =>
  Layer.unwrapEffect(Effect.sync(() => Layer.setClock(makeFixed(instant))))

/**
 * A clock whose reading only changes through `advance` and `set`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ManualClock {
  /** The Effect `Clock` reading this manual time. */
  readonly clock: EffectClock.Clock
  /** The current reading. */
  readonly now: Effect.Effect<DateTime.Utc>
  /** Moves the reading forward (Effect durations are never negative; use `set` to go back). */
  readonly advance: (duration: Duration.DurationInput) => Effect.Effect<void>
  /** Sets the reading to an instant. */
  readonly set: (instant: DateTime.DateTime.Input) => Effect.Effect<void>
}

/**
 * The service tag of the clock installed by {@link layerManual}, to drive it from the host.
 *
 * @since 0.1.0
 * @category tags
 */
export class Manual extends Context.Tag("@tokenrequest/clock/Clock/Manual")<Manual, ManualClock>() {}

/**
 * Creates a manual clock starting at `start`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeManual = (start: DateTime.DateTime.Input): ManualClock => {
  let millis = millisOf(start)
  return {
    clock: makeReading(() => millis),
    now: Effect.sync(() => DateTime.unsafeMake(millis)),
    advance: (duration) =>
      Effect.sync(() => {
        millis += Duration.toMillis(Duration.decode(duration))
      }),
    set: (instant) =>
      Effect.sync(() => {
        millis = millisOf(instant)
      })
  }
}

/**
 * Installs a manual clock starting at `start` and provides it as {@link Manual}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerManual = (start: DateTime.DateTime.Input): Layer.Layer<Manual> =>
  Layer.unwrapEffect(
    Effect.sync(() => {
      const manual = makeManual(start)
      return Layer.merge(Layer.succeed(Manual, manual), Layer.setClock(manual.clock))
    })
  )
