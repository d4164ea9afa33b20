/**
 * A client of an external signer (kube-apiserver's `--service-account-signing-endpoint`, semantics
 * §13.3): the `TokenSigner` and `KeySet` ports served by any process that speaks
 * `ExternalJWTSigner` over a Unix domain socket.
 *
 * At start it fetches the keys (60 s timeout) and the signer's metadata (10 s); any failure ends the
 * start with upstream's `while setting up external-jwt-signer: …` chain. `sign` sends the payload
 * as base64url claims, checks the returned header strictly (only `alg`, `kid`, `typ`; `typ` JWT; a
 * kid of at most 1 KiB; RS256/ES256/ES384/ES512; a kid not excluded from OIDC discovery) and
 * assembles `header.payload.signature` verbatim, without verifying it locally. Keys are re-fetched
 * at each refresh hint, every 10 s after a failure (the stale keys stay in force), and once,
 * synchronously, when a token names an unknown kid.
 *
 * @since 0.1.0
 */
import * as grpc from "@grpc/grpc-js"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { KeySet, KeySetError } from "@tokenrequest/domain/KeySet"
import { TokenSigner, TokenSignerError } from "@tokenrequest/domain/TokenSigner"
import type { SigningAlgorithm } from "@tokenrequest/domain/TokenSigner"
import * as Expiration from "./Expiration.js"
import * as Grpc from "./internal/grpc.js"
import * as Header from "./internal/header.js"
import type { ApiVersion } from "./Protocol.js"
import * as VerificationKeys from "./VerificationKeys.js"

/**
 * A failure to set up the external signer or to sync its keys; `description` is upstream's text,
 * e.g. `while setting up external-jwt-signer: while initially filling key cache: …`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ExternalSignerError extends Schema.TaggedError<ExternalSignerError>(
  "@tokenrequest/signer-external/ExternalSignerError"
)("ExternalSignerError", {
  description: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.description
  }
}

/**
 * Options of the client.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The socket: an absolute path, or `@name` in the abstract namespace. */
  readonly endpoint: string
  /**
   * The API version dialled. Default `v1` (as Kubernetes 1.34+); `v1alpha1` for signers written for
   * 1.32–1.33; `auto` tries `v1` and falls back to `v1alpha1` when the signer answers `Unimplemented`.
   */
  readonly apiVersion?: ApiVersion | "auto" | undefined
  /** Timeout of each `FetchKeys` (`keySyncTimeout`). Default 60 seconds. */
  readonly keySyncTimeout?: Duration.DurationInput | undefined
  /** Timeout of the start-up `Metadata` call. Default 10 seconds. */
  readonly metadataTimeout?: Duration.DurationInput | undefined
  /** Timeout of each `Sign`. Default 30 seconds (upstream bounds it by the request only). */
  readonly signTimeout?: Duration.DurationInput | undefined
  /** Delay before retrying a failed periodic sync. Default 10 seconds (`fallbackRefreshDuration`). */
  readonly retryInterval?: Duration.DurationInput | undefined
}

/**
 * The outcome of the key syncs so far (for health checks and metrics): how many fetches completed,
 * how many failed, the last failure's text, and when the last fetch completed (epoch ms, `Clock`).
 *
 * @since 0.1.0
 * @category models
 */
export interface SyncStatus {
  readonly attempts: number
  readonly failures: number
  readonly lastError: string | undefined
  readonly lastAttemptMillis: number
  /** Whether the last fetch failed (the keys in force are then stale). */
  readonly stale: boolean
}

/**
 * The connected signer: what it told at start, the keys in force, and a manual sync.
 *
 * @since 0.1.0
 * @category tags
 */
export class ExternalSigner extends Context.Tag("@tokenrequest/signer-external/ExternalSigner")<
  ExternalSigner,
  {
    readonly endpoint: string
    /** The API version in use (the one found, with `auto`). */
    readonly apiVersion: ApiVersion
    /** `MetadataResponse.max_token_expiration_seconds`, for `Expiration.complete`. */
    readonly maxTokenExpirationSeconds: number
    /** The keys in force (the last accepted `FetchKeys`). */
    readonly keys: Effect.Effect<VerificationKeys.VerificationKeys>
    /** Emits the keys in force now and whenever a sync changes them (timestamp, count, kid order, exclusions). */
    readonly changes: Stream.Stream<VerificationKeys.VerificationKeys>
    /** Fetches the keys now; concurrent calls share one fetch. On failure the old keys stay. */
    readonly sync: Effect.Effect<void, ExternalSignerError>
    /** The outcome of the syncs so far. */
    readonly syncStatus: Effect.Effect<SyncStatus>
  }
