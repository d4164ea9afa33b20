/**
 * The `IdGenerator` port: the `jti` of each issued token (a random UUID v4, lowercase, hyphenated).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/**
 * @since 0.1.0
 * @category tags
 */
export class IdGenerator extends Context.Tag("@tokenrequest/domain/IdGenerator")<
  IdGenerator,
  { readonly next: Effect.Effect<string> }
>() {}
