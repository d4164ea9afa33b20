/**
 * `tokenrequest serve`: the reference server with every flag of CONTRACT §3 (kube-apiserver names and
 * defaults). A thin wrapper over `@tokenrequest/server/Server.serve`: a bad flag, file or key ends the
 * start with one line on stderr and exit code 2 (the error carries `exitCode: 2`), nothing served.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Option from "effect/Option"
import * as Server from "@tokenrequest/server/Server"
import * as Workers from "@tokenrequest/server/Workers"
import * as Argv from "./internal/argv.js"

const text = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.optional)

const repeated = (name: string, description: string) =>
  Options.text(name).pipe(Options.withDescription(description), Options.repeated)

// `Options.boolean` reads `--flag`, `--flag true` and `--flag=false` but cannot tell an absent flag from
// `--flag=false`; a flag whose default is true looks at the arguments to tell.
const given = (name: string) => process.argv.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`))

const flag = (name: string, description: string, fallback: boolean) =>
  Options.boolean(name).pipe(
    Options.withDescription(`${description} (default ${fallback})`),
    Options.map((value) => (value === false && fallback && !given(name) ? true : value))
  )

const value = (option: Option.Option<string>): string | undefined =>
  Option.match(option, { onNone: () => undefined, onSome: Argv.valueOf })

const list = (values: ReadonlyArray<string>): Array<string> => values.map(Argv.valueOf)

const commaList = (values: ReadonlyArray<string>): Array<string> =>
  values.flatMap((v) => Argv.valueOf(v).split(",")).map((v) => v.trim()).filter((v) => v !== "")

/**
 * The flags of `tokenrequest serve`.
 *
 * @since 0.1.0
 * @category options
 */
export const options = {
  bindAddress: text("bind-address", "The IP address on which to listen (default 127.0.0.1)"),
  port: Options.integer("port").pipe(
    Options.withDescription("The port on which to serve HTTPS; 0 picks a free port"),
    Options.withDefault(6443)
  ),
  tlsCertFile: text(
    "tls-cert-file",
    "File containing the x509 serving certificate (chain); default a self-signed certificate generated into --cert-dir"
  ),
  tlsPrivateKeyFile: text("tls-private-key-file", "File containing the x509 private key matching --tls-cert-file"),
  certDir: text("cert-dir", "The directory where a generated serving certificate is kept (default a temporary directory)"),
  insecurePlainHttp: flag(
    "insecure-plain-http",
    "Serve plain HTTP instead of HTTPS (embedding tests, benchmarks); refused with a non-loopback --bind-address",
    false
  ),
  writeKubeconfig: text("write-kubeconfig", "Write a kubeconfig (server URL, CA, admin token) to this file"),
  clientCaFile: text(
    "client-ca-file",
    "Authenticate client certificates signed by one of these CAs (CN = user name, O = groups)"
  ),
  serviceAccountIssuer: repeated(
    "service-account-issuer",
    "Issuer of service account tokens (repeatable: the first signs, all are accepted); default the server's URL"
  ),
  apiAudiences: repeated("api-audiences", "Comma-separated API audiences; default the issuers"),
  serviceAccountSigningKeyFile: text(
    "service-account-signing-key-file",
    "PEM private key (PKCS#1, PKCS#8, SEC1) that signs tokens; default an ephemeral ES256 key"
  ),
  serviceAccountKeyFile: repeated(
    "service-account-key-file",
    "PEM public keys, private keys or certificates that verify tokens (repeatable); default the signing key"
  ),
  serviceAccountSigningEndpoint: text(
    "service-account-signing-endpoint",
    "Unix socket (path or @name) of an external signer (ExternalJWTSigner); exclusive with the key-file flags"
  ),
  serviceAccountMaxTokenExpiration: text(
    "service-account-max-token-expiration",
    "Maximum validity of requested tokens, a Go duration (48h, 1h30m); 0 means no cap"
  ),
  serviceAccountExtendTokenExpiration: flag(
    "service-account-extend-token-expiration",
    "Extend 3607-second Pod-bound tokens to one year, with a warnafter claim",
    true
  ),
  serviceAccountJwksUri: text(
    "service-account-jwks-uri",
    "The jwks_uri advertised in OIDC discovery (https); default <issuer>/openid/v1/jwks"
  ),
  objects: repeated(
    "objects",
    "YAML/JSON manifests of ServiceAccount, Pod, Secret, Node, Namespace loaded at start (repeatable)"
  ),
  store: text("store", "Object store: memory or etcd (default memory)"),
  etcdServers: repeated("etcd-servers", "Comma-separated etcd URLs (with --store etcd)"),
  etcdPrefix: text("etcd-prefix", "Key prefix in etcd (default /registry)"),
  tokenAuthFile: text(
    "token-auth-file",
    "Static token file (CSV: token,user,uid,\"group1,group2\"); default a random admin token, printed"
  ),
  anonymousAuth: flag("anonymous-auth", "Let requests without credentials in as system:anonymous", false),
  authorizationMode: repeated(
    "authorization-mode",
    "Comma-separated: AlwaysAllow, AlwaysDeny, ABAC (default AlwaysAllow, or ABAC with --token-auth-file)"
  ),
  authorizationPolicyFile: text("authorization-policy-file", "ABAC policy file (one JSON policy per line)"),
  auditLogPath: text(
    "audit-log-path",
    "Append one JSON line per TokenRequest, TokenReview and failed authentication to this file (created 0600; never the tokens)"
  ),
  workers: Options.integer("workers").pipe(
    Options.withDescription(
      "Serve from this many worker processes sharing the port, keys and objects (node:cluster); 1 serves from this process"
    ),
    Options.withDefault(1)
  )
}

