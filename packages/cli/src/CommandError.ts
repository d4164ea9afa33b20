/**
 * The two ways a command ends badly, and the exit code of each: a usage or configuration error (bad
 * flag value, unreadable file, bad key, no server configured) exits 2; a failed operation (the server
 * refused, could not be reached, the token is not authenticated) exits 1. Either is printed as one
 * `error: <message>` line on stderr.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A usage or configuration error: exit code 2.
 *
 * @since 0.1.0
 * @category errors
 */
export class UsageError extends Schema.TaggedError<UsageError>("@tokenrequest/cli/UsageError")("UsageError", {
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

/**
 * A failed operation: exit code 1.
 *
 * @since 0.1.0
 * @category errors
 */
export class OperationError extends Schema.TaggedError<OperationError>("@tokenrequest/cli/OperationError")(
  "OperationError",
  {
    description: Schema.String,
    /** Already reported (for example a TokenReview printed before exiting 1): print nothing more. */
    silent: Schema.optionalWith(Schema.Boolean, { default: () => false })
  }
) {
  override get message(): string {
    return this.description
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type CommandError = UsageError | OperationError

/**
 * The process exit code of a usage error.
 *
 * @since 0.1.0
 * @category constants
 */
export const usageExitCode = 2

/**
 * The process exit code of a failed operation.
 *
 * @since 0.1.0
 * @category constants
 */
export const operationExitCode = 1

/**
 * @since 0.1.0
 * @category constructors
 */
export const usage = (description: string): UsageError => new UsageError({ description })

/**
 * @since 0.1.0
 * @category constructors
 */
export const operation = (description: string): OperationError => new OperationError({ description })

/**
 * Renders any message as the single stderr line: newlines and runs of blanks become one space.
 *
 * @since 0.1.0
 * @category formatting
 */
export const oneLine = (message: string): string => {
  const text = message.replace(/\s+/g, " ").trim()
  return text.startsWith("error: ") ? text : `error: ${text}`
}
