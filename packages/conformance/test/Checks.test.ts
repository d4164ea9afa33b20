/** The checks' ids are unique and each is described in the spec chapter it names. */
import { assert, describe, it } from "@effect/vitest"
import * as Checks from "@tokenrequest/conformance/Checks"
import * as fs from "node:fs"
import * as path from "node:path"
import { root } from "./server.js"

describe("Checks", () => {
  it("ids are unique", () => {
    const ids = Checks.all.map((c) => c.id)
    assert.strictEqual(new Set(ids).size, ids.length)
  })

  it("every check is cited in its docs/spec chapter", () => {
    const uncited = Checks.all.filter((c) => {
      const file = path.join(root, "docs/spec", c.chapter)
      return !fs.existsSync(file) || !fs.readFileSync(file, "utf8").includes(`\`${c.id}\``)
    }).map((c) => `${c.chapter}: ${c.id}`)
    assert.deepStrictEqual(uncited, [])
  })
})
