/**
 * The baseline: the least a TokenRequest/TokenReview server can do, written directly on `node:http`
 * and `node:crypto`. It parses the same JSON, checks the same static bearer token, builds the same
 * claims in the same layout (go-jose's sorted keys, whole-second NumericDates, a UUID `jti`), signs
 * with the same key, and answers the same object shapes; on review it verifies the signature, the
 * issuer, the audiences, the time window with 60 s leeway and the ServiceAccount's UID. Everything
 * our server adds on top (routing, schemas, Effect, authorization, metrics) shows as the difference.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http"
import type { Algorithm } from "./Fixture.js"

/**
 * A signing key prepared once: the key object, its public half and the encoded JWS header.
 *
 * @since 0.1.0
 * @category models
 */
export interface Key {
  readonly algorithm: Algorithm
  readonly keyId: string
  readonly privateKey: crypto.KeyObject
  readonly publicKey: crypto.KeyObject
  readonly encodedHeader: string
}

/**
 * Prepares a PEM private key: the key id is base64url(SHA-256(DER SPKI)), as Kubernetes computes it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeKey = (algorithm: Algorithm, pem: string): Key => {
  const privateKey = crypto.createPrivateKey(pem)
  const publicKey = crypto.createPublicKey(privateKey)
  const keyId = crypto.createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("base64url")
  const encodedHeader = Buffer.from(`{"alg":"${algorithm}","kid":"${keyId}"}`).toString("base64url")
  return { algorithm, keyId, privateKey, publicKey, encodedHeader }
}

/**
 * Signs a payload text: `header.payload.signature` (ECDSA as raw `R||S`).
 *
 * @since 0.1.0
 * @category signing
 */
export const sign = (key: Key, payload: string): string => {
  const input = `${key.encodedHeader}.${Buffer.from(payload).toString("base64url")}`
  const signature = key.algorithm === "RS256"
    ? crypto.sign("sha256", Buffer.from(input), key.privateKey)
    : crypto.sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" })
  return `${input}.${signature.toString("base64url")}`
}

/**
 * Verifies a compact JWS with the key; returns the payload JSON text, or `undefined`.
 *
 * @since 0.1.0
 * @category verification
 */
export const verify = (key: Key, token: string): string | undefined => {
  const first = token.indexOf(".")
  const second = token.indexOf(".", first + 1)
  if (first < 0 || second < 0 || token.indexOf(".", second + 1) >= 0) return undefined
  let header: { alg?: unknown; kid?: unknown }
  try {
    header = JSON.parse(Buffer.from(token.slice(0, first), "base64url").toString())
  } catch {
    return undefined
  }
  if (header.alg !== key.algorithm || (header.kid !== undefined && header.kid !== key.keyId)) return undefined
  const data = Buffer.from(token.slice(0, second))
  const signature = Buffer.from(token.slice(second + 1), "base64url")
  const ok = key.algorithm === "RS256"
    ? crypto.verify("sha256", data, key.publicKey, signature)
    : crypto.verify("sha256", data, { key: key.publicKey, dsaEncoding: "ieee-p1363" }, signature)
  return ok ? Buffer.from(token.slice(first + 1, second), "base64url").toString() : undefined
}

/**
 * What the baseline serves: one key, issuer, API audiences, ServiceAccounts by `namespace/name`
 * (their UIDs) and the static admin token.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly key: Key
  readonly issuer: string
  readonly apiAudiences: ReadonlyArray<string>
  readonly serviceAccounts: ReadonlyMap<string, string>
  readonly adminToken: string
}

const rfc3339 = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")

/**
 * Issues a token as our server does for an unbound request: the claims in go-jose's layout (keys
 * sorted at every level), then the signature. Returns the TokenRequest answer object.
 *
 * @since 0.1.0
 * @category programs
 */
export const issue = (
  options: Options,
  namespace: string,
  name: string,
  uid: string,
  body: { readonly spec?: { readonly audiences?: ReadonlyArray<string>; readonly expirationSeconds?: number } },
  nowSeconds: number
) => {
  const audiences = body.spec?.audiences !== undefined && body.spec.audiences.length > 0
    ? body.spec.audiences
    : options.apiAudiences
  const expirationSeconds = body.spec?.expirationSeconds ?? 3600
  const payload = JSON.stringify({
    aud: audiences,
    exp: nowSeconds + expirationSeconds,
    iat: nowSeconds,
    iss: options.issuer,
    jti: crypto.randomUUID(),
    "kubernetes.io": { namespace, serviceaccount: { name, uid } },
    nbf: nowSeconds,
    sub: `system:serviceaccount:${namespace}:${name}`
  })
  return {
    kind: "TokenRequest",
    apiVersion: "authentication.k8s.io/v1",
    metadata: { name, namespace, uid, creationTimestamp: rfc3339(nowSeconds) },
    spec: { audiences, expirationSeconds, boundObjectRef: null },
    status: { token: sign(options.key, payload), expirationTimestamp: rfc3339(nowSeconds + expirationSeconds) }
  }
}

