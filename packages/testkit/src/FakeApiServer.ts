/**
 * A TokenRequest-aware fake Kubernetes API server for other projects' tests: the reference server of
 * `@tokenrequest/server`, started in the test's own process on `127.0.0.1` with an ephemeral port, in
 * one line.
 *
 * - Effect: `FakeApiServer.layer(options)` provides the {@link FakeApiServer} tag for a suite
 *   (`layer(FakeApiServer.layer())(it => …)` with `@effect/vitest`).
 * - Promises (vitest, jest, mocha, node:test): `const server = await FakeApiServer.start(options)` …
 *   `await server.close()`.
 *
 * It serves HTTPS with a generated certificate (plain HTTP on request), authenticates a generated
 * admin token, allows everything by default, writes a kubeconfig to a temporary file (removed on
 * close), and prints nothing. Tests create and delete Pods, Secrets, Nodes and ServiceAccounts through
 * the store (or the object API), request tokens bound to them, review them, and can fix or move the
 * clock the server reads.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as EffectClock from "effect/Clock"
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as crypto from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as Clock from "@tokenrequest/clock/Clock"
import type { AlreadyExists, NotFound } from "@tokenrequest/domain/Errors"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import { ObjectStore, type ObjectStoreError } from "@tokenrequest/domain/ObjectStore"
import { ConfigurationError } from "@tokenrequest/server/Configuration"
import * as Server from "@tokenrequest/server/Server"

/**
 * An object as a test writes it: plain JSON (`apiVersion: v1`, one of Namespace, ServiceAccount, Pod,
 * Secret, Node, `metadata`, and any other fields), timestamps as RFC 3339 strings.
 *
 * @since 0.1.0
 * @category models
 */
export type ObjectInput = typeof KubeObject.KubeObject.Encoded

/**
 * The clock the server reads for `iat`/`nbf`/`exp`, `expirationTimestamp`, reviews and
 * `creationTimestamp`: always the same instant (`fixed`), or one that moves only through `advance` and
 * `setTime` (`manual`). Without it the server reads the system clock.
 *
 * @since 0.1.0
 * @category models
 */
export type ClockOption =
  | { readonly fixed: DateTime.DateTime.Input }
  | { readonly manual: DateTime.DateTime.Input }

/**
 * Who may do what. `AlwaysAllow` (the default) lets every authenticated caller do everything;
 * `AlwaysDeny` forbids everything (403 for every authenticated request); `abacPolicies` are Kubernetes
 * ABAC policies (`{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{…}}`)
 * to which a policy allowing the group `system:masters` (the admin token's) is added, as
 * kube-apiserver never locks out `system:masters`.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthorizationOption =
  | "AlwaysAllow"
  | "AlwaysDeny"
  | { readonly abacPolicies: ReadonlyArray<Record<string, unknown>> }

/**
 * An extra bearer token and the user it authenticates (a line of a Kubernetes static token file).
 *
 * @since 0.1.0
 * @category models
 */
export interface StaticUser {
  readonly token: string
  readonly name: string
  /** Default: the name. */
  readonly uid?: string | undefined
  readonly groups?: ReadonlyArray<string> | undefined
}

/**
 * Everything is optional: `FakeApiServer.start()` is a working server with the `default` Namespace and
 * ServiceAccount, an ephemeral ES256 signing key, the server's URL as issuer and audience.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Objects loaded at start: plain objects, and/or paths of YAML/JSON manifests (`--objects`). */
  readonly objects?: ReadonlyArray<ObjectInput | string> | undefined
  /** PEM private key that signs tokens (PKCS#1, PKCS#8 or SEC1), so tests know the public key. Default: an ephemeral ES256 key. */
  readonly signingKeyPem?: string | undefined
  /** Further PEM public keys, private keys or certificates accepted on review (`--service-account-key-file`). */
  readonly verificationKeyPems?: ReadonlyArray<string> | undefined
  /** `--service-account-issuer`; the first signs. Default: the server's URL. */
  readonly issuer?: string | ReadonlyArray<string> | undefined
  /** `--api-audiences`. Default: the issuers. */
  readonly apiAudiences?: ReadonlyArray<string> | undefined
  /** `--service-account-max-token-expiration`: a Go duration (`48h`) or seconds. Default: no cap. */
  readonly maxTokenExpiration?: string | number | undefined
  /** `--service-account-extend-token-expiration`. Default `true`. */
  readonly extendTokenExpiration?: boolean | undefined
  /** HTTPS with a generated self-signed certificate (`true`, the default) or plain HTTP (`false`). */
  readonly tls?: boolean | undefined
  /** The clock the server reads. Default: the system clock. */
  readonly clock?: ClockOption | undefined
  /** Default `AlwaysAllow`. */
  readonly authorization?: AuthorizationOption | undefined
  /** The admin bearer token (user `admin`, group `system:masters`). Default: a random one. */
  readonly adminToken?: string | undefined
  /** Further bearer tokens and their users. */
  readonly users?: ReadonlyArray<StaticUser> | undefined
  /** The port; default `0` (a free port). */
  readonly port?: number | undefined
  /** Receives the server's startup lines. Default: nothing is printed. */
  readonly print?: ((line: string) => void) | undefined
  /** Keep the server's log lines (key reloads, unexpected failures). Default `false`: silent. */
  readonly logs?: boolean | undefined
}

