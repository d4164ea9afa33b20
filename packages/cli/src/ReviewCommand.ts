/**
 * `tokenrequest review TOKEN`: POSTs a TokenReview to `/apis/authentication.k8s.io/v1/tokenreviews`
 * and prints its status (authenticated, user, audiences, error) as JSON. Exit code 0 when the token
 * is authenticated, 1 otherwise.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as CommandError from "./CommandError.js"
import * as ConfigFlags from "./ConfigFlags.js"
import * as Argv from "./internal/argv.js"
import * as Output from "./internal/output.js"
import * as TokenArgument from "./internal/tokenArgument.js"
import * as RestClient from "./RestClient.js"

/**
 * The path TokenReviews are created at.
 *
 * @since 0.1.0
 * @category constants
 */
export const tokenReviewsPath = "/apis/authentication.k8s.io/v1/tokenreviews"

/**
 * The review outcome as printed: `authenticated` is always present (the wire omits it when false).
 *
 * @since 0.1.0
 * @category models
 */
export interface PrintedStatus {
  readonly authenticated: boolean
  readonly user: unknown
  readonly audiences?: ReadonlyArray<string>
  readonly error?: string
}

/**
 * Normalises a TokenReview `status` from the wire for printing.
 *
 * @since 0.1.0
 * @category formatting
 */
export const printedStatus = (status: Record<string, unknown> | undefined): PrintedStatus => ({
  authenticated: status?.authenticated === true,
  user: status?.user ?? {},
  ...(Array.isArray(status?.audiences) ? { audiences: status.audiences as Array<string> } : {}),
  ...(typeof status?.error === "string" && status.error !== "" ? { error: status.error } : {})
})

/**
 * @since 0.1.0
 * @category commands
 */
export const reviewCommand = Command.make(
  "review",
  {
    reviewed: Args.text({ name: "TOKEN" }).pipe(Args.withDescription("The token to review (- reads it from stdin)")),
    audience: Options.text("audience").pipe(
      Options.withDescription(
        "An audience the token must be valid for (repeatable); none means the server's API audiences"
      ),
      Options.repeated
    ),
    ...ConfigFlags.options
  },
  (input) =>
    Effect.gen(function*() {
      const token = yield* TokenArgument.read(Argv.valueOf(input.reviewed))
      if (token === "") return yield* Effect.fail(CommandError.usage("TOKEN must not be empty"))
      const audiences = input.audience.map(Argv.valueOf)
      for (const audience of audiences) {
        if (audience === "") return yield* Effect.fail(CommandError.usage("--audience must not be an empty string"))
      }
      const client = yield* ConfigFlags.resolve(input)
      const body = {
        kind: "TokenReview",
        apiVersion: "authentication.k8s.io/v1",
        metadata: {},
        spec: { token, ...(audiences.length > 0 ? { audiences } : {}) }
      }
      const response = yield* RestClient.request(client.rest, "POST", tokenReviewsPath, body)
      yield* Output.warnings(response.warnings)
      if (response.statusCode < 200 || response.statusCode > 299) {
        return yield* Effect.fail(CommandError.operation(RestClient.errorMessage(response)))
      }
      const answer = response.json as { status?: Record<string, unknown> } | undefined
      const status = printedStatus(answer?.status)
      yield* Output.json(status)
      if (!status.authenticated) {
        return yield* Effect.fail(new CommandError.OperationError({ description: "not authenticated", silent: true }))
      }
    })
).pipe(Command.withDescription("Review a token with the API server (TokenReview) and print the outcome"))
