/**
 * The wire format, pinned byte by byte from the upstream field numbers (semantics §13.2), so a
 * regenerated or edited `.proto` cannot drift from what kube-apiserver sends and expects.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf"
import { assert, describe, it } from "@effect/vitest"
import { Protocol } from "@tokenrequest/signer-external"
import * as V1 from "../src/generated/v1/api_pb.js"
import * as V1alpha1 from "../src/generated/v1alpha1/api_pb.js"

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")

describe("wire format", () => {
  it("method names", () => {
    assert.deepStrictEqual(Protocol.methodPaths("v1"), [
      "/v1.ExternalJWTSigner/Sign",
      "/v1.ExternalJWTSigner/FetchKeys",
      "/v1.ExternalJWTSigner/Metadata"
    ])
    assert.deepStrictEqual(Protocol.methodPaths("v1alpha1"), [
      "/v1alpha1.ExternalJWTSigner/Sign",
      "/v1alpha1.ExternalJWTSigner/FetchKeys",
      "/v1alpha1.ExternalJWTSigner/Metadata"
    ])
  })

  it("SignJWTRequest.claims = 1, SignJWTResponse.header = 1, signature = 2", () => {
    assert.strictEqual(hex(toBinary(V1.SignJWTRequestSchema, create(V1.SignJWTRequestSchema, { claims: "e30" }))), "0a03653330")
    assert.strictEqual(
      hex(toBinary(V1.SignJWTResponseSchema, create(V1.SignJWTResponseSchema, { header: "h", signature: "s" }))),
      "0a0168" + "120173"
    )
  })

  it("FetchKeysResponse: keys = 1 (key_id 1, key 2, exclude 3), data_timestamp = 2, refresh_hint_seconds = 3", () => {
    const message = create(V1.FetchKeysResponseSchema, {
      keys: [{ keyId: "k", key: new Uint8Array([0xab]), excludeFromOidcDiscovery: true }],
      dataTimestamp: { seconds: 5n, nanos: 0 },
      refreshHintSeconds: 60n
    })
    const expected = "0a08" + "0a016b" + "1201ab" + "1801" + "1202" + "0805" + "183c"
    assert.strictEqual(hex(toBinary(V1.FetchKeysResponseSchema, message)), expected)
    // The same bytes decode in v1alpha1.
    const alpha = fromBinary(V1alpha1.FetchKeysResponseSchema, Buffer.from(expected, "hex"))
    assert.strictEqual(alpha.keys[0]!.keyId, "k")
    assert.strictEqual(alpha.refreshHintSeconds, 60n)
  })

  it("MetadataResponse.max_token_expiration_seconds = 1 (int64)", () => {
    assert.strictEqual(
      hex(toBinary(V1.MetadataResponseSchema, create(V1.MetadataResponseSchema, { maxTokenExpirationSeconds: 600n }))),
      "08d804"
    )
  })
})
