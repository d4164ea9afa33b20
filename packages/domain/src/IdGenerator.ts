/**
 * The `IdGenerator` port: the `jti` of each issued token (a random UUID v4, lowercase, hyphenated).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { randomV4 } from "./internal/uuid.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class IdGenerator extends Context.Tag("@tokenrequest/domain/IdGenerator")<
  IdGenerator,
  {
    readonly next: Effect.Effect<string>
    /** `next` at once (see `Steps.SyncPorts`). */
    readonly unsafeNext?: () => string
  }
>() {}

/**
 * Random UUID v4 ids drawn from Effect's `Random` (of the calling fiber), as `uuid.NewString()`.
 * No synchronous form (outside a fiber there is no `Random` to draw from): for `Steps.runSync`,
 * give `unsafeNext` from a source of your own, as the reference server does with `randomUUID`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRandom: Layer.Layer<IdGenerator> = Layer.succeed(IdGenerator, { next: randomV4 })

/**
 * The n-th id of a deterministic sequence (1-based): `00000000-0000-4000-8000-<n as 12 hex digits>`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sequenceId = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`

/**
 * Deterministic ids `sequenceId(1)`, `sequenceId(2)`, … (tests and conformance vectors), one
 * sequence for `next` and `unsafeNext`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSequence: Layer.Layer<IdGenerator> = Layer.sync(IdGenerator, () => {
  let count = 0
  const unsafeNext = () => sequenceId(++count)
  return { next: Effect.sync(unsafeNext), unsafeNext }
})

/**
 * Always the same id.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFixed = (id: string): Layer.Layer<IdGenerator> =>
  Layer.succeed(IdGenerator, { next: Effect.succeed(id), unsafeNext: () => id })
