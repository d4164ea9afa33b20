/**
 * The key ring behind the `TokenSigner` and `KeySet` ports: one signing key and any number of
 * verification keys, held in one reference and swapped atomically. `reload` re-reads the key source;
 * with files it can also follow file changes (a directory watch, robust to editors and Kubernetes
 * Secret mounts that replace files) and `SIGHUP`. A reload that fails (a missing or corrupt file)
 * keeps the previous keys in force and reports the error.
 *
 * Without explicit verification keys, the signing key's public half verifies (as CONTRACT §3's
 * default for `--service-account-key-file`).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as SynchronizedRef from "effect/SynchronizedRef"
import { KeySet } from "@tokenrequest/domain/KeySet"
import type { KeySetError, SignedToken, Verification } from "@tokenrequest/domain/KeySet"
import { TokenSigner, TokenSignerError } from "@tokenrequest/domain/TokenSigner"
import * as KeyFile from "./KeyFile.js"
import * as SigningKey from "./SigningKey.js"
import * as VerificationKey from "./VerificationKey.js"

/**
 * One consistent snapshot of the keys in force.
 *
 * @since 0.1.0
 * @category models
 */
export interface Keys {
  readonly signing: Option.Option<SigningKey.SigningKey>
  readonly verification: ReadonlyArray<VerificationKey.VerificationKey>
}

/**
 * Where the keys come from: files (`--service-account-signing-key-file`,
 * `--service-account-key-file`) or PEM texts held in memory.
 *
 * @since 0.1.0
 * @category models
 */
export type KeySource =
  | {
    readonly _tag: "Files"
    readonly signingKeyFile?: string | undefined
    readonly keyFiles?: ReadonlyArray<string> | undefined
  }
  | {
    readonly _tag: "Pem"
    readonly signingKey?: string | undefined
    readonly keys?: ReadonlyArray<string> | undefined
  }

/**
 * Reads a key source into a snapshot, failing on the first unreadable file or unusable key.
 *
 * @since 0.1.0
 * @category loading
 */
export const load = (source: KeySource): Effect.Effect<Keys, KeyFile.KeyFileError> =>
  Effect.gen(function*() {
    const signing = source._tag === "Files"
      ? source.signingKeyFile === undefined ? undefined : yield* KeyFile.readSigningKey(source.signingKeyFile)
      : source.signingKey === undefined
      ? undefined
      : yield* KeyFile.parseSigningKey(source.signingKey)
    const listed = source._tag === "Files" ? source.keyFiles ?? [] : source.keys ?? []
    const verification = listed.length > 0
      ? (yield* Effect.forEach(
        listed,
        (entry) =>
          source._tag === "Files" ? KeyFile.readVerificationKeys(entry) : KeyFile.parseVerificationKeys(entry)
      )).flat()
      : signing
      ? [VerificationKey.fromKeyObject(signing.publicKey)!]
      : []
    return { signing: Option.fromNullable(signing), verification }
  })

/**
 * The key ring service.
 *
 * @since 0.1.0
 * @category tags
 */
export class KeyRing extends Context.Tag("@tokenrequest/signer-jose/KeyRing")<
  KeyRing,
  {
    /** The keys in force. */
    readonly keys: Effect.Effect<Keys>
    /** The keys in force, read at once. */
    readonly unsafeKeys: () => Keys
    /** Re-reads the current source and swaps the keys in; on failure the old keys stay. */
    readonly reload: Effect.Effect<Keys, KeyFile.KeyFileError>
    /**
     * Switches to another source (e.g. new PEM texts) and loads it; on failure nothing changes.
     * File watching keeps following the files the ring was built with.
     */
    readonly load: (source: KeySource) => Effect.Effect<Keys, KeyFile.KeyFileError>
  }
>() {}

/**
 * Options of a key ring built from a source.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Reload when a key file (or anything in its directory) changes. Default `false`. */
  readonly watch?: boolean | undefined
  /** Reload on `SIGHUP`. Default `false`: embedders and tests decide who owns signals. */
  readonly reloadOnSignal?: boolean | undefined
  /** Quiet period after the last change before reloading. Default 100 ms. */
  readonly debounce?: Duration.DurationInput | undefined
  /**
   * Called after an automatic reload (watch or signal) failed and the previous keys were kept, once
   * the warning is logged: a host counts it in its metrics.
   */
  readonly onReloadFailure?: ((error: KeyFile.KeyFileError) => Effect.Effect<void>) | undefined
}

