/**
 * The kubeconfig `--write-kubeconfig` writes: one cluster (the server URL and its CA), one user (the
 * admin bearer token), one current context, ready for kubectl and client libraries.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"

/**
 * @since 0.1.0
 * @category models
 */
export interface KubeconfigOptions {
  readonly server: string
  /** PEM of the CA that signed the serving certificate (the certificate itself when self-signed). */
  readonly certificateAuthority?: string | undefined
  readonly token?: string | undefined
  /** Context, cluster and user name; default `tokenrequest`. */
  readonly name?: string | undefined
  /** The context's namespace. */
  readonly namespace?: string | undefined
}

/**
 * The kubeconfig text (YAML is a superset of JSON; this writes the JSON form, which every client reads).
 *
 * @since 0.1.0
 * @category encoding
 */
export const render = (options: KubeconfigOptions): string => {
  const name = options.name ?? "tokenrequest"
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name,
      cluster: {
        server: options.server,
        ...(options.certificateAuthority === undefined
          ? {}
          : { "certificate-authority-data": Buffer.from(options.certificateAuthority).toString("base64") })
      }
    }],
    users: [{ name, user: options.token === undefined ? {} : { token: options.token } }],
    contexts: [{
      name,
      context: { cluster: name, user: name, ...(options.namespace === undefined ? {} : { namespace: options.namespace }) }
    }],
    "current-context": name,
    preferences: {}
  }
  return JSON.stringify(config, null, 2) + "\n"
}

/**
 * Writes the kubeconfig (mode 0600, directories created).
 *
 * @since 0.1.0
 * @category files
 */
export const write = async (file: string, options: KubeconfigOptions): Promise<void> => {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true })
  await fs.writeFile(file, render(options), { mode: 0o600 })
  await fs.chmod(file, 0o600)
}
