import { assert, describe, it } from "@effect/vitest"
import * as BoundObject from "@tokenrequest/domain/BoundObject"
import * as Claims from "@tokenrequest/domain/Claims"
import * as Config from "@tokenrequest/domain/Config"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import * as IdGenerator from "@tokenrequest/domain/IdGenerator"
import type * as KubeObject from "@tokenrequest/domain/KubeObject"
import * as ObjectStore from "@tokenrequest/domain/ObjectStore"
import * as TokenSigner from "@tokenrequest/domain/TokenSigner"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as Fixtures from "./fixtures.js"
import { payloadOf, request, t0 } from "./helpers.js"

const bind = (ref: unknown, name = "bob") =>
  Effect.zipRight(
    TestClock.setTime(t0),
    CreateToken.createToken("ns-a", name, request({ spec: { boundObjectRef: ref } }))
  )

const bindFailure = (ref: unknown) => Effect.map(Effect.flip(bind(ref)), (e) => ({ tag: e._tag, message: e.message, error: e }))

describe("BoundObject", () => {
  describe("groupVersionKind (FromAPIVersionAndKind)", () => {
    it("takes the group before the slash and ignores the rest", () => {
      assert.deepStrictEqual(BoundObject.groupVersionKind("v1", "Pod"), { group: "", version: "v1", kind: "Pod" })
      assert.deepStrictEqual(BoundObject.groupVersionKind("", "Pod"), { group: "", version: "", kind: "Pod" })
      assert.deepStrictEqual(BoundObject.groupVersionKind("/", "Pod"), { group: "", version: "", kind: "Pod" })
      assert.deepStrictEqual(BoundObject.groupVersionKind("apps/v1", "Deployment"), {
        group: "apps",
        version: "v1",
        kind: "Deployment"
      })
      assert.deepStrictEqual(BoundObject.groupVersionKind("/v2", "Pod"), { group: "", version: "v2", kind: "Pod" })
    })
    it("gives an empty group and version for an unparsable apiVersion", () => {
      assert.deepStrictEqual(BoundObject.groupVersionKind("a/b/c", "Pod"), { group: "", version: "", kind: "Pod" })
    })
    it("formats as GroupVersionKind.String()", () => {
      assert.strictEqual(BoundObject.formatGroupVersionKind({ group: "", version: "v1", kind: "ConfigMap" }), "/v1, Kind=ConfigMap")
      assert.strictEqual(
        BoundObject.formatGroupVersionKind({ group: "apps", version: "v1", kind: "Deployment" }),
        "apps/v1, Kind=Deployment"
      )
    })
  })

  describe("through createToken (T11)", () => {
    it.effect("Pod: claims pod and its node", () =>
      Effect.gen(function*() {
        const issued = yield* bind({ kind: "Pod", apiVersion: "v1", name: "pod-1", uid: Fixtures.podUid })
        const k = payloadOf(issued.tokenRequest.status.token)["kubernetes.io"]
        assert.deepStrictEqual(k.pod, { name: "pod-1", uid: Fixtures.podUid })
        assert.deepStrictEqual(k.node, { name: "node-1", uid: Fixtures.nodeUid })
        assert.deepStrictEqual(issued.tokenRequest.spec.boundObjectRef, {
          kind: "Pod",
          apiVersion: "v1",
          name: "pod-1",
          uid: Fixtures.podUid
        })
      }).pipe(Effect.provide(Fixtures.layer())))

    it.effect("Pod: the version is ignored, and an unparsable apiVersion still means group \"\"", () =>
      Effect.gen(function*() {
        for (const apiVersion of ["v2", "", "a/b/c", undefined]) {
          const issued = yield* bind({ kind: "Pod", apiVersion, name: "pod-1" })
          assert.strictEqual(payloadOf(issued.tokenRequest.status.token)["kubernetes.io"].pod.name, "pod-1")
        }
      }).pipe(Effect.provide(Fixtures.layer())))

    it.effect("Pod not scheduled: no node claim", () =>
      Effect.gen(function*() {
        const issued = yield* bind({ kind: "Pod", apiVersion: "v1", name: "pod-unscheduled" })
        const k = payloadOf(issued.tokenRequest.status.token)["kubernetes.io"]
        assert.isUndefined(k.node)
      }).pipe(Effect.provide(Fixtures.layer())))

    it.effect("Pod whose node is gone: node claim with the name only", () =>
      Effect.gen(function*() {
        const issued = yield* bind({ kind: "Pod", apiVersion: "v1", name: "pod-lost-node" })
        assert.deepStrictEqual(payloadOf(issued.tokenRequest.status.token)["kubernetes.io"].node, { name: "node-gone" })
      }).pipe(Effect.provide(Fixtures.layer())))

    it.effect("Pod not found: 404 pods", () =>
      Effect.gen(function*() {
        const f = yield* bindFailure({ kind: "Pod", apiVersion: "v1", name: "nope" })
        assert.strictEqual(f.tag, "NotFound")
        assert.strictEqual(f.message, `pods "nope" not found`)
        assert.deepInclude(f.error, { group: "", resource: "pods", name: "nope" })
      }).pipe(Effect.provide(Fixtures.layer())))

    it.effect("Pod running as another service account: 400", () =>
      Effect.gen(function*() {
        const f = yield* bindFailure({ kind: "Pod", apiVersion: "v1", name: "pod-other-sa" })
        assert.strictEqual(f.tag, "BadRequest")
        assert.strictEqual(
          f.message,
          `cannot bind token for serviceaccount "bob" to pod running with different serviceaccount name.`
        )
      }).pipe(Effect.provide(Fixtures.layer())))

    it.effect("Pod UID precondition: Conflict on resource Pod", () =>
      Effect.gen(function*() {
        const f = yield* bindFailure({ kind: "Pod", apiVersion: "v1", name: "pod-1", uid: "stale" })
        assert.strictEqual(f.tag, "Conflict")
        assert.strictEqual(
          f.message,
          `Operation cannot be fulfilled on Pod "pod-1": the UID in the bound object reference (stale) does not match the UID in record. The object might have been deleted and then recreated`
        )
        assert.deepInclude(f.error, { group: "", resource: "Pod", name: "pod-1" })
      }).pipe(Effect.provide(Fixtures.layer())))

    it.effect("Secret: claims secret; not found; UID precondition", () =>
      Effect.gen(function*() {
        const issued = yield* bind({ kind: "Secret", apiVersion: "v1", name: "secret-1" })
        const k = payloadOf(issued.tokenRequest.status.token)["kubernetes.io"]
        assert.deepStrictEqual(k.secret, { name: "secret-1", uid: Fixtures.secretUid })
        assert.isUndefined(k.pod)
        const missing = yield* bindFailure({ kind: "Secret", apiVersion: "v1", name: "nope" })
        assert.strictEqual(missing.message, `secrets "nope" not found`)
        const stale = yield* bindFailure({ kind: "Secret", apiVersion: "v1", name: "secret-1", uid: "x" })
        assert.strictEqual(
          stale.message,
          `Operation cannot be fulfilled on Secret "secret-1": the UID in the bound object reference (x) does not match the UID in record. The object might have been deleted and then recreated`
        )
      }).pipe(Effect.provide(Fixtures.layer())))

    it.effect("Node: claims node; not found; UID precondition", () =>
      Effect.gen(function*() {
        const issued = yield* bind({ kind: "Node", apiVersion: "v1", name: "node-1" })
        assert.deepStrictEqual(payloadOf(issued.tokenRequest.status.token)["kubernetes.io"].node, {
          name: "node-1",
          uid: Fixtures.nodeUid
        })
        const missing = yield* bindFailure({ kind: "Node", apiVersion: "v1", name: "nope" })
        assert.strictEqual(missing.message, `nodes "nope" not found`)
        const stale = yield* bindFailure({ kind: "Node", apiVersion: "v1", name: "node-1", uid: "x" })
        assert.strictEqual(
          stale.message,
          `Operation cannot be fulfilled on Node "node-1": the UID in the bound object reference (x) does not match the UID in record. The object might have been deleted and then recreated`
        )
      }).pipe(Effect.provide(Fixtures.layer())))

    it.effect("unsupported kinds: 400 with GroupVersionKind.String(); kinds are case-sensitive", () =>
      Effect.gen(function*() {
        const cases: Array<[unknown, string]> = [
          [{ kind: "ConfigMap", apiVersion: "v1", name: "x" }, "cannot bind token to object of type /v1, Kind=ConfigMap"],
          [{ kind: "Deployment", apiVersion: "apps/v1", name: "x" }, "cannot bind token to object of type apps/v1, Kind=Deployment"],
          [{ kind: "pod", apiVersion: "v1", name: "pod-1" }, "cannot bind token to object of type /v1, Kind=pod"],
          [{ kind: "Pod", apiVersion: "apps/v1", name: "pod-1" }, "cannot bind token to object of type apps/v1, Kind=Pod"],
          [{ name: "x" }, "cannot bind token to object of type /, Kind="]
        ]
        for (const [ref, message] of cases) {
          const f = yield* bindFailure(ref)
          assert.strictEqual(f.tag, "BadRequest")
          assert.strictEqual(f.message, message)
        }
      }).pipe(Effect.provide(Fixtures.layer())))
  })

  it.effect("a node lookup failure other than not-found while binding a Pod is an InternalError", () =>
    Effect.gen(function*() {
      const f = yield* bindFailure({ kind: "Pod", apiVersion: "v1", name: "pod-1" })
      assert.strictEqual(f.tag, "InternalError")
      assert.strictEqual(f.message, "Internal error occurred: node cache broken")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          Layer.effect(
            ObjectStore.ObjectStore,
            Effect.map(ObjectStore.ObjectStore, (store) => ({
              ...store,
              get: (kind: KubeObject.ObjectKind, namespace: string, name: string) =>
                kind === "Node"
                  ? Effect.fail(new ObjectStore.ObjectStoreError({ reason: "Unexpected", description: "node cache broken" }))
                  : store.get(kind, namespace, name)
            }))
          ).pipe(Layer.provide(ObjectStore.layerMemory(Fixtures.cluster))),
          TokenSigner.layerInsecure(),
          IdGenerator.layerSequence,
          Config.layer({ issuers: [Fixtures.issuer] })
        )
      )
    ))

  describe("claims guard", () => {
    it("a Secret with a Pod or a Node is a plain 500 error", () => {
      const base = {
        issuer: "https://i",
        namespace: "ns",
        serviceAccount: { name: "sa", uid: "u" },
        audiences: ["a"],
        lifetime: { expirationSeconds: 3600, warnAfterSeconds: 0 },
        now: DateTime.unsafeMake(0),
        jti: ""
      }
      for (const binding of [
        { secret: { name: "s", uid: "1" }, pod: { name: "p", uid: "2" } },
        { secret: { name: "s", uid: "1" }, node: { name: "n", uid: "3" } }
      ]) {
        const result = Claims.make({ ...base, binding })
        assert.isTrue(Either.isLeft(result))
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left._tag, "UnknownReason")
          assert.strictEqual(result.left.message, "internal error, token can only be bound to one object type")
        }
      }
    })
  })
})
