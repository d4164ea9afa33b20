/**
 * The authenticated caller of the current request, as the host (the reference server's
 * authentication, or any embedding application) establishes it. `SelfSubjectReview` answers with it;
 * without one the caller is anonymous.
 *
 * @since 0.1.0
 */
import type { UserInfo } from "@tokenrequest/domain/UserInfo"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/**
 * The caller's user info, provided per request by the host.
 *
 * @since 0.1.0
 * @category tags
 */
export class Caller extends Context.Tag("@tokenrequest/http/Caller")<Caller, UserInfo>() {}

/**
 * The anonymous user: `system:anonymous` in `system:unauthenticated`.
 *
 * @since 0.1.0
 * @category constants
 */
export const anonymous: UserInfo = { username: "system:anonymous", groups: ["system:unauthenticated"] }

/**
 * The current caller, anonymous when the host provided none.
 *
 * @since 0.1.0
 * @category accessors
 */
export const current: Effect.Effect<UserInfo> = Effect.map(
  Effect.serviceOption(Caller),
  Option.getOrElse(() => anonymous)
)

/**
 * Provides the caller to an effect (what a host's authentication middleware does).
 *
 * @since 0.1.0
 * @category combinators
 */
export const provide = (user: UserInfo) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Caller>> =>
  Effect.provideService(self, Caller, user)
