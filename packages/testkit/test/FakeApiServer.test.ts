/**
 * The one-line fake server as another project uses it: `@kubernetes/client-node` with the written
 * kubeconfig, tokens bound to a Pod that stop reviewing once the Pod is deleted, known signing keys
 * verified with `jose`, the fixed and manual clocks, and the Promise form leaving nothing open.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { AuthenticationV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as jose from "jose"
import { execFile, execFileSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { FakeApiServer } from "@tokenrequest/testkit"

const clientsFor = (kubeconfigPath: string) => {
  const config = new KubeConfig()
  config.loadFromFile(kubeconfigPath)
  return { core: config.makeApiClient(CoreV1Api), authentication: config.makeApiClient(AuthenticationV1Api) }
}

/** POST JSON with the admin token, trusting the server's certificate. */
export const post = (
  server: { readonly url: string; readonly token: string; readonly caCertificate: string | undefined },
  pathname: string,
  body: unknown
): Promise<{ readonly status: number; readonly json: any }> =>
  new Promise((resolve, reject) => {
    const url = new URL(pathname, server.url)
    const request = (url.protocol === "https:" ? https : http).request(url, {
      method: "POST",
      ...(server.caCertificate === undefined ? {} : { ca: server.caCertificate }),
      agent: false,
      headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" }
    }, (response) => {
      let data = ""
      response.setEncoding("utf8")
      response.on("data", (chunk) => (data += chunk))
      response.on("end", () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(data) }))
    })
    request.setTimeout(10_000, () => request.destroy(new Error("timed out")))
    request.on("error", reject)
    request.end(JSON.stringify(body))
  })

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"))

const objects: Array<FakeApiServer.ObjectInput> = [
  { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "builder", namespace: "default" } },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: { serviceAccountName: "builder", containers: [{ name: "web", image: "nginx" }] }
  }
]

describe("FakeApiServer.layer", () => {
  layer(FakeApiServer.layer({ objects }), { timeout: 60_000 })((it) => {
    it.effect("client-node with the kubeconfig: a token bound to a pod reviews, then fails once the pod is deleted", () =>
      Effect.gen(function*() {
        const server = yield* FakeApiServer.FakeApiServer
        assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/)
        assert.strictEqual(server.issuer, server.url)
        assert.include(server.caCertificate ?? "", "BEGIN CERTIFICATE")
        assert.strictEqual(fs.readFileSync(server.kubeconfigPath, "utf8"), server.kubeconfig)
        const pod = Option.getOrThrow(yield* server.getObject({ kind: "Pod", name: "web" }))
        const { authentication, core } = clientsFor(server.kubeconfigPath)

        const created = yield* Effect.promise(() =>
          core.createNamespacedServiceAccountToken({
            name: "builder",
            namespace: "default",
            body: { spec: { audiences: ["vault"], boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web" } } }
          })
        )
        const token = created.status!.token
        const claims = claimsOf(token)
        assert.strictEqual(claims.iss, server.issuer)
        assert.deepStrictEqual(claims["kubernetes.io"].pod, { name: "web", uid: pod.metadata.uid })

        const review = yield* Effect.promise(() =>
          authentication.createTokenReview({ body: { spec: { token, audiences: ["vault"] } } })
        )
        assert.strictEqual(review.status?.authenticated, true)
        assert.strictEqual(review.status?.user?.username, "system:serviceaccount:default:builder")
        assert.deepStrictEqual(review.status?.user?.extra?.["authentication.kubernetes.io/pod-name"], ["web"])

        const deleted = yield* server.deleteObject({ kind: "Pod", name: "web" })
        assert.strictEqual(deleted.metadata.uid, pod.metadata.uid)
        const after = yield* Effect.promise(() =>
          authentication.createTokenReview({ body: { spec: { token, audiences: ["vault"] } } })
        )
        assert.notStrictEqual(after.status?.authenticated, true)
        assert.include(after.status?.error ?? "", "service account token has been invalidated")

        // and a new pod of the same name (a new uid) does not revive the token
        yield* server.createObject(objects[1]!)
        const revived = yield* Effect.promise(() =>
          authentication.createTokenReview({ body: { spec: { token, audiences: ["vault"] } } })
        )
        assert.notStrictEqual(revived.status?.authenticated, true)
      }))

    it.effect("objects created through the store are served by the object API and bindable", () =>
      Effect.gen(function*() {
        const server = yield* FakeApiServer.FakeApiServer
        const secret = yield* server.createObject({
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "bound-secret" },
          type: "Opaque"
        })
        assert.strictEqual(secret.metadata.namespace, "default")
        const listed = yield* Effect.promise(() => clientsFor(server.kubeconfigPath).core.listNamespacedSecret({ namespace: "default" }))
        assert.include(listed.items.map((s) => s.metadata?.name), "bound-secret")
        const reply = yield* Effect.promise(() =>
          post(server, "/api/v1/namespaces/default/serviceaccounts/default/token", {
            spec: { boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "bound-secret", uid: secret.metadata.uid } }
          })
        )
        assert.strictEqual(reply.status, 201)
        assert.deepStrictEqual(claimsOf(reply.json.status.token)["kubernetes.io"].secret, {
          name: "bound-secret",
          uid: secret.metadata.uid
        })
      }))
  })
})

