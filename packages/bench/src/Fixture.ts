/**
 * What every benchmark shares: the issuer and audience both servers are configured with, the
 * ServiceAccount tokens are issued for, the request bodies, and freshly generated signing keys
 * written to a temporary directory (the same key file is given to our server and to the baseline).
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"

/**
 * The algorithms benchmarked.
 *
 * @since 0.1.0
 * @category models
 */
export type Algorithm = "ES256" | "RS256"

/**
 * @since 0.1.0
 * @category constants
 */
export const algorithms: ReadonlyArray<Algorithm> = ["ES256", "RS256"]

/**
 * The issuer (and, by default, the API audience) of both servers.
 *
 * @since 0.1.0
 * @category constants
 */
export const issuer = "https://bench.tokenrequest.invalid"

/**
 * The static admin bearer token both servers accept.
 *
 * @since 0.1.0
 * @category constants
 */
export const adminToken = "bench-admin-token-0123456789abcdef"

/**
 * The ServiceAccount tokens are issued for.
 *
 * @since 0.1.0
 * @category constants
 */
export const serviceAccount = { namespace: "default", name: "default" } as const

/**
 * `POST` path of the TokenRequest.
 *
 * @since 0.1.0
 * @category constants
 */
export const tokenPath = `/api/v1/namespaces/${serviceAccount.namespace}/serviceaccounts/${serviceAccount.name}/token`

/**
 * `POST` path of the TokenReview.
 *
 * @since 0.1.0
 * @category constants
 */
export const reviewPath = "/apis/authentication.k8s.io/v1/tokenreviews"

/**
 * The TokenRequest body: the API audience, one hour, no bound object.
 *
 * @since 0.1.0
 * @category constants
 */
export const tokenRequestBody = JSON.stringify({
  apiVersion: "authentication.k8s.io/v1",
  kind: "TokenRequest",
  spec: { audiences: [issuer], expirationSeconds: 3600 }
})

/**
 * The TokenReview body for a token (audiences defaulted to the API audiences).
 *
 * @since 0.1.0
 * @category constructors
 */
export const tokenReviewBody = (token: string): string =>
  JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } })

/**
 * Request headers: JSON and the admin bearer token.
 *
 * @since 0.1.0
 * @category constants
 */
export const headers: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  accept: "application/json",
  authorization: `Bearer ${adminToken}`
}

/**
 * Signing keys on disk, one file per algorithm.
 *
 * @since 0.1.0
 * @category models
 */
export interface Keys {
  readonly directory: string
  readonly files: Readonly<Record<Algorithm, string>>
  readonly pems: Readonly<Record<Algorithm, string>>
}

/**
 * Generates an ES256 (SEC1) and an RS256 (PKCS#1, 2048 bits) key into a new temporary directory.
 *
 * @since 0.1.0
 * @category constructors
 */
export const generateKeys = async (): Promise<Keys> => {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "tokenrequest-bench-"))
  const ec = crypto.generateKeyPairSync("ec", {
    namedCurve: "prime256v1",
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "sec1", format: "pem" }
  }).privateKey
  const rsa = crypto.generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" }
  }).privateKey
  const files = { ES256: path.join(directory, "es256.key"), RS256: path.join(directory, "rs256.key") }
  await fs.writeFile(files.ES256, ec, { mode: 0o600 })
  await fs.writeFile(files.RS256, rsa, { mode: 0o600 })
  return { directory, files, pems: { ES256: ec, RS256: rsa } }
}

/**
 * Removes the key directory.
 *
 * @since 0.1.0
 * @category destructors
 */
export const removeKeys = (keys: Keys): Promise<void> => fs.rm(keys.directory, { recursive: true, force: true })
