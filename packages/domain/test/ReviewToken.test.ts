import { assert, describe, it } from "@effect/vitest"
import * as Audit from "@tokenrequest/domain/Audit"
import * as Config from "@tokenrequest/domain/Config"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import * as IdGenerator from "@tokenrequest/domain/IdGenerator"
import * as KeySet from "@tokenrequest/domain/KeySet"
import type * as KubeObject from "@tokenrequest/domain/KubeObject"
import * as ObjectStore from "@tokenrequest/domain/ObjectStore"
import * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as TokenReview from "@tokenrequest/domain/TokenReview"
import * as TokenSigner from "@tokenrequest/domain/TokenSigner"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import * as Fixtures from "./fixtures.js"
import { request, t0, t0Seconds } from "./helpers.js"

const iss = Fixtures.issuer

/** Signs arbitrary claims with the insecure test signer. */
const sign = (claims: unknown) => Effect.flatMap(TokenSigner.TokenSigner, (s) => s.sign(JSON.stringify(claims)))

const claims = (overrides: Record<string, unknown> = {}, kubernetes: Record<string, unknown> = {}) => ({
  iss,
  sub: "system:serviceaccount:ns-a:bob",
  aud: [iss],
  iat: t0Seconds,
  nbf: t0Seconds,
  exp: t0Seconds + 3600,
  jti: "jti-1",
  ...overrides,
  "kubernetes.io": { namespace: "ns-a", serviceaccount: { name: "bob", uid: Fixtures.saUid }, ...kubernetes }
})

const review = (token: string, audiences: ReadonlyArray<string> = []) =>
  ReviewToken.reviewToken({ metadata: {}, spec: { token, audiences } })

/** The status.error of reviewing the token (or "authenticated"). */
const outcome = (token: string, audiences: ReadonlyArray<string> = []) =>
  Effect.map(review(token, audiences), (r) => (r.status?.authenticated ? "authenticated" : r.status?.error ?? ""))

const handled = (m: string) => `[invalid bearer token, ${m}]`

const at = (millis: number) => TestClock.setTime(millis)

const deleted = (object: KubeObject.KubeObject, secondsBeforeT0: number): KubeObject.KubeObject => ({
  ...object,
  metadata: { ...object.metadata, deletionTimestamp: DateTime.unsafeMake((t0Seconds - secondsBeforeT0) * 1000) }
})

