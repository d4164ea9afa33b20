/**
 * Each conformance check fails against a server with its rule broken. The reference server runs in
 * process; a fault-injecting proxy in front of it breaks one rule at a time — by rewriting the
 * request (the server then applies a different rule), the answer (wrong defaults, messages, claims,
 * headers, keys) or by dropping deletions — and the suite must report exactly that check as failed.
 * Token payloads are rewritten without re-signing: only `keys.verify` looks at signatures, and it has
 * its own fault (a rotated JWKS).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Checks from "@tokenrequest/conformance/Checks"
import * as Suite from "@tokenrequest/conformance/Suite"
import * as Server from "@tokenrequest/server/Server"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

type Json = any

interface Exchange {
  method: string
  path: string
  body: Json
}

interface Answer {
  status: number
  headers: Record<string, string>
  body: Json
}

interface Fault {
  /** Rewrite the request body before the server sees it, or answer it directly. */
  readonly request?: (exchange: Exchange) => Json | { readonly answer: Answer }
  /** Rewrite the answer. */
  readonly response?: (exchange: Exchange, answer: Answer) => void
  /** Run against a server with a maximum expiration (the clamp check needs one). */
  readonly clamped?: boolean
}

const isToken = (e: Exchange) => e.method === "POST" && /\/serviceaccounts\/[^/]+\/token$/.test(e.path)
const isReview = (e: Exchange) => e.method === "POST" && e.path.endsWith("/tokenreviews")

const claimsOf = (token: string): Json => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"))

/** Rewrites the payload of the issued token (the signature no longer matches: only keys.verify checks it). */
const rewriteClaims = (answer: Answer, f: (claims: Json) => void) => {
  const token: string | undefined = answer.body?.status?.token
  if (answer.status !== 201 || typeof token !== "string") return
  const [h, , s] = token.split(".")
  const claims = claimsOf(token)
  f(claims)
  answer.body.status.token = `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`
}

const spec = (e: Exchange) => (e.body.spec ??= {})

const notFoundDetails: Fault = {
  response: (e, a) => {
    if (isToken(e) && a.status === 404) a.body.details = { ...a.body.details, kind: "objects" }
  }
}

