/**
 * Object lookups during a review, as upstream's token getter behaves: an object that cannot be read
 * counts as absent (the token is then invalidated), except when the store is unavailable, which
 * surfaces as ServiceUnavailable rather than a wrong answer.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { ServiceUnavailable } from "../Errors.js"
import type * as KubeObject from "../KubeObject.js"
import * as Steps from "../Steps.js"

/** An object for a review: an unreachable store fails the review (503); any other store error reads as absent. */
export function* lookup(
  kind: KubeObject.ObjectKind,
  namespace: string,
  name: string
): Steps.Steps<Option.Option<KubeObject.KubeObject>, ServiceUnavailable> {
  const found = yield* Steps.get(kind, namespace, name)
  if (Either.isRight(found)) return found.right
  if (found.left.reason === "Unavailable") return yield* Steps.fail(new ServiceUnavailable({ reason: found.left.description }))
  return Option.none()
}
