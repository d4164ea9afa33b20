import { assert, describe, it } from "@effect/vitest"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import * as Discovery from "@tokenrequest/domain/Discovery"
import * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import * as Fixtures from "./fixtures.js"

const decodeRequest = Schema.decodeUnknownSync(TokenRequest.TokenRequest)

describe("smoke", () => {
  it.effect("issues and reviews a pod-bound token", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))
      const issued = yield* CreateToken.createToken(
        "ns-a",
        "bob",
        decodeRequest({ spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "pod-1" } } })
      )
      const review = yield* ReviewToken.reviewToken({
        metadata: {},
        spec: { token: issued.tokenRequest.status.token, audiences: [] }
      })
      assert.isTrue(review.status?.authenticated)
      const doc = yield* Discovery.openidConfiguration
      assert.deepStrictEqual(doc.document.id_token_signing_alg_values_supported, ["ES256"])
    }).pipe(Effect.provide(Fixtures.layer())))
})
