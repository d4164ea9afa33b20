import { assert, describe, it } from "@effect/vitest"
import * as Time from "@tokenrequest/domain/Time"
import * as DateTime from "effect/DateTime"
import * as Schema from "effect/Schema"

describe("Time", () => {
  it("encodes with second precision in UTC", () => {
    const instant = DateTime.unsafeMake(Date.UTC(2026, 0, 2, 3, 4, 5, 678))
    assert.strictEqual(Schema.encodeSync(Time.Time)(instant), "2026-01-02T03:04:05Z")
  })
})