/**
 * The parsed flags as server options.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toServerOptions = (
  parsed: Command.Command.ParseConfig<typeof options>
): Server.Options => ({
  bindAddress: value(parsed.bindAddress),
  port: parsed.port,
  tlsCertFile: value(parsed.tlsCertFile),
  tlsPrivateKeyFile: value(parsed.tlsPrivateKeyFile),
  certDir: value(parsed.certDir),
  insecurePlainHttp: parsed.insecurePlainHttp,
  writeKubeconfig: value(parsed.writeKubeconfig),
  clientCaFile: value(parsed.clientCaFile),
  serviceAccountIssuer: list(parsed.serviceAccountIssuer),
  apiAudiences: commaList(parsed.apiAudiences),
  serviceAccountSigningKeyFile: value(parsed.serviceAccountSigningKeyFile),
  serviceAccountKeyFile: list(parsed.serviceAccountKeyFile),
  serviceAccountSigningEndpoint: value(parsed.serviceAccountSigningEndpoint),
  serviceAccountMaxTokenExpiration: value(parsed.serviceAccountMaxTokenExpiration),
  serviceAccountExtendTokenExpiration: parsed.serviceAccountExtendTokenExpiration,
  serviceAccountJwksUri: value(parsed.serviceAccountJwksUri),
  objects: list(parsed.objects),
  store: value(parsed.store),
  etcdServers: commaList(parsed.etcdServers),
  etcdPrefix: value(parsed.etcdPrefix),
  tokenAuthFile: value(parsed.tokenAuthFile),
  anonymousAuth: parsed.anonymousAuth,
  authorizationMode: commaList(parsed.authorizationMode),
  authorizationPolicyFile: value(parsed.authorizationPolicyFile),
  auditLogPath: value(parsed.auditLogPath)
})

/**
 * `tokenrequest serve`.
 *
 * @since 0.1.0
 * @category commands
 */
export const serveCommand = Command.make("serve", options, (parsed) => Workers.serve(toServerOptions(parsed), parsed.workers)).pipe(
  Command.withDescription(
    "Run the reference server: the TokenRequest, TokenReview and OIDC discovery endpoints plus enough of the Kubernetes API for kubectl"
  )
)
