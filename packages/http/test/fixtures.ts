/**
 * Test fixtures: real ports (memory store, jose key ring), a few objects, and the app served over
 * real HTTP (or HTTPS) on an ephemeral loopback port through the Node listener.
 */
import { Config, IdGenerator, type KubeObject, ObjectStore } from "@tokenrequest/domain"
import * as NodeListener from "@tokenrequest/http/NodeListener"
import * as KeyRing from "@tokenrequest/signer-jose/KeyRing"
import * as MemoryStore from "@tokenrequest/store-memory/MemoryStore"
import { Context, Effect, Layer } from "effect"
import { generateKeyPairSync } from "node:crypto"
import * as http from "node:http"
import * as https from "node:https"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import * as path from "node:path"

export const issuer = "https://issuer.test"

export const objects: ReadonlyArray<KubeObject.KubeObject> = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } },
  { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "builder", namespace: "default" } },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: { serviceAccountName: "builder", nodeName: "node-1" }
  },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "other", namespace: "default" },
    spec: { serviceAccountName: "someone-else" }
  },
  { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: "default" } },
  { apiVersion: "v1", kind: "Node", metadata: { name: "node-1" } }
]

export const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
  type: "pkcs8",
  format: "pem"
}) as string

export type Ports =
  | ObjectStore.ObjectStore
  | import("@tokenrequest/domain/TokenSigner").TokenSigner
  | import("@tokenrequest/domain/KeySet").KeySet
  | IdGenerator.IdGenerator
  | Config.Config

/** Real adapters: the memory store with `objects`, an ES256 key ring, random ids. */
export const ports = (config: Partial<Config.TokenConfig> = {}): Layer.Layer<Ports> =>
  Layer.mergeAll(
    Layer.orDie(MemoryStore.layerWithObjects(objects)),
    Layer.orDie(KeyRing.layerFromKeys({ signingKey })),
    IdGenerator.layerRandom,
    Config.layer({ issuers: [issuer], ...config })
  )

export interface Served {
  readonly url: string
  readonly store: ObjectStore.ObjectStore["Type"]
}

export class TestServer extends Context.Tag("test/TestServer")<TestServer, Served>() {}

/**
 * Serves the app on 127.0.0.1 with an ephemeral port; closes the server and disposes the app when
 * the scope ends. With `tls`, serves HTTPS.
 */
export const serve = (
  portsLayer: Layer.Layer<Ports>,
  options: NodeListener.Options & {
    readonly tls?: { readonly cert: string; readonly key: string }
    /** Sees every request before the app does (tests record what clients send). */
    readonly observe?: (req: http.IncomingMessage) => void
  } = {}
): Layer.Layer<TestServer> =>
  Layer.scoped(
    TestServer,
    Effect.gen(function*() {
      const context = yield* Layer.build(portsLayer)
      const store = Context.get(context, ObjectStore.ObjectStore)
      const made = NodeListener.make(Layer.succeedContext(context), options)
      const dispose = made.dispose
      const listener: NodeListener.Listener = (req, res) => {
        options.observe?.(req)
        made.listener(req, res)
      }
      const server = options.tls
        ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, listener)
        : http.createServer(listener)
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => {
          server.listen(0, "127.0.0.1", () => resume(Effect.void))
        }),
        () =>
          Effect.promise(() =>
            new Promise<void>((resolve) => {
              server.closeAllConnections()
              server.close(() => resolve())
            }).then(dispose)
          )
      )
      const { port } = server.address() as AddressInfo
      return { url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`, store }
    })
  )

/** The uid the store gave an object. */
export const uidOf = (store: Served["store"], kind: KubeObject.ObjectKind, namespace: string, name: string) =>
  Effect.map(store.get(kind, namespace, name), (o) => (o._tag === "Some" ? o.value.metadata.uid ?? "" : ""))

/** The claims of a compact JWS. */
export const claimsOf = (token: string): Record<string, any> =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"))

/** POSTs a body and returns status, headers and text. */
export const post = (url: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: body as BodyInit
    })
    return { status: response.status, headers: response.headers, text: await response.text() }
  })

export const get = (url: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    return { status: response.status, headers: response.headers, text: await response.text() }
  })

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made with `openssl` in a fresh temp dir;
 * the layer removes the dir when its scope ends.
 */
export interface Certificate {
  readonly dir: string
  readonly cert: string
  readonly key: string
  readonly certFile: string
}

export class TestCertificate extends Context.Tag("test/TestCertificate")<TestCertificate, Certificate>() {}

export const makeCertificate = (): Certificate => {
  const dir = mkdtempSync(path.join(tmpdir(), "tokenrequest-http-"))
  const certFile = path.join(dir, "tls.crt")
  const keyFile = path.join(dir, "tls.key")
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", keyFile, "-out", certFile,
    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"
  ], { stdio: "ignore", timeout: 20_000 })
  return { dir, certFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") }
}

export const removeCertificate = (certificate: Certificate): Effect.Effect<void> =>
  Effect.sync(() => rmSync(certificate.dir, { recursive: true, force: true }))