describe("known keys", () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
  const signingKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString()
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString()

  layer(
    FakeApiServer.layer({
      signingKeyPem,
      issuer: "https://issuer.test",
      apiAudiences: ["https://api.test"],
      maxTokenExpiration: "2h",
      extendTokenExpiration: false,
      tls: false
    }),
    { timeout: 60_000 }
  )((it) => {
    it.effect("a token verifies with jose against the given public key", () =>
      Effect.gen(function*() {
        const server = yield* FakeApiServer.FakeApiServer
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.strictEqual(server.caCertificate, undefined)
        const reply = yield* Effect.promise(() =>
          post(server, "/api/v1/namespaces/default/serviceaccounts/default/token", { spec: { expirationSeconds: 86400 } })
        )
        assert.strictEqual(reply.status, 201)
        const key = yield* Effect.promise(() => jose.importSPKI(publicKeyPem, "ES256"))
        const verified = yield* Effect.promise(() =>
          jose.jwtVerify(reply.json.status.token, key, { issuer: "https://issuer.test", audience: "https://api.test" })
        )
        assert.strictEqual(verified.payload.sub, "system:serviceaccount:default:default")
        // capped by maxTokenExpiration, not extended
        assert.strictEqual(verified.payload.exp! - verified.payload.iat!, 7200)
      }))
  })
})

describe("clocks", () => {
  layer(FakeApiServer.layer({ clock: { fixed: "2030-01-02T03:04:05Z" }, tls: false }), { timeout: 60_000 })((it) => {
    it.effect("a fixed clock: iat, creationTimestamp and expirationTimestamp derive from it", () =>
      Effect.gen(function*() {
        const server = yield* FakeApiServer.FakeApiServer
        const pod = yield* server.createObject({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "fixed" },
          spec: { serviceAccountName: "default" }
        })
        assert.strictEqual(new Date(pod.metadata.creationTimestamp!.epochMillis).toISOString(), "2030-01-02T03:04:05.000Z")
        const reply = yield* Effect.promise(() =>
          post(server, "/api/v1/namespaces/default/serviceaccounts/default/token", {
            spec: { audiences: ["x"], expirationSeconds: 600 }
          })
        )
        assert.strictEqual(reply.status, 201)
        assert.strictEqual(claimsOf(reply.json.status.token).iat, Date.UTC(2030, 0, 2, 3, 4, 5) / 1000)
        assert.strictEqual(reply.json.status.expirationTimestamp, "2030-01-02T03:14:05Z")
      }))
  })

  it.live("a manual clock: advancing past exp makes the review fail", () =>
    Effect.gen(function*() {
      const server = yield* FakeApiServer.make({ clock: { manual: "2030-01-02T00:00:00Z" }, tls: false })
      assert.isDefined(server.clock)
      const reply = yield* Effect.promise(() =>
        post(server, "/api/v1/namespaces/default/serviceaccounts/default/token", {
          spec: { audiences: ["x"], expirationSeconds: 600 }
        })
      )
      assert.strictEqual(reply.status, 201)
      const review = (token: string) =>
        Effect.promise(() =>
          post(server, "/apis/authentication.k8s.io/v1/tokenreviews", { spec: { token, audiences: ["x"] } })
        )
      assert.strictEqual((yield* review(reply.json.status.token)).json.status.authenticated, true)
      // exp plus the 60-second leeway of upstream's validator
      yield* server.advance("12 minutes")
      const expired = yield* review(reply.json.status.token)
      assert.notStrictEqual(expired.json.status.authenticated, true)
      assert.strictEqual(expired.json.status.error, "[invalid bearer token, service account token has expired]")
    }).pipe(Effect.scoped))
})

