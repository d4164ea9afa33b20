/**
 * `tokenrequest create token SA`: kubectl's `create token`, with its flags, checks and messages.
 * POSTs a TokenRequest to `/api/v1/namespaces/<ns>/serviceaccounts/<sa>/token` and prints the token
 * (with a newline only on a terminal, as kubectl), or the whole TokenRequest with `-o json|yaml`.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as YAML from "yaml"
import * as CommandError from "./CommandError.js"
import * as ConfigFlags from "./ConfigFlags.js"
import * as Argv from "./internal/argv.js"
import * as GoDuration from "./internal/goDuration.js"
import * as Output from "./internal/output.js"
import * as RestClient from "./RestClient.js"

/**
 * The kinds a token may be bound to, with the apiVersion kubectl sends for each.
 *
 * @since 0.1.0
 * @category constants
 */
export const boundObjectKinds: Readonly<Record<string, string>> = { Node: "v1", Pod: "v1", Secret: "v1" }

/**
 * The `-o` formats.
 *
 * @since 0.1.0
 * @category constants
 */
export const outputFormats: ReadonlyArray<string> = ["json", "yaml"]

/**
 * The parsed arguments of `create token`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateTokenInput {
  readonly name: string
  readonly namespace: Option.Option<string>
  readonly audience: ReadonlyArray<string>
  readonly duration: Option.Option<string>
  readonly boundObjectKind: Option.Option<string>
  readonly boundObjectName: Option.Option<string>
  readonly boundObjectUid: Option.Option<string>
  readonly output: Option.Option<string>
}

/**
 * kubectl's `TokenOptions.Validate` and request construction: the TokenRequest body to send, or the
 * usage error kubectl reports.
 *
 * @since 0.1.0
 * @category requests
 */
export const tokenRequestBody = (raw: CreateTokenInput): Effect.Effect<unknown, CommandError.UsageError> =>
  Effect.gen(function*() {
    const input: CreateTokenInput = {
      name: Argv.valueOf(raw.name),
      namespace: Option.map(raw.namespace, Argv.valueOf),
      audience: raw.audience.map(Argv.valueOf),
      duration: Option.map(raw.duration, Argv.valueOf),
      boundObjectKind: Option.map(raw.boundObjectKind, Argv.valueOf),
      boundObjectName: Option.map(raw.boundObjectName, Argv.valueOf),
      boundObjectUid: Option.map(raw.boundObjectUid, Argv.valueOf),
      output: Option.map(raw.output, Argv.valueOf)
    }
    const fail = (message: string) => Effect.fail(CommandError.usage(message))
    if (input.name === "") return yield* fail("service account name is required")
    let expirationSeconds: number | undefined = undefined
    if (Option.isSome(input.duration)) {
      const parsed = GoDuration.parse(input.duration.value)
      if (parsed._tag === "Error") {
        return yield* fail(`invalid argument ${JSON.stringify(input.duration.value)} for "--duration" flag: ${parsed.message}`)
      }
      if (parsed.nanoseconds < 0n) return yield* fail("--duration must be greater than or equal to 0")
      if (parsed.nanoseconds % 1_000_000_000n !== 0n) {
        return yield* fail("--duration cannot be expressed in units less than seconds")
      }
      if (parsed.nanoseconds > 0n) expirationSeconds = Number(parsed.nanoseconds / 1_000_000_000n)
    }
    for (const audience of input.audience) {
      if (audience === "") return yield* fail("--audience must not be an empty string")
    }
    const kind = Option.getOrElse(input.boundObjectKind, () => "")
    const boundName = Option.getOrElse(input.boundObjectName, () => "")
    const boundUid = Option.getOrElse(input.boundObjectUid, () => "")
    let boundObjectRef: Record<string, string> | null = null
    if (kind === "") {
      if (boundName !== "") return yield* fail("--bound-object-name can only be set if --bound-object-kind is provided")
      if (boundUid !== "") return yield* fail("--bound-object-uid can only be set if --bound-object-kind is provided")
    } else {
      const apiVersion = boundObjectKinds[kind]
      if (apiVersion === undefined) {
        return yield* fail(`supported --bound-object-kind values are ${Object.keys(boundObjectKinds).sort().join(", ")}`)
      }
      if (boundName === "") return yield* fail("--bound-object-name is required if --bound-object-kind is provided")
      boundObjectRef = { kind, apiVersion, name: boundName, ...(boundUid === "" ? {} : { uid: boundUid }) }
    }
    if (Option.isSome(input.output) && !outputFormats.includes(input.output.value)) {
      return yield* fail(
        `unable to match a printer suitable for the output format ${JSON.stringify(input.output.value)}, allowed formats are: ${
          outputFormats.join(",")
        }`
      )
    }
    return {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: {},
      spec: {
        audiences: input.audience,
        ...(expirationSeconds === undefined ? {} : { expirationSeconds }),
        boundObjectRef
      }
    }
  })

