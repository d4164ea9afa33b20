/**
 * Random (v4) UUIDs drawn from Effect's `Random`, lowercase and hyphenated, as `uuid.NewString()`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"

export const formatV4 = (bytes: ReadonlyArray<number>): string => {
  const b = [...bytes]
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = b.map((x) => x.toString(16).padStart(2, "0")).join("")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export const randomV4: Effect.Effect<string> = Effect.map(
  Effect.all(Array.from({ length: 16 }, () => Random.nextIntBetween(0, 256))),
  formatV4
)
