/**
 * The reference server's configuration: the `tokenrequest serve` flags of CONTRACT §3 (kube-apiserver
 * names), validated and resolved at start. Every check runs before anything is served, with the
 * upstream texts where kube-apiserver has them (semantics §12.2); files are read here, so an
 * unreadable file or a bad key ends the start with one line naming the flag or the file.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as fs from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as crypto from "node:crypto"
import * as path from "node:path"
import { expirationExtensionSeconds } from "@tokenrequest/domain/Config"
import type { KubeObject } from "@tokenrequest/domain/KubeObject"
import * as KeyFile from "@tokenrequest/signer-jose/KeyFile"
import * as KeyRing from "@tokenrequest/signer-jose/KeyRing"
import * as SigningEndpoint from "@tokenrequest/signer-external/SigningEndpoint"
import * as SigningKey from "@tokenrequest/signer-jose/SigningKey"
import * as ManifestLoader from "@tokenrequest/store-memory/ManifestLoader"
import * as Authorization from "./Authorization.js"
import { formatGoDuration, parseGoDuration } from "./internal/goDuration.js"
import { goQuote } from "./internal/goQuote.js"
import * as TokenFile from "./TokenFile.js"

/**
 * The flags, as the command line or an embedding program gives them. Every field is optional; the
 * defaults are those of CONTRACT §3.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `--bind-address`, default `127.0.0.1`. */
  readonly bindAddress?: string | undefined
  /** `--port`, default `6443`; `0` picks a free port. */
  readonly port?: number | undefined
  /** `--tls-cert-file`. */
  readonly tlsCertFile?: string | undefined
  /** `--tls-private-key-file`. */
  readonly tlsPrivateKeyFile?: string | undefined
  /** `--cert-dir`, default a new temporary directory. */
  readonly certDir?: string | undefined
  /** `--insecure-plain-http`, loopback only. */
  readonly insecurePlainHttp?: boolean | undefined
  /** `--write-kubeconfig`. */
  readonly writeKubeconfig?: string | undefined
  /** `--client-ca-file`. */
  readonly clientCaFile?: string | undefined
  /** `--audit-log-path`: append audit events as JSON lines to this file (created 0600). */
  readonly auditLogPath?: string | undefined
  /** `--service-account-issuer` (repeatable), default the server's own URL. */
  readonly serviceAccountIssuer?: ReadonlyArray<string> | undefined
  /** `--api-audiences` (already split on commas), default the issuers. */
  readonly apiAudiences?: ReadonlyArray<string> | undefined
  /** `--service-account-signing-key-file`, default an ephemeral ES256 key. */
  readonly serviceAccountSigningKeyFile?: string | undefined
  /** `--service-account-key-file` (repeatable). */
  readonly serviceAccountKeyFile?: ReadonlyArray<string> | undefined
  /** `--service-account-signing-endpoint`: the socket of an external signer (exclusive with the key files). */
  readonly serviceAccountSigningEndpoint?: string | undefined
  /** `--service-account-max-token-expiration`: a Go duration text, or seconds. Default `0` (no cap). */
  readonly serviceAccountMaxTokenExpiration?: string | number | undefined
  /** `--service-account-extend-token-expiration`, default `true`. */
  readonly serviceAccountExtendTokenExpiration?: boolean | undefined
  /** `--service-account-jwks-uri`. */
  readonly serviceAccountJwksUri?: string | undefined
  /** `--objects` (repeatable): manifest files loaded at start. */
  readonly objects?: ReadonlyArray<string> | undefined
  /** Objects given in memory (embedding, tests), loaded after the `objects` files. */
  readonly initialObjects?: ReadonlyArray<KubeObject> | undefined
  /** `--store`, default `memory`. */
  readonly store?: string | undefined
  /** `--etcd-servers` (already split on commas). */
  readonly etcdServers?: ReadonlyArray<string> | undefined
  /** `--etcd-prefix`, default `/registry`. */
  readonly etcdPrefix?: string | undefined
  /** `--token-auth-file`, default a random admin token. */
  readonly tokenAuthFile?: string | undefined
  /** `--anonymous-auth`, default `false`. */
  readonly anonymousAuth?: boolean | undefined
  /** `--authorization-mode` (a comma list or the modes), default `AlwaysAllow`, or `ABAC` with a token file. */
  readonly authorizationMode?: string | ReadonlyArray<string> | undefined
  /** `--authorization-policy-file`. */
  readonly authorizationPolicyFile?: string | undefined
  /** The admin bearer token to use instead of a random one (no token file). */
  readonly adminToken?: string | undefined
}