const faults: Record<string, Fault> = {
  "discovery.openid-configuration": {
    response: (e, a) => {
      if (e.path === "/.well-known/openid-configuration") a.body.response_types_supported = ["code"]
    }
  },
  "discovery.jwks": {
    response: (e, a) => {
      if (e.path === "/openid/v1/jwks") a.headers["content-type"] = "application/json"
    }
  },
  "defaulting.expiration": {
    request: (e) => {
      if (isToken(e) && spec(e).expirationSeconds === undefined) spec(e).expirationSeconds = 7200
      return e.body
    }
  },
  "defaulting.audiences": {
    request: (e) => {
      if (isToken(e) && (spec(e).audiences ?? []).length === 0) spec(e).audiences = ["hard-coded-audience"]
      return e.body
    }
  },
  "defaulting.metadata": {
    response: (e, a) => {
      if (isToken(e) && a.status === 201) delete a.body.metadata.uid
    }
  },
  "validation.minimum": {
    request: (e) => {
      if (isToken(e) && spec(e).expirationSeconds === 599) spec(e).expirationSeconds = 600
      return e.body
    }
  },
  "validation.minimum-boundary": {
    request: (e) => {
      if (isToken(e) && spec(e).expirationSeconds === 600) spec(e).expirationSeconds = 599
      return e.body
    }
  },
  "validation.maximum-boundary": {
    request: (e) => {
      if (isToken(e) && spec(e).expirationSeconds === 2 ** 32) spec(e).expirationSeconds = 2 ** 32 + 1
      return e.body
    }
  },
  "validation.maximum": {
    request: (e) => {
      if (isToken(e) && spec(e).expirationSeconds === 2 ** 32 + 1) spec(e).expirationSeconds = 2 ** 32
      return e.body
    }
  },
  "validation.name-mismatch": {
    request: (e) => {
      if (isToken(e)) delete e.body.metadata?.name
      return e.body
    }
  },
  "validation.uid-mismatch": {
    request: (e) => {
      if (isToken(e)) delete e.body.metadata?.uid
      return e.body
    }
  },
  "errors.service-account-not-found": notFoundDetails,
  "expiration.timestamp": {
    response: (e, a) => {
      if (isToken(e) && a.status === 201) {
        a.body.status.expirationTimestamp = new Date((claimsOf(a.body.status.token).exp + 1) * 1000).toISOString().replace(".000Z", "Z")
      }
    }
  },
  "expiration.clamp": {
    clamped: true,
    response: (_e, a) => {
      delete a.headers["warning"]
    }
  },
  "expiration.extension": {
    response: (e, a) => {
      if (isToken(e)) rewriteClaims(a, (c) => delete c["kubernetes.io"].warnafter)
    }
  },
  "expiration.extension-conditions": {
    response: (e, a) => {
      if (isToken(e) && (e.body.spec?.audiences ?? []).includes("conformance-other-audience")) {
        rewriteClaims(a, (c) => {
          c.exp = c.iat + 31536000
          c["kubernetes.io"].warnafter = c.iat + 3607
        })
      }
    }
  },
  "audiences.explicit": {
    request: (e) => {
      if (isToken(e) && Array.isArray(spec(e).audiences)) spec(e).audiences = [...spec(e).audiences].sort()
      return e.body
    }
  },
  "audiences.single": {
    response: (e, a) => {
      if (isToken(e)) rewriteClaims(a, (c) => Array.isArray(c.aud) && c.aud.length === 1 && (c.aud = c.aud[0]))
    }
  },
  "claims.layout": {
    response: (e, a) => {
      if (isToken(e)) rewriteClaims(a, (c) => delete c.nbf)
    }
  },
  "binding.pod": {
    response: (e, a) => {
      if (isToken(e)) rewriteClaims(a, (c) => c["kubernetes.io"].pod && delete c["kubernetes.io"].node)
    }
  },
  "binding.secret": {
    response: (e, a) => {
      if (isToken(e)) rewriteClaims(a, (c) => c["kubernetes.io"].secret && (c["kubernetes.io"].secret.uid = "wrong"))
    }
  },
  "binding.node": {
    response: (e, a) => {
      if (isToken(e)) rewriteClaims(a, (c) => !c["kubernetes.io"].pod && c["kubernetes.io"].node && delete c["kubernetes.io"].node.uid)
    }
  },
  "binding.pod-not-found": notFoundDetails,
  "binding.secret-not-found": notFoundDetails,
  "binding.node-not-found": notFoundDetails,
  "binding.pod-other-service-account": {
    request: (e) => {
      if (isToken(e) && spec(e).boundObjectRef?.name === "conformance-other-pod") spec(e).boundObjectRef.name = "conformance-pod"
      return e.body
    }
  },
  ...Object.fromEntries(["pod", "secret", "node"].map((kind) => [`binding.${kind}-uid-mismatch`, {
    request: (e: Exchange) => {
      if (isToken(e) && spec(e).boundObjectRef?.uid?.endsWith("dead")) delete spec(e).boundObjectRef.uid
      return e.body
    }
  }])),
  "binding.unsupported-kind": {
    response: (e, a) => {
      if (isToken(e) && a.status === 400) a.body.message = String(a.body.message).replace("Kind=", "kind=")
    }
  },
  "binding.group-version": {
    request: (e) => {
      if (isToken(e) && spec(e).boundObjectRef?.apiVersion === "apps/v1") spec(e).boundObjectRef.apiVersion = "v1"
      return e.body
    }
  },
  "review.unbound": {
    response: (e, a) => {
      if (isReview(e) && a.body.status?.user?.groups) a.body.status.user.groups = a.body.status.user.groups.filter((g: string) => g !== "system:authenticated")
    }
  },
  "review.pod": {
    response: (e, a) => {
      if (isReview(e)) delete a.body.status?.user?.extra?.["authentication.kubernetes.io/pod-uid"]
    }
  },
  "review.secret-and-node": {
    response: (e, a) => {
      if (isReview(e)) delete a.body.status?.user?.extra?.["authentication.kubernetes.io/node-uid"]
    }
  },
  "review.audiences": {
    request: (e) => {
      if (isReview(e)) delete e.body.spec.audiences
      return e.body
    }
  },
  "review.invalid-token": {
    response: (e, a) => {
      if (isReview(e) && a.body.status?.error === "invalid bearer token") a.body.status.authenticated = false
    }
  },
  "review.bad-signature": {
    response: (e, a) => {
      if (isReview(e) && String(a.body.status?.error).includes("cryptographic")) a.body.status.error = "[invalid bearer token, signature invalid]"
    }
  },
  "review.unknown-key": {
    response: (e, a) => {
      if (isReview(e) && String(a.body.status?.error).includes("no keys found")) a.body.status.error = "invalid bearer token"
    }
  },
  "review.empty-token": {
    response: (e, a) => {
      if (isReview(e) && a.status === 400) a.body.reason = "Invalid"
    }
  },
  ...Object.fromEntries(["pods", "secrets"].map((resource) => [`review.${resource.slice(0, -1)}-deleted`, {
    request: (e: Exchange) =>
      e.method === "DELETE" && e.path.includes(`/${resource}/`)
        ? { answer: { status: 200, headers: { "content-type": "application/json" }, body: {} } }
        : e.body
  }])),
  "keys.verify": {
    response: (e, a) => {
      if (e.path === "/openid/v1/jwks") for (const key of a.body.keys) key.kid = `rotated-${key.kid}`
    }
  }
}

