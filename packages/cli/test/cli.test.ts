/**
 * The binary's surface: help and version, and the error contract (one `error:` line on stderr, exit 2
 * for usage and configuration errors, exit 1 for failed operations, no stack traces).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { beforeAll } from "vitest"
import { build, lines, run, type Result } from "./fixtures/binary.js"

beforeAll(build, 180_000)

const assertOneLineError = (result: Result, code: number, pattern: RegExp) => {
  assert.strictEqual(result.code, code, `exit code (stderr: ${result.stderr})`)
  assert.strictEqual(result.stdout, "")
  const errorLines = lines(result.stderr)
  assert.strictEqual(errorLines.length, 1, `one line on stderr, got: ${result.stderr}`)
  assert.match(errorLines[0]!, /^error: /)
  assert.match(errorLines[0]!, pattern)
  assert.notMatch(result.stderr, /\n\s+at /, "no stack trace")
}

describe("tokenrequest binary", () => {
  it.live("--help lists every command", () =>
    Effect.gen(function*() {
      const result = yield* run(["--help"])
      assert.strictEqual(result.code, 0)
      for (const command of ["serve", "create token", "review", "decode", "keys generate", "keys jwks", "keys kid"]) {
        assert.include(result.stdout, command)
      }
      assert.notInclude(result.stdout, "\u001b[", "no terminal styling on a pipe")
    }))

  it.live("--help works on every subcommand and lists kubectl's flags", () =>
    Effect.gen(function*() {
      const create = yield* run(["create", "token", "--help"])
      assert.strictEqual(create.code, 0)
      for (const flag of ["--namespace", "--audience", "--duration", "--bound-object-kind", "--bound-object-name", "--bound-object-uid", "--server", "--token", "--kubeconfig", "--output"]) {
        assert.include(create.stdout, flag)
      }
      for (const args of [["review", "--help"], ["decode", "--help"], ["keys", "generate", "--help"], ["keys", "jwks", "--help"], ["keys", "kid", "--help"]]) {
        const result = yield* run(args)
        assert.strictEqual(result.code, 0, args.join(" "))
        assert.include(result.stdout, "USAGE")
      }
    }))

  it.live("--version prints the package version", () =>
    Effect.gen(function*() {
      const result = yield* run(["--version"])
      assert.strictEqual(result.code, 0)
      const manifest = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8"))
      assert.strictEqual(result.stdout, `${manifest.version}\n`)
    }))

  it.live("an unknown flag is one line and exit code 2", () =>
    Effect.gen(function*() {
      assertOneLineError(yield* run(["create", "token", "sa", "--bogus"]), 2, /--bogus/)
      assertOneLineError(yield* run(["bogus"]), 2, /subcommand/)
    }))

  it.live("a missing argument or option is one line and exit code 2", () =>
    Effect.gen(function*() {
      assertOneLineError(yield* run(["create", "token"]), 2, /SA/)
      assertOneLineError(yield* run(["keys", "generate"]), 2, /--algorithm/)
      assertOneLineError(yield* run(["keys", "generate", "--algorithm", "HS256"]), 2, /--algorithm.*HS256/)
    }))

  it.live("kubectl's create token checks are usage errors (exit code 2)", () =>
    Effect.gen(function*() {
      const server = ["--server", "http://127.0.0.1:9"]
      assertOneLineError(yield* run(["create", "token", "sa", "--duration", "10x", ...server]), 2, /--duration.*unknown unit "x"/)
      assertOneLineError(yield* run(["create", "token", "sa", "--duration", "1500ms", ...server]), 2, /units less than seconds/)
      assertOneLineError(yield* run(["create", "token", "sa", "--duration", "-1h", ...server]), 2, /greater than or equal to 0/)
      assertOneLineError(yield* run(["create", "token", "sa", "--audience", "", ...server]), 2, /--audience must not be an empty string/)
      assertOneLineError(yield* run(["create", "token", "sa", "--bound-object-name", "p", ...server]), 2, /--bound-object-name can only be set if --bound-object-kind is provided/)
      assertOneLineError(yield* run(["create", "token", "sa", "--bound-object-kind", "Pod", ...server]), 2, /--bound-object-name is required/)
      assertOneLineError(yield* run(["create", "token", "sa", "--bound-object-kind", "Deployment", "--bound-object-name", "d", ...server]), 2, /supported --bound-object-kind values are Node, Pod, Secret/)
      assertOneLineError(yield* run(["create", "token", "sa", "-o", "xml", ...server]), 2, /output format "xml"/)
    }))

  it.live("unreadable files are one line naming the file, exit code 2", () =>
    Effect.gen(function*() {
      const missing = path.join(os.tmpdir(), "tokenrequest-no-such-file.pem")
      assertOneLineError(yield* run(["keys", "kid", missing]), 2, /tokenrequest-no-such-file\.pem/)
      assertOneLineError(yield* run(["keys", "jwks", missing]), 2, /tokenrequest-no-such-file\.pem/)
      assertOneLineError(yield* run(["create", "token", "sa", "--kubeconfig", missing]), 2, /tokenrequest-no-such-file\.pem/)
      assertOneLineError(
        yield* run(["create", "token", "sa", "--server", "https://127.0.0.1:9", "--certificate-authority", missing]),
        2,
        /--certificate-authority.*tokenrequest-no-such-file\.pem/
      )
    }))

  it.live("a file without a key is one line naming the file, exit code 2", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tokenrequest-cli-"))
      try {
        const file = path.join(dir, "garbage.pem")
        fs.writeFileSync(file, "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n")
        assertOneLineError(yield* run(["keys", "kid", file]), 2, /garbage\.pem.*does not contain any valid RSA or ECDSA public keys/)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }))

  it.live("no server configured is a usage error; an unreachable server is a failed operation", () =>
    Effect.gen(function*() {
      assertOneLineError(yield* run(["create", "token", "sa"]), 2, /no server/)
      assertOneLineError(yield* run(["review", "x.y.z"]), 2, /no server/)
      assertOneLineError(
        yield* run(["create", "token", "sa", "--server", "http://127.0.0.1:9"]),
        1,
        /^error: Post "http:\/\/127\.0\.0\.1:9\/api\/v1\/namespaces\/default\/serviceaccounts\/sa\/token": .*ECONNREFUSED/
      )
    }))
})
