/**
 * Shared fixtures of the domain tests: a small cluster (namespace `ns-a`, ServiceAccount `bob`, a Pod
 * on a Node, a Secret) and the layers every program needs, with the insecure test signer.
 */
import * as Config from "@tokenrequest/domain/Config"
import * as IdGenerator from "@tokenrequest/domain/IdGenerator"
import * as KeySet from "@tokenrequest/domain/KeySet"
import type * as KubeObject from "@tokenrequest/domain/KubeObject"
import * as ObjectStore from "@tokenrequest/domain/ObjectStore"
import * as TokenSigner from "@tokenrequest/domain/TokenSigner"
import * as Layer from "effect/Layer"

export const issuer = "https://kubernetes.default.svc.cluster.local"

export const saUid = "11111111-1111-4111-8111-111111111111"
export const podUid = "22222222-2222-4222-8222-222222222222"
export const secretUid = "33333333-3333-4333-8333-333333333333"
export const nodeUid = "44444444-4444-4444-8444-444444444444"

export const serviceAccount = (name = "bob", uid = saUid, namespace = "ns-a"): KubeObject.KubeObject => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace, uid }
})

export const pod = (
  name = "pod-1",
  options: { uid?: string; serviceAccountName?: string; nodeName?: string; namespace?: string } = {}
): KubeObject.KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: options.namespace ?? "ns-a", uid: options.uid ?? podUid },
  spec: {
    serviceAccountName: options.serviceAccountName ?? "bob",
    ...(options.nodeName !== undefined ? { nodeName: options.nodeName } : {})
  }
})

export const secret = (name = "secret-1", uid = secretUid): KubeObject.KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: "ns-a", uid }
})

export const node = (name = "node-1", uid = nodeUid): KubeObject.KubeObject => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, uid }
})

export const cluster: ReadonlyArray<KubeObject.KubeObject> = [
  serviceAccount(),
  pod("pod-1", { nodeName: "node-1" }),
  pod("pod-unscheduled"),
  pod("pod-lost-node", { nodeName: "node-gone" }),
  pod("pod-other-sa", { serviceAccountName: "alice" }),
  secret(),
  node()
]

export const layer = (
  options: {
    readonly objects?: ReadonlyArray<KubeObject.KubeObject>
    readonly config?: Partial<Parameters<typeof Config.make>[0]>
  } = {}
) =>
  Layer.mergeAll(
    ObjectStore.layerMemory(options.objects ?? cluster),
    TokenSigner.layerInsecure(),
    KeySet.layerInsecure(),
    IdGenerator.layerSequence,
    Config.layer({ issuers: [issuer], ...options.config })
  )
