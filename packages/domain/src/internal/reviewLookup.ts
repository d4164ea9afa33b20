/**
 * Object lookups during a review, as upstream's token getter behaves: an object that cannot be read
 * counts as absent (the token is then invalidated), except when the store is unavailable, which
 * surfaces as ServiceUnavailable rather than a wrong answer.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ServiceUnavailable } from "../Errors.js"
import type * as KubeObject from "../KubeObject.js"
import { ObjectStore } from "../ObjectStore.js"

export const lookup = (kind: KubeObject.ObjectKind, namespace: string, name: string) =>
  Effect.flatMap(ObjectStore, (store) => store.get(kind, namespace, name)).pipe(
    Effect.catchTag("ObjectStoreError", (e) =>
      e.reason === "Unavailable"
        ? Effect.fail(new ServiceUnavailable({ reason: e.description }))
        : Effect.succeed(Option.none<KubeObject.KubeObject>()))
  )