const tokenCommand = Command.make(
  "token",
  {
    name: Args.text({ name: "SA" }).pipe(Args.withDescription("The name of the service account")),
    namespace: Options.text("namespace").pipe(
      Options.withAlias("n"),
      Options.withDescription("If present, the namespace scope for this CLI request"),
      Options.optional
    ),
    audience: Options.text("audience").pipe(
      Options.withDescription(
        "Audience of the requested token. If unset, defaults to requesting a token for use with the Kubernetes API server. May be repeated to request a token valid for multiple audiences."
      ),
      Options.repeated
    ),
    duration: Options.text("duration").pipe(
      Options.withDescription(
        "Requested lifetime of the issued token (Go duration: 10m, 1h30m, 48h). The server may return a token with a longer or shorter lifetime."
      ),
      Options.optional
    ),
    boundObjectKind: Options.text("bound-object-kind").pipe(
      Options.withDescription(
        `Kind of an object to bind the token to. Supported kinds are ${Object.keys(boundObjectKinds).sort().join(", ")}. If set, --bound-object-name must be provided.`
      ),
      Options.optional
    ),
    boundObjectName: Options.text("bound-object-name").pipe(
      Options.withDescription(
        "Name of an object to bind the token to. The token will expire when the object is deleted. Requires --bound-object-kind."
      ),
      Options.optional
    ),
    boundObjectUid: Options.text("bound-object-uid").pipe(
      Options.withDescription(
        "UID of an object to bind the token to. Requires --bound-object-kind and --bound-object-name. If unset, the UID of the existing object is used."
      ),
      Options.optional
    ),
    output: Options.text("output").pipe(
      Options.withAlias("o"),
      Options.withPseudoName("json|yaml"),
      Options.withDescription("Print the whole TokenRequest (json or yaml) instead of the token alone"),
      Options.optional
    ),
    ...ConfigFlags.options
  },
  (input) =>
    Effect.gen(function*() {
      const body = yield* tokenRequestBody(input)
      const client = yield* ConfigFlags.resolve(input)
      const namespace = Option.getOrElse(Option.map(input.namespace, Argv.valueOf), () => client.namespace ?? "default")
      if (namespace === "") return yield* Effect.fail(CommandError.usage("--namespace is required"))
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${
        encodeURIComponent(input.name)
      }/token`
      const response = yield* RestClient.request(client.rest, "POST", path, body)
      yield* Output.warnings(response.warnings)
      if (response.statusCode < 200 || response.statusCode > 299) {
        return yield* Effect.fail(
          CommandError.operation(`failed to create token: ${RestClient.errorMessage(response)}`)
        )
      }
      const answer = response.json as { status?: { token?: unknown } } | undefined
      const token = answer?.status?.token
      if (typeof token !== "string" || token === "") {
        return yield* Effect.fail(CommandError.operation("failed to create token: no token in server response"))
      }
      if (Option.isSome(input.output)) {
        return yield* input.output.value === "json"
          ? Output.json(answer, 4)
          : Output.stdout(YAML.stringify(answer))
      }
      yield* Output.stdout(Output.stdoutIsTerminal() ? `${token}\n` : token)
    })
).pipe(Command.withDescription("Request a service account token (kubectl create token)"))

/**
 * `create`, holding the `token` subcommand.
 *
 * @since 0.1.0
 * @category commands
 */
export const createCommand = Command.make("create").pipe(
  Command.withDescription("Create a resource: `create token SA` requests a service account token"),
  Command.withSubcommands([tokenCommand])
)
