import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as ManifestLoader from "@tokenrequest/store-memory/ManifestLoader"
import * as MemoryStore from "@tokenrequest/store-memory/MemoryStore"
import { afterAll } from "vitest"

const dir = mkdtempSync(path.join(tmpdir(), "manifests-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, text: string) => {
  const p = path.join(dir, name)
  writeFileSync(p, text)
  return p
}

const multiDoc = file("objects.yaml", `
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: builder
  namespace: demo
---
# an empty document is skipped
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  serviceAccountName: builder
  nodeName: node-1
  containers: [{name: web, image: nginx}]
`)

const list = file("list.yaml", `
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: node-1}
- apiVersion: v1
  kind: Secret
  metadata: {name: builder-token-ref}
  type: Opaque
  stringData: {note: hello}
`)

const json = file("sa.json", JSON.stringify({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "demo" } }))

describe("ManifestLoader", () => {
  it.effect("reads multi-document YAML, List and JSON files, in order", () =>
    Effect.gen(function*() {
      const objects = yield* ManifestLoader.load([multiDoc, list, json])
      assert.deepStrictEqual(
        objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`),
        ["Namespace//demo", "ServiceAccount/demo/builder", "Pod/demo/web", "Node//node-1", "Secret/default/builder-token-ref", "ServiceAccount/demo/default"]
      )
      const pod = objects[2]!
      assert.deepStrictEqual(pod["spec"], { serviceAccountName: "builder", nodeName: "node-1", containers: [{ name: "web", image: "nginx" }] })
      assert.deepStrictEqual(pod.metadata.labels, { app: "web" })
      assert.deepStrictEqual(objects[4]!["stringData"], { note: "hello" })
    }))

  it.effect("a namespaced object without a namespace goes to default", () =>
    Effect.gen(function*() {
      const [secret] = yield* ManifestLoader.parse("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n", "s.yaml")
      assert.strictEqual(secret!.metadata.namespace, "default")
    }))

  it.effect("unknown kinds and malformed documents are reported with file and document index", () =>
    Effect.gen(function*() {
      const bad = file("bad.yaml", `
apiVersion: v1
kind: ServiceAccount
metadata: {name: ok}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
---
apiVersion: v1
kind: Pod
metadata: [not, a, mapping]
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: fine}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cm}
---
key: [unclosed
`)
      const error = yield* Effect.flip(ManifestLoader.load([bad]))
      assert.strictEqual(error._tag, "ManifestError")
      assert.deepStrictEqual(error.problems.map((p) => [p.path, p.document, p.item]), [
        [bad, 1, undefined],
        [bad, 2, undefined],
        [bad, 3, 1],
        [bad, 4, undefined]
      ])
      assert.include(error.problems[0]!.message, `unsupported kind "Deployment"`)
      assert.include(error.problems[1]!.message, "metadata")
      assert.include(error.problems[2]!.message, `unsupported kind "ConfigMap"`)
      assert.include(error.problems[3]!.message, "invalid YAML")
      assert.include(error.message, `${bad}: document 1: unsupported kind "Deployment"`)
      assert.include(error.message, `${bad}: document 3, items[1]: unsupported kind "ConfigMap"`)
      assert.notInclude(error.message, "\n")
    }))

  it.effect("wrong apiVersion, missing kind or name, invalid JSON and unreadable files are problems too", () =>
    Effect.gen(function*() {
      const wrong = file("wrong.yaml", "apiVersion: v2\nkind: Pod\nmetadata: {name: p}\n---\nmetadata: {name: p}\n---\napiVersion: v1\nkind: Pod\nmetadata: {}\n")
      const badJson = file("bad.json", "{\"apiVersion\": \"v1\",")
      const missing = path.join(dir, "missing.yaml")
      const error = yield* Effect.flip(ManifestLoader.load([wrong, badJson, missing]))
      assert.deepStrictEqual(error.problems.map((p) => [path.basename(p.path), p.document]), [
        ["wrong.yaml", 0],
        ["wrong.yaml", 1],
        ["wrong.yaml", 2],
        ["bad.json", 0],
        ["missing.yaml", undefined]
      ])
      assert.include(error.problems[0]!.message, `unsupported apiVersion "v2"`)
      assert.include(error.problems[1]!.message, "Kind")
      assert.include(error.problems[2]!.message, "metadata.name is required")
      assert.include(error.problems[3]!.message, "invalid JSON")
      assert.include(error.problems[4]!.message, "cannot read file")
    }))

  it.effect("the same object twice, across files, is rejected", () =>
    Effect.gen(function*() {
      const again = file("again.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: demo}\n")
      const error = yield* Effect.flip(ManifestLoader.load([multiDoc, again]))
      assert.strictEqual(error.problems.length, 1)
      assert.strictEqual(error.problems[0]!.path, again)
      assert.include(error.message, `pods "demo/web" is defined twice (first in ${multiDoc}: document 3)`)
    }))

  it.effect("all or nothing: one bad file and no store is built", () =>
    Effect.gen(function*() {
      const bad = file("one-bad.yaml", "apiVersion: v1\nkind: Deployment\nmetadata: {name: d}\n")
      const error = yield* Effect.flip(Effect.provide(ObjectStore, MemoryStore.layerFromManifests([multiDoc, bad])))
      assert.strictEqual(error._tag, "ManifestError")
      assert.strictEqual(error.problems.length, 1)
    }))

  it.effect("layerFromManifests seeds a store from files", () =>
    Effect.gen(function*() {
      const store = yield* ObjectStore
      const pod = Option.getOrThrow(yield* store.get("Pod", "demo", "web"))
      assert.match(pod.metadata.uid!, /^[0-9a-f-]{36}$/)
      assert.strictEqual((yield* store.list("ServiceAccount", "demo")).length, 2)
    }).pipe(Effect.provide(MemoryStore.layerFromManifests([multiDoc, list, json]))))

  it.effect("seed with skipExisting leaves existing objects alone", () =>
    Effect.gen(function*() {
      const store = yield* ObjectStore
      const objects = yield* ManifestLoader.load([multiDoc])
      const first = yield* ManifestLoader.seed(objects)
      const second = yield* ManifestLoader.seed(objects, { skipExisting: true })
      assert.strictEqual(first.length, 3)
      assert.strictEqual(second.length, 0)
      const error = yield* Effect.flip(ManifestLoader.seed(objects))
      assert.strictEqual(error.message, `namespaces "demo" already exists`)
      assert.strictEqual((yield* store.list("Pod")).length, 1)
    }).pipe(Effect.provide(MemoryStore.layer)))
})
