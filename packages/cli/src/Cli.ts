/**
 * The `tokenrequest` command tree and its runner: parses the arguments, runs the command, and turns
 * every failure into one `error: <message>` line on stderr and an exit code (2 for usage and
 * configuration errors, 1 for failed operations). `--help` and `--version` come from `@effect/cli`.
 *
 * @since 0.1.0
 */
import * as CliApp from "@effect/cli/CliApp"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as CommandError from "./CommandError.js"
import { conformanceCommand } from "./ConformanceCommand.js"
import { createCommand } from "./CreateCommand.js"
import { decodeCommand } from "./DecodeCommand.js"
import * as Argv from "./internal/argv.js"
import * as Output from "./internal/output.js"
import { keysCommand } from "./KeysCommand.js"
import { reviewCommand } from "./ReviewCommand.js"
import { serveCommand } from "./ServeCommand.js"
import { signerCommand } from "./SignerCommand.js"

/**
 * The CLI's version: the `version` of `@tokenrequest/cli`'s package.json.
 *
 * @since 0.1.0
 * @category constants
 */
export const version: string = (() => {
  try {
    const manifest = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "package.json")
    return (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version?: string }).version ?? "0.0.0"
  } catch {
    return "0.0.0"
  }
})()

/**
 * The root command: `serve`, `create token`, `review`, `decode`, `keys`.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("tokenrequest").pipe(
  Command.withDescription(
    "The Kubernetes ServiceAccount TokenRequest API: a reference server and the client commands to mint, review and decode tokens"
  ),
  Command.withSubcommands([serveCommand, createCommand, reviewCommand, decodeCommand, keysCommand, signerCommand, conformanceCommand])
)

const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, "")

/**
 * The exit code and one-line message of any failure a command can end with.
 *
 * @since 0.1.0
 * @category errors
 */
export const describeFailure = (error: unknown): { readonly exitCode: number; readonly line: string | undefined } => {
  if (ValidationError.isValidationError(error)) {
    const text = stripAnsi(HelpDoc.toAnsiText(error.error))
    return { exitCode: CommandError.usageExitCode, line: CommandError.oneLine(text === "" ? error._tag : text) }
  }
  if (error instanceof CommandError.UsageError) {
    return { exitCode: CommandError.usageExitCode, line: CommandError.oneLine(error.description) }
  }
  if (error instanceof CommandError.OperationError) {
    return {
      exitCode: CommandError.operationExitCode,
      line: error.silent ? undefined : CommandError.oneLine(error.description)
    }
  }
  // Errors of commands written elsewhere (`serve`): honour an explicit exit code or a usage tag.
  const record = typeof error === "object" && error !== null ? (error as Record<string, unknown>) : {}
  const exitCode = typeof record.exitCode === "number"
    ? record.exitCode
    : record._tag === "UsageError" || record._tag === "ConfigError"
    ? CommandError.usageExitCode
    : CommandError.operationExitCode
  const message = typeof record.message === "string" && record.message !== "" ? record.message : String(error)
  return { exitCode, line: CommandError.oneLine(message) }
}

const cli = Command.run(command, { name: "tokenrequest", version })

// What @effect/cli prints goes through this console: parse errors (multi-line help docs on stderr)
// are dropped, the runner prints them as one line; help and version text loses its ANSI styling when
// stdout is not a terminal (or NO_COLOR is set) and its trailing blank line.
const cliConsole = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Console.consoleWith((console) => {
    const plain = !Output.stdoutIsTerminal() || (process.env.NO_COLOR ?? "") !== ""
    const clean = (args: ReadonlyArray<unknown>) =>
      args.map((arg) => (typeof arg === "string" ? (plain ? stripAnsi(arg) : arg).replace(/\n+$/, "") : arg))
    return Console.withConsole(effect, {
      ...console,
      log: (...args) => console.log(...clean(args)),
      error: () => Effect.void,
      unsafe: { ...console.unsafe, log: (...args) => console.unsafe.log(...clean(args)), error: () => {} }
    })
  })

/**
 * Runs the CLI on `process.argv`-style arguments (`[node, script, ...args]`) and returns the exit
 * code; never fails, every error has been printed as one line.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number, never, CliApp.CliApp.Environment> =>
  cliConsole(cli([...argv.slice(0, 2), ...Argv.normalize(argv.slice(2))])).pipe(
    Effect.as(0),
    Effect.catchAll((error) => {
      const { exitCode, line } = describeFailure(error)
      return Effect.as(line === undefined ? Effect.void : Output.stderr(`${line}\n`), exitCode)
    }),
    Effect.catchAllDefect((defect) =>
      Effect.as(
        Output.stderr(`${CommandError.oneLine(`internal error: ${Cause.pretty(Cause.die(defect)).split("\n")[0]}`)}\n`),
        CommandError.operationExitCode
      )
    )
  )
