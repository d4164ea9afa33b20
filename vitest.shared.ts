import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const root = path.dirname(fileURLToPath(import.meta.url))

/** Tests import workspace packages from their sources, so no build is needed to run them. */
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^@tokenrequest\/([a-z-]+)$/,
        replacement: path.join(root, "packages/$1/src/index.ts")
      },
      {
        find: /^@tokenrequest\/([a-z-]+)\/(.+)$/,
        replacement: path.join(root, "packages/$1/src/$2.ts")
      }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000
  }
})
