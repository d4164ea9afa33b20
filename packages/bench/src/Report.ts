/**
 * The results of a run, the verdict against the targets of the performance issue, and their
 * rendering as Markdown: printed on stdout and written into `docs/performance.md` between the
 * `bench:begin` / `bench:end` markers (the hand-written text around them is kept).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"

/**
 * Throughput and latency of one side of a comparison (milliseconds).
 *
 * @since 0.1.0
 * @category models
 */
export interface Side {
  readonly perSecond: number
  readonly p50: number
  readonly p99: number
}

/**
 * Ours against the baseline, medians over the rounds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Comparison {
  readonly name: string
  readonly ours: Side
  readonly baseline: Side
  /** Minimum `ours / baseline` throughput; `undefined` when informational. */
  readonly minRatio?: number | undefined
  /** Maximum `ours p99 / baseline p99`; `undefined` when not a target. */
  readonly maxP99Ratio?: number | undefined
  /** Failures seen during the runs (non-2xx answers, connection errors). */
  readonly problems: ReadonlyArray<string>
}

/**
 * Memory of a server process after a full collection (bytes).
 *
 * @since 0.1.0
 * @category models
 */
export interface MemoryResult {
  readonly objects: number
  /** The idle pause before the settled reading (seconds). */
  readonly settleSeconds: number
  /** Settled: after the idle pause. */
  readonly rss: number
  /** Right after the start. */
  readonly rssAtStart: number
  readonly heapUsed: number
  readonly emptyRss: number
  readonly emptyRssAtStart: number
  readonly emptyHeapUsed: number
  readonly baselineRss: number
  readonly baselineRssAtStart: number
  readonly maxRss: number
}

/**
 * Heap after full collections during a soak under load (bytes, seconds since the warm-up).
 *
 * @since 0.1.0
 * @category models
 */
export interface SoakResult {
  readonly seconds: number
  readonly requests: number
  readonly samples: ReadonlyArray<{ readonly at: number; readonly heapUsed: number; readonly rss: number }>
  /** Allowed growth of the post-collection heap from the first to the last sample. */
  readonly maxGrowth: number
}

/**
 * The machine the numbers were taken on.
 *
 * @since 0.1.0
 * @category models
 */
export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly memory: string
  readonly os: string
  readonly node: string
  readonly openssl: string
  readonly loadAverage: string
}

/**
 * Describes this machine.
 *
 * @since 0.1.0
 * @category constructors
 */
export const machine = (): Machine => ({
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.availableParallelism(),
  memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  openssl: process.versions.openssl ?? "unknown",
  loadAverage: os.loadavg().map((l) => l.toFixed(2)).join(" ")
})

/**
 * A whole run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly date: string
  readonly command: string
  readonly settings: Readonly<Record<string, string | number | boolean>>
  readonly machine: Machine
  readonly http: ReadonlyArray<Comparison>
  readonly inProcess: ReadonlyArray<Comparison>
  readonly memory?: MemoryResult | undefined
  readonly soak?: SoakResult | undefined
  /** Parts that could not be measured, with the reason. */
  readonly failures: ReadonlyArray<string>
  readonly seconds: number
}

/**
 * One checked target.
 *
 * @since 0.1.0
 * @category models
 */
export interface Verdict {
  readonly target: string
  readonly measured: string
  readonly pass: boolean
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
const fixed = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a")
const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN)

/**
 * The soak's heap growth from the first to the last sample.
 *
 * @since 0.1.0
 * @category statistics
 */
export const soakGrowth = (soak: SoakResult): number =>
  soak.samples.length < 2 ? 0 : soak.samples[soak.samples.length - 1]!.heapUsed - soak.samples[0]!.heapUsed

/**
 * Every target of the run with its measurement.
 *
 * @since 0.1.0
 * @category verdicts
 */
export const verdicts = (report: Report): ReadonlyArray<Verdict> => {
  const result: Array<Verdict> = report.failures.map((failure) => ({ target: "every part runs", measured: failure, pass: false }))
  for (const c of [...report.http, ...report.inProcess]) {
    if (c.minRatio !== undefined) {
      const r = ratio(c.ours.perSecond, c.baseline.perSecond)
      result.push({ target: `${c.name}: throughput ≥ ${c.minRatio} × baseline`, measured: fixed(r, 2), pass: r >= c.minRatio })
    }
    if (c.maxP99Ratio !== undefined) {
      const r = ratio(c.ours.p99, c.baseline.p99)
      result.push({ target: `${c.name}: p99 ≤ ${c.maxP99Ratio} × baseline`, measured: fixed(r, 2), pass: r <= c.maxP99Ratio })
    }
    if (c.problems.length > 0) result.push({ target: `${c.name}: no failed requests`, measured: c.problems.join("; "), pass: false })
  }
  if (report.memory !== undefined) {
    result.push({
      target: `RSS with ${report.memory.objects} objects (settled) ≤ ${mib(report.memory.maxRss)}`,
      measured: mib(report.memory.rss),
      pass: report.memory.rss <= report.memory.maxRss
    })
  }
  if (report.soak !== undefined) {
    const growth = soakGrowth(report.soak)
    result.push({
      target: `heap growth over a ${report.soak.seconds} s soak ≤ ${mib(report.soak.maxGrowth)}`,
      measured: mib(growth),
      pass: growth <= report.soak.maxGrowth
    })
  }
  return result
}

