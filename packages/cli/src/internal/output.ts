/**
 * Raw writes to stdout and stderr (the CLI controls every byte: no trailing newline after a token
 * written to a pipe, as kubectl does).
 *
 * @internal
 */
import * as Effect from "effect/Effect"

/** Writes text to stdout as is. */
export const stdout = (text: string): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (text === "") return resume(Effect.void)
    process.stdout.write(text, () => resume(Effect.void))
  })

/** Writes text to stderr as is. */
export const stderr = (text: string): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (text === "") return resume(Effect.void)
    process.stderr.write(text, () => resume(Effect.void))
  })

/** Prints a JSON document and a newline to stdout (two-space indentation; kubectl's printers use four). */
export const json = (value: unknown, indent = 2): Effect.Effect<void> =>
  stdout(`${JSON.stringify(value, null, indent)}\n`)

/** Prints each warning as `Warning: <text>` on stderr, as client-go's default warning handler does. */
export const warnings = (texts: ReadonlyArray<string>): Effect.Effect<void> =>
  stderr(texts.map((text) => `Warning: ${text}\n`).join(""))

/** Whether stdout is a terminal. */
export const stdoutIsTerminal = (): boolean => process.stdout.isTTY === true
