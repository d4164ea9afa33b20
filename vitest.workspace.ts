import { defineWorkspace } from "vitest/config"

/** Every package's tests, plus the repository-wide architecture checks in `test/`. */
export default defineWorkspace([
  "packages/*/vitest.config.ts",
  {
    extends: "./vitest.shared.ts",
    test: { name: "architecture", include: ["test/**/*.test.ts"] }
  }
])