/**
 * Reviews a token: signature, issuer, audiences, time window (60 s leeway), ServiceAccount UID.
 * Returns the TokenReview `status`.
 *
 * @since 0.1.0
 * @category programs
 */
export const review = (
  options: Options,
  token: string,
  requested: ReadonlyArray<string>,
  nowSeconds: number
): Record<string, unknown> => {
  const unauthenticated = (error: string) => ({ authenticated: false, user: {}, error })
  const payload = verify(options.key, token)
  if (payload === undefined) return unauthenticated("invalid bearer token")
  const claims = JSON.parse(payload) as {
    iss?: string
    aud?: Array<string> | string
    exp?: number
    nbf?: number
    iat?: number
    jti?: string
    "kubernetes.io"?: { namespace?: string; serviceaccount?: { name?: string; uid?: string } }
  }
  if (claims.iss !== options.issuer) return unauthenticated("[invalid bearer token, token issuer is invalid]")
  const tokenAudiences = claims.aud === undefined ? options.apiAudiences : typeof claims.aud === "string" ? [claims.aud] : claims.aud
  const audiences = requested.filter((a) => tokenAudiences.includes(a))
  if (audiences.length === 0) return unauthenticated("[invalid bearer token, token audiences are invalid]")
  if (
    (claims.nbf !== undefined && nowSeconds + 60 < claims.nbf) ||
    (claims.exp !== undefined && nowSeconds - 60 > claims.exp) ||
    (claims.iat !== undefined && nowSeconds + 60 < claims.iat)
  ) {
    return unauthenticated("[invalid bearer token, service account token has expired]")
  }
  const namespace = claims["kubernetes.io"]?.namespace ?? ""
  const name = claims["kubernetes.io"]?.serviceaccount?.name ?? ""
  const uid = claims["kubernetes.io"]?.serviceaccount?.uid ?? ""
  if (options.serviceAccounts.get(`${namespace}/${name}`) !== uid) {
    return unauthenticated("[invalid bearer token, service account has been deleted]")
  }
  return {
    authenticated: true,
    user: {
      username: `system:serviceaccount:${namespace}:${name}`,
      uid,
      groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
      ...(claims.jti !== undefined ? { extra: { "authentication.kubernetes.io/credential-id": [`JTI=${claims.jti}`] } } : {})
    },
    audiences
  }
}

const tokenPath = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/

const answer = (res: ServerResponse, code: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

const status = (code: number, reason: string, message: string) => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message,
  reason,
  code
})

const readJson = (req: IncomingMessage, limit: number): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new Error("request entity too large"))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString()))
      } catch (error) {
        reject(error)
      }
    })
    req.on("error", reject)
  })

/**
 * The baseline's request listener: the two token endpoints, a bearer-token check, and `Status`
 * answers for the rest.
 *
 * @since 0.1.0
 * @category constructors
 */
export const listener = (options: Options): RequestListener => (req, res) => {
  if (req.headers.authorization !== `Bearer ${options.adminToken}`) {
    answer(res, 401, status(401, "Unauthorized", "Unauthorized"))
    return
  }
  const path = req.url ?? "/"
  const match = req.method === "POST" ? tokenPath.exec(path) : null
  const isReview = req.method === "POST" && path === "/apis/authentication.k8s.io/v1/tokenreviews"
  if (match === null && !isReview) {
    answer(res, 404, status(404, "NotFound", "the server could not find the requested resource"))
    return
  }
  readJson(req, 3 * 1024 * 1024).then(
    (body) => {
      const object = body as {
        kind?: string
        spec?: { token?: string; audiences?: Array<string>; expirationSeconds?: number }
      }
      const nowSeconds = Math.floor(Date.now() / 1000)
      if (match !== null) {
        const [, namespace, name] = match as unknown as [string, string, string]
        const uid = options.serviceAccounts.get(`${namespace}/${name}`)
        if (uid === undefined) {
          answer(res, 404, status(404, "NotFound", `serviceaccounts "${name}" not found`))
          return
        }
        answer(res, 201, issue(options, namespace, name, uid, object, nowSeconds))
        return
      }
      const token = object.spec?.token ?? ""
      if (token === "") {
        answer(res, 400, status(400, "BadRequest", "token is required for TokenReview in authentication"))
        return
      }
      const requested = object.spec?.audiences !== undefined && object.spec.audiences.length > 0
        ? object.spec.audiences
        : options.apiAudiences
      answer(res, 201, {
        kind: "TokenReview",
        apiVersion: "authentication.k8s.io/v1",
        metadata: { creationTimestamp: null },
        spec: object.spec,
        status: review(options, token, requested, nowSeconds)
      })
    },
    () => answer(res, 400, status(400, "BadRequest", "the request body could not be decoded"))
  )
}