>() {}

const allowedAlgorithms: ReadonlyArray<string> = ["RS256", "ES256", "ES384", "ES512"]

/**
 * Connects to an external signer and starts its key cache; the connection and the refresh loop end
 * with the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<
  { readonly signer: ExternalSigner["Type"]; readonly tokenSigner: TokenSigner["Type"]; readonly keySet: KeySet["Type"] },
  ExternalSignerError,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const setupError = (description: string, cause?: unknown) =>
      new ExternalSignerError({ description: `while setting up external-jwt-signer: ${description}`, cause })
    let apiVersion: ApiVersion = options.apiVersion === "v1alpha1" ? "v1alpha1" : "v1"
    const keySyncTimeout = Duration.toMillis(Duration.decode(options.keySyncTimeout ?? "60 seconds"))
    const metadataTimeout = Duration.toMillis(Duration.decode(options.metadataTimeout ?? "10 seconds"))
    const signTimeout = Duration.toMillis(Duration.decode(options.signTimeout ?? "30 seconds"))
    const retryInterval = Duration.decode(options.retryInterval ?? "10 seconds")
    let methods = Grpc.serviceDefinition(apiVersion)

    const client = yield* Effect.acquireRelease(
      Effect.try({
        try: () =>
          new grpc.Client(Grpc.target(options.endpoint), grpc.credentials.createInsecure(), {
            "grpc.default_authority": "localhost"
          }),
        catch: (cause) =>
          setupError(
            `while dialing grpc socket at ${JSON.stringify(options.endpoint)}: ${
              cause instanceof Error ? cause.message : String(cause)
            }`,
            cause
          )
      }),
      (client) => Effect.sync(() => client.close())
    )

    const state = yield* SubscriptionRef.make(VerificationKeys.empty)

    const fetchOnce: Effect.Effect<void, ExternalSignerError> = Effect.gen(function*() {
      const response = yield* Grpc.unary(client, methods.FetchKeys, {}, keySyncTimeout).pipe(
        Effect.mapError((error) =>
          new ExternalSignerError({
            description:
              `while fetching token verification keys: while getting externally supported jwt signing keys: ${error.text}`,
            cause: error.cause
          })
        )
      )
      const now = yield* Clock.currentTimeMillis
      const keys = VerificationKeys.fromResponse(response, now)
      if (Either.isLeft(keys)) {
        return yield* new ExternalSignerError({ description: `while fetching token verification keys: ${keys.left}` })
      }
      yield* SubscriptionRef.set(state, keys.right)
    })

    // Single flight: a caller that waited while another sync ran takes that sync's result.
    const permit = yield* Effect.makeSemaphore(1)
    let generation = 0
    let status: SyncStatus = { attempts: 0, failures: 0, lastError: undefined, lastAttemptMillis: 0, stale: false }
    let lastSync: Exit.Exit<void, ExternalSignerError> | undefined
    const sync: Effect.Effect<void, ExternalSignerError> = Effect.suspend(() => {
      const seen = generation
      return permit.withPermits(1)(
        Effect.suspend(() =>
          generation !== seen && lastSync !== undefined
            ? lastSync
            : Effect.onExit(fetchOnce, (exit) =>
              Effect.map(Clock.currentTimeMillis, (now) => {
                // An interrupted fetch settles nothing: the next caller fetches again.
                if (Exit.isInterrupted(exit)) return
                generation++
                lastSync = exit
                const failed = Exit.isFailure(exit)
                status = {
                  attempts: status.attempts + 1,
                  failures: status.failures + (failed ? 1 : 0),
                  lastError: Exit.isFailure(exit)
                    ? Option.match(Cause.failureOption(exit.cause), {
                      onNone: () => Cause.pretty(exit.cause),
                      onSome: (error) => error.description
                    })
                    : status.lastError,
                  lastAttemptMillis: now,
                  stale: failed
                }
              }))
        )
      )
    })

    // Upstream's GetPublicKeys: a miss triggers one sync; still unknown (or a failed sync) is empty.
    const publicKeys = (keyId: string): Effect.Effect<ReadonlyArray<VerificationKeys.ExternalKey>> =>
      Effect.gen(function*() {
        const found = VerificationKeys.select(yield* SubscriptionRef.get(state), keyId)
        if (Option.isSome(found)) return found.value
        const synced = yield* Effect.either(sync)
        if (Either.isLeft(synced)) {
          yield* Effect.logError(`Error while syncing keys: ${synced.left.description}`)
          return []
        }
        const again = VerificationKeys.select(yield* SubscriptionRef.get(state), keyId)
        if (Option.isSome(again)) return again.value
        yield* Effect.logWarning(`Key id ${JSON.stringify(keyId)} not found after refresh`)
        return []
      })

    const unimplemented = (error: ExternalSignerError) =>
      (error.cause as { readonly code?: unknown } | undefined)?.code === grpc.status.UNIMPLEMENTED
    yield* sync.pipe(
      Effect.catchIf(
        (error) => options.apiVersion === "auto" && unimplemented(error),
        () =>
          Effect.suspend(() => {
            apiVersion = "v1alpha1"
            methods = Grpc.serviceDefinition(apiVersion)
            return sync
          })
      ),
      Effect.mapError((error) =>
        setupError(`while initially filling key cache: while performing initial cache fill: ${error.description}`, error.cause)
      )
    )

    const metadata = yield* Grpc.unary(client, methods.Metadata, {}, metadataTimeout).pipe(
      Effect.mapError((error) => setupError(error.text, error.cause))
    )

    const refresh = Effect.gen(function*() {
      const untilHint = Effect.map(
        Effect.zip(SubscriptionRef.get(state), Clock.currentTimeMillis),
        ([keys, now]) => Duration.millis(Math.max(0, keys.nextRefreshHintMillis - now))
      )
      // After a failure the retry is due `retryInterval` after the failed fetch completed.
      const untilRetry = Effect.map(
        Clock.currentTimeMillis,
        (now) => Duration.millis(Math.max(0, status.lastAttemptMillis + Duration.toMillis(retryInterval) - now))
      )
      let delay = yield* untilHint
      while (true) {
        yield* Effect.sleep(delay)
        const result = yield* Effect.either(sync)
        if (Either.isLeft(result)) {
          yield* Effect.logError(
            `when syncing supported public keys(Stale set of keys will be supported): ${result.left.description}`
          )
          delay = yield* untilRetry
        } else {
          delay = yield* untilHint
        }
      }
    })
    yield* Effect.forkScoped(refresh)

    const signFailure = (description: string, cause?: unknown) =>
      new TokenSignerError({ reason: "Failed", description, cause })

    const validateHeader = (segment: string): Effect.Effect<Header.Header, string> =>
      Effect.gen(function*() {
        const decoded = Header.decode(segment)
        if ("error" in decoded) return yield* Effect.fail(decoded.error)
        const header = decoded.header
        if (header.typ !== "JWT") return yield* Effect.fail("bad type")
        if (header.kid.length === 0) return yield* Effect.fail("key id missing")
        // Go measures the kid in bytes.
        if (Buffer.byteLength(header.kid, "utf8") > 1024) return yield* Effect.fail("key id longer than 1 kb")
        if (!allowedAlgorithms.includes(header.alg)) {
          return yield* Effect.fail(`bad signing algorithm ${JSON.stringify(header.alg)}`)
        }
        for (const key of yield* publicKeys(header.kid)) {
          if (key.excludeFromOidcDiscovery) {
            return yield* Effect.fail(
              `key used for signing JWT (kid: ${header.kid}) is excluded from OIDC discovery docs`
            )
          }
        }
        return header
      })

    let lastHeader: { readonly algorithm: SigningAlgorithm; readonly keyId: string } | undefined

    const sign = (payload: string): Effect.Effect<string, TokenSignerError> =>
      Effect.gen(function*() {
        const claims = Buffer.from(payload, "utf8").toString("base64url")
        const response = yield* Grpc.unary(client, methods.Sign, { claims }, signTimeout).pipe(
          Effect.mapError((error) =>
            new TokenSignerError({
              reason: Grpc.isUnavailable(error) ? "Unavailable" : "Failed",
              description: `while signing jwt: ${error.text}`,
              cause: error.cause
            })
          )
        )
        const header = yield* validateHeader(response.header).pipe(
          Effect.mapError((text) => signFailure(`while validating header: ${text}`))
        )
        if (response.signature.length === 0) return yield* signFailure("empty signature returned")
        lastHeader = { algorithm: header.alg as SigningAlgorithm, keyId: header.kid }
        return `${response.header}.${claims}.${response.signature}`
      })

    const signer: ExternalSigner["Type"] = {
      endpoint: options.endpoint,
      apiVersion,
      maxTokenExpirationSeconds: Number(metadata.maxTokenExpirationSeconds),
      keys: SubscriptionRef.get(state),
      changes: state.changes.pipe(Stream.changesWith((a, b) => !VerificationKeys.changed(a, b))),
      sync,
      syncStatus: Effect.sync(() => status)
    }

    const tokenSigner: TokenSigner["Type"] = {
      sign,
      // The signer chooses its key; the last signature tells which (a probe signature when none yet).
      current: Effect.suspend(() =>
        lastHeader !== undefined ? Effect.succeed(lastHeader) : Effect.map(sign("{}"), () => lastHeader!)
      )
    }

    const keySet: KeySet["Type"] = {
      verify: (token) => Effect.map(publicKeys(token.keyId), (candidates) => VerificationKeys.verify(candidates, token)),
      jwks: Effect.flatMap(SubscriptionRef.get(state), (keys) =>
        Either.match(VerificationKeys.jwks(keys), {
          onLeft: (description) => Effect.fail(new KeySetError({ reason: "Failed", description })),
          onRight: Effect.succeed
        })),
      cacheMaxAgeSeconds: Effect.map(
        Effect.zip(SubscriptionRef.get(state), Clock.currentTimeMillis),
        ([keys, now]) => VerificationKeys.cacheMaxAgeSeconds(keys, now)
      )
    }

    return { signer, tokenSigner, keySet }
  })

/**
 * The external signer with the `TokenSigner` and `KeySet` it backs; building the layer performs
 * the start-up `FetchKeys` and `Metadata` and fails with upstream's texts.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<ExternalSigner | TokenSigner | KeySet, ExternalSignerError> =>
  Layer.scopedContext(
    Effect.map(make(options), ({ keySet, signer, tokenSigner }) =>
      Context.make(ExternalSigner, signer).pipe(
        Context.add(TokenSigner, tokenSigner),
        Context.add(KeySet, keySet)
      ))
  )

/**
 * What a server needs from its flags to start with an external signer.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectOptions extends Options {
  /** `--service-account-max-token-expiration` in seconds; 0 when not set. */
  readonly maxExpirationSeconds: number
  /** The extended expiration before capping; default one year. */
  readonly maxExtendedExpirationSeconds?: number | undefined
  /** `--service-account-extend-token-expiration`, for the warnings. */
  readonly extendExpiration: boolean
}

