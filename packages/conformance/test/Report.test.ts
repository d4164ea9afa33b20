/** The report formats and the kubeconfig reader, without a server. */
import { assert, describe, it } from "@effect/vitest"
import * as Endpoint from "@tokenrequest/conformance/Endpoint"
import * as Kubeconfig from "@tokenrequest/conformance/Kubeconfig"
import * as Report from "@tokenrequest/conformance/Report"

const report: Report.Report = {
  server: "https://127.0.0.1:6443",
  results: [
    { id: "a.one", title: "first", chapter: "a.md", outcome: "passed", durationMillis: 5 },
    { id: "a.two", title: "second <x> & # y", chapter: "a.md", outcome: "failed", message: "expected 1, got \"2\"", durationMillis: 7 },
    { id: "b.three", title: "third", chapter: "b.md", outcome: "skipped", message: "not enabled", durationMillis: 1 }
  ],
  cleanupErrors: []
}

describe("Report", () => {
  it("summary counts outcomes", () => {
    assert.strictEqual(Report.summary(report), "1 passed, 1 failed, 1 skipped")
    assert.isFalse(Report.succeeded(report))
    const passing = { ...report, results: [report.results[0]!, report.results[2]!] }
    assert.isTrue(Report.succeeded(passing))
    assert.isFalse(Report.succeeded({ ...passing, cleanupErrors: ["DELETE Pod p: HTTP 500"] }))
  })

  it("TAP 13: plan, ok / not ok with a YAML block, # SKIP, summary comment", () => {
    assert.strictEqual(
      Report.tap(report),
      [
        "TAP version 13",
        "1..3",
        "ok 1 a.one - first",
        "not ok 2 a.two - second <x> & \\# y",
        "  ---",
        "  message: \"expected 1, got \\\"2\\\"\"",
        "  chapter: \"a.md\"",
        "  ...",
        "ok 3 b.three - third # SKIP not enabled",
        "# 1 passed, 1 failed, 1 skipped",
        ""
      ].join("\n")
    )
  })

  it("JUnit XML: counts, escaped names, failure and skipped elements", () => {
    const xml = Report.junit(report)
    assert.include(xml, `<testsuite name="tokenrequest-conformance" tests="3" failures="1" errors="0" skipped="1"`)
    assert.include(xml, `<testcase classname="a.md" name="a.two - second &lt;x&gt; &amp; # y" time="0.007">`)
    assert.include(xml, `<failure message="expected 1, got &quot;2&quot;">`)
    assert.include(xml, `<skipped message="not enabled"/>`)
    assert.include(xml, `<testcase classname="a.md" name="a.one - first" time="0.005"/>`)
  })
})

describe("Kubeconfig", () => {
  it("reads the current context of a YAML kubeconfig (kind/kubeadm layout)", () => {
    const yaml = [
      "apiVersion: v1",
      "clusters:",
      "- cluster:",
      "    certificate-authority-data: " + Buffer.from("PEM").toString("base64"),
      "    server: https://127.0.0.1:6443 # comment",
      "  name: kind-kind",
      "- cluster:",
      "    server: https://other:6443",
      "    insecure-skip-tls-verify: true",
      "  name: other",
      "contexts:",
      "- context:",
      "    cluster: kind-kind",
      "    user: kind-kind",
      "  name: kind-kind",
      "- context:",
      "    cluster: other",
      "    user: other",
      "  name: other",
      "current-context: kind-kind",
      "kind: Config",
      "users:",
      "- name: kind-kind",
      "  user:",
      "    token: \"abc.def\"",
      "    client-certificate-data: " + Buffer.from("CERT").toString("base64"),
      "    client-key-data: " + Buffer.from("KEY").toString("base64"),
      "- name: other",
      "  user:",
      "    token: 'xyz'",
      ""
    ].join("\n")
    assert.deepStrictEqual(Kubeconfig.parse(yaml, "/"), {
      server: "https://127.0.0.1:6443",
      token: "abc.def",
      clientCertificate: "CERT",
      clientKey: "KEY",
      certificateAuthority: "PEM"
    })
    assert.deepStrictEqual(Kubeconfig.parse(yaml, "/", "other"), {
      server: "https://other:6443",
      token: "xyz",
      insecureSkipTlsVerify: true
    })
  })

  it("reads a JSON kubeconfig", () => {
    const json = JSON.stringify({
      clusters: [{ name: "c", cluster: { server: "https://s" } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x"
    })
    assert.deepStrictEqual(Kubeconfig.parse(json, "/"), { server: "https://s", token: "t" })
  })
})

describe("Endpoint", () => {
  it("parses Warning headers", () => {
    assert.deepStrictEqual(
      Endpoint.parseWarnings(`299 - "requested expiration of 7200 seconds shortened to 3600 seconds"`),
      ["requested expiration of 7200 seconds shortened to 3600 seconds"]
    )
    assert.deepStrictEqual(Endpoint.parseWarnings([`299 - "a \\"b\\""`, `299 - "c", 299 - "d"`]), [`a "b"`, "c", "d"])
    assert.deepStrictEqual(Endpoint.parseWarnings(undefined), [])
  })
})
