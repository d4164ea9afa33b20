/**
 * The TOKEN positional argument: the token itself, or `-` to read it from stdin.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as CommandError from "../CommandError.js"

/** The token text, trimmed; `-` reads stdin. */
export const read = (argument: string): Effect.Effect<string, CommandError.UsageError> =>
  argument === "-"
    ? Effect.try({
      try: () => fs.readFileSync(0, "utf8").trim(),
      catch: (e) => CommandError.usage(`unable to read the token from stdin: ${(e as Error).message}`)
    })
    : Effect.succeed(argument.trim())
