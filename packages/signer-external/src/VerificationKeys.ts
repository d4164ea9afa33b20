/**
 * The verification keys an external signer publishes through `FetchKeys`, as kube-apiserver's key
 * cache holds them (semantics §13.3): response validation with upstream's messages, key selection
 * by kid, signature verification pinned to each key's algorithm, the JWKS without the keys excluded
 * from OIDC discovery, change detection and the discovery cache age.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { JsonWebKeySet, SignedToken, Verification } from "@tokenrequest/domain/KeySet"
import type { SigningAlgorithm } from "@tokenrequest/domain/TokenSigner"
import * as VerificationKey from "@tokenrequest/signer-jose/VerificationKey"
import { checkTimestamp } from "./internal/goText.js"
import type { FetchKeysResponse } from "./Protocol.js"

/**
 * One key of the signer: the signer's key id (not recomputed), the public key, the algorithm its
 * type implies (`undefined` for key types Kubernetes never signs with), and the OIDC exclusion.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExternalKey {
  readonly keyId: string
  readonly publicKey: crypto.KeyObject
  readonly algorithm: SigningAlgorithm | undefined
  readonly excludeFromOidcDiscovery: boolean
}

/**
 * One accepted `FetchKeys` response: the keys in the signer's order, its data timestamp, and when
 * to fetch again (epoch milliseconds: fetch time + `refresh_hint_seconds`).
 *
 * @since 0.1.0
 * @category models
 */
export interface VerificationKeys {
  readonly keys: ReadonlyArray<ExternalKey>
  readonly dataTimestampMillis: number
  readonly nextRefreshHintMillis: number
}

/**
 * The state before the first fetch.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: VerificationKeys = { keys: [], dataTimestampMillis: 0, nextRefreshHintMillis: 0 }

/**
 * Validates a `FetchKeys` response fetched at `nowMillis`; any failure rejects the whole response
 * with upstream's text (`found invalid refresh hint (0s)`, `found no keys`, …).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromResponse = (response: FetchKeysResponse, nowMillis: number): Either.Either<VerificationKeys, string> => {
  if (response.refreshHintSeconds <= 0n) {
    return Either.left(`found invalid refresh hint (${response.refreshHintSeconds}s)`)
  }
  if (response.keys.length === 0) return Either.left("found no keys")
  const invalidTimestamp = checkTimestamp(response.dataTimestamp)
  if (invalidTimestamp !== undefined) return Either.left(`invalid data timestamp: ${invalidTimestamp}`)
  const keys: Array<ExternalKey> = []
  for (const key of response.keys) {
    if (key === undefined || key === null) return Either.left("found nil public key")
    if (key.keyId.length === 0 || Buffer.byteLength(key.keyId, "utf8") > 1024) {
      return Either.left(`found invalid public key id ${JSON.stringify(key.keyId)}`)
    }
    if (key.key.length === 0) return Either.left("found empty public key")
    let publicKey: crypto.KeyObject
    try {
      publicKey = crypto.createPublicKey({ key: Buffer.from(key.key), format: "der", type: "spki" })
    } catch (cause) {
      return Either.left(`while parsing external public keys: x509: ${cause instanceof Error ? cause.message : String(cause)}`)
    }
    keys.push({
      keyId: key.keyId,
      publicKey,
      algorithm: VerificationKey.fromKeyObject(publicKey)?.algorithm,
      excludeFromOidcDiscovery: key.excludeFromOidcDiscovery
    })
  }
  const timestamp = response.dataTimestamp!
  return Either.right({
    keys,
    dataTimestampMillis: Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6),
    nextRefreshHintMillis: nowMillis + Number(response.refreshHintSeconds) * 1000
  })
}

/**
 * Upstream's `findKeyForKeyID`: every key for `""`, the keys with that id otherwise; `None` when the
 * cache is empty or no key has the id (the caller then re-syncs once).
 *
 * @since 0.1.0
 * @category selection
 */
export const select = (keys: VerificationKeys, keyId: string): Option.Option<ReadonlyArray<ExternalKey>> => {
  if (keys.keys.length === 0) return Option.none()
  if (keyId === "") return Option.some(keys.keys)
  const found = keys.keys.filter((key) => key.keyId === keyId)
  return found.length > 0 ? Option.some(found) : Option.none()
}

/**
 * Verifies a token against candidate keys; each key accepts only its own algorithm.
 *
 * @since 0.1.0
 * @category verification
 */
export const verify = (candidates: ReadonlyArray<ExternalKey>, token: SignedToken): Verification => {
  if (candidates.length === 0) return "NoKeys"
  return candidates.some((key) =>
      key.algorithm !== undefined &&
      VerificationKey.verify({ algorithm: key.algorithm, keyId: key.keyId, publicKey: key.publicKey }, token)
    )
    ? "Verified"
    : "Failed"
}

/**
 * The JWKS of the keys not excluded from OIDC discovery, in the signer's order, each under the
 * signer's key id; a key of a type Kubernetes cannot publish fails with upstream's text.
 *
 * @since 0.1.0
 * @category jwks
 */
export const jwks = (keys: VerificationKeys): Either.Either<JsonWebKeySet, string> => {
  const published = keys.keys.filter((key) => !key.excludeFromOidcDiscovery)
  const out: Array<JsonWebKeySet["keys"][number]> = []
  for (const [index, key] of published.entries()) {
    if (key.algorithm === undefined) {
      return Either.left(
        `error constructing JWK for key #${index}: unknown public key type, must be *rsa.PublicKey, *ecdsa.PublicKey, or jose.OpaqueSigner`
      )
    }
    out.push(VerificationKey.toJwk({ algorithm: key.algorithm, keyId: key.keyId, publicKey: key.publicKey }))
  }
  return Either.right({ keys: out })
}

/**
 * Upstream's `keysChanged`: the data timestamp, the key count, the kid order or an exclusion flag
 * differ (key material itself is not compared).
 *
 * @since 0.1.0
 * @category comparison
 */
export const changed = (before: VerificationKeys, after: VerificationKeys): boolean =>
  before.dataTimestampMillis !== after.dataTimestampMillis ||
  before.keys.length !== after.keys.length ||
  before.keys.some((key, i) =>
    key.keyId !== after.keys[i]!.keyId || key.excludeFromOidcDiscovery !== after.keys[i]!.excludeFromOidcDiscovery
  )

/**
 * `GetCacheAgeMaxSeconds`: whole seconds until the next refresh hint, floored at 0.
 *
 * @since 0.1.0
 * @category discovery
 */
export const cacheMaxAgeSeconds = (keys: VerificationKeys, nowMillis: number): number =>
  Math.max(0, Math.trunc((keys.nextRefreshHintMillis - nowMillis) / 1000))
