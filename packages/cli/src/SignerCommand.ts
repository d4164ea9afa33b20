/**
 * `tokenrequest signer serve`: serves Kubernetes' `ExternalJWTSigner` protocol on a Unix socket with
 * keys from files, so that a kube-apiserver started with `--service-account-signing-endpoint` (or
 * `tokenrequest serve` with the same flag) signs with them. Key files are followed: replacing them,
 * or `SIGHUP`, rotates without a restart. The socket is removed at exit.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as path from "node:path"
import { SignerServer, SigningEndpoint } from "@tokenrequest/server/ExternalSigner"
import * as CommandError from "./CommandError.js"
import * as Argv from "./internal/argv.js"
import * as GoDuration from "./internal/goDuration.js"

const seconds = (flag: string, raw: string, minimum: number): Effect.Effect<number, CommandError.UsageError> => {
  const parsed = GoDuration.parse(Argv.valueOf(raw))
  if (parsed._tag === "Error") return Effect.fail(CommandError.usage(`--${flag}: ${parsed.message}`))
  const value = Number(parsed.nanoseconds / 1_000_000_000n)
  return value < minimum
    ? Effect.fail(CommandError.usage(`--${flag}: must be at least ${minimum}s, got ${Argv.valueOf(raw)}`))
    : Effect.succeed(value)
}

/**
 * The flags of `tokenrequest signer serve`.
 *
 * @since 0.1.0
 * @category options
 */
export const options = {
  socket: Options.text("socket").pipe(
    Options.withDescription("Unix socket to serve on: a path, or @name in the abstract namespace (Linux)")
  ),
  keyFile: Options.text("key-file").pipe(
    Options.withDescription(
      "PEM public keys, private keys or certificates published by FetchKeys (repeatable, at least one); followed for rotation"
    ),
    Options.repeated
  ),
  signingKeyFile: Options.text("signing-key-file").pipe(
    Options.withDescription("PEM private key that signs (PKCS#1, PKCS#8, SEC1); default the first --key-file"),
    Options.optional
  ),
  maxTokenExpiration: Options.text("max-token-expiration").pipe(
    Options.withDescription(
      "Longest token lifetime the signer accepts, answered by Metadata (Go duration, at least 10m); default 8760h (one year)"
    ),
    Options.withDefault("8760h")
  ),
  refreshHint: Options.text("refresh-hint").pipe(
    Options.withDescription("How long clients may cache the keys before fetching again (Go duration); default 60s"),
    Options.withDefault("60s")
  )
}

const serveCommand = Command.make("serve", options, (parsed) =>
  Effect.gen(function*() {
    const keyFiles = parsed.keyFile.map(Argv.valueOf)
    if (keyFiles.length === 0) return yield* Effect.fail(CommandError.usage("--key-file: at least one key file is required"))
    const raw = Argv.valueOf(parsed.socket)
    const socket = raw.startsWith("@") ? raw : path.resolve(raw)
    if (!SigningEndpoint.isValid(socket)) {
      return yield* Effect.fail(
        CommandError.usage(
          `--socket: ${JSON.stringify(raw)} cannot be passed to --service-account-signing-endpoint (letters, digits, ".", "_", "-" and "/" only)`
        )
      )
    }
    const maxTokenExpirationSeconds = yield* seconds("max-token-expiration", parsed.maxTokenExpiration, 600)
    const refreshHintSeconds = yield* seconds("refresh-hint", parsed.refreshHint, 1)
    const signingKeyFile = Option.getOrUndefined(Option.map(parsed.signingKeyFile, Argv.valueOf))
    const server = yield* SignerServer.serveFiles({
      socket,
      signingKeyFile,
      keyFiles,
      maxTokenExpirationSeconds,
      refreshHintSeconds,
      watch: true,
      reloadOnSignal: true
    }).pipe(Effect.mapError((error) => CommandError.usage(error.description)))
    const keys = yield* server.ring.keys
    const signing = Option.getOrUndefined(keys.signing)
    yield* Effect.sync(() =>
      process.stdout.write(
        `serving ExternalJWTSigner (${server.apiVersions.join(", ")}) on ${socket}\n` +
          `signing with ${signing?.algorithm} ${signing?.keyId}; ${keys.verification.length} verification key(s); ` +
          `max token expiration ${maxTokenExpirationSeconds}s, refresh hint ${refreshHintSeconds}s\n`
      )
    )
    return yield* Effect.never
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      "Serve the ExternalJWTSigner gRPC protocol on a Unix socket, for kube-apiserver --service-account-signing-endpoint"
    )
  )

/**
 * `tokenrequest signer`: the external-signer commands (`serve`).
 *
 * @since 0.1.0
 * @category commands
 */
export const signerCommand = Command.make("signer").pipe(
  Command.withDescription("Kubernetes external JWT signer (ExternalJWTSigner over a Unix socket)"),
  Command.withSubcommands([serveCommand])
)
