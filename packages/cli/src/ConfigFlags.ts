/**
 * kubectl's connection flags (`genericclioptions.ConfigFlags`): `--server`, `--token`,
 * `--kubeconfig`, `--context`, `--certificate-authority`, `--insecure-skip-tls-verify`,
 * `--client-certificate`, `--client-key`, `--request-timeout`. Flags override the kubeconfig field by
 * field; the kubeconfig comes from `--kubeconfig`, `$KUBECONFIG` or `~/.kube/config`.
 *
 * @since 0.1.0
 */
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as CommandError from "./CommandError.js"
import * as Argv from "./internal/argv.js"
import * as GoDuration from "./internal/goDuration.js"
import * as Kubeconfig from "./Kubeconfig.js"
import type * as RestClient from "./RestClient.js"

const optionalText = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.optional)

/**
 * The flags, as one `@effect/cli` options value to spread into a command's options.
 *
 * @since 0.1.0
 * @category options
 */
export const options = {
  server: optionalText("server", "The address and port of the Kubernetes API server").pipe(
    Options.withAlias("s")
  ),
  token: optionalText("token", "Bearer token for authentication to the API server"),
  kubeconfig: optionalText("kubeconfig", "Path to the kubeconfig file to use for CLI requests"),
  context: optionalText("context", "The name of the kubeconfig context to use"),
  certificateAuthority: optionalText("certificate-authority", "Path to a cert file for the certificate authority"),
  clientCertificate: optionalText("client-certificate", "Path to a client certificate file for TLS"),
  clientKey: optionalText("client-key", "Path to a client key file for TLS"),
  insecureSkipTlsVerify: Options.boolean("insecure-skip-tls-verify").pipe(
    Options.withDescription(
      "If true, the server's certificate will not be checked for validity. This will make your HTTPS connections insecure"
    )
  ),
  requestTimeout: optionalText(
    "request-timeout",
    "The length of time to wait before giving up on a single server request (Go duration, e.g. 1s, 2m, 3h; default 30s)"
  )
}

/**
 * The parsed flags.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigFlags {
  readonly server: Option.Option<string>
  readonly token: Option.Option<string>
  readonly kubeconfig: Option.Option<string>
  readonly context: Option.Option<string>
  readonly certificateAuthority: Option.Option<string>
  readonly clientCertificate: Option.Option<string>
  readonly clientKey: Option.Option<string>
  readonly insecureSkipTlsVerify: boolean
  readonly requestTimeout: Option.Option<string>
}

const readFlagFile = (flag: string, file: string) =>
  Effect.try({
    try: () => fs.readFileSync(file),
    catch: (e) => CommandError.usage(`--${flag}: unable to read ${file}: ${(e as NodeJS.ErrnoException).message}`)
  })

const optionalFile = (flag: string, file: Option.Option<string>) =>
  Option.match(file, {
    onNone: () => Effect.succeed(undefined),
    onSome: (f) => readFlagFile(flag, f)
  })

/**
 * The client configuration and the namespace of the context.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientConfig {
  readonly rest: RestClient.RestConfig
  /** The context's namespace, `undefined` when the kubeconfig sets none. */
  readonly namespace: string | undefined
}

/**
 * Resolves the flags and the kubeconfig into a client configuration. No server anywhere, or a file that
 * cannot be read, is a usage error (exit 2).
 *
 * @since 0.1.0
 * @category resolution
 */
export const resolve = (raw: ConfigFlags): Effect.Effect<ClientConfig, CommandError.UsageError> =>
  Effect.gen(function*() {
    const text = (value: Option.Option<string>) => Option.filter(Option.map(value, Argv.valueOf), (v) => v !== "")
    const flags: ConfigFlags = {
      server: text(raw.server),
      token: text(raw.token),
      kubeconfig: text(raw.kubeconfig),
      context: text(raw.context),
      certificateAuthority: text(raw.certificateAuthority),
      clientCertificate: text(raw.clientCertificate),
      clientKey: text(raw.clientKey),
      insecureSkipTlsVerify: raw.insecureSkipTlsVerify,
      requestTimeout: text(raw.requestTimeout)
    }
    if (Option.isSome(flags.kubeconfig) && !fs.existsSync(flags.kubeconfig.value)) {
      return yield* Effect.fail(
        CommandError.usage(`--kubeconfig: stat ${flags.kubeconfig.value}: no such file or directory`)
      )
    }
    const kubeconfig = yield* Kubeconfig.resolve(
      Kubeconfig.files(Option.getOrUndefined(flags.kubeconfig)),
      Option.getOrUndefined(flags.context)
    )
    const server = Option.getOrElse(flags.server, () => kubeconfig.server)
    if (server === undefined || server === "") {
      return yield* Effect.fail(
        CommandError.usage("no server found: pass --server, or --kubeconfig (or $KUBECONFIG) with a current context")
      )
    }
    const caFromFlag = yield* optionalFile("certificate-authority", flags.certificateAuthority)
    const certFromFlag = yield* optionalFile("client-certificate", flags.clientCertificate)
    const keyFromFlag = yield* optionalFile("client-key", flags.clientKey)
    let timeoutMillis = 30_000
    if (Option.isSome(flags.requestTimeout)) {
      const raw = flags.requestTimeout.value
      const parsed = /^\d+$/.test(raw) ? GoDuration.parse(`${raw}s`) : GoDuration.parse(raw)
      if (parsed._tag === "Error") {
        return yield* Effect.fail(
          CommandError.usage(`invalid argument ${JSON.stringify(raw)} for "--request-timeout" flag: ${parsed.message}`)
        )
      }
      if (parsed.nanoseconds > 0n) timeoutMillis = Number(parsed.nanoseconds / 1_000_000n)
    }
    const token = Option.getOrElse(flags.token, () => kubeconfig.token)
    const insecure = flags.insecureSkipTlsVerify || (kubeconfig.insecureSkipTlsVerify && caFromFlag === undefined)
    return {
      rest: {
        server,
        bearerToken: token === undefined || token === "" ? undefined : Redacted.make(token),
        certificateAuthority: insecure ? undefined : caFromFlag ?? kubeconfig.certificateAuthority,
        insecureSkipTlsVerify: insecure,
        tlsServerName: kubeconfig.tlsServerName,
        clientCertificate: certFromFlag ?? kubeconfig.clientCertificate,
        clientKey: keyFromFlag ?? kubeconfig.clientKey,
        timeoutMillis
      },
      namespace: kubeconfig.namespace
    }
  })
