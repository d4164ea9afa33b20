/**
 * The benchmark suite: for each algorithm, our server and the baseline side by side (issuance and
 * review over HTTP, alternating which goes first every round), the programs against direct
 * `node:crypto` calls in process, the memory of our server holding many objects, and its heap over
 * a soak. Every loop is bounded by a duration or a count, and every server listens on 127.0.0.1.
 *
 * @since 0.1.0
 */
import * as Fixture from "./Fixture.js"
import * as InProcess from "./InProcess.js"
import * as Load from "./Load.js"
import type * as Report from "./Report.js"
import * as Target from "./Target.js"

/**
 * What to run and for how long.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  readonly connections: number
  /** Measured seconds of one HTTP run. */
  readonly durationSeconds: number
  /** Unmeasured load before each HTTP run. */
  readonly warmupSeconds: number
  /** A/B rounds of each comparison. */
  readonly rounds: number
  /** Seconds of one in-process measurement. */
  readonly inProcessSeconds: number
  /** Objects in the store for the memory measurement. */
  readonly objects: number
  /** Idle seconds before the settled memory reading. */
  readonly memorySettleSeconds: number
  readonly maxRssMiB: number
  readonly soakSeconds: number
  /** Post-collection heap samples over the soak. */
  readonly soakSamples: number
  readonly maxSoakGrowthMiB: number
  readonly algorithms: ReadonlyArray<Fixture.Algorithm>
  /** Which parts run. */
  readonly parts: ReadonlySet<"http" | "inprocess" | "memory" | "soak" | "workers">
  /** Measured seconds of one run of the workers comparison (`--only workers`). */
  readonly workersDurationSeconds: number
  /** Start servers in child processes (default) or in this process (smoke test). */
  readonly children: boolean
  /** Write CPU profiles of our server's processes here. */
  readonly cpuProfileDirectory?: string | undefined
  /** Progress lines (stderr). */
  readonly log: (line: string) => void
}

/**
 * The defaults of `pnpm bench` (about four minutes).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: Omit<Settings, "log"> = {
  connections: 64,
  durationSeconds: 3,
  warmupSeconds: 1,
  rounds: 2,
  inProcessSeconds: 1,
  objects: 100_000,
  memorySettleSeconds: 8,
  maxRssMiB: 150,
  soakSeconds: 60,
  soakSamples: 6,
  maxSoakGrowthMiB: 2,
  algorithms: Fixture.algorithms,
  parts: new Set(["http", "inprocess", "memory", "soak", "workers"]),
  workersDurationSeconds: 1,
  children: true
}

/**
 * `--quick`: the same suite with tiny durations and fewer objects (seconds, not minutes).
 *
 * @since 0.1.0
 * @category constants
 */
