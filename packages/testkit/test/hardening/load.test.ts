/**
 * Load on loopback with autocannon: sustained TokenRequest issuance and TokenReview at 64
 * connections, against the in-process token API and the reference server. Zero transport errors,
 * zero timeouts, zero non-2xx answers; every review authenticates; a sample of the issued tokens
 * verifies with an independent JOSE implementation (`jose`) given only the JWKS the server publishes.
 *
 * Each run lasts `HARDENING_LOAD_SECONDS` (default 3 s); set it higher for a soak.
 */
import { assert, describe, layer } from "@effect/vitest"
import autocannon from "autocannon"
import { Effect } from "effect"
import * as jose from "jose"
import { App, issuer, ports, Reference, referenceServer, reviewPath, serveApp, tokenPath } from "./fixtures.js"

const seconds = Number(process.env["HARDENING_LOAD_SECONDS"] ?? 3)
const connections = Number(process.env["HARDENING_LOAD_CONNECTIONS"] ?? 64)
const testTimeout = Math.max(60_000, (seconds * 2 + 30) * 1000)

interface Outcome {
  readonly result: autocannon.Result
  readonly sample: ReadonlyArray<string>
  readonly unauthenticated: number
}

const run = (options: autocannon.Options): Promise<autocannon.Result> =>
  new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)))
    void instance
  })

/** Issuance at `connections` for `seconds`, keeping every 25th token (up to 200). */
const issue = async (url: string, headers: Record<string, string>): Promise<Outcome> => {
  const sample: Array<string> = []
  let seen = 0
  const result = await run({
    url,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [{
      method: "POST",
      path: tokenPath(),
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ spec: { audiences: [issuer, "https://vault.example"], expirationSeconds: 3600 } }),
      onResponse: (status: number, body: string) => {
        seen++
        if (status === 201 && seen % 25 === 0 && sample.length < 200) sample.push(JSON.parse(body).status.token)
      }
    }]
  })
  return { result, sample, unauthenticated: 0 }
}

/** Review of the given tokens in turn at `connections` for `seconds`; counts unauthenticated answers. */
const review = async (url: string, headers: Record<string, string>, tokens: ReadonlyArray<string>): Promise<Outcome> => {
  let next = 0
  let unauthenticated = 0
  const result = await run({
    url,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [{
      method: "POST",
      path: reviewPath,
      headers: { "content-type": "application/json", ...headers },
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({ spec: { token: tokens[next++ % tokens.length] } })
      }),
      onResponse: (status: number, body: string) => {
        if (status !== 201 || JSON.parse(body).status?.authenticated !== true) unauthenticated++
      }
    }]
  })
  return { result, sample: [], unauthenticated }
}

const assertClean = (label: string, outcome: Outcome) => {
  const { result } = outcome
  const summary = `${label}: ${result.requests.total} requests, ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`
  console.info(`${summary}, ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms`)
  assert.isAbove(result.requests.total, connections, summary)
  assert.strictEqual(result.errors, 0, summary)
  assert.strictEqual(result.timeouts, 0, summary)
  assert.strictEqual(result.non2xx, 0, summary)
  assert.strictEqual(outcome.unauthenticated, 0, summary)
}

/** Verifies the sample with jose and nothing but the published JWKS. */
const verifySample = async (baseUrl: string, sample: ReadonlyArray<string>) => {
  assert.isAtLeast(sample.length, 5, "sampled enough tokens")
  const published = await (await fetch(`${baseUrl}/openid/v1/jwks`, { signal: AbortSignal.timeout(10_000) })).json()
  const keySet = jose.createLocalJWKSet(published as jose.JSONWebKeySet)
  for (const token of sample) {
    const { payload, protectedHeader } = await jose.jwtVerify(token, keySet, {
      issuer,
      audience: "https://vault.example",
      algorithms: ["ES256"]
    })
    assert.strictEqual(protectedHeader.alg, "ES256")
    assert.strictEqual(payload.sub, "system:serviceaccount:default:builder")
    assert.strictEqual(payload.exp! - payload.iat!, 3600)
  }
}

describe("load: in-process token API", () => {
  layer(serveApp(ports()), { timeout: 30_000, excludeTestServices: true })((it) => {
    it.effect(`issuance then review at ${connections} connections for ${seconds} s each: no errors, tokens verify with jose`, () =>
      Effect.gen(function*() {
        const { url } = yield* App
        const issued = yield* Effect.promise(() => issue(url, {}))
        assertClean("issuance", issued)
        yield* Effect.promise(() => verifySample(url, issued.sample))
        const reviewed = yield* Effect.promise(() => review(url, {}, issued.sample))
        assertClean("review", reviewed)
      }), testTimeout)
  })
})

describe("load: reference server (authenticated, authorized)", () => {
  layer(referenceServer(), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect(`issuance then review at ${connections} connections for ${seconds} s each: no errors, tokens verify with jose`, () =>
      Effect.gen(function*() {
        const { adminToken, url } = yield* Reference
        const headers = { authorization: `Bearer ${adminToken}` }
        const issued = yield* Effect.promise(() => issue(url, headers))
        assertClean("issuance", issued)
        yield* Effect.promise(() => verifySample(url, issued.sample))
        // the issued tokens are API credentials too: review with them as the caller
        const reviewed = yield* Effect.promise(() => review(url, { authorization: `Bearer ${issued.sample[0]}` }, issued.sample))
        assertClean("review", reviewed)
      }), testTimeout)
  })
})