/**
 * A flag or file that stops the start; `description` is the one line printed on stderr.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigurationError extends Schema.TaggedError<ConfigurationError>(
  "@tokenrequest/server/ConfigurationError"
)("ConfigurationError", { description: Schema.String }) {
  /** The exit code of the command line for this error. */
  readonly exitCode = 2
  override get message(): string {
    return this.description
  }
}

/**
 * Where objects are kept.
 *
 * @since 0.1.0
 * @category models
 */
export type StoreConfiguration =
  | { readonly _tag: "Memory" }
  | { readonly _tag: "Etcd"; readonly servers: ReadonlyArray<string>; readonly prefix: string }

/**
 * The resolved configuration. The issuer and API audiences may still depend on the listening URL
 * (with `--port 0` it is known only once bound): empty `issuers` means "the server's own URL".
 *
 * @since 0.1.0
 * @category models
 */
export interface Configuration {
  readonly bindAddress: string
  readonly port: number
  readonly plainHttp: boolean
  /** Given serving certificate and key (PEM texts), or `undefined` to generate one into `certDir`. */
  readonly servingCertificate: { readonly certificate: string; readonly privateKey: string } | undefined
  readonly certDir: string | undefined
  /** Whether `certDir` is a temporary directory made for this run (removed at shutdown). */
  readonly temporaryCertDir: boolean
  readonly writeKubeconfig: string | undefined
  /** PEM of the client CA bundle. */
  readonly clientCa: string | undefined
  readonly issuers: ReadonlyArray<string>
  readonly apiAudiences: ReadonlyArray<string>
  readonly maxExpirationSeconds: number
  readonly extendExpiration: boolean
  readonly jwksUri: string | undefined
  readonly keys: KeyRing.KeySource
  /** `--service-account-signing-endpoint`; when set, `keys` is unused and signing goes to the socket. */
  readonly signingEndpoint: string | undefined
  /** Whether the signing key was generated for this run. */
  readonly ephemeralKey: boolean
  readonly objects: ReadonlyArray<KubeObject>
  readonly store: StoreConfiguration
  readonly tokenFile: TokenFile.TokenFile | undefined
  /** The generated (or given) admin token when there is no token file. */
  readonly adminToken: Redacted.Redacted<string> | undefined
  readonly anonymous: boolean
  readonly authorizationModes: ReadonlyArray<Authorization.Mode>
  readonly authorizer: Authorization.Authorizer
  /** `--audit-log-path`, a file (never stdout). */
  readonly auditLogPath: string | undefined
  /** Non-fatal findings, printed on stderr at start. */
  readonly warnings: ReadonlyArray<string>
}