describe("reviewToken", () => {
  it.effect("authenticates an issued token: user, groups, extras, audiences; spec echoed; creationTimestamp null", () =>
    Effect.gen(function*() {
      yield* at(t0)
      const issued = yield* CreateToken.createToken(
        "ns-a",
        "bob",
        request({ spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "pod-1" } } })
      )
      const token = issued.tokenRequest.status.token
      const answer = yield* review(token)
      const encoded = Schema.encodeSync(TokenReview.TokenReview)(answer)
      assert.deepStrictEqual(encoded, {
        kind: "TokenReview",
        apiVersion: "authentication.k8s.io/v1",
        metadata: { creationTimestamp: null },
        spec: { token, audiences: [] },
        status: {
          authenticated: true,
          user: {
            username: "system:serviceaccount:ns-a:bob",
            uid: Fixtures.saUid,
            groups: ["system:serviceaccounts", "system:serviceaccounts:ns-a", "system:authenticated"],
            extra: {
              "authentication.kubernetes.io/credential-id": [`JTI=${issued.jti}`],
              "authentication.kubernetes.io/node-name": ["node-1"],
              "authentication.kubernetes.io/node-uid": [Fixtures.nodeUid],
              "authentication.kubernetes.io/pod-name": ["pod-1"],
              "authentication.kubernetes.io/pod-uid": [Fixtures.podUid]
            }
          },
          audiences: [iss]
        }
      })
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("an invalid token is an answer, not an error: user {} and authenticated omitted", () =>
    Effect.gen(function*() {
      const answer = yield* review("garbage")
      const encoded = Schema.encodeSync(TokenReview.TokenReview)(answer)
      assert.deepStrictEqual(encoded.status, { user: {}, error: "invalid bearer token" })
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("an empty token is a BadRequest", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(review(""))
      assert.strictEqual(e._tag, "BadRequest")
      assert.strictEqual(e.message, "token is required for TokenReview in authentication")
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("tokens no authenticator handles: `invalid bearer token`", () =>
    Effect.gen(function*() {
      yield* at(t0)
      const good = yield* sign(claims())
      const [h, p, s] = good.split(".")
      for (
        const token of [
          "not-a-jwt",
          `${h}.${p}`,
          `${good}.x`,
          `${h}.${p}=.${s}`,
          yield* sign(claims({ iss: "https://elsewhere" })),
          `{"payload":"${p}"}`,
          "   "
        ]
      ) {
        assert.strictEqual(yield* outcome(token), "invalid bearer token", token)
      }
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("signature failures", () =>
    Effect.gen(function*() {
      yield* at(t0)
      const good = yield* sign(claims())
      const [h, p] = good.split(".")
      assert.strictEqual(yield* outcome(`${h}.${p}.AAAA`), handled("go-jose/go-jose: error in cryptographic primitive"))
      const otherKid = yield* Effect.flatMap(TokenSigner.TokenSigner, (s) => s.sign(JSON.stringify(claims()))).pipe(
        Effect.provide(TokenSigner.layerInsecure({ keyId: "rotated-away", algorithm: "ES256" }))
      )
      assert.strictEqual(yield* outcome(otherKid), handled("invalid signature, no keys found"))
      const wrongAlg = yield* Effect.flatMap(TokenSigner.TokenSigner, (s) => s.sign(JSON.stringify(claims()))).pipe(
        Effect.provide(TokenSigner.layerInsecure({ keyId: "insecure-test-key", algorithm: "RS256" }))
      )
      assert.strictEqual(yield* outcome(wrongAlg), handled("go-jose/go-jose: error in cryptographic primitive"))
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("a token without kid is tried against every key", () =>
    Effect.gen(function*() {
      yield* at(t0)
      const token = yield* Effect.flatMap(TokenSigner.TokenSigner, (s) => s.sign(JSON.stringify(claims()))).pipe(
        Effect.provide(TokenSigner.layerInsecure({ keyId: "", algorithm: "ES256" }))
      )
      // the insecure signature binds the key id, so a kid-less token verifies only against a kid-less key
      assert.strictEqual(yield* outcome(token), "authenticated")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          ObjectStore.layerMemory(Fixtures.cluster),
          KeySet.layerInsecure([{ keyId: "other", algorithm: "ES256" }, { keyId: "", algorithm: "ES256" }]),
          Config.layer({ issuers: [iss] })
        )
      )
    ))

  it.effect("audiences: requested order, legacy tokens, and the upstream mismatch message", () =>
    Effect.gen(function*() {
      yield* at(t0)
      const token = yield* sign(claims({ aud: ["a", "b", iss] }))
      const r = yield* review(token, ["b", "x", "a"])
      assert.deepStrictEqual(r.status?.audiences, ["b", "a"])
      assert.strictEqual(
        yield* outcome(yield* sign(claims({ aud: ["telemetry"] }))),
        handled(`token audiences ["telemetry"] is invalid for the target audiences ["${iss}"]`)
      )
      assert.strictEqual(
        yield* outcome(token, ["vault"]),
        handled(`token audiences ["a" "b" "${iss}"] is invalid for the target audiences ["vault"]`)
      )
      const legacy = yield* sign(claims({ aud: undefined }))
      assert.deepStrictEqual((yield* review(legacy)).status?.audiences, [iss])
      assert.strictEqual(
        yield* outcome(legacy, ["vault"]),
        handled(`token audiences ["${iss}"] is invalid for the target audiences ["vault"]`)
      )
      const single = yield* sign(claims({ aud: iss }))
      assert.strictEqual(yield* outcome(single), "authenticated")
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("time window with 60 s leeway, strict comparisons, nbf before exp before iat", () =>
    Effect.gen(function*() {
      const token = yield* sign(claims())
      yield* at((t0Seconds + 3600 + 60) * 1000)
      assert.strictEqual(yield* outcome(token), "authenticated")
      yield* at((t0Seconds + 3600 + 60) * 1000 + 1)
      assert.strictEqual(yield* outcome(token), handled("service account token has expired"))
      yield* at((t0Seconds - 60) * 1000)
      assert.strictEqual(yield* outcome(token), "authenticated")
      yield* at((t0Seconds - 60) * 1000 - 1)
      assert.strictEqual(yield* outcome(token), handled("service account token is not valid yet"))
      const future = yield* sign(claims({ nbf: undefined, iat: t0Seconds + 3000 }))
      yield* at(t0)
      assert.strictEqual(yield* outcome(future), handled("service account token is issued in the future"))
      const both = yield* sign(claims({ nbf: t0Seconds + 1000, exp: t0Seconds - 1000 }))
      assert.strictEqual(yield* outcome(both), handled("service account token is not valid yet"))
      const noTimes = yield* sign(claims({ nbf: undefined, iat: undefined, exp: undefined }))
      assert.strictEqual(yield* outcome(noTimes), "authenticated")
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("the ServiceAccount must exist with the claimed UID and not be deleted past the grace", () =>
    Effect.gen(function*() {
      yield* at(t0)
      assert.strictEqual(
        yield* outcome(yield* sign(claims({}, { serviceaccount: { name: "ghost", uid: "u" } }))),
        handled(`serviceaccounts "ghost" not found`)
      )
      assert.strictEqual(
        yield* outcome(yield* sign(claims({}, { serviceaccount: { name: "bob", uid: "old" } }))),
        handled(`service account UID (${Fixtures.saUid}) does not match claim (old)`)
      )
      assert.strictEqual(
        yield* outcome(yield* sign(claims({}, { serviceaccount: { name: "gone", uid: "g" } }))),
        handled("service account ns-a/gone has been deleted")
      )
      assert.strictEqual(
        yield* outcome(yield* sign(claims({}, { serviceaccount: { name: "going", uid: "g2" } }))),
        "authenticated"
      )
      // UID before deletion
      assert.strictEqual(
        yield* outcome(yield* sign(claims({}, { serviceaccount: { name: "gone", uid: "x" } }))),
        handled("service account UID (g) does not match claim (x)")
      )
    }).pipe(
      Effect.provide(
        Fixtures.layer({
          objects: [
            ...Fixtures.cluster,
            deleted(Fixtures.serviceAccount("gone", "g"), 61),
            deleted(Fixtures.serviceAccount("going", "g2"), 59)
          ]
        })
      )
    ))

  it.effect("bound Secret, Pod and Node: existence, UID, deletion", () =>
    Effect.gen(function*() {
      yield* at(t0)
      const invalidated = handled("service account token has been invalidated")
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ secret: { name: "secret-1", uid: Fixtures.secretUid } }, "authenticated"],
        [{ secret: { name: "nope", uid: "x" } }, invalidated],
        [
          { secret: { name: "secret-1", uid: "old" } },
          handled(`secret UID (${Fixtures.secretUid}) does not match service account secret ref claim (old)`)
        ],
        [{ secret: { name: "secret-del", uid: "sd" } }, invalidated],
        [{ secret: { name: "secret-del", uid: "x" } }, handled("secret UID (sd) does not match service account secret ref claim (x)")],
        [{ pod: { name: "pod-1", uid: Fixtures.podUid } }, "authenticated"],
        [{ pod: { name: "nope", uid: "x" } }, invalidated],
        [{ pod: { name: "pod-1", uid: "old" } }, handled(`pod UID (${Fixtures.podUid}) does not match service account pod ref claim (old)`)],
        [{ pod: { name: "pod-del", uid: "pd" } }, invalidated],
        [{ pod: { name: "pod-grace", uid: "pg" } }, "authenticated"],
        [{ node: { name: "node-1", uid: Fixtures.nodeUid } }, "authenticated"],
        [{ node: { name: "nope", uid: "x" } }, invalidated],
        [{ node: { name: "node-1", uid: "old" } }, handled(`node UID (${Fixtures.nodeUid}) does not match service account node ref claim (old)`)],
        [{ node: { name: "node-del", uid: "nd" } }, invalidated],
        // with a pod, the node is not checked at all
        [{ pod: { name: "pod-1", uid: Fixtures.podUid }, node: { name: "nope", uid: "x" } }, "authenticated"],
        // the secret is checked before the pod
        [{ secret: { name: "nope", uid: "x" }, pod: { name: "pod-1", uid: "old" } }, invalidated]
      ]
      for (const [kubernetes, expected] of cases) {
        assert.strictEqual(yield* outcome(yield* sign(claims({}, kubernetes))), expected, JSON.stringify(kubernetes))
      }
    }).pipe(
      Effect.provide(
        Fixtures.layer({
          objects: [
            ...Fixtures.cluster,
            deleted(Fixtures.secret("secret-del", "sd"), 61),
            deleted(Fixtures.pod("pod-del", { uid: "pd" }), 120),
            deleted(Fixtures.pod("pod-grace", { uid: "pg" }), 30),
            deleted(Fixtures.node("node-del", "nd"), 61)
          ]
        })
      )
    ))

  it.effect("a pod-bound token stays valid for 60 s after its pod is deleted, then not", () =>
    Effect.gen(function*() {
      yield* at(t0)
      const issued = yield* CreateToken.createToken(
        "ns-a",
        "bob",
        request({ spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "pod-1" } } })
      )
      const token = issued.tokenRequest.status.token
      assert.strictEqual(yield* outcome(token), "authenticated")
      const store = yield* ObjectStore.ObjectStore
      yield* store.delete("Pod", "ns-a", "pod-1")
      assert.strictEqual(yield* outcome(token), handled("service account token has been invalidated"))
      yield* store.create(Fixtures.pod("pod-1", { nodeName: "node-1" }))
      const recreated = yield* store.get("Pod", "ns-a", "pod-1")
      const uid = recreated._tag === "Some" ? recreated.value.metadata.uid : ""
      assert.strictEqual(
        yield* outcome(token),
        handled(`pod UID (${uid}) does not match service account pod ref claim (${Fixtures.podUid})`)
      )
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("authenticate: credential id and stale-token accounting", () =>
    Effect.gen(function*() {
      yield* at(t0)
      const issued = yield* CreateToken.createToken(
        "ns-a",
        "bob",
        request({ spec: { expirationSeconds: 3607, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "pod-1" } } })
      )
      const token = issued.tokenRequest.status.token
      const fresh = yield* ReviewToken.authenticate(token, [])
      assert.strictEqual(fresh._tag, "Authenticated")
      if (fresh._tag === "Authenticated") {
        assert.strictEqual(fresh.credentialId, `JTI=${issued.jti}`)
        assert.isUndefined(fresh.staleSeconds)
      }
      yield* TestClock.adjust("2 hours")
      const stale = yield* ReviewToken.authenticate(token, [])
      assert.strictEqual(stale._tag, "Authenticated")
      if (stale._tag === "Authenticated") {
        assert.strictEqual(stale.staleSeconds, 7200 - 3607)
        assert.deepStrictEqual(Audit.staleToken(stale.user.username!, stale.staleSeconds!), {
          key: "authentication.k8s.io/stale-token",
          value: "subject: system:serviceaccount:ns-a:bob, seconds after warning threshold: 3593"
        })
      }
      assert.deepStrictEqual(Audit.issuedCredentialId(issued.jti), {
        key: "authentication.kubernetes.io/issued-credential-id",
        value: "JTI=00000000-0000-4000-8000-000000000001"
      })
      assert.deepStrictEqual(Audit.legacyToken("system:serviceaccount:ns-a:bob").key, "authentication.k8s.io/legacy-token")
    }).pipe(Effect.provide(Fixtures.layer())))

  it.effect("audience sanity check: 500 error validating audiences when no API audiences are configured", () =>
    Effect.gen(function*() {
      yield* at(t0)
      const token = yield* sign(claims({ aud: ["y"] }))
      const e = yield* Effect.flip(review(token, ["x"]))
      assert.strictEqual(e._tag, "InternalError")
      assert.strictEqual(e.message, "Internal error occurred: error validating audiences")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          ObjectStore.layerMemory(Fixtures.cluster),
          TokenSigner.layerInsecure(),
          KeySet.layerInsecure(),
          IdGenerator.layerSequence,
          Layer.succeed(Config.Config, { ...Config.make({ issuers: [iss] }), apiAudiences: [] })
        )
      )
    ))

  it("composes errors as the authenticator chain does", () => {
    assert.strictEqual(ReviewToken.composeError({ _tag: "None" } as never), "invalid bearer token")
    assert.strictEqual(ReviewToken.messages.invalidIssuer("x"), `token issuer "x" is invalid`)
  })

  // review succeeds iff signature, issuer, audience, time window and every bound object's existence and UID hold
  it.effect.prop(
    "succeeds exactly when every condition holds",
    {
      signatureOk: FastCheck.boolean(),
      issuerOk: FastCheck.boolean(),
      audienceOk: FastCheck.boolean(),
      offset: FastCheck.integer({ min: -200_000, max: 900_000 }),
      kind: FastCheck.constantFrom("none", "Pod", "Secret", "Node"),
      objectState: FastCheck.constantFrom("present", "missing", "recreated", "deleted-long-ago", "deleted-recently"),
      serviceAccountState: FastCheck.constantFrom("present", "missing", "recreated", "deleted-long-ago")
    },
    (p) =>
      Effect.gen(function*() {
        const lifetime = 600
        const kubernetes: Record<string, unknown> = {}
        const objects: Array<KubeObject.KubeObject> = []
        const withState = (object: KubeObject.KubeObject, state: string): Array<KubeObject.KubeObject> =>
          state === "missing"
            ? []
            : state === "recreated"
            ? [{ ...object, metadata: { ...object.metadata, uid: "recreated" } }]
            : state === "deleted-long-ago"
            ? [deleted(object, 61)]
            : state === "deleted-recently"
            ? [deleted(object, 59)]
            : [object]
        objects.push(...withState(Fixtures.serviceAccount(), p.serviceAccountState))
        if (p.kind === "Pod") {
          kubernetes["pod"] = { name: "pod-1", uid: Fixtures.podUid }
          objects.push(...withState(Fixtures.pod("pod-1"), p.objectState))
        } else if (p.kind === "Secret") {
          kubernetes["secret"] = { name: "secret-1", uid: Fixtures.secretUid }
          objects.push(...withState(Fixtures.secret(), p.objectState))
        } else if (p.kind === "Node") {
          kubernetes["node"] = { name: "node-1", uid: Fixtures.nodeUid }
          objects.push(...withState(Fixtures.node(), p.objectState))
        }
        const layer = Fixtures.layer({ objects, config: { issuers: [iss, "https://other"] } })
        return yield* Effect.gen(function*() {
          const signed = yield* sign(
            claims({ iss: p.issuerOk ? iss : "https://other-but-unlisted", exp: t0Seconds + lifetime }, kubernetes)
          )
          const token = p.signatureOk ? signed : `${signed.slice(0, signed.lastIndexOf("."))}.AAAA`
          yield* at(t0Seconds * 1000 + p.offset)
          const result = yield* outcome(token, p.audienceOk ? [] : ["vault"])
          const nowMs = t0Seconds * 1000 + p.offset
          const timeOk = nowMs + 60_000 >= t0Seconds * 1000 && nowMs - 60_000 <= (t0Seconds + lifetime) * 1000
          const deletedAt = (s: string) => (t0Seconds - (s === "deleted-long-ago" ? 61 : 59)) * 1000
          // a deletion counts only once it is more than 60 s older than the review's now
          const stateOk = (s: string) =>
            s === "present" || (s.startsWith("deleted") && deletedAt(s) >= nowMs - 60_000)
          const expected = p.signatureOk && p.issuerOk && p.audienceOk && timeOk && stateOk(p.serviceAccountState) &&
            (p.kind === "none" || stateOk(p.objectState))
          assert.strictEqual(result === "authenticated", expected, result)
        }).pipe(Effect.provide(layer))
      }),
    { fastCheck: { numRuns: 200 } }
  )
})