/**
 * What a kind, namespace and name point at. `namespace` is ignored for Namespace and Node and
 * defaults to `default` for the others.
 *
 * @since 0.1.0
 * @category models
 */
export interface ObjectReference {
  readonly kind: KubeObject.ObjectKind
  readonly namespace?: string | undefined
  readonly name: string
}

/**
 * A running fake server (Effect form).
 *
 * @since 0.1.0
 * @category models
 */
export interface Running {
  /** `https://127.0.0.1:<port>` (`http://` with `tls: false`). */
  readonly url: string
  readonly port: number
  /** The admin bearer token (user `admin`, group `system:masters`). */
  readonly token: string
  /** PEM of the serving certificate, to trust (`undefined` with `tls: false`). */
  readonly caCertificate: string | undefined
  /** A kubeconfig for the server and the admin token (JSON, which every kubeconfig reader accepts). */
  readonly kubeconfig: string
  /** The same kubeconfig on disk, in a temporary directory removed on close (`KUBECONFIG=…`). */
  readonly kubeconfigPath: string
  /** The issuer tokens are signed with (`iss`). */
  readonly issuer: string
  /** Every issuer accepted on review, the signing one first. */
  readonly issuers: ReadonlyArray<string>
  readonly apiAudiences: ReadonlyArray<string>
  /** The object store the server reads (create/delete here and the server sees it at once). */
  readonly store: ObjectStore["Type"]
  /** The manual clock, when started with `clock: { manual }`. */
  readonly clock: Clock.ManualClock | undefined
  /** The underlying reference server. */
  readonly server: Server.RunningServer
  /** Creates an object as the object API would (fresh `uid`, `creationTimestamp` from the server's clock). */
  readonly createObject: (
    object: ObjectInput
  ) => Effect.Effect<KubeObject.KubeObject, AlreadyExists | ObjectStoreError | ParseResult.ParseError>
  /** Deletes an object at once; tokens bound to it stop verifying. */
  readonly deleteObject: (reference: ObjectReference) => Effect.Effect<KubeObject.KubeObject, NotFound | ObjectStoreError>
  /** Reads an object. */
  readonly getObject: (reference: ObjectReference) => Effect.Effect<Option.Option<KubeObject.KubeObject>, ObjectStoreError>
  /** Moves the manual clock forward; dies when the server was not started with `clock: { manual }`. */
  readonly advance: (duration: Duration.DurationInput) => Effect.Effect<void>
}

/**
 * The running fake server, provided by {@link layer}.
 *
 * @since 0.1.0
 * @category tags
 */
export class FakeApiServer extends Context.Tag("@tokenrequest/testkit/FakeApiServer")<FakeApiServer, Running>() {}

/**
 * What can stop the start: a bad option, object, manifest or key (the message names it).
 *
 * @since 0.1.0
 * @category errors
 */
export type StartError = Server.StartError

const adminGroup = "system:masters"

