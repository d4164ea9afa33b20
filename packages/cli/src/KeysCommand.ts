/**
 * `tokenrequest keys generate|jwks|kid`: offline key tooling for service-account signing keys.
 * `generate` writes a new PKCS#8 private key (to a file with mode 0600, or stdout); `jwks` prints the
 * JWKS of the keys in PEM files as `/openid/v1/jwks` publishes it; `kid` prints the key id of each key
 * in a file, one per line.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as Keys from "@tokenrequest/server/Keys"
import * as CommandError from "./CommandError.js"
import * as Output from "./internal/output.js"

/**
 * The algorithms `keys generate` accepts.
 *
 * @since 0.1.0
 * @category constants
 */
export const algorithms = ["ES256", "ES384", "ES512", "RS256"] as const

const keyFileError = (error: Keys.KeyFileError) => CommandError.usage(error.description)

const generateCommand = Command.make(
  "generate",
  {
    algorithm: Options.text("algorithm").pipe(
      Options.withPseudoName("ES256|ES384|ES512|RS256"),
      Options.withDescription(
        "The signing algorithm the key is for: ES256 (P-256), ES384 (P-384), ES512 (P-521) or RS256 (RSA 2048)"
      )
    ),
    out: Options.text("out").pipe(
      Options.withDescription("Write the key to this file (created with mode 0600) instead of stdout"),
      Options.optional
    )
  },
  ({ algorithm, out }) =>
    Effect.gen(function*() {
      const supported = algorithms.find((a) => a === algorithm.toUpperCase())
      if (supported === undefined) {
        return yield* Effect.fail(
          CommandError.usage(
            `--algorithm: unsupported algorithm ${JSON.stringify(algorithm)}, must be one of ${algorithms.join(", ")}`
          )
        )
      }
      const pem = yield* Keys.generatePrivateKey(supported)
      if (Option.isNone(out)) return yield* Output.stdout(pem)
      const file = out.value
      yield* Effect.try({
        try: () => {
          fs.writeFileSync(file, pem, { mode: 0o600 })
          fs.chmodSync(file, 0o600)
        },
        catch: (e) => CommandError.usage(`--out: unable to write ${file}: ${(e as Error).message}`)
      })
    })
).pipe(Command.withDescription("Generate a private signing key (PKCS#8 PEM)"))

const jwksCommand = Command.make(
  "jwks",
  {
    files: Args.text({ name: "FILE" }).pipe(
      Args.withDescription("PEM files with public keys, private keys or certificates (several blocks each)"),
      Args.atLeast(1)
    )
  },
  ({ files }) =>
    Keys.jwksOf(files).pipe(
      Effect.mapError(keyFileError),
      Effect.flatMap((jwks) => Output.json(jwks))
    )
).pipe(Command.withDescription("Print the JWKS of the keys in PEM files, as /openid/v1/jwks publishes it"))

const kidCommand = Command.make(
  "kid",
  { file: Args.text({ name: "FILE" }).pipe(Args.withDescription("A PEM file with one or more keys")) },
  ({ file }) =>
    Keys.kidOf(file).pipe(
      Effect.mapError(keyFileError),
      Effect.flatMap((kids) => Output.stdout(kids.map((kid) => `${kid}\n`).join("")))
    )
).pipe(Command.withDescription("Print the key id (kid) of each key in a PEM file, one per line"))

/**
 * `keys`, holding `generate`, `jwks` and `kid`.
 *
 * @since 0.1.0
 * @category commands
 */
export const keysCommand = Command.make("keys").pipe(
  Command.withDescription("Key tooling: generate a signing key, print key ids and JWKS"),
  Command.withSubcommands([generateCommand, jwksCommand, kidCommand])
)
