/**
 * The protobuf codec loaded on first use: `@bufbuild/protobuf` and the generated descriptors weigh
 * on every server's memory, and only a protobuf request needs them. The media type is here too, so
 * that content negotiation can name it without loading the codec.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Protobuf from "../Protobuf.js"

/** `application/vnd.kubernetes.protobuf`. */
export const mediaType = "application/vnd.kubernetes.protobuf"

/** The `Protobuf` module (loaded once; later loads answer the same module). */
export const load: Effect.Effect<typeof Protobuf> = Effect.promise(() => import("../Protobuf.js"))
