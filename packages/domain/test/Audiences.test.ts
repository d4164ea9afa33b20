import { assert, describe, it } from "@effect/vitest"
import * as Audiences from "@tokenrequest/domain/Audiences"
import * as FastCheck from "effect/FastCheck"

describe("Audiences", () => {
  it("defaults an empty list to the API audiences", () => {
    assert.deepStrictEqual(Audiences.defaulted([], ["a", "b"]), ["a", "b"])
    assert.deepStrictEqual(Audiences.defaulted(["x"], ["a", "b"]), ["x"])
  })

  it("intersects in requested order, keeping requested duplicates", () => {
    assert.deepStrictEqual(Audiences.intersect(["a", "b", "c"], ["c", "x", "a", "c"]), ["c", "a", "c"])
    assert.deepStrictEqual(Audiences.intersect([], ["a"]), [])
  })

  it("prints Go's %q of a []string", () => {
    assert.strictEqual(Audiences.quoteList(["a", "b"]), `["a" "b"]`)
    assert.strictEqual(Audiences.quoteList([]), `[]`)
    assert.strictEqual(Audiences.quoteList(["q\"t\\n\n"]), `["q\\"t\\\\n\\n"]`)
  })

  it("renders the upstream message", () => {
    assert.strictEqual(
      Audiences.invalidMessage(["telemetry"], ["https://kubernetes.default.svc"]),
      `token audiences ["telemetry"] is invalid for the target audiences ["https://kubernetes.default.svc"]`
    )
  })

  it.prop(
    "the intersection is a sub-sequence of the requested list made only of token audiences",
    [FastCheck.array(FastCheck.constantFrom("a", "b", "c", "d")), FastCheck.array(FastCheck.constantFrom("a", "b", "c", "d"))],
    ([token, requested]) => {
      const result = Audiences.intersect(token, requested)
      assert.isTrue(result.every((a) => token.includes(a)))
      assert.deepStrictEqual(result, requested.filter((a) => token.includes(a)))
    }
  )
})