const describeKeys = (keys: Keys): string =>
  `signing key ${Option.match(keys.signing, { onNone: () => "none", onSome: (k) => `${k.algorithm} ${k.keyId}` })}, ` +
  `verification keys [${keys.verification.map((k) => k.keyId).join(", ")}]`

const watchedFiles = (source: KeySource): ReadonlyArray<string> =>
  source._tag === "Files"
    ? [...(source.signingKeyFile === undefined ? [] : [source.signingKeyFile]), ...(source.keyFiles ?? [])]
    : []

/**
 * Builds a key ring: loads the source once (failing the construction on a bad key, as the server's
 * start does), then follows changes as the options say until the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  source: KeySource,
  options?: Options
): Effect.Effect<KeyRing["Type"], KeyFile.KeyFileError, Scope.Scope> =>
  Effect.gen(function*() {
    const initial = yield* load(source)
    // The source, behind a ref that lets one swap run at a time; the keys in force, read at once.
    const current = yield* SynchronizedRef.make(source)
    let inForce = initial

    const swap = (next: (current: KeySource) => KeySource) =>
      SynchronizedRef.modifyEffect(current, (was) => {
        const target = next(was)
        return load(target).pipe(Effect.map((keys) => {
          inForce = keys
          return [keys, target] as const
        }))
      })

    const reload = swap((was) => was)
    const ring: KeyRing["Type"] = {
      keys: Effect.sync(() => inForce),
      unsafeKeys: () => inForce,
      reload,
      load: (next) => swap(() => next)
    }

    const files = watchedFiles(source)
    const watch = options?.watch === true && files.length > 0
    if (watch || options?.reloadOnSignal === true) {
      const triggers = yield* Queue.sliding<void>(1)
      const trigger = () => {
        Queue.unsafeOffer(triggers, undefined)
      }
      if (watch) {
        const directories = [...new Set(files.map((file) => path.dirname(path.resolve(file))))]
        yield* Effect.acquireRelease(
          Effect.try({
            try: () =>
              directories.map((directory) => {
                const watcher = fs.watch(directory, { persistent: false }, trigger)
                // A watch error (directory removed) ends that watch; the keys in force stay.
                watcher.on("error", () => watcher.close())
                return watcher
              }),
            catch: (cause) =>
              new KeyFile.KeyFileError({ description: `cannot watch key files: ${String(cause)}`, cause })
          }),
          (watchers) => Effect.sync(() => watchers.forEach((watcher) => watcher.close()))
        )
      }
      if (options?.reloadOnSignal === true) {
        yield* Effect.acquireRelease(
          Effect.sync(() => process.on("SIGHUP", trigger)),
          () => Effect.sync(() => process.off("SIGHUP", trigger))
        )
      }
      const quiet = Duration.decode(options?.debounce ?? "100 millis")
      const settle: Effect.Effect<void> = Effect.gen(function*() {
        yield* Effect.sleep(quiet)
        if (Option.isSome(yield* Queue.poll(triggers))) yield* settle
      })
      yield* Queue.take(triggers).pipe(
        Effect.zipRight(settle),
        Effect.zipRight(ring.keys),
        Effect.flatMap((before) =>
          Effect.matchEffect(reload, {
            onFailure: (error) =>
              Effect.logWarning(`service account key reload failed, keeping the previous keys: ${error.message}`).pipe(
                Effect.zipRight(options?.onReloadFailure?.(error) ?? Effect.void)
              ),
            onSuccess: (keys) =>
              describeKeys(keys) === describeKeys(before)
                ? Effect.logDebug(`service account keys reloaded, unchanged: ${describeKeys(keys)}`)
                : Effect.logInfo(`service account keys reloaded: ${describeKeys(keys)}`)
          })
        ),
        Effect.forever,
        Effect.forkScoped
      )
    }
    return ring
  })

/**
 * The `TokenSigner` of a ring: signs with the signing key in force at the call.
 *
 * @since 0.1.0
 * @category adapters
 */