const handleCounts = () => {
  const counts = new Map<string, number>()
  for (const type of process.getActiveResourcesInfo()) {
    // listeners and file watchers (client sockets of earlier tests may still be closing)
    if (!["TCPServerWrap", "FSEventWrap", "StatWatcher"].includes(type)) continue
    counts.set(type, (counts.get(type) ?? 0) + 1)
  }
  return Object.fromEntries([...counts].sort())
}

/** Open sockets of this process with the given port at either end. */
const socketsOn = (port: number) =>
  ((process as unknown as { _getActiveHandles: () => Array<unknown> })._getActiveHandles())
    .filter((handle): handle is net.Socket => handle instanceof net.Socket && !handle.destroyed)
    .filter((socket) => socket.localPort === port || socket.remotePort === port)
    .map((socket) => `${socket.localPort}->${socket.remotePort}`)

const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    socket.setTimeout(5_000, () => {
      socket.destroy()
      resolve(false)
    })
    socket.on("connect", () => {
      socket.destroy()
      resolve(false)
    })
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"))
  })

describe("FakeApiServer.start (Promise form)", () => {
  it("start, use, close: port closed, temporary files gone, no handle left open", async () => {
    const before = handleCounts()
    const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
    const server = await FakeApiServer.start({
      objects,
      signingKeyPem: privateKey.export({ type: "sec1", format: "pem" }).toString()
    })
    assert.isTrue(fs.existsSync(server.kubeconfigPath))
    // while running: one listening socket more than before
    const running = handleCounts()
    assert.strictEqual(running["TCPServerWrap"] ?? 0, (before["TCPServerWrap"] ?? 0) + 1)
    const pod = await server.getObject({ kind: "Pod", name: "web" })
    assert.strictEqual(pod?.metadata.name, "web")
    const reply = await post(server, "/api/v1/namespaces/default/serviceaccounts/builder/token", {
      spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web" } }
    })
    assert.strictEqual(reply.status, 201)
    const review = await clientsFor(server.kubeconfigPath).authentication.createTokenReview({
      body: { spec: { token: reply.json.status.token } }
    })
    assert.strictEqual(review.status?.authenticated, true)
    await server.deleteObject({ kind: "Pod", name: "web" })
    assert.strictEqual(await server.getObject({ kind: "Pod", name: "web" }), undefined)

    await server.close()
    await server.close()
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepStrictEqual(handleCounts(), before)
    assert.deepStrictEqual(socketsOn(server.port), [])
    assert.isTrue(await refusesConnections(server.port))
    assert.isFalse(fs.existsSync(server.kubeconfigPath))
  })

  it("a bad object or option rejects start, naming it, and leaves nothing behind", async () => {
    const error = await FakeApiServer.start({
      objects: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } } as any]
    }).then(() => undefined, (e: unknown) => e as Error)
    assert.include(error?.message ?? "", "objects[0]")
    const missing = await FakeApiServer.start({ objects: ["/nonexistent/manifest.yaml"] }).then(
      () => undefined,
      (e: unknown) => e as Error
    )
    assert.include(missing?.message ?? "", "/nonexistent/manifest.yaml")
    const tooShort = await FakeApiServer.start({ maxTokenExpiration: "5m" }).then(() => undefined, (e: unknown) => e as Error)
    assert.include(tooShort?.message ?? "", "between 1 hour")
  })

  it("advance without a manual clock rejects with a clear message", async () => {
    const server = await FakeApiServer.start({ tls: false })
    try {
      const error = await server.advance("1 hour").then(() => undefined, (e: unknown) => e as Error)
      assert.include(String(error?.message ?? error), "clock: { manual")
    } finally {
      await server.close()
    }
  })

  it("authorization: ABAC policies for static users (admin kept), AlwaysDeny refuses everyone", async () => {
    const server = await FakeApiServer.start({
      tls: false,
      authorization: { abacPolicies: [{ apiVersion: "abac.authorization.kubernetes.io/v1beta1", kind: "Policy", spec: { user: "reader", namespace: "*", resource: "*", apiGroup: "*", readonly: true } }] },
      users: [{ token: "reader-token", name: "reader" }]
    })
    try {
      const asAdmin = await post(server, "/api/v1/namespaces/default/serviceaccounts/default/token", {})
      assert.strictEqual(asAdmin.status, 201)
      const asReader = await post({ ...server, token: "reader-token" }, "/api/v1/namespaces/default/serviceaccounts/default/token", {})
      assert.strictEqual(asReader.status, 403)
      assert.include(asReader.json.message, "User \"reader\" cannot create resource \"serviceaccounts/token\"")
    } finally {
      await server.close()
    }
    const denied = await FakeApiServer.start({ tls: false, authorization: "AlwaysDeny" })
    try {
      const reply = await post(denied, "/api/v1/namespaces/default/serviceaccounts/default/token", {})
      assert.strictEqual(reply.status, 403)
    } finally {
      await denied.close()
    }
  })
})

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")