/**
 * kube-apiserver's start with `--service-account-signing-endpoint` in one call: connects (start-up
 * `FetchKeys` and `Metadata`), then applies semantics §12.2 to the signer's maximum. Returns the
 * ports to provide, the expiration limits to configure the domain with (`maxExpirationSeconds`,
 * `maxExtendedExpirationSeconds`) and the warnings to print. Every failure is one line of upstream
 * text.
 *
 * @since 0.1.0
 * @category constructors
 */
export const connect = (options: ConnectOptions): Effect.Effect<
  {
    readonly context: Context.Context<ExternalSigner | TokenSigner | KeySet>
    readonly limits: Expiration.Limits
    readonly warnings: ReadonlyArray<string>
  },
  ExternalSignerError,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const { keySet, signer, tokenSigner } = yield* make(options)
    const limits = Expiration.complete({
      maxExpirationSeconds: options.maxExpirationSeconds,
      maxExtendedExpirationSeconds: options.maxExtendedExpirationSeconds,
      signerMaxSeconds: signer.maxTokenExpirationSeconds
    })
    if (Either.isLeft(limits)) return yield* new ExternalSignerError({ description: limits.left })
    return {
      context: Context.make(ExternalSigner, signer).pipe(
        Context.add(TokenSigner, tokenSigner),
        Context.add(KeySet, keySet)
      ),
      limits: limits.right,
      warnings: Expiration.warnings(limits.right, options.extendExpiration)
    }
  })
