/**
 * How a store failure surfaces from the programs: `Unavailable` → ServiceUnavailable (retry),
 * anything else → InternalError.
 *
 * @internal
 */
import { InternalError, ServiceUnavailable } from "../Errors.js"
import type { ObjectStoreError } from "../ObjectStore.js"

export const fromStoreError = (error: ObjectStoreError): ServiceUnavailable | InternalError =>
  error.reason === "Unavailable"
    ? new ServiceUnavailable({ reason: error.description })
    : new InternalError({ error: error.description })
