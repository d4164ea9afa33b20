/**
 * End to end through the real CLI process and real clients: `tokenrequest serve` as `npm start` runs
 * it (memory store seeded from docs/examples/objects.yaml, generated certificate, admin token,
 * written kubeconfig), then real kubectl and @kubernetes/client-node against it.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as k8s from "@kubernetes/client-node"
import * as fs from "node:fs"
import * as path from "node:path"
import { spawn } from "node:child_process"
import * as os from "node:os"
import { kubectl, kubectlPath, request, root, type Running, startServer } from "./fixtures/process.js"

let server: Running

beforeAll(async () => {
  server = await startServer(["--objects", path.join(root, "docs/examples/objects.yaml")])
}, 300_000)

afterAll(async () => {
  await server?.stop()
})

const claims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"))

describe("tokenrequest serve (npm start defaults)", () => {
  it("prints listening on an https URL first, then the admin token, kubeconfig and examples", () => {
    const lines = server.stdout().split("\n")
    assert.match(lines[0]!, /^listening on https:\/\/127\.0\.0\.1:\d+$/)
    assert.isDefined(server.adminToken)
    assert.include(server.stdout(), "kubectl create token builder -n demo")
    assert.include(server.stdout(), "curl --cacert")
    assert.include(server.stderr(), "ephemeral ES256 key")
    const config = JSON.parse(fs.readFileSync(server.kubeconfig, "utf8"))
    assert.strictEqual(config.clusters[0].cluster.server, server.url)
    assert.strictEqual(Buffer.from(config.clusters[0].cluster["certificate-authority-data"], "base64").toString(), server.ca)
    assert.strictEqual(config.users[0].user.token, server.adminToken)
    assert.strictEqual(fs.statSync(server.kubeconfig).mode & 0o777, 0o600)
  })

  it("serves health and discovery publicly", async () => {
    for (const p of ["/healthz", "/livez", "/readyz"]) {
      const reply = await request(server, "GET", p)
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.body, "ok")
    }
    const discovery = await request(server, "GET", "/.well-known/openid-configuration")
    assert.strictEqual(discovery.status, 200)
    assert.strictEqual(discovery.json().issuer, server.url)
    assert.strictEqual(discovery.json().jwks_uri, `${server.url}/openid/v1/jwks`)
    const jwks = await request(server, "GET", "/openid/v1/jwks")
    assert.strictEqual(jwks.json().keys[0].alg, "ES256")
  })

  it("kubectl create token: issuer = server URL, audience and duration as asked", () => {
    const result = kubectl(server.kubeconfig, ["create", "token", "builder", "-n", "demo", "--audience", "https://example.com", "--duration", "1h"])
    assert.strictEqual(result.status, 0, result.stderr)
    const c = claims(result.stdout.trim())
    assert.strictEqual(c.iss, server.url)
    assert.deepStrictEqual(c.aud, ["https://example.com"])
    assert.strictEqual(c.exp - c.iat, 3600)
    assert.strictEqual(c.sub, "system:serviceaccount:demo:builder")
  })

  it("kubectl get lists the seeded objects as a table and single objects as YAML", () => {
    const pods = kubectl(server.kubeconfig, ["get", "pods", "-n", "demo"])
    assert.strictEqual(pods.status, 0, pods.stderr)
    assert.match(pods.stdout, /^NAME\s+SERVICE ACCOUNT\s+NODE\s+AGE/)
    assert.match(pods.stdout, /\nweb\s+builder\s+node-1\s+/)
    const all = kubectl(server.kubeconfig, ["get", "serviceaccounts", "-A", "-o", "name"])
    assert.include(all.stdout, "serviceaccount/builder")
    const pod = kubectl(server.kubeconfig, ["get", "pod", "web", "-n", "demo", "-o", "jsonpath={.spec.nodeName} {.metadata.uid}"])
    assert.match(pod.stdout, /^node-1 [0-9a-f-]{36}$/)
    const missing = kubectl(server.kubeconfig, ["get", "pod", "nope", "-n", "demo"])
    assert.notStrictEqual(missing.status, 0)
    assert.include(missing.stderr, `pods "nope" not found`)
  })

  it("kubectl create -f, create again (AlreadyExists), delete, then NotFound", () => {
    const dir = fs.mkdtempSync(path.join(server.dir, "manifests-"))
    const file = path.join(dir, "pod.yaml")
    fs.writeFileSync(
      file,
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: worker\n  namespace: demo\nspec:\n  containers:\n  - name: c\n    image: busybox\n"
    )
    const created = kubectl(server.kubeconfig, ["create", "-f", file, "--validate=false"])
    assert.strictEqual(created.status, 0, created.stderr)
    assert.include(created.stdout, "pod/worker created")
    const sa = kubectl(server.kubeconfig, ["get", "pod", "worker", "-n", "demo", "-o", "jsonpath={.spec.serviceAccountName}"])
    assert.strictEqual(sa.stdout, "default")
    const again = kubectl(server.kubeconfig, ["create", "-f", file, "--validate=false"])
    assert.notStrictEqual(again.status, 0)
    assert.include(again.stderr, `pods "worker" already exists`)
    const deleted = kubectl(server.kubeconfig, ["delete", "-f", file])
    assert.strictEqual(deleted.status, 0, deleted.stderr)
    assert.include(deleted.stdout, `pod "worker" deleted`)
    const gone = kubectl(server.kubeconfig, ["get", "pod", "worker", "-n", "demo"])
    assert.include(gone.stderr, `pods "worker" not found`)
  })

  it("kubectl create namespace/serviceaccount/secret (protobuf bodies) and a default service account", () => {
    assert.strictEqual(kubectl(server.kubeconfig, ["create", "namespace", "team"]).status, 0)
    const sa = kubectl(server.kubeconfig, ["get", "sa", "default", "-n", "team", "-o", "name"])
    assert.strictEqual(sa.stdout.trim(), "serviceaccount/default")
    assert.strictEqual(kubectl(server.kubeconfig, ["create", "serviceaccount", "bot", "-n", "team"]).status, 0)
    const secret = kubectl(server.kubeconfig, ["create", "secret", "generic", "creds", "-n", "team", "--from-literal=user=alice"])
    assert.strictEqual(secret.status, 0, secret.stderr)
    const data = kubectl(server.kubeconfig, ["get", "secret", "creds", "-n", "team", "-o", "jsonpath={.data.user}"])
    assert.strictEqual(Buffer.from(data.stdout, "base64").toString(), "alice")
    const token = kubectl(server.kubeconfig, ["create", "token", "bot", "-n", "team"])
    assert.strictEqual(token.status, 0, token.stderr)
    const missingNs = kubectl(server.kubeconfig, ["create", "serviceaccount", "x", "-n", "absent"])
    assert.include(missingNs.stderr, `namespaces "absent" not found`)
    assert.strictEqual(kubectl(server.kubeconfig, ["delete", "namespace", "team"]).status, 0)
    // kubectl checks the namespace after a NotFound and reports that instead.
    assert.include(kubectl(server.kubeconfig, ["get", "sa", "bot", "-n", "team"]).stderr, `namespaces "team" not found`)
  })

  it("kubectl get -w streams changes", async () => {
    const watcher = spawn(kubectlPath(), ["get", "pods", "-n", "demo", "-w", "-o", "name"], {
      env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: os.tmpdir() },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let seen = ""
    watcher.stdout.on("data", (chunk) => (seen += chunk))
    try {
      const waitFor = async (text: string) => {
        for (let i = 0; i < 100 && !seen.includes(text); i++) await new Promise((r) => setTimeout(r, 100))
        return seen.includes(text)
      }
      assert.isTrue(await waitFor("pod/web"), seen)
      assert.strictEqual(kubectl(server.kubeconfig, ["run", "watched", "-n", "demo", "--image", "busybox"]).status, 0)
      assert.isTrue(await waitFor("pod/watched"), seen)
      kubectl(server.kubeconfig, ["delete", "pod", "watched", "-n", "demo"])
    } finally {
      watcher.kill("SIGTERM")
    }
  })

  it("kubectl auth whoami shows the admin, and a service-account token authenticates as the service account", () => {
    const admin = kubectl(server.kubeconfig, ["auth", "whoami", "-o", "json"])
    assert.strictEqual(admin.status, 0, admin.stderr)
    assert.deepStrictEqual(JSON.parse(admin.stdout).status.userInfo, {
      username: "admin",
      uid: "admin",
      groups: ["system:masters", "system:authenticated"]
    })
    const token = kubectl(server.kubeconfig, ["create", "token", "builder", "-n", "demo", "--bound-object-kind", "Pod", "--bound-object-name", "web"]).stdout.trim()
    const asSa = kubectl(server.kubeconfig, ["auth", "whoami", "-o", "json", "--token", token])
    assert.strictEqual(asSa.status, 0, asSa.stderr)
    const user = JSON.parse(asSa.stdout).status.userInfo
    assert.strictEqual(user.username, "system:serviceaccount:demo:builder")
    assert.deepStrictEqual(user.groups, ["system:serviceaccounts", "system:serviceaccounts:demo", "system:authenticated"])
    assert.deepStrictEqual(user.extra["authentication.kubernetes.io/pod-name"], ["web"])
    // The pod's token can request tokens, as in a cluster.
    const minted = kubectl(server.kubeconfig, ["create", "token", "default", "-n", "demo", "--token", token])
    assert.strictEqual(minted.status, 0, minted.stderr)
  })

  it("@kubernetes/client-node: TokenRequest, list, TokenReview, and deleting the pod invalidates its token at once", async () => {
    const config = new k8s.KubeConfig()
    config.loadFromFile(server.kubeconfig)
    const core = config.makeApiClient(k8s.CoreV1Api)
    const auth = config.makeApiClient(k8s.AuthenticationV1Api)
    await core.createNamespacedPod({
      namespace: "demo",
      body: { metadata: { name: "ephemeral" }, spec: { serviceAccountName: "builder", containers: [{ name: "c", image: "busybox" }] } }
    })
    const pods = await core.listNamespacedPod({ namespace: "demo" })
    assert.includeMembers(pods.items.map((p) => p.metadata?.name), ["web", "ephemeral"])
    const issued = await core.createNamespacedServiceAccountToken({
      name: "builder",
      namespace: "demo",
      body: { spec: { audiences: ["https://example.com"], boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "ephemeral" } } }
    })
    const token = issued.status!.token
    const review = () => auth.createTokenReview({ body: { spec: { token, audiences: ["https://example.com"] } } })
    const before = await review()
    assert.strictEqual(before.status?.authenticated, true)
    assert.strictEqual(before.status?.user?.username, "system:serviceaccount:demo:builder")
    await core.deleteNamespacedPod({ name: "ephemeral", namespace: "demo" })
    const after = await review()
    assert.notStrictEqual(after.status?.authenticated, true)
    assert.strictEqual(after.status?.error, "[invalid bearer token, service account token has been invalidated]")
  })

  it("answers unknown discovery (openapi) with a 404 Status and reports /version", async () => {
    const openapi = await request(server, "GET", "/openapi/v2", { token: server.adminToken })
    assert.strictEqual(openapi.status, 404)
    assert.strictEqual(openapi.json().kind, "Status")
    const version = await request(server, "GET", "/version", { token: server.adminToken })
    assert.strictEqual(version.json().gitVersion, "v1.35.0-tokenrequest")
  })

  it("exposes Prometheus metrics: issued, reviewed, latency", async () => {
    const metrics = await request(server, "GET", "/metrics", { token: server.adminToken })
    assert.strictEqual(metrics.status, 200)
    assert.match(metrics.body, /tokenrequest_tokens_issued_total\{result="success"\} [1-9]/)
    assert.match(metrics.body, /tokenrequest_tokens_reviewed_total\{result="authenticated"\} [1-9]/)
    assert.match(metrics.body, /tokenrequest_tokens_reviewed_total\{result="unauthenticated"\} [1-9]/)
    assert.match(metrics.body, /tokenrequest_request_duration_seconds_bucket\{verb="create",resource="serviceaccounts\/token",code="201",le="\+Inf"\} [1-9]/)
    assert.include(metrics.body, "serviceaccount_stale_tokens_total")
    assert.notInclude(metrics.body, server.adminToken!)
  })

  it("never logs tokens", () => {
    assert.notInclude(server.stderr(), server.adminToken!)
    assert.notInclude(server.stderr(), "eyJ")
  })
})
