/**
 * Reading key files as kube-apiserver does at start: the signing key file
 * (`--service-account-signing-key-file`, one private key) and the verification key files
 * (`--service-account-key-file`, any number of key blocks each), with upstream's error texts naming
 * the file. Also the file-level helpers behind `tokenrequest keys jwks|kid`.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { JsonWebKeySet } from "@tokenrequest/domain/KeySet"
import * as SigningKey from "./SigningKey.js"
import * as VerificationKey from "./VerificationKey.js"
import { describeReadError } from "./internal/keys.js"

/**
 * A key file that cannot be read or holds no usable key. `description` is the full one-line message,
 * e.g. `failed to parse service-account-issuer-key-file: error reading private key file sa.key:
 * data does not contain a valid RSA or ECDSA private key`.
 *
 * @since 0.1.0
 * @category errors
 */
export class KeyFileError extends Schema.TaggedError<KeyFileError>("@tokenrequest/signer-jose/KeyFileError")(
  "KeyFileError",
  {
    /** The file, or `undefined` for keys given in memory. */
    file: Schema.optional(Schema.String),
    description: Schema.String,
    cause: Schema.optional(Schema.Defect)
  }
) {
  override get message(): string {
    return this.description
  }
}

const readBytes = (file: string) =>
  Effect.tryPromise({
    try: () => fs.readFile(file),
    catch: (cause) => ({ reason: describeReadError(file, cause), cause })
  })

/**
 * Parses a signing key from PEM held in memory (no file name in the messages).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseSigningKey = (pem: string | Uint8Array): Effect.Effect<SigningKey.SigningKey, KeyFileError> =>
  Either.match(SigningKey.fromPem(pem), {
    onLeft: (reason) =>
      Effect.fail(new KeyFileError({ description: `failed to parse service-account-issuer-key-file: ${reason}` })),
    onRight: Effect.succeed
  })

/**
 * Parses verification keys from PEM held in memory.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseVerificationKeys = (
  pem: string | Uint8Array
): Effect.Effect<ReadonlyArray<VerificationKey.VerificationKey>, KeyFileError> =>
  Either.match(VerificationKey.fromPem(pem), {
    onLeft: (reason) => Effect.fail(new KeyFileError({ description: `error reading public key: ${reason}` })),
    onRight: Effect.succeed
  })

/**
 * Reads the signing key file. Errors read
 * `failed to parse service-account-issuer-key-file: error reading private key file <file>: <reason>`
 * (or `… : open <file>: no such file or directory`).
 *
 * @since 0.1.0
 * @category files
 */
export const readSigningKey = (file: string): Effect.Effect<SigningKey.SigningKey, KeyFileError> =>
  readBytes(file).pipe(
    Effect.mapError(({ cause, reason }) =>
      new KeyFileError({ file, description: `failed to parse service-account-issuer-key-file: ${reason}`, cause })
    ),
    Effect.flatMap((bytes) =>
      Either.match(SigningKey.fromPem(bytes), {
        onLeft: (reason) =>
          Effect.fail(
            new KeyFileError({
              file,
              description: `failed to parse service-account-issuer-key-file: error reading private key file ${file}: ${reason}`
            })
          ),
        onRight: Effect.succeed
      })
    )
  )

/**
 * Reads one verification key file (every key block in it). Errors read
 * `error reading public key file <file>: data does not contain any valid RSA or ECDSA public keys`
 * (or `open <file>: no such file or directory`).
 *
 * @since 0.1.0
 * @category files
 */
export const readVerificationKeys = (
  file: string
): Effect.Effect<ReadonlyArray<VerificationKey.VerificationKey>, KeyFileError> =>
  readBytes(file).pipe(
    Effect.mapError(({ cause, reason }) => new KeyFileError({ file, description: reason, cause })),
    Effect.flatMap((bytes) =>
      Either.match(VerificationKey.fromPem(bytes), {
        onLeft: (reason) =>
          Effect.fail(new KeyFileError({ file, description: `error reading public key file ${file}: ${reason}` })),
        onRight: Effect.succeed
      })
    )
  )

/**
 * The JWKS of the keys in some files, in file and block order (`tokenrequest keys jwks FILE...`).
 *
 * @since 0.1.0
 * @category files
 */
export const jwksOf = (files: ReadonlyArray<string>): Effect.Effect<JsonWebKeySet, KeyFileError> =>
  Effect.forEach(files, readVerificationKeys).pipe(
    Effect.map((keys) => ({ keys: keys.flat().map(VerificationKey.toJwk) }))
  )

/**
 * The key ids of every key in a file, in block order (`tokenrequest keys kid FILE`).
 *
 * @since 0.1.0
 * @category files
 */
export const kidOf = (file: string): Effect.Effect<ReadonlyArray<string>, KeyFileError> =>
  readVerificationKeys(file).pipe(Effect.map((keys) => keys.map((key) => key.keyId)))
