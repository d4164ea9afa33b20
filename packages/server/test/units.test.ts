/**
 * The pure parts, pinned against upstream behaviour: RequestInfo resolution, ABAC matching and its
 * conversions, the forbidden messages, the static token file, Go durations.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Authorization from "@tokenrequest/server/Authorization"
import * as RequestInfo from "@tokenrequest/server/RequestInfo"
import * as TokenFile from "@tokenrequest/server/TokenFile"
import { formatGoDuration, parseGoDuration } from "../src/internal/goDuration.js"

describe("RequestInfo", () => {
  it("resolves resource requests like kube's RequestInfoFactory", () => {
    const token = RequestInfo.resolve("POST", "/api/v1/namespaces/demo/serviceaccounts/builder/token")
    assert.deepInclude(token, {
      isResourceRequest: true, verb: "create", apiGroup: "", apiVersion: "v1", namespace: "demo",
      resource: "serviceaccounts", name: "builder", subresource: "token"
    })
    assert.deepInclude(RequestInfo.resolve("GET", "/api/v1/namespaces/demo/pods"), { verb: "list", resource: "pods", namespace: "demo" })
    assert.deepInclude(RequestInfo.resolve("GET", "/api/v1/pods", new URLSearchParams("watch=true")), { verb: "watch", namespace: "" })
    assert.deepInclude(RequestInfo.resolve("DELETE", "/api/v1/namespaces/demo/pods"), { verb: "deletecollection" })
    assert.deepInclude(RequestInfo.resolve("GET", "/api/v1/namespaces/demo"), { verb: "get", resource: "namespaces", name: "demo", namespace: "demo" })
    assert.deepInclude(RequestInfo.resolve("POST", "/apis/authentication.k8s.io/v1/tokenreviews"), {
      verb: "create", apiGroup: "authentication.k8s.io", resource: "tokenreviews", namespace: ""
    })
  })

  it("treats discovery and other paths as non-resource requests with the method as verb", () => {
    for (const p of ["/api", "/api/v1", "/apis", "/apis/authentication.k8s.io/v1", "/version", "/metrics", "/"]) {
      const info = RequestInfo.resolve("GET", p)
      assert.isFalse(info.isResourceRequest, p)
      assert.strictEqual(info.verb, "get")
      assert.strictEqual(info.path, p)
    }
  })
})

const v1beta1 = (spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: "abac.authorization.kubernetes.io/v1beta1", kind: "Policy", spec })

const parse = (lines: ReadonlyArray<string>) => {
  const parsed = Authorization.parsePolicyFile("policy.jsonl", lines.join("\n"))
  if ("error" in parsed) throw new Error(parsed.error)
  return Authorization.abac(parsed)
}

describe("ABAC", () => {
  const alice = { username: "alice", groups: ["dev", "system:authenticated"] }
  const anonymous = { username: "system:anonymous", groups: ["system:unauthenticated"] }
  const tokenRequest = RequestInfo.resolve("POST", "/api/v1/namespaces/demo/serviceaccounts/builder/token")
  const listPods = RequestInfo.resolve("GET", "/api/v1/namespaces/demo/pods")

  it("matches user, group, namespace, resource, apiGroup, readonly and nonResourcePath as upstream", () => {
    const authorizer = parse([
      "# comment", "",
      v1beta1({ user: "alice", namespace: "demo", resource: "serviceaccounts", apiGroup: "" }),
      v1beta1({ group: "dev", namespace: "*", resource: "pods", apiGroup: "*", readonly: true }),
      v1beta1({ user: "*", nonResourcePath: "/healthz/*", readonly: true })
    ])
    assert.isTrue(authorizer.authorize(alice, tokenRequest).allowed)
    assert.isTrue(authorizer.authorize(alice, listPods).allowed)
    assert.isFalse(authorizer.authorize(alice, RequestInfo.resolve("POST", "/api/v1/namespaces/demo/pods")).allowed)
    assert.isFalse(authorizer.authorize(alice, RequestInfo.resolve("POST", "/api/v1/namespaces/other/serviceaccounts/x/token")).allowed)
    assert.isTrue(authorizer.authorize(alice, RequestInfo.resolve("GET", "/healthz/ping")).allowed)
    assert.deepStrictEqual(authorizer.authorize({ username: "bob" }, tokenRequest), { allowed: false, reason: "No policy matched." })
  })

  it("user or group \"*\" means every authenticated subject, not anonymous", () => {
    const authorizer = parse([v1beta1({ user: "*", namespace: "*", resource: "*", apiGroup: "*" })])
    assert.isTrue(authorizer.authorize(alice, tokenRequest).allowed)
    assert.isFalse(authorizer.authorize(anonymous, tokenRequest).allowed)
    const anon = parse([v1beta1({ group: "system:unauthenticated", namespace: "*", resource: "*", apiGroup: "*" })])
    assert.isTrue(anon.authorize(anonymous, tokenRequest).allowed)
  })

  it("reads unversioned (v0) lines with the v0 defaults", () => {
    const authorizer = parse([JSON.stringify({ user: "alice" })])
    assert.isTrue(authorizer.authorize(alice, tokenRequest).allowed)
    assert.isTrue(authorizer.authorize(alice, RequestInfo.resolve("GET", "/version")).allowed)
  })

  it("reports bad lines with the file and line number", () => {
    const bad = Authorization.parsePolicyFile("p.jsonl", `${v1beta1({ user: "a" })}\n{oops`)
    assert.isTrue("error" in bad && bad.error.startsWith("policy file p.jsonl: line 2: "))
  })

  it("renders the forbidden messages of upstream's responsewriters", () => {
    assert.strictEqual(
      Authorization.forbidden(alice, tokenRequest, "").message,
      `serviceaccounts "builder" is forbidden: User "alice" cannot create resource "serviceaccounts/token" in API group "" in the namespace "demo"`
    )
    assert.strictEqual(
      Authorization.forbidden({ username: "a<b>&" }, RequestInfo.resolve("POST", "/apis/authentication.k8s.io/v1/tokenreviews"), "why").message,
      `tokenreviews.authentication.k8s.io is forbidden: User "a&lt;b&gt;&amp;" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope: why`
    )
    assert.strictEqual(
      Authorization.forbidden(alice, RequestInfo.resolve("GET", "/metrics"), "").message,
      `forbidden: User "alice" cannot get path "/metrics"`
    )
  })

  it("AlwaysAllow and AlwaysDeny, and a union stops at the first allow", () => {
    const deny = Authorization.alwaysDeny.authorize(alice, listPods)
    assert.deepStrictEqual(deny, { allowed: false, reason: "Everything is forbidden." })
    assert.isTrue(Authorization.union([Authorization.alwaysDeny, Authorization.alwaysAllow]).authorize(alice, listPods).allowed)
  })
})

describe("TokenFile", () => {
  it("reads token,user,uid,\"groups\" records like tokenfile.NewCSV", () => {
    const file = TokenFile.parse("t.csv", 'abc,alice,1,"dev,ops"\r\n\n,empty,2\nabc,alice2,3\nxyz,bob,4\n')
    if ("error" in file) throw new Error(file.error)
    assert.deepStrictEqual(TokenFile.lookup(file, "abc"), { username: "alice2", uid: "3" })
    assert.deepStrictEqual(TokenFile.lookup(file, "xyz"), { username: "bob", uid: "4" })
    assert.isUndefined(TokenFile.lookup(file, "ab"))
    assert.deepStrictEqual(file.warnings, [
      "empty token has been found in token file 't.csv', record number '2'",
      "duplicate token has been found in token file 't.csv', record number '3'"
    ])
    const groups = TokenFile.parse("t.csv", 'abc,alice,1,"dev,ops"\n')
    assert.deepStrictEqual(!("error" in groups) && TokenFile.lookup(groups, "abc"), { username: "alice", uid: "1", groups: ["dev", "ops"] })
  })

  it("refuses records with fewer than 3 columns and bad quoting", () => {
    assert.deepStrictEqual(TokenFile.parse("t.csv", "abc,alice\n"), {
      error: "token file 't.csv' must have at least 3 columns (token, user name, user uid), found 2"
    })
    assert.isTrue("error" in TokenFile.parse("t.csv", 'a"b,c,d\n'))
  })

  it.prop("CSV fields round-trip through quoting", [FastCheck.array(FastCheck.string(), { minLength: 1, maxLength: 5 })], ([fields]) => {
    const line = fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(",")
    assert.deepStrictEqual(TokenFile.parseCsv(line), [fields])
  })
})

describe("Go durations", () => {
  it("parses and formats like time.ParseDuration and Duration.String", () => {
    assert.strictEqual(parseGoDuration("48h"), 172800)
    assert.strictEqual(parseGoDuration("1h30m"), 5400)
    assert.strictEqual(parseGoDuration("1.5h"), 5400)
    assert.strictEqual(parseGoDuration("0"), 0)
    assert.isUndefined(parseGoDuration("10"))
    assert.isUndefined(parseGoDuration("soon"))
    assert.strictEqual(formatGoDuration(3600), "1h0m0s")
    assert.strictEqual(formatGoDuration(600), "10m0s")
    assert.strictEqual(formatGoDuration(45), "45s")
  })

  it.prop("format then parse is the identity on whole seconds", [FastCheck.integer({ min: 0, max: 2 ** 32 })], ([seconds]) => {
    assert.strictEqual(parseGoDuration(formatGoDuration(seconds)), seconds)
  })
})
