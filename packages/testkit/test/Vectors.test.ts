/**
 * The conformance vectors (packages/conformance/vectors/*.json) are reproduced exactly by the domain
 * programs behind the HTTP app: same code, headers, body text and token bytes. With
 * `UPDATE_VECTORS=1` the files are (re)generated from the cases in `VectorCases.ts` instead.
 */
import { assert, describe, it } from "@effect/vitest"
import * as VectorCases from "@tokenrequest/testkit/VectorCases"
import * as Vectors from "@tokenrequest/testkit/Vectors"
import * as fs from "node:fs"
import * as path from "node:path"

const update = process.env["UPDATE_VECTORS"] === "1"

describe("conformance vectors", () => {
  if (update) {
    it("generates every chapter's vectors", async () => {
      for (const chapter of VectorCases.chapters) {
        const vectors: Array<Vectors.Vector> = []
        for (const c of chapter.cases) {
          const input = typeof c.input === "function" ? await c.input() : c.input
          const expected = await Vectors.execute(input)
          vectors.push({ id: c.id, description: c.description, upstream: c.upstream, input, expected })
        }
        const file: Vectors.VectorFile = { chapter: chapter.chapter, spec: chapter.spec, vectors }
        fs.writeFileSync(path.join(Vectors.directory, `${chapter.chapter}.json`), JSON.stringify(file, null, 2) + "\n")
      }
    }, 120_000)
  }

  const files = Vectors.readFiles()

  it("every chapter of the cases has its file, and ids are unique", () => {
    assert.deepStrictEqual(files.map(([name]) => name).sort(), VectorCases.chapters.map((c) => `${c.chapter}.json`).sort())
    const ids = files.flatMap(([, f]) => f.vectors.map((v) => v.id))
    assert.strictEqual(new Set(ids).size, ids.length)
    assert.isAbove(ids.length, 80)
  })

  it("every vector id is cited in its spec chapter", () => {
    const root = path.resolve(Vectors.directory, "../../..")
    const uncited = files.flatMap(([, f]) => {
      const chapter = fs.readFileSync(path.join(root, f.spec), "utf8")
      return f.vectors.filter((v) => !chapter.includes(`\`${v.id}\``)).map((v) => `${f.spec}: ${v.id}`)
    })
    assert.deepStrictEqual(uncited, [])
  })

  const keys = Vectors.readKeys()
  for (const [name, file] of files) {
    describe(name, () => {
      for (const vector of file.vectors) {
        it(`${vector.id}: ${vector.description}`, async () => {
          const actual = await Vectors.execute(vector.input, keys)
          assert.strictEqual(actual.code, vector.expected.code)
          assert.deepStrictEqual(actual.headers, vector.expected.headers)
          // Byte for byte: key order included.
          assert.strictEqual(JSON.stringify(actual.body), JSON.stringify(vector.expected.body))
          assert.deepStrictEqual(actual.token, vector.expected.token)
          if (vector.expected.token !== undefined) {
            const token = (vector.expected.body as { status: { token: string } }).status.token
            const [h, p, s] = token.split(".")
            assert.strictEqual(Buffer.from(h!, "base64url").toString("utf8"), vector.expected.token.header)
            assert.strictEqual(Buffer.from(p!, "base64url").toString("utf8"), vector.expected.token.payload)
            assert.strictEqual(s, vector.expected.token.signature)
          }
        })
      }
    })
  }
})
