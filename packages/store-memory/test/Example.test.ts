import { assert, it } from "@effect/vitest"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import * as ManifestLoader from "@tokenrequest/store-memory/ManifestLoader"

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../docs/examples/objects.yaml")

it.effect("docs/examples/objects.yaml (the npm start seed) loads", () =>
  Effect.gen(function*() {
    const objects = yield* ManifestLoader.load([example])
    assert.deepStrictEqual(
      objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`),
      ["Namespace//demo", "ServiceAccount/demo/default", "ServiceAccount/demo/builder", "Node//node-1", "Pod/demo/web", "Secret/demo/builder-token-ref"]
    )
    const pod = objects.find((o) => o.kind === "Pod")!
    assert.strictEqual(KubeObject.podServiceAccountName(pod), "builder")
    assert.strictEqual(KubeObject.podNodeName(pod), "node-1")
  }))
