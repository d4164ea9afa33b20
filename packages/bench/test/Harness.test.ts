/**
 * Smoke test of the benchmark harness in `--quick` mode with tiny durations: both servers answer,
 * the report has every section and the table is written between the markers. No speed is asserted.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Baseline from "@tokenrequest/bench/Baseline"
import * as Cli from "@tokenrequest/bench/Cli"
import * as Fixture from "@tokenrequest/bench/Fixture"
import * as Report from "@tokenrequest/bench/Report"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"

describe("bench harness", () => {
  it("baseline tokens verify with the baseline and carry the upstream claim layout", async () => {
    const keys = await Fixture.generateKeys()
    try {
      for (const algorithm of Fixture.algorithms) {
        const key = Baseline.makeKey(algorithm, keys.pems[algorithm])
        const options: Baseline.Options = {
          key,
          issuer: Fixture.issuer,
          apiAudiences: [Fixture.issuer],
          serviceAccounts: new Map([["default/default", "uid-1"]]),
          adminToken: Fixture.adminToken
        }
        const issued = Baseline.issue(options, "default", "default", "uid-1", {}, 1_700_000_000)
        const payload = Baseline.verify(key, issued.status.token)
        assert.isDefined(payload)
        assert.deepStrictEqual(Object.keys(JSON.parse(payload!)), ["aud", "exp", "iat", "iss", "jti", "kubernetes.io", "nbf", "sub"])
        assert.strictEqual(Baseline.review(options, issued.status.token, [Fixture.issuer], 1_700_000_010)["authenticated"], true)
        assert.strictEqual(Baseline.review(options, issued.status.token, [Fixture.issuer], 1_700_003_700)["authenticated"], false)
      }
    } finally {
      await Fixture.removeKeys(keys)
    }
  })

  it("parses flags over the environment and refuses unknown ones", () => {
    const parsed = Cli.parse(["--quick", "--duration", "0.5", "--only", "http,memory", "--no-write"], { BENCH_DURATION: "9", BENCH_OBJECTS: "7" })
    assert.strictEqual(parsed.settings.durationSeconds, 0.5)
    assert.strictEqual(parsed.settings.objects, 7)
    assert.strictEqual(parsed.settings.rounds, 1)
    assert.deepStrictEqual([...parsed.settings.parts].sort(), ["http", "memory"])
    assert.isUndefined(parsed.out)
    assert.throws(() => Cli.parse(["--fast"], {}))
    assert.throws(() => Cli.parse(["--rounds", "x"], {}))
  })

  it("has the workers comparison in the default suite, with its own duration", () => {
    assert.isTrue(Cli.parse([], {}).settings.parts.has("workers"))
    const parsed = Cli.parse(["--only", "workers", "--workers-duration", "0.5"], { BENCH_WORKERS_DURATION: "9" })
    assert.deepStrictEqual([...parsed.settings.parts], ["workers"])
    assert.strictEqual(parsed.settings.workersDurationSeconds, 0.5)
    assert.strictEqual(Cli.parse([], { BENCH_WORKERS_DURATION: "2" }).settings.workersDurationSeconds, 2)
  })

  it("--quick produces the table and writes it between the markers", { timeout: 120_000 }, async () => {
    const directory = await fs.mkdtemp(path.join(os.tmpdir(), "bench-smoke-"))
    const out = path.join(directory, "performance.md")
    await fs.writeFile(out, `# Performance\n\nhand-written\n\n${Report.markers.begin}\nold\n${Report.markers.end}\n\ntail\n`)
    let printed = ""
    try {
      const report = await Cli.main(
        [
          "--quick", "--same-process", "--algorithms", "ES256", "--duration", "0.3", "--warmup", "0", "--connections", "4",
          "--in-process", "0.05", "--objects", "300", "--soak", "0.6", "--soak-samples", "2", "--out", out
        ],
        { env: {}, print: (text) => (printed = text), log: () => {} }
      )
      assert.deepStrictEqual(report.http.map((c) => c.name), [
        "issuance ES256",
        "review ES256 (uncached)",
        `review ES256: cached (ours) vs uncached (ours) as "baseline"`
      ])
      for (const c of report.http) {
        assert.isAbove(c.ours.perSecond, 0)
        assert.isAbove(c.baseline.perSecond, 0)
        assert.deepStrictEqual(c.problems, [])
      }
      assert.strictEqual(report.inProcess.length, 3)
      assert.strictEqual(report.memory?.objects, 300)
      assert.strictEqual(report.soak?.samples.length, 3)
      assert.include(printed, "| issuance ES256 |")
      assert.include(printed, "| review ES256 (uncached) |")
      assert.include(printed, "### Targets")
      assert.include(printed, `Node.js ${process.version}`)
      const written = await fs.readFile(out, "utf8")
      assert.include(written, "hand-written")
      assert.include(written, "tail")
      assert.notInclude(written, "\nold\n")
      assert.include(written, printed)
    } finally {
      await fs.rm(directory, { recursive: true, force: true })
    }
  })
})
