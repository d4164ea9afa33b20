/**
 * The reference server with `--service-account-signing-endpoint` pointing at `tokenrequest signer
 * serve` (SignerServer): tokens are signed through the socket, reviewed, published in the JWKS, and
 * the signer's maximum caps expiration and extension (semantics §12.2, §12.3, §13).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Server from "@tokenrequest/server/Server"
import { call } from "./fixtures/call.js"
import { SignerServer } from "@tokenrequest/server/ExternalSigner"
import * as Keys from "@tokenrequest/server/Keys"


const signer = (maxTokenExpirationSeconds: number) =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "tr-srv-ext-"))),
      (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
    )
    const keyFile = path.join(dir, "sa.key")
    fs.writeFileSync(keyFile, yield* Keys.generatePrivateKey("ES256"))
    const socket = path.join(dir, "signer.sock")
    const running = yield* SignerServer.serveFiles({ socket, keyFiles: [keyFile], maxTokenExpirationSeconds, refreshHintSeconds: 60 })
    return { socket, keyFile, running }
  })

const objects = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "ns" } },
  { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa", namespace: "ns" } },
  { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "ns", uid: "11111111-2222-3333-4444-555555555555" }, spec: { serviceAccountName: "sa" } }
] as const

/** The reference server signing through the signer at `socket`. */
const serverSigningThrough = (socket: string) =>
  Server.start({
    port: 0,
    serviceAccountIssuer: ["https://issuer.test"],
    apiAudiences: ["api"],
    adminToken: "admin",
    serviceAccountSigningEndpoint: socket,
    initialObjects: objects as any
  })

describe("--service-account-signing-endpoint", () => {
  it.live("TokenRequest is signed through the socket, reviewed, and published", () =>
    Effect.gen(function*() {
      const { socket, running } = yield* signer(86400)
      const server = yield* serverSigningThrough(socket)
      const reply = yield* call(server, "POST", "/api/v1/namespaces/ns/serviceaccounts/sa/token", { spec: { expirationSeconds: 7200 } })
      assert.strictEqual(reply.status, 201)
      const token: string = reply.json.status.token
      const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString())
      const keys = yield* running.ring.keys
      assert.deepStrictEqual(header, { alg: "ES256", kid: keys.verification[0]!.keyId, typ: "JWT" })
      const review = yield* call(server, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
        apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token }
      })
      assert.strictEqual(review.status, 201)
      assert.strictEqual(review.json.status.authenticated, true)
      assert.strictEqual(review.json.status.user.username, "system:serviceaccount:ns:sa")
      const jwks = yield* call(server, "GET", "/openid/v1/jwks")
      assert.deepStrictEqual(jwks.json.keys.map((k: any) => k.kid), [keys.verification[0]!.keyId])
    }).pipe(Effect.scoped))

  it.live("the signer's maximum caps requested and extended expiration", () =>
    Effect.gen(function*() {
      const { socket } = yield* signer(86400)
      const server = yield* serverSigningThrough(socket)
      const long = yield* call(server, "POST", "/api/v1/namespaces/ns/serviceaccounts/sa/token", { spec: { expirationSeconds: 200000 } })
      const claims = (t: string) => JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString())
      const c1 = claims(long.json.status.token)
      assert.strictEqual(c1.exp - c1.iat, 86400)
      const pod = yield* call(server, "GET", "/api/v1/namespaces/ns/pods/web")
      const bound = yield* call(server, "POST", "/api/v1/namespaces/ns/serviceaccounts/sa/token", {
        spec: { expirationSeconds: 3607, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web", uid: pod.json.metadata.uid } }
      })
      assert.strictEqual(bound.status, 201, JSON.stringify(bound.json))
      const c2 = claims(bound.json.status.token)
      assert.strictEqual(c2.exp - c2.iat, 86400)
    }).pipe(Effect.scoped))

  it.live("start-up refusals with upstream texts", () =>
    Effect.gen(function*() {
      const { socket, keyFile } = yield* signer(600)
      const message = (options: Server.Options) =>
        Effect.map(Effect.flip(Effect.scoped(Server.start({ port: 0, adminToken: "a", ...options }))), (e) => e.message)
      assert.strictEqual(
        yield* message({ serviceAccountSigningEndpoint: socket, serviceAccountKeyFile: [keyFile] }),
        "can't set `--service-account-signing-key-file` and/or `--service-account-key-file` with `--service-account-signing-endpoint` (They are mutually exclusive)"
      )
      assert.strictEqual(
        yield* message({ serviceAccountSigningEndpoint: "relative.sock" }),
        "invalid value \"relative.sock\" passed for `--service-account-signing-endpoint`, should be a valid location on the filesystem or must be prefixed with @ to name UDS in abstract namespace"
      )
      assert.strictEqual(
        yield* message({ serviceAccountSigningEndpoint: socket, serviceAccountMaxTokenExpiration: "2h" }),
        "service-account-max-token-expiration cannot be set longer than the token expiration supported by service-account-signing-endpoint: 2h0m0s > 10m0s"
      )
    }).pipe(Effect.scoped))
})
