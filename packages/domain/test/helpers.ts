/** Test helpers: run a program and read a token's payload. */
import * as Jwt from "@tokenrequest/domain/Jwt"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

export const request: (input: unknown) => TokenRequest.TokenRequest = Schema.decodeUnknownSync(
  TokenRequest.TokenRequest
)

export const payloadText = (token: string): string => {
  const parts = token.split(".")
  return new TextDecoder().decode(Option.getOrThrow(Jwt.decodeSegment(parts[1]!)))
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const payloadOf = (token: string): any => JSON.parse(payloadText(token))

/** 2026-01-02T03:04:05.678Z, a sub-second instant on purpose. */
export const t0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678)
export const t0Seconds = Math.floor(t0 / 1000)
