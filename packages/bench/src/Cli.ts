/**
 * The `pnpm bench` command line: flags (and `BENCH_*` environment variables) to settings, the run,
 * the table on stdout, and the section of `docs/performance.md`.
 *
 * Flags: `--quick`, `--duration S`, `--warmup S`, `--rounds N`, `--connections N`,
 * `--in-process S`, `--objects N`, `--memory-settle S`, `--soak S`, `--soak-samples N`, `--workers-duration S`,
 * `--only http,inprocess,memory,soak,workers`,
 * `--algorithms ES256,RS256`, `--cpu-prof DIR`, `--out FILE`, `--no-write`, `--same-process`.
 * Environment: `BENCH_QUICK=1`, `BENCH_DURATION`, `BENCH_WARMUP`, `BENCH_ROUNDS`, `BENCH_CONNECTIONS`,
 * `BENCH_IN_PROCESS`, `BENCH_OBJECTS`, `BENCH_SOAK`. Flags win over the environment.
 *
 * @since 0.1.0
 */
import { fileURLToPath } from "node:url"
import * as Fixture from "./Fixture.js"
import * as Report from "./Report.js"
import * as Suite from "./Suite.js"

/**
 * The default output file: `docs/performance.md` of the repository.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultOut = fileURLToPath(new URL("../../../docs/performance.md", import.meta.url))

/**
 * Parsed command line.
 *
 * @since 0.1.0
 * @category models
 */
export interface Parsed {
  readonly settings: Suite.Settings
  /** `undefined`: do not write a file. */
  readonly out: string | undefined
}

const parts = ["http", "inprocess", "memory", "soak", "workers"] as const

/**
 * Parses flags and environment into settings. Throws on an unknown flag or a bad number.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>> = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)
): Parsed => {
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith("--")) throw new Error(`unexpected argument: ${arg}`)
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined]
    if (["quick", "no-write", "same-process"].includes(name)) {
      flags.set(name, "true")
      continue
    }
    const value = inline ?? argv[++i]
    if (value === undefined) throw new Error(`--${name} needs a value`)
    flags.set(name, value)
  }
  const known = [
    "quick", "no-write", "same-process", "duration", "warmup", "rounds", "connections", "in-process", "objects",
    "soak", "soak-samples", "only", "algorithms", "cpu-prof", "out", "workers-duration", "memory-settle"
  ]
  for (const name of flags.keys()) if (!known.includes(name)) throw new Error(`unknown flag --${name}`)
  const quick = flags.has("quick") || env["BENCH_QUICK"] === "1"
  const base = { ...Suite.defaults, ...(quick ? Suite.quick : {}) }
  const number = (flag: string, variable: string, fallback: number, integer = false) => {
    const text = flags.get(flag) ?? env[variable]
    if (text === undefined || text === "") return fallback
    const value = Number(text)
    if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
      throw new Error(`--${flag} (${variable}): not a valid number: ${text}`)
    }
    return value
  }
  const only = flags.get("only")
  const selected = only === undefined ? base.parts : new Set(only.split(",").map((p) => p.trim()))
  for (const p of selected) if (!(parts as ReadonlyArray<string>).includes(p)) throw new Error(`--only: unknown part ${p}`)
  const algorithmsFlag = flags.get("algorithms")
  const algorithms = algorithmsFlag === undefined
    ? base.algorithms
    : algorithmsFlag.split(",").map((a) => a.trim()) as Array<Fixture.Algorithm>
  for (const a of algorithms) if (!Fixture.algorithms.includes(a)) throw new Error(`--algorithms: unknown algorithm ${a}`)
  const settings: Suite.Settings = {
    ...base,
    durationSeconds: number("duration", "BENCH_DURATION", base.durationSeconds),
    warmupSeconds: number("warmup", "BENCH_WARMUP", base.warmupSeconds),
    rounds: Math.max(1, number("rounds", "BENCH_ROUNDS", base.rounds, true)),
    connections: Math.max(1, number("connections", "BENCH_CONNECTIONS", base.connections, true)),
    inProcessSeconds: number("in-process", "BENCH_IN_PROCESS", base.inProcessSeconds),
    objects: number("objects", "BENCH_OBJECTS", base.objects, true),
    memorySettleSeconds: number("memory-settle", "BENCH_MEMORY_SETTLE", base.memorySettleSeconds),
    soakSeconds: number("soak", "BENCH_SOAK", base.soakSeconds),
    soakSamples: Math.max(1, number("soak-samples", "BENCH_SOAK_SAMPLES", base.soakSamples, true)),
    workersDurationSeconds: number("workers-duration", "BENCH_WORKERS_DURATION", base.workersDurationSeconds),
    parts: selected as Suite.Settings["parts"],
    algorithms,
    children: !flags.has("same-process"),
    cpuProfileDirectory: flags.get("cpu-prof"),
    log
  }
  return { settings, out: flags.has("no-write") ? undefined : flags.get("out") ?? defaultOut }
}

/**
 * Runs the suite: prints the Markdown table on stdout, writes it into the output file, and returns
 * the report.
 *
 * @since 0.1.0
 * @category running
 */
export const main = async (
  argv: ReadonlyArray<string>,
  options: {
    readonly env?: Readonly<Record<string, string | undefined>>
    readonly print?: (text: string) => void
    readonly log?: (line: string) => void
  } = {}
): Promise<Report.Report> => {
  const parsed = parse(argv, options.env ?? process.env, options.log)
  const report = await Suite.run(parsed.settings, {
    command: ["pnpm bench", ...argv].join(" "),
    machine: Report.machine()
  })
  const rendered = Report.render(report)
  ;(options.print ?? ((text) => process.stdout.write(`${text}\n`)))(rendered)
  if (parsed.out !== undefined) {
    await Report.writeInto(parsed.out, rendered)
    parsed.settings.log(`written to ${parsed.out}`)
  }
  return report
}