/** Real kubectl, run asynchronously: the server lives in this process, a blocking spawn would starve it. */
const kubectl = (kubeconfigPath: string, args: ReadonlyArray<string>) => {
  const binary = execFileSync("node", [path.join(root, "scripts/kubectl.mjs")], { cwd: root, encoding: "utf8" }).trim()
  return new Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resolve) => {
    execFile(binary, [...args], {
      env: { ...process.env, KUBECONFIG: kubeconfigPath, HOME: os.tmpdir() },
      timeout: 60_000
    }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }))
  })
}

describe("kubectl with the written kubeconfig", () => {
  it("create token bound to a pod, delete the pod, the token no longer reviews", async () => {
    const server = await FakeApiServer.start({ objects })
    try {
      const created = await kubectl(server.kubeconfigPath, [
        "create", "token", "builder", "--audience", "vault", "--bound-object-kind", "Pod", "--bound-object-name", "web"
      ])
      assert.strictEqual(created.code, 0, created.stderr)
      const token = created.stdout.trim()
      assert.deepStrictEqual(claimsOf(token)["kubernetes.io"].pod.name, "web")
      const review = () => post(server, "/apis/authentication.k8s.io/v1/tokenreviews", { spec: { token, audiences: ["vault"] } })
      assert.strictEqual((await review()).json.status.authenticated, true)
      const deleted = await kubectl(server.kubeconfigPath, ["delete", "pod", "web"])
      assert.strictEqual(deleted.code, 0, deleted.stderr)
      assert.include(deleted.stdout, "pod \"web\" deleted")
      assert.strictEqual(await server.getObject({ kind: "Pod", name: "web" }), undefined)
      assert.notStrictEqual((await review()).json.status.authenticated, true)
    } finally {
      await server.close()
    }
  })
})
