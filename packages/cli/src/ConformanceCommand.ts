/**
 * `tokenrequest conformance`: runs the black-box conformance suite of `@tokenrequest/conformance`
 * against any TokenRequest endpoint (a kube-apiserver included) and prints the report as TAP or JUnit
 * XML, then the one-line summary on stderr. Exit code 0 only when no check failed.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Report from "@tokenrequest/conformance/Report"
import * as Suite from "@tokenrequest/conformance/Suite"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as CommandError from "./CommandError.js"
import * as ConfigFlags from "./ConfigFlags.js"
import * as Argv from "./internal/argv.js"
import * as Output from "./internal/output.js"

/**
 * @since 0.1.0
 * @category commands
 */
export const conformanceCommand = Command.make(
  "conformance",
  {
    ...ConfigFlags.options,
    format: Options.choice("format", ["tap", "junit"]).pipe(
      Options.withDescription("Report format: TAP 13 or JUnit XML"),
      Options.withDefault("tap" as const)
    ),
    output: Options.text("output").pipe(
      Options.withAlias("o"),
      Options.withDescription("Write the report to this file instead of stdout"),
      Options.optional
    ),
    only: Options.text("only").pipe(
      Options.withDescription("Run only the checks whose id starts with this prefix (repeatable)"),
      Options.repeated
    )
  },
  (input) =>
    Effect.gen(function*() {
      const client = yield* ConfigFlags.resolve(input)
      const rest = client.rest
      const token = rest.bearerToken === undefined ? undefined : Redacted.value(rest.bearerToken)
      if (token === undefined && rest.clientCertificate === undefined) {
        return yield* Effect.fail(CommandError.usage("no credentials: pass --token, or a kubeconfig with a token or client certificate"))
      }
      const only = input.only.map(Argv.valueOf).filter((p) => p !== "")
      const report = yield* Suite.run({
        server: rest.server,
        token,
        certificateAuthority: rest.certificateAuthority?.toString("utf8"),
        clientCertificate: rest.clientCertificate?.toString("utf8"),
        clientKey: rest.clientKey?.toString("utf8"),
        insecureSkipTlsVerify: rest.insecureSkipTlsVerify,
        timeoutMillis: rest.timeoutMillis,
        only: only.length > 0 ? only : undefined
      })
      const text = Report.format(report, input.format)
      const output = Option.map(input.output, Argv.valueOf)
      if (Option.isSome(output)) {
        yield* Effect.try({
          try: () => fs.writeFileSync(output.value, text),
          catch: (e) => CommandError.operation(`--output: unable to write ${output.value}: ${(e as Error).message}`)
        })
      } else {
        yield* Output.stdout(text)
      }
      yield* Output.stderr(`${Report.summary(report)}\n`)
      if (!Report.succeeded(report)) {
        return yield* Effect.fail(new CommandError.OperationError({ description: "conformance failed", silent: true }))
      }
    })
).pipe(Command.withDescription("Run the TokenRequest conformance suite against an API server and print a TAP or JUnit report"))