export const quick: Partial<Omit<Settings, "log">> = {
  durationSeconds: 1,
  warmupSeconds: 0.3,
  rounds: 1,
  inProcessSeconds: 0.3,
  objects: 10_000,
  memorySettleSeconds: 1,
  soakSeconds: 3,
  soakSamples: 3,
  workersDurationSeconds: 1
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const start = (settings: Settings, spec: Target.Spec) =>
  settings.children
    ? Target.startChild(spec, {
      cpuProfileDirectory: spec.kind === "ours" ? settings.cpuProfileDirectory : undefined,
      // Loading many objects takes longer than an empty start.
      startTimeoutMillis: 60_000 + (spec.objects ?? 0)
    })
    : Target.startInProcess(spec)

const withServers = async <A>(
  settings: Settings,
  specs: ReadonlyArray<Target.Spec>,
  use: (servers: ReadonlyArray<Target.Running>) => Promise<A>
): Promise<A> => {
  const servers: Array<Target.Running> = []
  try {
    for (const spec of specs) servers.push(await start(settings, spec))
    return await use(servers)
  } finally {
    for (const server of servers) await server.close().catch(() => {})
  }
}

const issuanceRequest: Load.Request = {
  method: "POST",
  path: Fixture.tokenPath,
  headers: Fixture.headers,
  body: Fixture.tokenRequestBody
}

const mintToken = async (server: Target.Running): Promise<string> => {
  const answer = await Load.once(server.url, issuanceRequest)
  const token = (answer.body as { status?: { token?: string } }).status?.token
  if (answer.status !== 201 || token === undefined) {
    throw new Error(`${server.spec.kind} ${server.spec.algorithm}: TokenRequest answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  }
  return token
}

const reviewRequest = (token: string): Load.Request => ({
  method: "POST",
  path: Fixture.reviewPath,
  headers: Fixture.headers,
  body: Fixture.tokenReviewBody(token)
})

const checkReview = async (server: Target.Running, request: Load.Request): Promise<void> => {
  const answer = await Load.once(server.url, request)
  const authenticated = (answer.body as { status?: { authenticated?: boolean } }).status?.authenticated
  if (answer.status !== 201 || authenticated !== true) {
    throw new Error(`${server.spec.kind} ${server.spec.algorithm}: TokenReview answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  }
}

/**
 * Runs A/B rounds of `measure` on the two sides, alternating which goes first.
 *
 * @since 0.1.0
 * @category running
 */
export const alternate = async <S>(
  rounds: number,
  ours: S,
  baseline: S,
  measure: (side: S) => Promise<{ perSecond: number; p50: number; p99: number; problems?: ReadonlyArray<string> }>
): Promise<{ ours: Report.Side; baseline: Report.Side; problems: Array<string> }> => {
  const results = { ours: [] as Array<Report.Side>, baseline: [] as Array<Report.Side> }
  const problems: Array<string> = []
  for (let round = 0; round < Math.max(1, rounds); round++) {
    const order: Array<"ours" | "baseline"> = round % 2 === 0 ? ["baseline", "ours"] : ["ours", "baseline"]
    for (const side of order) {
      const measured = await measure(side === "ours" ? ours : baseline)
      results[side].push(measured)
      for (const p of measured.problems ?? []) problems.push(`${side}: ${p}`)
    }
  }
  const summarize = (sides: ReadonlyArray<Report.Side>): Report.Side => ({
    perSecond: median(sides.map((s) => s.perSecond)),
    p50: median(sides.map((s) => s.p50)),
    p99: median(sides.map((s) => s.p99))
  })
  return { ours: summarize(results.ours), baseline: summarize(results.baseline), problems }
}

const loadMeasure = (settings: Settings, requestOf: (server: Target.Running) => Load.Request) =>
async (server: Target.Running) => {
  const request = requestOf(server)
  const options = { url: server.url, requests: [request], connections: settings.connections }
  if (settings.warmupSeconds > 0) await Load.run({ ...options, durationSeconds: settings.warmupSeconds })
  const m = await Load.run({ ...options, durationSeconds: settings.durationSeconds })
  settings.log(
    `  ${server.spec.kind.padEnd(8)} ${m.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms`
  )
  const problems = [
    ...(m.non2xx > 0 ? [`${m.non2xx} non-2xx answers`] : []),
    ...(m.errors > 0 ? [`${m.errors} connection errors`] : [])
  ]
  return { perSecond: m.requestsPerSecond, p50: m.p50, p99: m.p99, problems }
}

/**
 * Issuance and review over HTTP for one algorithm.
 *
 * @since 0.1.0
 * @category running
 */
export const http = (
  settings: Settings,
  keys: Fixture.Keys,
  algorithm: Fixture.Algorithm
) =>
  withServers(
    settings,
    [
      { kind: "baseline", algorithm, keyFile: keys.files[algorithm] },
      { kind: "ours", algorithm, keyFile: keys.files[algorithm] },
      // Our server with its token cache off: the uncached review.
      { kind: "ours", algorithm, keyFile: keys.files[algorithm], tokenCache: false }
    ],
    async ([baseline, ours, uncached]): Promise<Array<Report.Comparison>> => {
      const tokens = new Map<Target.Running, string>()
      for (const server of [baseline!, ours!, uncached!]) {
        const token = await mintToken(server)
        tokens.set(server, token)
        await checkReview(server, reviewRequest(token))
      }
      const review = loadMeasure(settings, (server) => reviewRequest(tokens.get(server)!))
      settings.log(`issuance ${algorithm}`)
      const issuance = await alternate(settings.rounds, ours!, baseline!, loadMeasure(settings, () => issuanceRequest))
      settings.log(`review ${algorithm}, token cache off`)
      const reviewUncached = await alternate(settings.rounds, uncached!, baseline!, review)
      settings.log(`review ${algorithm}, cached vs uncached (both ours)`)
      const reviewCached = await alternate(settings.rounds, ours!, uncached!, review)
      return [
        {
          name: `issuance ${algorithm}`,
          ...issuance,
          minRatio: algorithm === "RS256" ? 0.9 : 0.8,
          maxP99Ratio: 2
        },
        { name: `review ${algorithm} (uncached)`, ...reviewUncached, minRatio: 0.8, maxP99Ratio: 2 },
        {
          name: `review ${algorithm}: cached (ours) vs uncached (ours) as "baseline"`,
          ...reviewCached,
          minRatio: 3
        }
      ]
    }
  )

/**
 * Issuance from our server in two worker processes (`--workers 2`) against our server in one
 * process (`--workers 1`) as the baseline: how much the second core adds. The load generator runs
 * on the same cores, so the ratio is what the machine gives, not the workers' alone.
 *
 * @since 0.1.0
 * @category running
 */
export const workers = (settings: Settings, keys: Fixture.Keys, algorithm: Fixture.Algorithm) =>
  withServers(
    settings,
    [
      { kind: "ours", algorithm, keyFile: keys.files[algorithm] },
      { kind: "ours", algorithm, keyFile: keys.files[algorithm], workers: 2 }
    ],
    async ([single, two]): Promise<Array<Report.Comparison>> => {
      for (const server of [single!, two!]) await checkReview(server, reviewRequest(await mintToken(server)))
      settings.log(`issuance ${algorithm}, --workers 2 vs --workers 1`)
      // Every worker warms up once (the JIT of two processes), then short warm-ups per round.
      for (const server of [single!, two!]) {
        await Load.run({
          url: server.url,
          requests: [issuanceRequest],
          connections: settings.connections,
          durationSeconds: settings.warmupSeconds
        })
      }
      // Short runs, one round more than the other comparisons: a median that resists other work on the machine.
      const measure = loadMeasure(
        { ...settings, durationSeconds: settings.workersDurationSeconds, warmupSeconds: Math.min(settings.warmupSeconds, 0.3) },
        () => issuanceRequest
      )
      const issuance = await alternate(settings.rounds + 1, two!, single!, async (server) => {
        // The load generator runs in this process, on the same cores: its share is logged.
        const before = process.cpuUsage()
        const started = performance.now()
        const measured = await measure(server)
        const used = process.cpuUsage(before)
        const cores = (used.user + used.system) / 1000 / (performance.now() - started)
        settings.log(`           load generator: ${cores.toFixed(2)} cores`)
        return measured
      })
      return [{
        name: `issuance ${algorithm}: --workers 2 (ours) vs --workers 1 (ours) as "baseline"`,
        ...issuance,
        minRatio: 1.7
      }]
    }
  )

/**
 * `createToken` / `reviewToken` against direct sign / verify, in this process.
 *
 * @since 0.1.0
 * @category running
 */
export const inProcess = async (
  settings: Settings,
  keys: Fixture.Keys,
  algorithm: Fixture.Algorithm
): Promise<Array<Report.Comparison>> => {
  const ops = await InProcess.operations(algorithm, keys.pems[algorithm])
  try {
    const measure = (op: () => unknown) => async () => {
      InProcess.time(op, Math.min(0.2, settings.inProcessSeconds))
      const t = InProcess.time(op, settings.inProcessSeconds)
      return { perSecond: t.opsPerSecond, p50: t.p50, p99: t.p99 }
    }
    settings.log(`in-process ${algorithm}`)
    const create = await alternate(settings.rounds, ops.createToken, ops.sign, (op) => measure(op)())
    const review = await alternate(settings.rounds, ops.reviewToken, ops.verify, (op) => measure(op)())
    const cached = await alternate(settings.rounds, ops.reviewTokenCached, ops.reviewToken, (op) => measure(op)())
    return [
      { name: `createToken vs sign, ${algorithm}`, ...create },
      { name: `reviewToken vs verify, ${algorithm}`, ...review },
      { name: `reviewToken cached vs uncached as "baseline", ${algorithm}`, ...cached, minRatio: 3 }
    ]
  } finally {
    await ops.dispose()
  }
}

/**
 * RSS and heap of our server with `settings.objects` objects (and with none, and the baseline's,
 * for scale), each in a fresh process after a full collection.
 *
 * @since 0.1.0
 * @category running
 */
export const memory = async (settings: Settings, keys: Fixture.Keys): Promise<Report.MemoryResult> => {
  settings.log(`memory with ${settings.objects} objects`)
  // Read twice: right after the start, and once the process has been idle for `memorySettleSeconds`
  // (V8 keeps the young generation it grew while loading until its memory reducer runs, idle).
  const measureOf = (spec: Target.Spec) =>
    withServers(settings, [spec], async ([server]) => {
      await mintToken(server!)
      const started = await server!.memory()
      await new Promise((resolve) => setTimeout(resolve, settings.memorySettleSeconds * 1000))
      return { started, settled: await server!.memory() }
    })
  const keyFile = keys.files.ES256
  const empty = await measureOf({ kind: "ours", algorithm: "ES256", keyFile })
  const full = await measureOf({ kind: "ours", algorithm: "ES256", keyFile, objects: settings.objects })
  const baseline = await measureOf({ kind: "baseline", algorithm: "ES256", keyFile })
  return {
    objects: settings.objects,
    settleSeconds: settings.memorySettleSeconds,
    rss: full.settled.rss,
    rssAtStart: full.started.rss,
    heapUsed: full.settled.heapUsed,
    emptyRss: empty.settled.rss,
    emptyRssAtStart: empty.started.rss,
    emptyHeapUsed: empty.settled.heapUsed,
    baselineRss: baseline.settled.rss,
    baselineRssAtStart: baseline.started.rss,
    maxRss: settings.maxRssMiB * 2 ** 20
  }
}

/**
 * Our server under issuance and review load (alternating on every connection) for
 * `settings.soakSeconds`, with the heap sampled after full collections.
 *
 * @since 0.1.0
 * @category running
 */
export const soak = (settings: Settings, keys: Fixture.Keys): Promise<Report.SoakResult> =>
  withServers(settings, [{ kind: "ours", algorithm: "ES256", keyFile: keys.files.ES256 }], async ([server]) => {
    settings.log(`soak ${settings.soakSeconds} s`)
    const token = await mintToken(server!)
    const requests = [issuanceRequest, reviewRequest(token)]
    const options = { url: server!.url, requests, connections: settings.connections }
    // Warm up long enough for the JIT and the server's caches to settle before the first sample.
    await Load.run({ ...options, durationSeconds: Math.max(settings.warmupSeconds, settings.soakSeconds / 6) })
    const samples: Array<{ at: number; heapUsed: number; rss: number }> = []
    const sample = async (at: number) => {
      const m = await server!.memory()
      samples.push({ at, heapUsed: m.heapUsed, rss: m.rss })
      settings.log(`  t=${at.toFixed(0)} s heap ${(m.heapUsed / 2 ** 20).toFixed(1)} MiB rss ${(m.rss / 2 ** 20).toFixed(1)} MiB`)
    }
    await sample(0)
    const slices = Math.max(1, settings.soakSamples)
    const slice = settings.soakSeconds / slices
    let requestsDone = 0
    for (let i = 1; i <= slices; i++) {
      const m = await Load.run({ ...options, durationSeconds: slice })
      requestsDone += m.completed
      await sample(i * slice)
    }
    return { seconds: settings.soakSeconds, requests: requestsDone, samples, maxGrowth: settings.maxSoakGrowthMiB * 2 ** 20 }
  })

/**
 * Runs the selected parts and returns the report.
 *
 * @since 0.1.0
 * @category running
 */
export const run = async (
  settings: Settings,
  describe: { readonly command: string; readonly machine: Report.Machine }
): Promise<Report.Report> => {
  const began = Date.now()
  const keys = await Fixture.generateKeys()
  try {
    const httpResults: Array<Report.Comparison> = []
    const inProcessResults: Array<Report.Comparison> = []
    const failures: Array<string> = []
    // A part that fails is reported, and the others still run.
    const attempt = async <A>(part: string, run: () => Promise<A>): Promise<A | undefined> => {
      try {
        return await run()
      } catch (error) {
        const message = `${part}: ${error instanceof Error ? error.message : String(error)}`
        settings.log(`failed: ${message}`)
        failures.push(message)
        return undefined
      }
    }
    for (const algorithm of settings.algorithms) {
      if (settings.parts.has("http")) {
        httpResults.push(...(await attempt(`HTTP ${algorithm}`, () => http(settings, keys, algorithm)) ?? []))
      }
    }
    for (const algorithm of settings.algorithms) {
      if (settings.parts.has("workers") && settings.children) {
        httpResults.push(...(await attempt(`workers ${algorithm}`, () => workers(settings, keys, algorithm)) ?? []))
      }
    }
    for (const algorithm of settings.algorithms) {
      if (settings.parts.has("inprocess")) {
        inProcessResults.push(...(await attempt(`in-process ${algorithm}`, () => inProcess(settings, keys, algorithm)) ?? []))
      }
    }
    const memoryResult = settings.parts.has("memory") ? await attempt("memory", () => memory(settings, keys)) : undefined
    const soakResult = settings.parts.has("soak") ? await attempt("soak", () => soak(settings, keys)) : undefined
    return {
      date: new Date(began).toISOString(),
      command: describe.command,
      settings: {
        connections: settings.connections,
        duration: settings.durationSeconds,
        warmup: settings.warmupSeconds,
        rounds: settings.rounds,
        inProcess: settings.inProcessSeconds,
        objects: settings.objects,
        soak: settings.soakSeconds,
        ...(settings.parts.has("workers") ? { workersDuration: settings.workersDurationSeconds } : {})
      },
      machine: describe.machine,
      http: httpResults,
      inProcess: inProcessResults,
      memory: memoryResult,
      soak: soakResult,
      failures,
      seconds: (Date.now() - began) / 1000
    }
  } finally {
    await Fixture.removeKeys(keys)
  }
}
