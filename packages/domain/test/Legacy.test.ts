import { assert, describe, it } from "@effect/vitest"
import type * as KubeObject from "@tokenrequest/domain/KubeObject"
import * as Legacy from "@tokenrequest/domain/Legacy"
import * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as TokenSigner from "@tokenrequest/domain/TokenSigner"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Fixtures from "./fixtures.js"

const legacyClaims = (overrides: Record<string, unknown> = {}) => ({
  iss: Legacy.issuer,
  sub: "system:serviceaccount:ns-a:bob",
  [Legacy.claimKeys.namespace]: "ns-a",
  [Legacy.claimKeys.secretName]: "bob-token",
  [Legacy.claimKeys.serviceAccountName]: "bob",
  [Legacy.claimKeys.serviceAccountUid]: Fixtures.saUid,
  ...overrides
})

const sign = (claims: unknown) => Effect.flatMap(TokenSigner.TokenSigner, (s) => s.sign(JSON.stringify(claims)))

const tokenSecret = (name: string, token: string, extra: Partial<KubeObject.KubeObject["metadata"]> = {}): KubeObject.KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: "ns-a", uid: `uid-${name}`, ...extra },
  type: "kubernetes.io/service-account-token",
  data: { token: Buffer.from(token).toString("base64") }
})

const outcome = (token: string) =>
  Effect.map(ReviewToken.authenticate(token, []), (a) => (a._tag === "Authenticated" ? "authenticated" : a.error))
const handled = (m: string) => `[invalid bearer token, ${m}]`

/** Signs the claims, stores a Secret holding the token, and reviews it. */
const scenario = (
  claims: Record<string, unknown>,
  options: {
    secret?: (token: string) => Array<KubeObject.KubeObject>
    serviceAccounts?: Array<KubeObject.KubeObject>
  } = {}
) =>
  Effect.gen(function*() {
    const token = yield* sign(claims).pipe(Effect.provide(TokenSigner.layerInsecure()))
    const objects = [
      ...(options.serviceAccounts ?? [Fixtures.serviceAccount()]),
      ...(options.secret ?? ((t: string) => [tokenSecret("bob-token", t)]))(token)
    ]
    return yield* outcome(token).pipe(Effect.provide(Fixtures.layer({ objects })))
  })

describe("legacy tokens", () => {
  it.effect("authenticate with the service account's identity and the API audiences", () =>
    Effect.gen(function*() {
      const token = yield* sign(legacyClaims()).pipe(Effect.provide(TokenSigner.layerInsecure()))
      const result = yield* ReviewToken.authenticate(token, []).pipe(
        Effect.provide(Fixtures.layer({ objects: [Fixtures.serviceAccount(), tokenSecret("bob-token", token)] }))
      )
      assert.deepStrictEqual(result, {
        _tag: "Authenticated",
        user: {
          username: "system:serviceaccount:ns-a:bob",
          uid: Fixtures.saUid,
          groups: ["system:serviceaccounts", "system:serviceaccounts:ns-a", "system:authenticated"]
        },
        audiences: [Fixtures.issuer]
      })
    }))

  it.effect("missing claims, in upstream order", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* scenario(legacyClaims({ sub: undefined, [Legacy.claimKeys.namespace]: "" })), handled("sub claim is missing"))
      assert.strictEqual(yield* scenario(legacyClaims({ [Legacy.claimKeys.namespace]: "" })), handled("namespace claim is missing"))
      assert.strictEqual(yield* scenario(legacyClaims({ [Legacy.claimKeys.secretName]: "" })), handled("secretName claim is missing"))
      assert.strictEqual(
        yield* scenario(legacyClaims({ [Legacy.claimKeys.serviceAccountName]: "" })),
        handled("serviceAccountName claim is missing")
      )
      assert.strictEqual(
        yield* scenario(legacyClaims({ [Legacy.claimKeys.serviceAccountUid]: "" })),
        handled("serviceAccountUID claim is missing")
      )
    }))

  it.effect("sub must name the same service account", () =>
    Effect.gen(function*() {
      for (const sub of ["system:serviceaccount:ns-a:alice", "system:serviceaccount:ns-b:bob", "bob", "system:serviceaccount:ns-a:bob:x", "system:serviceaccount:NS:bob"]) {
        assert.strictEqual(yield* scenario(legacyClaims({ sub })), handled("sub claim is invalid"), sub)
      }
    }))

  it.effect("lookups: secret, stored token, service account, label", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* scenario(legacyClaims(), { secret: () => [] }), handled("Token has been invalidated"))
      assert.strictEqual(
        yield* scenario(legacyClaims(), {
          secret: (t) => [tokenSecret("bob-token", t, { deletionTimestamp: DateTime.unsafeMake(0) })]
        }),
        handled("Token has been invalidated")
      )
      assert.strictEqual(
        yield* scenario(legacyClaims(), { secret: (t) => [tokenSecret("bob-token", `${t}x`)] }),
        handled("Token does not match server's copy")
      )
      assert.strictEqual(yield* scenario(legacyClaims(), { serviceAccounts: [] }), handled(`serviceaccounts "bob" not found`))
      const deletingSa: KubeObject.KubeObject = {
        ...Fixtures.serviceAccount(),
        metadata: { ...Fixtures.serviceAccount().metadata, deletionTimestamp: DateTime.unsafeMake(0) }
      }
      assert.strictEqual(
        yield* scenario(legacyClaims(), { serviceAccounts: [deletingSa] }),
        handled("ServiceAccount ns-a/bob has been deleted")
      )
      assert.strictEqual(
        yield* scenario(legacyClaims({ [Legacy.claimKeys.serviceAccountUid]: "old" })),
        handled(`ServiceAccount UID (${Fixtures.saUid}) does not match claim (old)`)
      )
      assert.strictEqual(
        yield* scenario(legacyClaims(), {
          secret: (t) => [tokenSecret("bob-token", t, { labels: { [Legacy.invalidSinceLabel]: "2024-01-01" } })]
        }),
        handled(
          "the token in secret ns-a/bob-token for service account ns-a/bob has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the 'kubernetes.io/legacy-token-invalid-since' label from the secret to temporarily allow use of this token"
        )
      )
    }))

  it("splitUsername validates both parts", () => {
    assert.deepStrictEqual(Legacy.splitUsername("system:serviceaccount:ns:sa.x"), Option.some({ namespace: "ns", name: "sa.x" }))
    assert.isTrue(Option.isNone(Legacy.splitUsername("system:serviceaccount:n.s:sa")))
    assert.isTrue(Option.isNone(Legacy.splitUsername("system:serviceaccounts:ns:sa")))
  })
})
