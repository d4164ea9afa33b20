/**
 * How a store failure surfaces from the issuing programs: `Unavailable` → ServiceUnavailable
 * (retry), anything else → InternalError; and their object lookups as steps.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { InternalError, NotFound, ServiceUnavailable } from "../Errors.js"
import * as KubeObject from "../KubeObject.js"
import type { ObjectStoreError } from "../ObjectStore.js"
import * as Steps from "../Steps.js"

export const fromStoreError = (error: ObjectStoreError): ServiceUnavailable | InternalError =>
  error.reason === "Unavailable"
    ? new ServiceUnavailable({ reason: error.description })
    : new InternalError({ error: error.description })

/** An object, or `None`; a store failure fails the program. */
export function* lookup(
  kind: KubeObject.ObjectKind,
  namespace: string,
  name: string
): Steps.Steps<Option.Option<KubeObject.KubeObject>, ServiceUnavailable | InternalError> {
  return yield* Steps.orFail(Either.mapLeft(yield* Steps.get(kind, namespace, name), fromStoreError))
}

/** An object that must exist: absent, the program fails with NotFound. */
export function* require(
  kind: KubeObject.ObjectKind,
  namespace: string,
  name: string
): Steps.Steps<KubeObject.KubeObject, ServiceUnavailable | InternalError | NotFound> {
  const found = yield* lookup(kind, namespace, name)
  if (Option.isNone(found)) {
    return yield* Steps.fail(new NotFound({ group: "", resource: KubeObject.kinds[kind].resource, name }))
  }
  return found.value
}
