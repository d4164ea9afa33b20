/**
 * The objects the suite creates for itself through the standard Kubernetes API, all uniquely named:
 * a namespace, two service accounts, pods (one scheduled on the suite's node, one running as the other
 * service account, one to delete), secrets (one to delete) and a node. Everything is deleted again
 * when the scope closes, also on failure or interruption.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as crypto from "node:crypto"
import type { Endpoint } from "./Endpoint.js"
import * as Http from "./Endpoint.js"
import { describeResponse, record } from "./internal/expect.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ObjectRef {
  readonly name: string
  readonly uid: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Fixture {
  readonly namespace: string
  /** The service account tokens are requested for. */
  readonly serviceAccount: ObjectRef
  /** A second service account (the owner of `otherPod`). */
  readonly otherServiceAccount: ObjectRef
  readonly node: ObjectRef
  /** Runs as `serviceAccount`, scheduled on `node`. */
  readonly pod: ObjectRef
  /** Runs as `otherServiceAccount`. */
  readonly otherPod: ObjectRef
  /** Runs as `serviceAccount`; deleted by the invalidation check. */
  readonly doomedPod: ObjectRef
  readonly secret: ObjectRef
  /** Deleted by the invalidation check. */
  readonly doomedSecret: ObjectRef
}

/**
 * Creating or deleting the suite's objects failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class FixtureError extends Error {
  readonly _tag = "FixtureError"
}

const container = { name: "c", image: "registry.k8s.io/pause:3.9" }

/** The path of an object for DELETE/GET, and of its collection for POST. */
const paths = (kind: string, namespace: string | undefined, name?: string): string => {
  const plural = { Namespace: "namespaces", Node: "nodes", ServiceAccount: "serviceaccounts", Pod: "pods", Secret: "secrets" }[kind]!
  const base = namespace === undefined ? `/api/v1/${plural}` : `/api/v1/namespaces/${namespace}/${plural}`
  return name === undefined ? base : `${base}/${name}`
}

/**
 * Deletes one object (pods with `gracePeriodSeconds=0`, so no kubelet is needed); a 404 is fine.
 *
 * @since 0.1.0
 * @category operations
 */
export const remove = (
  endpoint: Endpoint,
  kind: string,
  namespace: string | undefined,
  name: string
): Effect.Effect<void, FixtureError> =>
  Http.request(endpoint, "DELETE", paths(kind, namespace, name) + (kind === "Pod" ? "?gracePeriodSeconds=0" : "")).pipe(
    Effect.mapError((e) => new FixtureError(e.message)),
    Effect.flatMap((r) =>
      r.status < 300 || r.status === 404
        ? Effect.void
        : Effect.fail(new FixtureError(`DELETE ${kind} ${name}: ${describeResponse(r)}`))
    )
  )

const create = (
  endpoint: Endpoint,
  created: Ref.Ref<Array<{ kind: string; namespace: string | undefined; name: string }>>,
  object: { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown }
): Effect.Effect<ObjectRef, FixtureError> =>
  Effect.gen(function*() {
    const namespace = object.metadata.namespace
    const response = yield* Http.request(endpoint, "POST", paths(object.kind, namespace), { apiVersion: "v1", ...object })
      .pipe(Effect.mapError((e) => new FixtureError(e.message)))
    if (response.status !== 201 && response.status !== 200) {
      return yield* Effect.fail(new FixtureError(`creating ${object.kind} ${object.metadata.name}: ${describeResponse(response)}`))
    }
    yield* Ref.update(created, (list) => [...list, { kind: object.kind, namespace, name: object.metadata.name }])
    const uid = record(record(response.json)["metadata"])["uid"]
    return { name: object.metadata.name, uid: typeof uid === "string" ? uid : "" }
  })

/** A real apiserver creates a namespace's objects asynchronously: wait until the SA can be read. */
const waitFor = (endpoint: Endpoint, path: string): Effect.Effect<ObjectRef, FixtureError> =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 50; attempt++) {
      const response = yield* Http.request(endpoint, "GET", path).pipe(Effect.mapError((e) => new FixtureError(e.message)))
      if (response.status === 200) {
        const metadata = record(record(response.json)["metadata"])
        return { name: String(metadata["name"] ?? ""), uid: String(metadata["uid"] ?? "") }
      }
      yield* Effect.sleep("200 millis")
    }
    return yield* Effect.fail(new FixtureError(`${path} did not appear within 10 s`))
  })

/**
 * Creates the fixture; the scope's finalizer deletes everything created (pods, secrets, service
 * accounts, namespace, node) and reports deletion problems to `onCleanupError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  endpoint: Endpoint,
  onCleanupError: (message: string) => void = () => {}
): Effect.Effect<Fixture, FixtureError, Scope.Scope> =>
  Effect.gen(function*() {
    const suffix = crypto.randomBytes(4).toString("hex")
    const namespace = `conformance-${suffix}`
    const created = yield* Ref.make<Array<{ kind: string; namespace: string | undefined; name: string }>>([])
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const list = yield* Ref.get(created)
        for (const o of [...list].reverse()) {
          yield* remove(endpoint, o.kind, o.namespace, o.name).pipe(
            Effect.catchAll((e) => Effect.sync(() => onCleanupError(e.message)))
          )
        }
      })
    )
    const make = (object: Parameters<typeof create>[2]) => create(endpoint, created, object)
    yield* make({ kind: "Namespace", metadata: { name: namespace } })
    const saName = "conformance-sa"
    const otherSaName = "conformance-other-sa"
    yield* make({ kind: "ServiceAccount", metadata: { name: saName, namespace } })
    yield* make({ kind: "ServiceAccount", metadata: { name: otherSaName, namespace } })
    const serviceAccount = yield* waitFor(endpoint, paths("ServiceAccount", namespace, saName))
    const otherServiceAccount = yield* waitFor(endpoint, paths("ServiceAccount", namespace, otherSaName))
    const node = yield* make({ kind: "Node", metadata: { name: `conformance-node-${suffix}` } })
    const pod = yield* make({
      kind: "Pod",
      metadata: { name: "conformance-pod", namespace },
      spec: { serviceAccountName: saName, nodeName: node.name, containers: [container] }
    })
    const otherPod = yield* make({
      kind: "Pod",
      metadata: { name: "conformance-other-pod", namespace },
      spec: { serviceAccountName: otherSaName, nodeName: node.name, containers: [container] }
    })
    const doomedPod = yield* make({
      kind: "Pod",
      metadata: { name: "conformance-doomed-pod", namespace },
      spec: { serviceAccountName: saName, nodeName: node.name, containers: [container] }
    })
    const secret = yield* make({
      kind: "Secret",
      metadata: { name: "conformance-secret", namespace },
      type: "Opaque",
      data: { key: Buffer.from("value").toString("base64") }
    })
    const doomedSecret = yield* make({
      kind: "Secret",
      metadata: { name: "conformance-doomed-secret", namespace },
      type: "Opaque"
    })
    return { namespace, serviceAccount, otherServiceAccount, node, pod, otherPod, doomedPod, secret, doomedSecret }
  })
