/**
 * The dependency rule of docs/architecture.md, checked on the sources: each package imports only what
 * CONTRACT §2 allows, `domain` imports nothing but `effect`, `jose` stays inside `signer-jose` (and the
 * stand-alone conformance kit), and there is no import cycle between packages or between modules.
 */
import { assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync, statSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const packagesDir = path.join(root, "packages")

/** Allowed imports per package: workspace packages by folder name, plus external specifier prefixes. */
const allowed: Record<string, { workspace: Array<string>; external: Array<string> }> = {
  domain: { workspace: [], external: ["effect"] },
  clock: { workspace: ["domain"], external: ["effect"] },
  "signer-jose": { workspace: ["domain"], external: ["effect", "jose", "node:"] },
  "signer-external": {
    workspace: ["domain", "signer-jose"],
    external: ["effect", "@grpc/grpc-js", "@bufbuild/protobuf", "node:"]
  },
  "store-memory": { workspace: ["domain"], external: ["effect", "@effect/platform", "yaml", "node:"] },
  "store-etcd": { workspace: ["domain"], external: ["effect", "etcd3", "cockatiel", "node:"] },
  http: { workspace: ["domain"], external: ["effect", "@effect/platform", "@bufbuild/protobuf", "node:"] },
  server: {
    workspace: ["domain", "clock", "signer-jose", "signer-external", "store-memory", "store-etcd", "http"],
    external: ["effect", "@effect/platform", "@effect/platform-node", "node:", "@peculiar/x509", "reflect-metadata"]
  },
  cli: {
    workspace: ["server", "http", "domain", "conformance"],
    external: ["effect", "@effect/cli", "@effect/platform", "@effect/platform-node", "yaml", "node:"]
  },
  testkit: {
    workspace: ["domain", "clock", "signer-jose", "store-memory", "store-etcd", "http", "server"],
    external: ["effect", "@effect/vitest", "@effect/platform", "@effect/platform-node", "node:", "vitest"]
  },
  conformance: { workspace: [], external: ["effect", "jose", "node:"] },
  bench: {
    workspace: ["domain", "signer-jose", "store-memory", "http", "server"],
    external: ["effect", "autocannon", "node:"]
  }
}

const walk = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry)
    return statSync(full).isDirectory() ? walk(full) : /\.tsx?$/.test(entry) && !entry.endsWith(".d.ts") ? [full] : []
  })

const importsOf = (file: string): Array<string> => {
  const source = readFileSync(file, "utf8")
  const specifiers: Array<string> = []
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s+["']([^"']+)["']/g
  for (const match of source.matchAll(pattern)) specifiers.push(match[1] ?? match[2] ?? match[3]!)
  return specifiers
}

const packages = readdirSync(packagesDir).filter((p) => statSync(path.join(packagesDir, p)).isDirectory())

describe("architecture", () => {
  it("every package of CONTRACT §2 exists and has a rule here", () => {
    assert.deepStrictEqual([...packages].sort(), Object.keys(allowed).sort())
  })

  for (const pkg of packages) {
    it(`${pkg} imports only what it may`, () => {
      const rule = allowed[pkg]!
      const violations: Array<string> = []
      for (const file of walk(path.join(packagesDir, pkg, "src"))) {
        for (const spec of importsOf(file)) {
          if (spec.startsWith(".")) continue
          const workspace = /^@tokenrequest\/([a-z-]+)/.exec(spec)
          const ok = workspace
            ? workspace[1] === pkg || rule.workspace.includes(workspace[1]!)
            : rule.external.some((prefix) => spec === prefix || spec.startsWith(prefix.endsWith(":") ? prefix : `${prefix}/`))
          if (!ok) violations.push(`${path.relative(root, file)} imports ${spec}`)
        }
      }
      assert.deepStrictEqual(violations, [])
    })
  }

  it("has no import cycle between modules", () => {
    const graph = new Map<string, Array<string>>()
    for (const pkg of packages) {
      for (const file of walk(path.join(packagesDir, pkg, "src"))) {
        const targets = importsOf(file).flatMap((spec) => {
          if (spec.startsWith(".")) return [path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts"))]
          const workspace = /^@tokenrequest\/([a-z-]+)(?:\/(.+))?$/.exec(spec)
          if (!workspace) return []
          return [path.join(packagesDir, workspace[1]!, "src", `${workspace[2] ?? "index"}.ts`)]
        })
        graph.set(file, targets)
      }
    }
    const state = new Map<string, "visiting" | "done">()
    const cycles: Array<string> = []
    const visit = (node: string, trail: Array<string>) => {
      if (state.get(node) === "done") return
      if (state.get(node) === "visiting") {
        cycles.push([...trail.slice(trail.indexOf(node)), node].map((f) => path.relative(root, f)).join(" -> "))
        return
      }
      state.set(node, "visiting")
      for (const next of graph.get(node) ?? []) visit(next, [...trail, node])
      state.set(node, "done")
    }
    for (const node of graph.keys()) visit(node, [])
    assert.deepStrictEqual(cycles, [])
  })

  it("package.json dependencies follow the same rule", () => {
    for (const pkg of packages) {
      const manifest = JSON.parse(readFileSync(path.join(packagesDir, pkg, "package.json"), "utf8"))
      const workspaceDeps = Object.keys(manifest.dependencies ?? {})
        .filter((d) => d.startsWith("@tokenrequest/"))
        .map((d) => d.slice("@tokenrequest/".length))
      for (const dep of workspaceDeps) assert.include(allowed[pkg]!.workspace, dep, `${pkg} depends on ${dep}`)
    }
  })
})
