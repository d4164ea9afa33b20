/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`, or `pnpm bench --cpu-prof DIR` for our server's
 * processes): self and inclusive time per function and per package, to see what stands between a
 * request and its cryptography.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs/promises"

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly hitCount?: number
  readonly children?: ReadonlyArray<number>
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<Node>
  readonly startTime: number
  readonly endTime: number
  readonly samples?: ReadonlyArray<number>
  readonly timeDeltas?: ReadonlyArray<number>
}

/**
 * One line of a summary: share of samples (0–1) spent in the function itself and below it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Line {
  readonly name: string
  readonly self: number
  readonly total: number
}

const shortUrl = (url: string): string => {
  const pnpm = /node_modules\/\.pnpm\/([^/]+)\/node_modules\/(.+)$/.exec(url)
  if (pnpm) return pnpm[2]!
  const packages = /packages\/(.+)$/.exec(url)
  if (packages) return packages[1]!
  return url.replace(/^file:\/\//, "")
}

const packageOf = (url: string): string => {
  if (url === "") return "(native/vm)"
  if (url.startsWith("node:")) return "node:"
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pnpm) return pnpm[1]!
  const packages = /packages\/([^/]+)\//.exec(url)
  if (packages) return `@tokenrequest/${packages[1]}`
  return url
}

/**
 * Self and inclusive shares per function (`name url:line`) and per package, sorted by self time.
 *
 * @since 0.1.0
 * @category summaries
 */
export const summarize = (profile: CpuProfile): { functions: Array<Line>; packages: Array<Line> } => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const hits = new Map<number, number>()
  for (const s of profile.samples ?? []) hits.set(s, (hits.get(s) ?? 0) + 1)
  const total = [...hits.values()].reduce((a, b) => a + b, 0) || 1
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const packageSelf = new Map<string, number>()
  const packageTotal = new Map<string, number>()
  for (const [id, count] of hits) {
    const node = byId.get(id)!
    const frame = node.callFrame
    const key = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + count)
    packageSelf.set(packageOf(frame.url), (packageSelf.get(packageOf(frame.url)) ?? 0) + count)
    const seen = new Set<string>()
    const seenPackages = new Set<string>()
    for (let cur: number | undefined = id, guard = 0; cur !== undefined && guard < 10_000; cur = parent.get(cur), guard++) {
      const f = byId.get(cur)!.callFrame
      const k = `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}:${f.lineNumber + 1}`
      if (!seen.has(k)) {
        seen.add(k)
        inclusive.set(k, (inclusive.get(k) ?? 0) + count)
      }
      const p = packageOf(f.url)
      if (!seenPackages.has(p)) {
        seenPackages.add(p)
        packageTotal.set(p, (packageTotal.get(p) ?? 0) + count)
      }
    }
  }
  const lines = (selfMap: Map<string, number>, totalMap: Map<string, number>) =>
    [...totalMap.keys()]
      .map((name) => ({ name, self: (selfMap.get(name) ?? 0) / total, total: (totalMap.get(name) ?? 0) / total }))
      .sort((a, b) => b.self - a.self)
  return { functions: lines(self, inclusive), packages: lines(packageSelf, packageTotal) }
}

/**
 * Reads a `.cpuprofile` file and renders its top functions and packages as text.
 *
 * @since 0.1.0
 * @category summaries
 */
export const renderFile = async (file: string, top = 40): Promise<string> => {
  const profile = JSON.parse(await fs.readFile(file, "utf8")) as CpuProfile
  const { functions, packages } = summarize(profile)
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`
  return [
    `# ${file}`,
    "self   total  package",
    ...packages.slice(0, 20).map((l) => `${pct(l.self)} ${pct(l.total)}  ${l.name}`),
    "",
    "self   total  function",
    ...functions.slice(0, top).map((l) => `${pct(l.self)} ${pct(l.total)}  ${l.name}`)
  ].join("\n")
}