/** The checks a check relies on having run first. */
const dependencies = (id: string): Array<string> => [
  "discovery.",
  ...(id === "expiration.extension-conditions" ? ["expiration.extension"] : [])
]

const readBody = (req: http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = ""
    req.on("data", (c: Buffer) => (text += c.toString("utf8")))
    req.on("end", () => resolve(text))
  })

/** A proxy to `target` applying `fault()` (read per request). */
const proxy = (target: string, fault: () => Fault | undefined): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<http.Server>((resume) => {
      const server = http.createServer(async (req, res) => {
        const text = await readBody(req)
        const exchange: Exchange = { method: req.method!, path: req.url!, body: text === "" ? undefined : JSON.parse(text) }
        const f = fault()
        const rewritten = f?.request ? f.request(exchange) : exchange.body
        let answer: Answer
        if (rewritten !== undefined && rewritten !== null && typeof rewritten === "object" && "answer" in rewritten) {
          answer = rewritten.answer
        } else {
          const upstream = await fetch(target + req.url, {
            method: req.method!,
            headers: { authorization: String(req.headers.authorization ?? ""), "content-type": "application/json" },
            ...(rewritten !== undefined ? { body: JSON.stringify(rewritten) } : {})
          })
          const headers: Record<string, string> = {}
          upstream.headers.forEach((v, k) => {
            if (["content-type", "cache-control", "warning"].includes(k)) headers[k] = v
          })
          const body = await upstream.text()
          answer = { status: upstream.status, headers, body: body === "" ? undefined : JSON.parse(body) }
          f?.response?.(exchange, answer)
        }
        if (answer.body?.kind === "Status" && typeof answer.body.code === "number") answer.status = answer.body.code
        res.writeHead(answer.status, answer.headers)
        res.end(answer.body === undefined ? "" : JSON.stringify(answer.body))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`))

describe("each conformance check fails against a server with its rule broken", () => {
  it("there is a fault for every check", () => {
    assert.deepStrictEqual(Checks.all.map((c) => c.id).filter((id) => faults[id] === undefined), [])
  })

  it.live("the unbroken proxy passes, and every fault fails its check", () =>
    Effect.scoped(Effect.gen(function*() {
      const plain = yield* Server.start({ port: 0, insecurePlainHttp: true, adminToken: "admin-token" })
      const clamped = yield* Server.start({
        port: 0,
        insecurePlainHttp: true,
        adminToken: "admin-token",
        serviceAccountMaxTokenExpiration: "2h"
      })
      let current: Fault | undefined
      const viaPlain = yield* proxy(plain.url, () => current)
      const viaClamped = yield* proxy(clamped.url, () => current)

      const baseline = yield* Suite.run({ server: viaPlain, token: "admin-token" })
      assert.deepStrictEqual(baseline.results.filter((r) => r.outcome === "failed").map((r) => `${r.id}: ${r.message}`), [])

      const missed: Array<string> = []
      for (const check of Checks.all) {
        current = faults[check.id]!
        const report = yield* Suite.run({
          server: current.clamped ? viaClamped : viaPlain,
          token: "admin-token",
          only: [...dependencies(check.id), check.id],
          invalidationWaitMillis: 2_000
        })
        const result = report.results.find((r) => r.id === check.id)
        if (result?.outcome !== "failed") missed.push(`${check.id}: ${result?.outcome ?? "not run"} ${report.results.map((r) => r.id + "=" + r.outcome).join(",")}`)
        current = undefined
      }
      assert.deepStrictEqual(missed, [])
    })), 180_000)
})