/**
 * The loopback test for `--insecure-plain-http`: `127.0.0.0/8` and `::1` (also `::ffff:127.x.y.z`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isLoopback = (address: string): boolean =>
  (net.isIPv4(address) && address.startsWith("127.")) ||
  address === "::1" ||
  /^::ffff:127\./i.test(address) ||
  address === "localhost"

const fail = (description: string) => Effect.fail(new ConfigurationError({ description }))

const errnoText = (cause: unknown): string => {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case "ENOENT":
      return "no such file or directory"
    case "EACCES":
      return "permission denied"
    case "EISDIR":
      return "is a directory"
    default:
      return cause instanceof Error ? cause.message : String(cause)
  }
}

const readText = (flag: string, file: string) =>
  Effect.tryPromise({
    try: () => fs.readFile(file, "utf8"),
    catch: (cause) => new ConfigurationError({ description: `${flag}: open ${file}: ${errnoText(cause)}` })
  })

const pemCertificates = (flag: string, file: string, text: string) => {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  if (blocks.length === 0) return fail(`${flag}: ${file}: data does not contain any valid RSA or ECDSA certificates`)
  for (const block of blocks) {
    try {
      new crypto.X509Certificate(block)
    } catch (error) {
      return fail(`${flag}: ${file}: ${(error as Error).message}`)
    }
  }
  return Effect.succeed(blocks.join("\n") + "\n")
}

const validateIssuers = (issuers: ReadonlyArray<string>): Array<string> => {
  const errors: Array<string> = []
  const seen = new Set<string>()
  for (const issuer of issuers) {
    if (issuer === "") {
      errors.push("service-account-issuer should not be an empty string")
      continue
    }
    if (issuer.includes(":") && !URL.canParse(issuer)) {
      errors.push(`service-account-issuer ${goQuote(issuer)} contained a ':' but was not a valid URL: parse ${goQuote(issuer)}: invalid URL`)
    }
    if (seen.has(issuer)) errors.push(`service-account-issuer ${goQuote(issuer)} is already specified`)
    seen.add(issuer)
  }
  return errors
}

const parseModes = (input: Options["authorizationMode"]): Array<string> =>
  (typeof input === "string" ? [input] : input ?? []).flatMap((entry) => entry.split(",")).map((m) => m.trim())
    .filter((m) => m !== "")

/**
 * Validates the flags and reads every file they name. Fails with the first problem found, as one
 * line; otherwise returns the configuration and the warnings to print.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (options: Options): Effect.Effect<Configuration, ConfigurationError> =>
  Effect.gen(function*() {
    const warnings: Array<string> = []

    // Listening.
    const bindAddress = options.bindAddress ?? "127.0.0.1"
    if (net.isIP(bindAddress) === 0) {
      return yield* fail(`--bind-address: ${goQuote(bindAddress)} is not a valid IP address`)
    }
    const port = options.port ?? 6443
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      return yield* fail(`--port: ${port} must be between 0 and 65535, inclusive (0 picks a free port)`)
    }
    const plainHttp = options.insecurePlainHttp === true
    if (plainHttp && !isLoopback(bindAddress)) {
      return yield* fail(
        `--insecure-plain-http is refused with --bind-address ${bindAddress}: plain HTTP is served on loopback addresses only`
      )
    }
    if ((options.tlsCertFile === undefined) !== (options.tlsPrivateKeyFile === undefined)) {
      return yield* fail("--tls-cert-file and --tls-private-key-file must be given together")
    }
    if (plainHttp && options.tlsCertFile !== undefined) {
      return yield* fail("--tls-cert-file cannot be used with --insecure-plain-http")
    }
    if (options.auditLogPath === "-") {
      return yield* fail("--audit-log-path: - (stdout) is not supported, stdout is reserved for the startup lines; give a file path")
    }
    if (plainHttp && options.clientCaFile !== undefined) {
      return yield* fail("--client-ca-file needs TLS and cannot be used with --insecure-plain-http")
    }

    // Service-account tokens.
    const issuers = options.serviceAccountIssuer ?? []
    const issuerErrors = validateIssuers(issuers)
    if (issuerErrors.length > 0) return yield* fail(issuerErrors[0]!)
    for (const issuer of issuers) {
      if (URL.canParse(issuer) && new URL(issuer).protocol !== "https:") {
        warnings.push(`issuer URL must use https scheme, got: ${issuer} (OIDC discovery clients will refuse it)`)
      }
    }
    const apiAudiences = (options.apiAudiences ?? []).filter((a) => a !== "")

    const rawMax = options.serviceAccountMaxTokenExpiration ?? 0
    const maxExpirationSeconds = typeof rawMax === "number" ? rawMax : parseGoDuration(rawMax)
    if (maxExpirationSeconds === undefined) {
      return yield* fail(
        `invalid argument ${goQuote(String(rawMax))} for "--service-account-max-token-expiration" flag: time: invalid duration ${
          goQuote(String(rawMax))
        }`
      )
    }
    if (maxExpirationSeconds !== 0 && (maxExpirationSeconds < 3600 || maxExpirationSeconds > 2 ** 32)) {
      return yield* fail("the service-account-max-token-expiration must be between 1 hour and 2^32 seconds")
    }
    const extendExpiration = options.serviceAccountExtendTokenExpiration ?? true
    const signingEndpoint = options.serviceAccountSigningEndpoint === "" ? undefined : options.serviceAccountSigningEndpoint
    // With an endpoint, the limits and their warnings come from the signer (ExternalSigner.connect).
    if (maxExpirationSeconds !== 0 && extendExpiration && signingEndpoint === undefined) {
      const max = formatGoDuration(maxExpirationSeconds)
      if (maxExpirationSeconds < 3607) {
        warnings.push(
          `service-account-extend-token-expiration is true, in order to correctly trigger safe transition logic, service-account-max-token-expiration must be set longer than 3607 seconds (currently ${max})`
        )
      }
      if (maxExpirationSeconds < expirationExtensionSeconds) {
        warnings.push(
          `service-account-extend-token-expiration is true, enabling tokens valid up to ${expirationExtensionSeconds} seconds, which is longer than service-account-max-token-expiration set to ${max}`
        )
      }
    }
    const jwksUri = options.serviceAccountJwksUri
    if (jwksUri !== undefined && jwksUri !== "") {
      if (!URL.canParse(jwksUri)) {
        return yield* fail(`service-account-jwks-uri must be a valid URL: parse ${goQuote(jwksUri)}: invalid URL`)
      }
      if (new URL(jwksUri).protocol !== "https:") {
        return yield* fail(`service-account-jwks-uri requires https scheme, parsed as: ${jwksUri}`)
      }
    }

    // Store.
    const storeName = options.store ?? "memory"
    let store: StoreConfiguration
    if (storeName === "memory") {
      store = { _tag: "Memory" }
    } else if (storeName === "etcd") {
      const servers = (options.etcdServers ?? []).filter((s) => s !== "")
      if (servers.length === 0) return yield* fail("--etcd-servers must be specified")
      for (const server of servers) {
        if (!URL.canParse(server)) return yield* fail(`--etcd-servers: ${goQuote(server)} is not a URL`)
      }
      store = { _tag: "Etcd", servers, prefix: options.etcdPrefix ?? "/registry" }
    } else {
      return yield* fail(`--store: ${goQuote(storeName)} is not supported, want "memory" or "etcd"`)
    }

    // Authorization flags (checked before reading files, as upstream validates flags first).
    const requestedModes = parseModes(options.authorizationMode)
    const modeNames = requestedModes.length > 0 ? requestedModes : [options.tokenAuthFile === undefined ? "AlwaysAllow" : "ABAC"]
    const seenModes = new Set<string>()
    for (const mode of modeNames) {
      if (!(Authorization.modes as ReadonlyArray<string>).includes(mode)) {
        return yield* fail(
          `authorization-mode ${goQuote(mode)} is not a valid mode (valid modes: ${Authorization.modes.join(", ")})`
        )
      }
      if (seenModes.has(mode)) return yield* fail(`authorization-mode ${goQuote(mode)} has mode specified more than once`)
      seenModes.add(mode)
    }
    const authorizationModes = modeNames as Array<Authorization.Mode>
    if (authorizationModes.includes("ABAC") && options.authorizationPolicyFile === undefined) {
      return yield* fail("authorization-mode ABAC's authorization policy file not passed (--authorization-policy-file)")
    }
    if (!authorizationModes.includes("ABAC") && options.authorizationPolicyFile !== undefined) {
      return yield* fail("cannot specify --authorization-policy-file without mode ABAC")
    }

    // Files.
    const servingCertificate = options.tlsCertFile !== undefined && options.tlsPrivateKeyFile !== undefined
      ? yield* Effect.gen(function*() {
        const certificateText = yield* readText("--tls-cert-file", options.tlsCertFile!)
        const certificate = yield* pemCertificates("--tls-cert-file", options.tlsCertFile!, certificateText)
        const privateKey = yield* readText("--tls-private-key-file", options.tlsPrivateKeyFile!)
        try {
          const key = crypto.createPrivateKey(privateKey)
          const leaf = new crypto.X509Certificate(certificate.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----")
          if (!leaf.checkPrivateKey(key)) {
            return yield* fail(
              `--tls-private-key-file: ${options.tlsPrivateKeyFile}: private key does not match public key in ${options.tlsCertFile}`
            )
          }
        } catch (error) {
          return yield* fail(`--tls-private-key-file: ${options.tlsPrivateKeyFile}: ${(error as Error).message}`)
        }
        return { certificate, privateKey }
      })
      : undefined

    const clientCa = options.clientCaFile === undefined
      ? undefined
      : yield* Effect.flatMap(
        readText("--client-ca-file", options.clientCaFile),
        (text) => pemCertificates("--client-ca-file", options.clientCaFile!, text)
      )

    const tokenFile = options.tokenAuthFile === undefined
      ? undefined
      : yield* Effect.flatMap(readText("--token-auth-file", options.tokenAuthFile), (text) => {
        const parsed = TokenFile.parse(options.tokenAuthFile!, text)
        if ("error" in parsed) return fail(`--token-auth-file: ${parsed.error}`)
        return Effect.succeed(parsed)
      })
    if (tokenFile !== undefined) warnings.push(...tokenFile.warnings)

    const policies = options.authorizationPolicyFile === undefined
      ? []
      : yield* Effect.flatMap(readText("--authorization-policy-file", options.authorizationPolicyFile), (text) => {
        const parsed = Authorization.parsePolicyFile(options.authorizationPolicyFile!, text)
        if ("error" in parsed) return fail(`--authorization-policy-file: ${parsed.error}`)
        return Effect.succeed(parsed)
      })
    const authorizer = Authorization.union(authorizationModes.map((mode) =>
      mode === "AlwaysAllow" ? Authorization.alwaysAllow : mode === "AlwaysDeny" ? Authorization.alwaysDeny : Authorization.abac(policies)
    ))

    // Keys.
    const keyFiles = options.serviceAccountKeyFile ?? []
    let keys: KeyRing.KeySource
    let ephemeralKey = false
    if (signingEndpoint !== undefined) {
      const endpointErrors = SigningEndpoint.validate({
        endpoint: signingEndpoint,
        signingKeyFile: options.serviceAccountSigningKeyFile,
        keyFiles
      })
      if (endpointErrors.length > 0) return yield* fail(endpointErrors[0]!)
      keys = { _tag: "Pem" }
    } else if (options.serviceAccountSigningKeyFile !== undefined) {
      keys = { _tag: "Files", signingKeyFile: options.serviceAccountSigningKeyFile, keyFiles }
      yield* KeyRing.load(keys).pipe(Effect.mapError((error) => new ConfigurationError({ description: error.description })))
    } else {
      const texts = yield* Effect.forEach(keyFiles, (file) =>
        KeyFile.readVerificationKeys(file).pipe(
          Effect.mapError((error) =>
            new ConfigurationError({ description: `--service-account-key-file: ${error.description}` })
          ),
          Effect.zipRight(readText("--service-account-key-file", file))
        ))
      const signingKey = yield* SigningKey.generate("ES256")
      keys = { _tag: "Pem", signingKey, keys: [signingKey, ...texts] }
      ephemeralKey = true
      warnings.push(
        "no --service-account-signing-key-file: signing with an ephemeral ES256 key generated for this run; tokens will not verify after a restart"
      )
    }

    // Objects.
    const fromFiles = (options.objects ?? []).length > 0
      ? yield* ManifestLoader.load(options.objects!).pipe(
        Effect.mapError((error) => new ConfigurationError({ description: `--objects: ${error.message}` }))
      )
      : []
    const objects = [...fromFiles, ...(options.initialObjects ?? [])]

    // Authentication.
    const adminToken = tokenFile === undefined
      ? Redacted.make(options.adminToken ?? crypto.randomBytes(32).toString("base64url"))
      : undefined
    const anonymous = options.anonymousAuth === true

    const certDir = options.certDir === undefined || options.certDir === ""
      ? (servingCertificate === undefined && !plainHttp
        ? yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "tokenrequest-certs-")))
        : undefined)
      : options.certDir

    return {
      bindAddress,
      port,
      plainHttp,
      servingCertificate,
      certDir,
      temporaryCertDir: certDir !== undefined && certDir !== options.certDir,
      writeKubeconfig: options.writeKubeconfig === "" ? undefined : options.writeKubeconfig,
      clientCa,
      issuers,
      apiAudiences,
      maxExpirationSeconds,
      extendExpiration,
      jwksUri: jwksUri === "" ? undefined : jwksUri,
      keys,
      signingEndpoint,
      ephemeralKey,
      objects,
      store,
      tokenFile,
      adminToken,
      anonymous,
      authorizationModes,
      authorizer,
      auditLogPath: options.auditLogPath === "" ? undefined : options.auditLogPath,
      warnings
    }
  })
