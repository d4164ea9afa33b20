/**
 * The protobuf codec loaded on first use: `@bufbuild/protobuf` and the generated descriptors weigh
 * on every server's memory, and only a protobuf request needs them.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Protobuf from "../Protobuf.js"

/** The `Protobuf` module (loaded once; later loads answer the same module). */
export const load: Effect.Effect<typeof Protobuf> = Effect.promise(() => import("../Protobuf.js"))
