/**
 * The token attack corpus. Each attack is run against TokenReview on the in-process token API
 * (201, `status.authenticated` absent, the exact upstream `status.error`), and against the reference
 * server both through its TokenReview endpoint and as the bearer token of an ordinary API request
 * (401 `Unauthorized`). Controls (a genuine token, tokens within the 60 s leeway) must pass both ways.
 */
import { assert, describe, layer } from "@effect/vitest"
import type { KubeObject } from "@tokenrequest/domain"
import * as KeyRing from "@tokenrequest/signer-jose/KeyRing"
import { Effect, FastCheck as fc, Layer } from "effect"
import * as crypto from "node:crypto"
import {
  App,
  b64,
  decodePart,
  foreign,
  foreignRsa,
  issuer,
  ports,
  postJson,
  rawRequest,
  Reference,
  referenceServer,
  resign,
  reviewPath,
  second,
  serveApp,
  sign,
  signing,
  tokenPath
} from "./fixtures.js"

/** What an attack needs from a server under test. */
interface Target {
  /** Issues a token for default/<sa> with the given TokenRequest spec. */
  readonly issue: (serviceAccount: string, spec?: Record<string, unknown>) => Promise<string>
  /** Reviews a token: the TokenReview `status`. */
  readonly review: (token: string, audiences?: ReadonlyArray<string>) => Promise<Record<string, any>>
  /** Creates an object; its uid. */
  readonly create: (object: KubeObject.KubeObject) => Promise<string>
  readonly remove: (kind: KubeObject.ObjectKind, namespace: string, name: string) => Promise<void>
  /** The HTTP status of an API request authenticated with the token (reference server only). */
  readonly apiStatus?: (authorization: Buffer | string) => Promise<number>
}

const invalid = "invalid bearer token"
const handled = (message: string) => `[${invalid}, ${message}]`
const primitive = handled("go-jose/go-jose: error in cryptographic primitive")
const now = () => Math.floor(Date.now() / 1000)