const csvField = (value: string): string => (/[",\s]/.test(value) ? `"${value.replace(/"/g, "\"\"")}"` : value)

const mastersPolicy = {
  apiVersion: "abac.authorization.kubernetes.io/v1beta1",
  kind: "Policy",
  spec: { group: adminGroup, namespace: "*", resource: "*", apiGroup: "*", nonResourcePath: "*" }
}

const keyOf = (reference: ObjectReference) =>
  ({
    kind: reference.kind,
    namespace: KubeObject.kinds[reference.kind].namespaced ? (reference.namespace ?? "default") : "",
    name: reference.name
  }) as const

const decodeObject = Schema.decodeUnknown(KubeObject.KubeObject)

const withDefaultNamespace = (object: KubeObject.KubeObject): KubeObject.KubeObject =>
  KubeObject.kinds[object.kind].namespaced && object.metadata.namespace === undefined
    ? { ...object, metadata: { ...object.metadata, namespace: "default" } }
    : object

/**
 * Starts the fake server in the current scope; it stops, and its temporary files go, when the scope
 * closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Running, StartError, Scope.Scope> =>
  Effect.gen(function*() {
    const fail = (description: string) => new ConfigurationError({ description })

    // Objects given in memory, checked against the schema before anything starts.
    const files: Array<string> = []
    const inline: Array<KubeObject.KubeObject> = []
    for (const [index, entry] of (options.objects ?? []).entries()) {
      if (typeof entry === "string") {
        files.push(entry)
        continue
      }
      const decoded = yield* decodeObject(entry).pipe(
        Effect.mapError((error) => fail(`objects[${index}]: ${ParseResult.TreeFormatter.formatErrorSync(error)}`))
      )
      inline.push(withDefaultNamespace(decoded))
    }

    // A private directory for the kubeconfig and any key, token or policy file; removed after the
    // server stopped (finalizers run in reverse order).
    const directory = yield* Effect.acquireRelease(
      Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "tokenrequest-fake-"))),
      (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
    )
    const writeFile = (name: string, text: string) =>
      Effect.promise(async () => {
        const file = path.join(directory, name)
        await fs.writeFile(file, text, { mode: 0o600 })
        return file
      })

    const signingKeyFile = options.signingKeyPem === undefined
      ? undefined
      : yield* writeFile("signing-key.pem", options.signingKeyPem)
    const keyFiles: Array<string> = []
    for (const [index, pem] of (options.verificationKeyPems ?? []).entries()) {
      keyFiles.push(yield* writeFile(`key-${index}.pem`, pem))
    }
    if (signingKeyFile !== undefined && keyFiles.length > 0) keyFiles.unshift(signingKeyFile)

    const adminToken = options.adminToken ?? crypto.randomBytes(32).toString("base64url")
    const users = options.users ?? []
    const tokenAuthFile = users.length === 0
      ? undefined
      : yield* writeFile(
        "tokens.csv",
        [
          { token: adminToken, name: "admin", uid: "admin", groups: [adminGroup] },
          ...users
        ].map((user) =>
          [user.token, user.name, user.uid ?? user.name, (user.groups ?? []).join(",")].map(csvField).join(",")
        ).join("\n") + "\n"
      )

    const authorization = options.authorization ?? "AlwaysAllow"
    const authorizationPolicyFile = typeof authorization === "object"
      ? yield* writeFile(
        "policy.jsonl",
        [mastersPolicy, ...authorization.abacPolicies].map((p) => JSON.stringify(p)).join("\n") + "\n"
      )
      : undefined

    const kubeconfigPath = path.join(directory, "kubeconfig")
    const manual = options.clock !== undefined && "manual" in options.clock
      ? Clock.makeManual(options.clock.manual)
      : undefined
    // Always set: inside `it.effect` the ambient clock is a TestClock standing at 1970.
    const clock: EffectClock.Clock = manual !== undefined
      ? manual.clock
      : options.clock !== undefined && "fixed" in options.clock
      ? Clock.makeFixed(options.clock.fixed)
      : EffectClock.make()
    const withClock = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => Effect.withClock(effect, clock)
    const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      options.logs === true ? effect : Logger.withMinimumLogLevel(effect, LogLevel.None)

    const issuers = options.issuer === undefined ? undefined : typeof options.issuer === "string" ? [options.issuer] : options.issuer

    // The handlers run in the runtime captured at start, so the clock and log level set around the
    // start are the ones every request sees.
    const server = yield* Server.start({
      bindAddress: "127.0.0.1",
      port: options.port ?? 0,
      insecurePlainHttp: options.tls === false,
      writeKubeconfig: kubeconfigPath,
      serviceAccountIssuer: issuers,
      apiAudiences: options.apiAudiences,
      serviceAccountSigningKeyFile: signingKeyFile,
      serviceAccountKeyFile: keyFiles.length > 0 ? keyFiles : undefined,
      serviceAccountMaxTokenExpiration: options.maxTokenExpiration,
      serviceAccountExtendTokenExpiration: options.extendTokenExpiration,
      objects: files,
      initialObjects: inline,
      tokenAuthFile,
      adminToken: tokenAuthFile === undefined ? adminToken : undefined,
      authorizationMode: typeof authorization === "object" ? "ABAC" : authorization,
      authorizationPolicyFile,
      print: options.print
    }).pipe((effect) => quiet(withClock(effect)))

    const store = server.store
    const running: Running = {
      url: server.url,
      port: server.port,
      token: server.adminToken === undefined ? adminToken : Redacted.value(server.adminToken),
      caCertificate: server.certificateAuthority,
      kubeconfig: server.kubeconfig,
      kubeconfigPath,
      issuer: server.issuers[0]!,
      issuers: server.issuers,
      apiAudiences: server.apiAudiences,
      store,
      clock: manual,
      server,
      createObject: (object) =>
        withClock(Effect.flatMap(decodeObject(object), (decoded) => store.create(withDefaultNamespace(decoded)))),
      deleteObject: (reference) => {
        const key = keyOf(reference)
        return store.delete(key.kind, key.namespace, key.name)
      },
      getObject: (reference) => {
        const key = keyOf(reference)
        return store.get(key.kind, key.namespace, key.name)
      },
      advance: (duration) =>
        manual === undefined
          ? Effect.dieMessage("FakeApiServer.advance needs the server started with clock: { manual: <instant> }")
          : manual.advance(duration)
    }
    return running
  })

/**
 * The fake server as a layer: started when the layer is built, stopped when its scope closes.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<FakeApiServer, StartError> =>
  Layer.scoped(FakeApiServer, make(options))

/**
 * A running fake server (Promise form), for tests that do not use Effect.
 *
 * @since 0.1.0
 * @category models
 */
export interface Handle extends
  Pick<
    Running,
    "url" | "port" | "token" | "caCertificate" | "kubeconfig" | "kubeconfigPath" | "issuer" | "issuers" | "apiAudiences"
  >
{
  /** The Effect form, to use the store or the manual clock directly. */
  readonly running: Running
  /** Creates an object (fresh `uid`), resolving to it as stored; rejects on a conflict or a bad object. */
  readonly createObject: (object: ObjectInput) => Promise<KubeObject.KubeObject>
  /** Deletes an object, resolving to it as it was; rejects when it does not exist. */
  readonly deleteObject: (reference: ObjectReference) => Promise<KubeObject.KubeObject>
  /** Reads an object, `undefined` when absent. */
  readonly getObject: (reference: ObjectReference) => Promise<KubeObject.KubeObject | undefined>
  /** Moves the manual clock forward (`"1 hour"`, milliseconds, …); rejects without `clock: { manual }`. */
  readonly advance: (duration: Duration.DurationInput) => Promise<void>
  /** Stops the server, closes its connections and removes its temporary files. Safe to call twice. */
  readonly close: () => Promise<void>
}

const runPromise = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}

/**
 * Starts the fake server and resolves once it listens; rejects with the start error (its `message`
 * names the bad option, object or file). Call `close()` in `afterAll`/`after`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = async (options: Options = {}): Promise<Handle> => {
  const scope = Effect.runSync(Scope.make())
  const exit = await Effect.runPromiseExit(Scope.extend(make(options), scope))
  if (Exit.isFailure(exit)) {
    await Effect.runPromise(Scope.close(scope, exit))
    throw Cause.squash(exit.cause)
  }
  const running = exit.value
  let closing: Promise<void> | undefined
  return {
    url: running.url,
    port: running.port,
    token: running.token,
    caCertificate: running.caCertificate,
    kubeconfig: running.kubeconfig,
    kubeconfigPath: running.kubeconfigPath,
    issuer: running.issuer,
    issuers: running.issuers,
    apiAudiences: running.apiAudiences,
    running,
    createObject: (object) => runPromise(running.createObject(object)),
    deleteObject: (reference) => runPromise(running.deleteObject(reference)),
    getObject: (reference) => runPromise(Effect.map(running.getObject(reference), Option.getOrUndefined)),
    advance: (duration) => runPromise(running.advance(duration)),
    close: () => (closing ??= Effect.runPromise(Scope.close(scope, Exit.void)))
  }
}
