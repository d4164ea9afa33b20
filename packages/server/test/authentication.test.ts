/**
 * Every authentication and authorization path of the reference server, through the real CLI process
 * on loopback: token file users, service-account tokens, x509 client certificates (a CA made by
 * openssl here), anonymous only with --anonymous-auth, 401 without or with bad credentials, and 403
 * from ABAC and AlwaysDeny with the upstream messages.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { kubectl, request, root, type Running, startServer, tempDir } from "./fixtures/process.js"

const policy = (spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: "abac.authorization.kubernetes.io/v1beta1", kind: "Policy", spec })

const openssl = (args: ReadonlyArray<string>, cwd: string) => execFileSync("openssl", args, { cwd, stdio: "pipe" })

let dir: string
let abac: Running
let deny: Running
let anonymous: Running

const makeCa = (name: string) => {
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "2", "-subj", `/CN=${name}`], dir)
}
const makeClient = (ca: string, name: string, subject: string, ext = "extendedKeyUsage=clientAuth") => {
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject], dir)
  fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`)
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`], dir)
  return { cert: fs.readFileSync(path.join(dir, `${name}.crt`), "utf8"), key: fs.readFileSync(path.join(dir, `${name}.key`), "utf8") }
}

beforeAll(async () => {
  dir = tempDir("authn")
  fs.writeFileSync(
    path.join(dir, "tokens.csv"),
    ['admin-token,admin,1,"system:masters"', "alice-token,alice,2,dev", "bob-token,bob,3", ""].join("\n")
  )
  fs.writeFileSync(
    path.join(dir, "policy.jsonl"),
    [
      "# admins may do anything",
      policy({ group: "system:masters", namespace: "*", resource: "*", apiGroup: "*", nonResourcePath: "*" }),
      policy({ user: "alice", namespace: "demo", resource: "serviceaccounts", apiGroup: "" }),
      policy({ user: "*", nonResourcePath: "*", readonly: true }),
      policy({ group: "system:serviceaccounts", namespace: "demo", resource: "*", apiGroup: "*", readonly: true }),
      ""
    ].join("\n")
  )
  makeCa("client-ca")
  makeCa("other-ca")
  const objects = path.join(root, "docs/examples/objects.yaml")
  ;[abac, deny, anonymous] = await Promise.all([
    startServer([
      "--objects", objects,
      "--token-auth-file", path.join(dir, "tokens.csv"),
      "--authorization-policy-file", path.join(dir, "policy.jsonl"),
      "--client-ca-file", path.join(dir, "client-ca.crt")
    ]),
    startServer(["--objects", objects, "--authorization-mode", "AlwaysDeny"]),
    startServer(
      ["--objects", objects, "--anonymous-auth", "--insecure-plain-http", "--service-account-max-token-expiration", "1h"],
      { plain: true }
    )
  ])
}, 300_000)

afterAll(async () => {
  await Promise.all([abac?.stop(), deny?.stop(), anonymous?.stop()])
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const unauthorized = {
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message: "Unauthorized",
  reason: "Unauthorized",
  code: 401
}

const tokenRequestPath = "/api/v1/namespaces/demo/serviceaccounts/builder/token"

describe("authentication", () => {
  it("401 Unauthorized without credentials, with an unknown token, and with a forged JWT", async () => {
    const forged = `${Buffer.from('{"alg":"ES256","kid":"x"}').toString("base64url")}.${
      Buffer.from(JSON.stringify({ iss: abac.url, sub: "system:serviceaccount:demo:builder", aud: [abac.url] })).toString("base64url")
    }.AAAA`
    for (const token of [undefined, "nope", forged]) {
      const reply = await request(abac, "POST", tokenRequestPath, { token, body: {} })
      assert.strictEqual(reply.status, 401)
      assert.deepStrictEqual(reply.json(), unauthorized)
    }
  })

  it("token file users authenticate with their groups plus system:authenticated", async () => {
    const reply = await request(abac, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      token: "alice-token",
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }
    })
    assert.strictEqual(reply.status, 403) // alice may not create selfsubjectreviews under this policy
    const admin = await request(abac, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      token: "admin-token",
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }
    })
    assert.strictEqual(admin.status, 201)
    assert.deepStrictEqual(admin.json().status.userInfo, { username: "admin", uid: "1", groups: ["system:masters", "system:authenticated"] })
  })

  it("the kubeconfig carries the first token of the token file, and no admin token is generated", () => {
    assert.isUndefined(abac.adminToken)
    const whoami = kubectl(abac.kubeconfig, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])
    assert.strictEqual(whoami.stdout, "admin")
  })

  it("a service-account token issued for an API audience authenticates as the service account", async () => {
    const issued = await request(abac, "POST", tokenRequestPath, { token: "alice-token", body: {} })
    assert.strictEqual(issued.status, 201)
    const token = issued.json().status.token
    // Reading in demo is allowed to service accounts by the policy; creating is not.
    const pods = await request(abac, "GET", "/api/v1/namespaces/demo/pods", { token })
    assert.strictEqual(pods.status, 200)
    assert.strictEqual(pods.json().kind, "PodList")
    const create = await request(abac, "POST", "/api/v1/namespaces/demo/serviceaccounts/default/token", { token, body: {} })
    assert.strictEqual(create.status, 403)
    assert.strictEqual(
      create.json().message,
      `serviceaccounts "default" is forbidden: User "system:serviceaccount:demo:builder" cannot create resource "serviceaccounts/token" in API group "" in the namespace "demo": No policy matched.`
    )
    // A token for another audience is not an API credential.
    const foreign = await request(abac, "POST", tokenRequestPath, { token: "alice-token", body: { spec: { audiences: ["https://elsewhere"] } } })
    const reply = await request(abac, "GET", "/api/v1/namespaces/demo/pods", { token: foreign.json().status.token })
    assert.strictEqual(reply.status, 401)
  })

  it("x509 client certificates: CN is the user, O the groups; other CAs and server-only certificates are refused", async () => {
    const carol = makeClient("client-ca", "carol", "/CN=carol/O=system:masters/O=ops")
    const reply = await request(abac, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      ...carol,
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }
    })
    assert.strictEqual(reply.status, 201, reply.body)
    assert.deepStrictEqual(reply.json().status.userInfo, { username: "carol", groups: ["system:masters", "ops", "system:authenticated"] })
    const mallory = makeClient("other-ca", "mallory", "/CN=mallory/O=system:masters")
    const refused = await request(abac, "GET", "/api/v1/namespaces", mallory)
    assert.strictEqual(refused.status, 401)
    const server = makeClient("client-ca", "server-only", "/CN=dave/O=system:masters", "extendedKeyUsage=serverAuth")
    assert.strictEqual((await request(abac, "GET", "/api/v1/namespaces", server)).status, 401)
    // kubectl with the client certificate.
    const whoami = kubectl(abac.kubeconfig, [
      "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}",
      "--token", "",
      "--client-certificate", path.join(dir, "carol.crt"),
      "--client-key", path.join(dir, "carol.key")
    ])
    assert.strictEqual(whoami.stdout, "carol", whoami.stderr)
  })

  it("anonymous requests are refused without --anonymous-auth and admitted with it", async () => {
    assert.strictEqual((await request(abac, "GET", "/version")).status, 401)
    const reply = await request(anonymous, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }
    })
    assert.strictEqual(reply.status, 201)
    assert.deepStrictEqual(reply.json().status.userInfo, { username: "system:anonymous", groups: ["system:unauthenticated"] })
    // A bad token is not downgraded to anonymous.
    assert.strictEqual((await request(anonymous, "GET", "/api", { token: "bad" })).status, 401)
  })

  it("health and OIDC discovery stay public under every mode", async () => {
    for (const server of [abac, deny]) {
      assert.strictEqual((await request(server, "GET", "/healthz")).status, 200)
      assert.strictEqual((await request(server, "GET", "/openid/v1/jwks")).status, 200)
    }
  })
})

describe("authorization", () => {
  it("ABAC allows what a policy line matches (TokenRequest is create on serviceaccounts/token)", async () => {
    const reply = await request(abac, "POST", tokenRequestPath, { token: "alice-token", body: { spec: { audiences: ["a"] } } })
    assert.strictEqual(reply.status, 201)
    const version = await request(abac, "GET", "/version", { token: "bob-token" })
    assert.strictEqual(version.status, 200)
  })

  it("403 Forbidden for a TokenRequest with the upstream message and details", async () => {
    const reply = await request(abac, "POST", tokenRequestPath, { token: "bob-token", body: {} })
    assert.strictEqual(reply.status, 403)
    assert.deepStrictEqual(reply.json(), {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        `serviceaccounts "builder" is forbidden: User "bob" cannot create resource "serviceaccounts/token" in API group "" in the namespace "demo": No policy matched.`,
      reason: "Forbidden",
      details: { name: "builder", kind: "serviceaccounts" },
      code: 403
    })
  })

  it("403 Forbidden for a TokenReview at the cluster scope", async () => {
    const reply = await request(abac, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
      token: "bob-token",
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token: "x" } }
    })
    assert.strictEqual(reply.status, 403)
    assert.strictEqual(
      reply.json().message,
      `tokenreviews.authentication.k8s.io is forbidden: User "bob" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope: No policy matched.`
    )
    assert.deepStrictEqual(reply.json().details, { group: "authentication.k8s.io", kind: "tokenreviews" })
  })

  it("AlwaysDeny refuses even the admin, with Everything is forbidden.", async () => {
    const reply = await request(deny, "POST", tokenRequestPath, { token: deny.adminToken, body: {} })
    assert.strictEqual(reply.status, 403)
    assert.strictEqual(
      reply.json().message,
      `serviceaccounts "builder" is forbidden: User "admin" cannot create resource "serviceaccounts/token" in API group "" in the namespace "demo": Everything is forbidden.`
    )
    const metrics = await request(deny, "GET", "/metrics", { token: deny.adminToken })
    assert.strictEqual(metrics.json().message, `forbidden: User "admin" cannot get path "/metrics": Everything is forbidden.`)
    const result = kubectl(deny.kubeconfig, ["create", "token", "builder", "-n", "demo"])
    assert.notStrictEqual(result.status, 0)
    assert.include(result.stderr, "is forbidden")
  })

  it("plain HTTP on loopback with AlwaysAllow and the max-expiration warnings", async () => {
    assert.match(anonymous.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.include(
      anonymous.stderr(),
      "service-account-extend-token-expiration is true, in order to correctly trigger safe transition logic, service-account-max-token-expiration must be set longer than 3607 seconds (currently 1h0m0s)"
    )
    assert.include(
      anonymous.stderr(),
      "service-account-extend-token-expiration is true, enabling tokens valid up to 31536000 seconds, which is longer than service-account-max-token-expiration set to 1h0m0s"
    )
    const reply = await request(anonymous, "POST", tokenRequestPath, { body: { spec: { expirationSeconds: 7200 } } })
    assert.strictEqual(reply.status, 201)
    assert.strictEqual(reply.json().spec.expirationSeconds, 3600)
    assert.include(String(reply.headers["warning"]), "requested expiration of 7200 seconds shortened to 3600 seconds")
  })
})