let counter = 0
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`

interface Attack {
  readonly name: string
  /** The token, and the exact `status.error` (or `"authenticated"` for a control). */
  readonly run: (target: Target) => Promise<{ readonly token: string; readonly expected: string; readonly audiences?: ReadonlyArray<string> }>
}

const flipByte = (segment: string, index: number) => {
  const bytes = Buffer.from(segment, "base64url")
  bytes[index] = bytes[index]! ^ 0x01
  return b64(bytes)
}

const withParts = (token: string, edit: (parts: Array<string>) => Array<string>) => edit(token.split(".")).join(".")

const attacks: ReadonlyArray<Attack> = [
  {
    name: "control: a genuine token is authenticated",
    run: async (t) => ({ token: await t.issue("builder"), expected: "authenticated" })
  },
  {
    name: "alg none with an empty signature",
    run: async (t) => {
      const token = await t.issue("builder")
      return { token: sign({ alg: "none", kid: signing.kid }, decodePart(token, 1), Buffer.alloc(0)), expected: primitive }
    }
  },
  {
    name: "alg none without a kid",
    run: async (t) => {
      const token = await t.issue("builder")
      return { token: sign({ alg: "none" }, decodePart(token, 1), Buffer.alloc(0)), expected: primitive }
    }
  },
  {
    name: "HS256 signed with the public key (PEM and DER) as the HMAC secret",
    run: async (t) => {
      const claims = decodePart(await t.issue("builder"), 1)
      const pem = sign({ alg: "HS256", kid: signing.kid }, claims, Buffer.from(signing.publicPem))
      return { token: pem, expected: primitive }
    }
  },
  {
    name: "HS256 with the DER public key as the secret",
    run: async (t) => {
      const claims = decodePart(await t.issue("builder"), 1)
      const der = crypto.createPublicKey(signing.publicPem).export({ type: "spki", format: "der" })
      return { token: sign({ alg: "HS256", kid: signing.kid }, claims, der), expected: primitive }
    }
  },
  {
    name: "an ES256 token relabelled RS256 (signature kept)",
    run: async (t) => {
      const token = await t.issue("builder")
      return {
        token: withParts(token, ([, payload, signature]) => [b64(JSON.stringify({ alg: "RS256", kid: signing.kid })), payload!, signature!]),
        expected: primitive
      }
    }
  },
  {
    name: "RS256 signed with a foreign RSA key, labelled with our EC key's kid",
    run: async (t) => {
      const claims = decodePart(await t.issue("builder"), 1)
      return { token: sign({ alg: "RS256", kid: signing.kid }, claims, foreignRsa.privateKey), expected: primitive }
    }
  },
  {
    name: "ES384 label on an ES256 key",
    run: async (t) => {
      const claims = decodePart(await t.issue("builder"), 1)
      return { token: sign({ alg: "ES384", kid: signing.kid }, claims, signing.privateKey), expected: primitive }
    }
  },
  {
    name: "tampered header (an extra member, signature kept)",
    run: async (t) => {
      const token = await t.issue("builder")
      return {
        token: withParts(token, ([, payload, signature]) => [b64(JSON.stringify({ alg: "ES256", kid: signing.kid, typ: "JWT" })), payload!, signature!]),
        expected: primitive
      }
    }
  },
  {
    name: "tampered payload (one character of sub changed, signature kept)",
    run: async (t) => {
      const token = await t.issue("builder")
      const claims = decodePart(token, 1)
      claims.sub = claims.sub.replace("builder", "builded")
      return { token: withParts(token, ([header, , signature]) => [header!, b64(JSON.stringify(claims)), signature!]), expected: primitive }
    }
  },
  {
    name: "tampered signature (one bit of one byte)",
    run: async (t) => {
      const token = await t.issue("builder")
      return { token: withParts(token, ([header, payload, signature]) => [header!, payload!, flipByte(signature!, 10)]), expected: primitive }
    }
  },
  {
    name: "truncated signature",
    run: async (t) => {
      const token = await t.issue("builder")
      return { token: token.slice(0, -8), expected: primitive }
    }
  },
  {
    name: "unknown kid",
    run: async (t) => ({ token: resign(await t.issue("builder"), (c) => c, { kid: "no-such-key" }), expected: handled("invalid signature, no keys found") })
  },
  {
    name: "colliding kid: signed by our key, labelled with the other trusted key's kid",
    run: async (t) => ({ token: resign(await t.issue("builder"), (c) => c, { kid: second.kid }), expected: primitive })
  },
  {
    name: "foreign key with the right kid",
    run: async (t) => {
      const claims = decodePart(await t.issue("builder"), 1)
      return { token: sign({ alg: "ES256", kid: signing.kid }, claims, foreign.privateKey), expected: primitive }
    }
  },
  {
    name: "foreign key without a kid (every trusted key is tried, none verifies)",
    run: async (t) => {
      const claims = decodePart(await t.issue("builder"), 1)
      return { token: sign({ alg: "ES256" }, claims, foreign.privateKey), expected: primitive }
    }
  },
  {
    name: "control: signed by the second trusted key with its kid",
    run: async (t) => {
      const claims = decodePart(await t.issue("builder"), 1)
      return { token: sign({ alg: "ES256", kid: second.kid }, claims, second.privateKey), expected: "authenticated" }
    }
  },
  {
    name: "expired 120 s ago (beyond the 60 s leeway)",
    run: async (t) => ({
      token: resign(await t.issue("builder"), (c) => ({ ...c, iat: now() - 4000, nbf: now() - 4000, exp: now() - 120 })),
      expected: handled("service account token has expired")
    })
  },
  {
    name: "control: expired 20 s ago (within the leeway)",
    run: async (t) => ({
      token: resign(await t.issue("builder"), (c) => ({ ...c, iat: now() - 4000, nbf: now() - 4000, exp: now() - 20 })),
      expected: "authenticated"
    })
  },
  {
    name: "not valid before 120 s from now",
    run: async (t) => ({
      token: resign(await t.issue("builder"), (c) => ({ ...c, nbf: now() + 120, iat: now() + 120, exp: now() + 4000 })),
      expected: handled("service account token is not valid yet")
    })
  },
  {
    name: "control: not valid before 20 s from now (within the leeway)",
    run: async (t) => ({
      token: resign(await t.issue("builder"), (c) => ({ ...c, nbf: now() + 20, iat: now() + 20, exp: now() + 4000 })),
      expected: "authenticated"
    })
  },
  {
    name: "issued 120 s in the future",
    run: async (t) => ({
      token: resign(await t.issue("builder"), (c) => ({ ...c, nbf: now() - 10, iat: now() + 120 })),
      expected: handled("service account token is issued in the future")
    })
  },
  {
    name: "wrong issuer (not handled)",
    run: async (t) => ({ token: resign(await t.issue("builder"), (c) => ({ ...c, iss: "https://evil.example" })), expected: invalid })
  },
  {
    name: "issuer differing in case only (not handled)",
    run: async (t) => ({ token: resign(await t.issue("builder"), (c) => ({ ...c, iss: issuer.toUpperCase() })), expected: invalid })
  },
  {
    name: "audience not requested",
    run: async (t) => ({
      token: await t.issue("builder", { audiences: ["https://vault.example"] }),
      expected: handled(`token audiences ["https://vault.example"] is invalid for the target audiences ["${issuer}"]`)
    })
  },
  {
    name: "deleted service account",
    run: async (t) => {
      const sa = unique("gone")
      await t.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace: "default" } })
      const token = await t.issue(sa)
      await t.remove("ServiceAccount", "default", sa)
      return { token, expected: handled(`serviceaccounts "${sa}" not found`) }
    }
  },
  {
    name: "re-created service account (same name, new UID)",
    run: async (t) => {
      const sa = unique("again")
      const before = await t.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace: "default" } })
      const token = await t.issue(sa)
      await t.remove("ServiceAccount", "default", sa)
      const after = await t.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace: "default" } })
      return { token, expected: handled(`service account UID (${after}) does not match claim (${before})`) }
    }
  },
  ...(["Pod", "Secret", "Node"] as const).flatMap((kind): Array<Attack> => {
    const make = (name: string): KubeObject.KubeObject =>
      kind === "Node"
        ? { apiVersion: "v1", kind, metadata: { name } }
        : kind === "Pod"
        ? { apiVersion: "v1", kind, metadata: { name, namespace: "default" }, spec: { serviceAccountName: "builder" } }
        : { apiVersion: "v1", kind, metadata: { name, namespace: "default" } }
    const namespace = kind === "Node" ? "" : "default"
    const bound = async (t: Target) => {
      const name = unique(kind.toLowerCase())
      const uid = await t.create(make(name))
      const token = await t.issue("builder", { boundObjectRef: { kind, apiVersion: "v1", name } })
      return { name, uid, token }
    }
    return [
      {
        name: `deleted bound ${kind}`,
        run: async (t) => {
          const { name, token } = await bound(t)
          await t.remove(kind, namespace, name)
          return { token, expected: handled("service account token has been invalidated") }
        }
      },
      {
        name: `re-created bound ${kind} (same name, new UID)`,
        run: async (t) => {
          const { name, token, uid } = await bound(t)
          await t.remove(kind, namespace, name)
          const fresh = await t.create(make(name))
          const what = kind === "Pod"
            ? `pod UID (${fresh}) does not match service account pod ref claim (${uid})`
            : kind === "Secret"
            ? `secret UID (${fresh}) does not match service account secret ref claim (${uid})`
            : `node UID (${fresh}) does not match service account node ref claim (${uid})`
          return { token, expected: handled(what) }
        }
      }
    ]
  }),
  {
    name: "JSON-serialised JWS (leading {, also after whitespace)",
    run: async (t) => {
      const [protectedHeader, payload, signature] = (await t.issue("builder")).split(".")
      return { token: `  ${JSON.stringify({ payload, protected: protectedHeader, signature })}`, expected: invalid }
    }
  },
  {
    name: "two segments (signature dropped)",
    run: async (t) => ({ token: (await t.issue("builder")).split(".").slice(0, 2).join("."), expected: invalid })
  },
  {
    name: "four segments",
    run: async (t) => ({ token: `${await t.issue("builder")}.AAAA`, expected: invalid })
  },
  {
    name: "five segments (JWE shape)",
    run: async (t) => ({ token: `${await t.issue("builder")}.AAAA.BBBB`, expected: invalid })
  },
  {
    name: "padded base64 payload (not handled: the issuer pre-check is strict)",
    run: async (t) => ({ token: withParts(await t.issue("builder"), ([h, p, s]) => [h!, `${p}==`, s!]), expected: invalid })
  },
  {
    name: "standard base64 alphabet (+ and /) in the payload",
    run: async (t) => {
      const token = await t.issue("builder")
      const claims = { ...decodePart(token, 1), pad: "\u00fb\u00ff\u00fe?>" }
      const payload = Buffer.from(JSON.stringify(claims)).toString("base64").replace(/=+$/, "")
      return { token: withParts(token, ([h, , s]) => [h!, payload, s!]), expected: payload.match(/[+/]/) ? invalid : primitive }
    }
  },
  {
    name: "control: padding after the signature segment (go-jose strips it: the same signature over the same bytes)",
    run: async (t) => ({ token: `${await t.issue("builder")}==`, expected: "authenticated" })
  },
  {
    name: "oversized opaque token (1 MiB)",
    run: async () => ({ token: "A".repeat(1024 * 1024), expected: invalid })
  },
  {
    name: "non-ASCII token",
    run: async () => ({ token: "\u00fcn\u00efc\u00f6d\u00e9.\u4f60\u597d.\ud83d\ude00", expected: invalid })
  },
  {
    name: "non-ASCII character appended to a genuine token",
    run: async (t) => ({ token: `${await t.issue("builder")}\u00e9`, expected: invalid })
  }
]

const checkReview = async (target: Target, attack: Attack) => {
  const { audiences, expected, token } = await attack.run(target)
  const status = await target.review(token, audiences)
  if (expected === "authenticated") {
    assert.strictEqual(status.error, undefined, `error: ${status.error}`)
    assert.isTrue(status.authenticated)
  } else {
    assert.strictEqual(status.error, expected)
    assert.notStrictEqual(status.authenticated, true)
    assert.deepStrictEqual(status.user, {})
  }
  return { expected, token }
}

describe("token attacks: TokenReview on the in-process token API", () => {
  layer(serveApp(ports()), { timeout: 30_000, excludeTestServices: true })((it) => {
    const target = Effect.map(App, ({ store, url }): Target => ({
      issue: async (sa, spec = {}) => {
        const response = await postJson(url + tokenPath("default", sa), { spec })
        if (response.status !== 201) throw new Error(`issue ${sa}: ${response.status} ${response.text}`)
        return response.json.status.token
      },
      review: async (token, audiences) => {
        const response = await postJson(url + reviewPath, { spec: { token, ...(audiences ? { audiences } : {}) } }, {}, 20_000)
        assert.strictEqual(response.status, 201, response.text.slice(0, 300))
        return response.json.status
      },
      create: (object) => Effect.runPromise(Effect.map(store.create(object), (o) => o.metadata.uid ?? "")),
      remove: (kind, namespace, name) => Effect.runPromise(Effect.asVoid(store.delete(kind, namespace, name)))
    }))

    for (const attack of attacks) {
      it.effect(attack.name, () => Effect.flatMap(target, (t) => Effect.promise(() => checkReview(t, attack))))
    }

    it.effect("any single-character change of a genuine token is refused", () =>
      Effect.gen(function*() {
        const t = yield* target
        const token = yield* Effect.promise(() => t.issue("builder"))
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {"
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.nat({ max: token.length - 1 }), fc.constantFrom(...alphabet), async (i, c) => {
              fc.pre(token[i] !== c)
              const mutated = token.slice(0, i) + c + token.slice(i + 1)
              const status = await t.review(mutated)
              // a change in a segment's last character may leave the decoded bytes unchanged
              const sameBytes = mutated.split(".").length === 3 &&
                mutated.split(".").every((part, k) => /^[A-Za-z0-9_-]*$/.test(part) && Buffer.from(part, "base64url").equals(Buffer.from(token.split(".")[k]!, "base64url")))
              if (sameBytes && status.authenticated === true) return
              assert.notStrictEqual(status.authenticated, true, `${i}:${c} was accepted`)
              assert.isString(status.error)
            }),
            { numRuns: 150 }
          )
        )
      }), 60_000)
  })
})

describe("token attacks: the reference server (TokenReview and API authentication)", () => {
  layer(referenceServer(), { timeout: 60_000, excludeTestServices: true })((it) => {
    const target = Effect.map(Reference, ({ adminToken, port, url }): Target => {
      const admin = { authorization: `Bearer ${adminToken}` }
      const objectPath = (kind: KubeObject.ObjectKind, namespace: string) =>
        kind === "Node" ? "/api/v1/nodes" : `/api/v1/namespaces/${namespace}/${kind.toLowerCase()}s`
      return {
        issue: async (sa, spec = {}) => {
          const response = await postJson(url + tokenPath("default", sa), { spec }, admin)
          if (response.status !== 201) throw new Error(`issue ${sa}: ${response.status} ${response.text}`)
          return response.json.status.token
        },
        review: async (token, audiences) => {
          const response = await postJson(url + reviewPath, { spec: { token, ...(audiences ? { audiences } : {}) } }, admin, 20_000)
          assert.strictEqual(response.status, 201, response.text.slice(0, 300))
          return response.json.status
        },
        create: async (object) => {
          const response = await postJson(url + objectPath(object.kind, object.metadata.namespace ?? ""), object, admin)
          if (response.status !== 201) throw new Error(`create: ${response.status} ${response.text}`)
          return response.json.metadata.uid
        },
        remove: async (kind, namespace, name) => {
          const response = await fetch(`${url}${objectPath(kind, namespace)}/${name}`, {
            method: "DELETE",
            headers: admin,
            signal: AbortSignal.timeout(10_000)
          })
          if (response.status !== 200) throw new Error(`delete: ${response.status} ${await response.text()}`)
        },
        apiStatus: async (authorization) => {
          const response = await rawRequest(port, {
            method: "GET",
            path: "/api/v1/namespaces/default/serviceaccounts",
            headers: [["Authorization", typeof authorization === "string" ? authorization : authorization.toString("latin1")]]
          }, 20_000)
          if (response.status === 401) {
            const status = JSON.parse(response.text)
            assert.strictEqual(status.reason, "Unauthorized")
            assert.strictEqual(status.message, "Unauthorized")
            assert.strictEqual(status.code, 401)
          }
          return response.status
        }
      }
    })

    for (const attack of attacks) {
      it.effect(attack.name, () =>
        Effect.flatMap(target, (t) =>
          Effect.promise(async () => {
            const { expected, token } = await checkReview(t, attack)
            // the same token as an API credential (UTF-8 bytes on the wire; oversized ones get Node's 431)
            const status = await t.apiStatus!(Buffer.from(`Bearer ${token}`, "utf8"))
            if (expected === "authenticated") assert.strictEqual(status, 200)
            else assert.include([401, 431], status)
            if (token.length < 8000 && expected !== "authenticated") assert.strictEqual(status, 401)
          })
        ), 30_000)
    }

    it.effect("malformed Authorization headers are 401, never 500", () =>
      Effect.gen(function*() {
        const t = yield* target
        for (const header of ["Bearer", "Bearer ", "Bearer  x", "bearer a.b.c", "Basic YWRtaW46YWRtaW4=", "Bearer a b", "Token x", "\u00ff\u00fe", "Bearer " + "x".repeat(7000)]) {
          const status = yield* Effect.promise(() => t.apiStatus!(header))
          assert.strictEqual(status, 401, JSON.stringify(header.slice(0, 40)))
        }
      }))
  })
})

describe("token attacks: the same kid on two trusted entries", () => {
  // kids are derived from the key itself (SHA-256 of its PKIX DER), so two different keys cannot
  // share one; the closest is the same key listed twice (two key files holding it)
  layer(
    serveApp(ports({
      keys: Layer.orDie(
        KeyRing.layerFromKeys({ signingKey: signing.privatePem, keys: [signing.publicPem, signing.publicPem, second.publicPem] })
      )
    })),
    { timeout: 30_000, excludeTestServices: true }
  )((it) => {
    it.effect("a genuine token verifies; a foreign signature with that kid is refused", () =>
      Effect.gen(function*() {
        const { url } = yield* App
        const jwks = yield* Effect.promise(() => fetch(`${url}/openid/v1/jwks`).then((r) => r.json()))
        assert.deepStrictEqual(jwks.keys.map((k: { kid: string }) => k.kid), [signing.kid, signing.kid, second.kid])
        const issued = yield* Effect.promise(() => postJson(url + tokenPath(), {}))
        const genuine = yield* Effect.promise(() => postJson(url + reviewPath, { spec: { token: issued.json.status.token } }))
        assert.isTrue(genuine.json.status.authenticated)
        const forged = sign({ alg: "ES256", kid: signing.kid }, decodePart(issued.json.status.token, 1), foreign.privateKey)
        const refused = yield* Effect.promise(() => postJson(url + reviewPath, { spec: { token: forged } }))
        assert.strictEqual(refused.json.status.error, primitive)
      }))
  })
})