const comparisonTable = (rows: ReadonlyArray<Comparison>, unit: string): Array<string> => [
  `| Benchmark | ours ${unit} | baseline ${unit} | ratio | target | ours p50 / p99 (ms) | baseline p50 / p99 (ms) | p99 ratio |`,
  "|---|---:|---:|---:|---:|---:|---:|---:|",
  ...rows.map((c) =>
    `| ${c.name} | ${fixed(c.ours.perSecond)} | ${fixed(c.baseline.perSecond)} | ${fixed(ratio(c.ours.perSecond, c.baseline.perSecond), 2)} | ${
      c.minRatio === undefined ? "" : `≥ ${c.minRatio}`
    } | ${fixed(c.ours.p50, 3)} / ${fixed(c.ours.p99, 3)} | ${fixed(c.baseline.p50, 3)} / ${fixed(c.baseline.p99, 3)} | ${
      fixed(ratio(c.ours.p99, c.baseline.p99), 2)
    }${c.maxP99Ratio === undefined ? "" : ` (≤ ${c.maxP99Ratio})`} |`
  )
]

/**
 * The run as Markdown.
 *
 * @since 0.1.0
 * @category rendering
 */
export const render = (report: Report): string => {
  const m = report.machine
  const lines: Array<string> = [
    `Run of ${report.date} (\`${report.command}\`, ${fixed(report.seconds)} s).`,
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory}, ${m.os}; Node.js ${m.node}, OpenSSL ${m.openssl}; load average at start ${m.loadAverage}.`,
    "",
    `Settings: ${Object.entries(report.settings).map(([k, v]) => `${k}=${v}`).join(", ")}.`,
    ""
  ]
  if (report.http.length > 0) {
    lines.push("### Over HTTP (autocannon, loopback)", "", ...comparisonTable(report.http, "req/s"), "")
  }
  if (report.inProcess.length > 0) {
    lines.push("### In process (one operation at a time)", "", ...comparisonTable(report.inProcess, "ops/s"), "")
  }
  if (report.memory !== undefined) {
    const mem = report.memory
    lines.push(
      "### Memory (server process, after full collections)",
      "",
      `RSS right after the start, and settled: after ${fixed(mem.settleSeconds)} s idle, once V8 has given back the young generation it grew while loading.`,
      "",
      "| Server | objects | RSS at start | RSS settled | heap used |",
      "|---|---:|---:|---:|---:|",
      `| ours | 0 (seed only) | ${mib(mem.emptyRssAtStart)} | ${mib(mem.emptyRss)} | ${mib(mem.emptyHeapUsed)} |`,
      `| ours | ${mem.objects} | ${mib(mem.rssAtStart)} | ${mib(mem.rss)} | ${mib(mem.heapUsed)} |`,
      `| baseline | 0 | ${mib(mem.baselineRssAtStart)} | ${mib(mem.baselineRss)} | |`,
      ""
    )
  }
  if (report.soak !== undefined) {
    const s = report.soak
    lines.push(
      `### Soak (ours, ES256, issuance and review alternating, ${s.seconds} s, ${s.requests} requests)`,
      "",
      "| t (s) | heap used | RSS |",
      "|---:|---:|---:|",
      ...s.samples.map((x) => `| ${fixed(x.at)} | ${mib(x.heapUsed)} | ${mib(x.rss)} |`),
      "",
      `Heap growth first → last sample: ${mib(soakGrowth(s))}.`,
      ""
    )
  }
  const checked = verdicts(report)
  lines.push(
    "### Targets",
    "",
    "| Target | measured | |",
    "|---|---:|---|",
    ...checked.map((v) => `| ${v.target} | ${v.measured} | ${v.pass ? "pass" : "**FAIL**"} |`),
    ""
  )
  return lines.join("\n")
}

/**
 * @since 0.1.0
 * @category constants
 */
export const markers = { begin: "<!-- bench:begin -->", end: "<!-- bench:end -->" } as const

/**
 * Writes the rendered run into a Markdown file between the markers, keeping the text around them
 * (or appending the section when the file has no markers yet).
 *
 * @since 0.1.0
 * @category rendering
 */
export const writeInto = async (file: string, rendered: string): Promise<void> => {
  const existing = await fs.readFile(file, "utf8").catch(() => "")
  const section = `${markers.begin}\n${rendered}\n${markers.end}`
  const begin = existing.indexOf(markers.begin)
  const end = existing.indexOf(markers.end)
  const next = begin >= 0 && end > begin
    ? `${existing.slice(0, begin)}${section}${existing.slice(end + markers.end.length)}`
    : `${existing === "" ? "# Performance\n\n" : `${existing.trimEnd()}\n\n`}${section}\n`
  await fs.writeFile(file, next)
}