export const tokenSigner = (ring: KeyRing["Type"]): TokenSigner["Type"] => {
  const noSigningKey = new TokenSignerError({ reason: "Failed", description: "no service account signing key configured" })
  const unsafeSign = (payload: string): Either.Either<string, TokenSignerError> => {
    const signing = ring.unsafeKeys().signing
    return Option.isNone(signing) ? Either.left(noSigningKey) : Either.right(SigningKey.sign(signing.value, payload))
  }
  return {
    sign: (payload) => Effect.suspend(() => unsafeSign(payload)),
    unsafeSign,
    current: Effect.suspend(() => {
      const signing = ring.unsafeKeys().signing
      return Option.isNone(signing)
        ? Effect.fail(noSigningKey)
        : Effect.succeed({ algorithm: signing.value.algorithm, keyId: signing.value.keyId })
    })
  }
}

/**
 * The `KeySet` of a ring: verification by kid with pinned algorithms, the JWKS, and the static
 * 3600-second cache age.
 *
 * @since 0.1.0
 * @category adapters
 */
export const keySet = (ring: KeyRing["Type"]): KeySet["Type"] => {
  const unsafeVerify = (token: SignedToken): Either.Either<Verification, KeySetError> => {
    const keys = ring.unsafeKeys()
    const candidates = token.keyId === ""
      ? keys.verification
      : keys.verification.filter((key) => key.keyId === token.keyId)
    if (candidates.length === 0) return Either.right("NoKeys")
    return Either.right(candidates.some((key) => VerificationKey.verify(key, token)) ? "Verified" : "Failed")
  }
  return {
    verify: (token) => Effect.suspend(() => unsafeVerify(token)),
    unsafeVerify,
    jwks: Effect.map(ring.keys, (keys) => ({ keys: keys.verification.map(VerificationKey.toJwk) })),
    cacheMaxAgeSeconds: Effect.succeed(3600)
  }
}

/**
 * A key ring from a source, with the `TokenSigner` and `KeySet` it backs.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  source: KeySource,
  options?: Options
): Layer.Layer<KeyRing | TokenSigner | KeySet, KeyFile.KeyFileError> =>
  Layer.scopedContext(
    Effect.map(make(source, options), (ring) =>
      Context.make(KeyRing, ring).pipe(
        Context.add(TokenSigner, tokenSigner(ring)),
        Context.add(KeySet, keySet(ring))
      ))
  )

/**
 * Keys from files, as `kube-apiserver` takes them: `signingKeyFile` is
 * `--service-account-signing-key-file`, `keyFiles` the repeated `--service-account-key-file`
 * (default: the signing key's public half). `watch` reloads on file changes, `reloadOnSignal` on
 * `SIGHUP`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFiles = (
  options: {
    readonly signingKeyFile?: string | undefined
    readonly keyFiles?: ReadonlyArray<string> | undefined
  } & Options
): Layer.Layer<KeyRing | TokenSigner | KeySet, KeyFile.KeyFileError> =>
  layer({ _tag: "Files", signingKeyFile: options.signingKeyFile, keyFiles: options.keyFiles }, options)

/**
 * Keys from PEM texts held in memory (ephemeral keys, embedding, tests). Rotate with
 * `KeyRing.load({ _tag: "Pem", … })`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromKeys = (options: {
  readonly signingKey?: string | undefined
  readonly keys?: ReadonlyArray<string> | undefined
}): Layer.Layer<KeyRing | TokenSigner | KeySet, KeyFile.KeyFileError> =>
  layer({ _tag: "Pem", signingKey: options.signingKey, keys: options.keys })

/**
 * A freshly generated in-memory signing key (ES256 unless told), for servers started without
 * `--service-account-signing-key-file`. Its public half is the only verification key.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerEphemeral = (
  algorithm: SigningKey.SigningKey["algorithm"] = "ES256"
): Layer.Layer<KeyRing | TokenSigner | KeySet, KeyFile.KeyFileError> =>
  Layer.unwrapEffect(Effect.map(SigningKey.generate(algorithm), (signingKey) => layerFromKeys({ signingKey })))
