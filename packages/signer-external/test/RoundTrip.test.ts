import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { KeySet } from "@tokenrequest/domain/KeySet"
import { TokenSigner } from "@tokenrequest/domain/TokenSigner"
import { KeyRing, SignedToken } from "@tokenrequest/signer-jose"
import { ExternalSigner, SignerServer } from "@tokenrequest/signer-external"
import * as Support from "./support.js"

describe("our client against our server", () => {
  it.live("signs through the socket, and the token verifies with the published keys", () =>
    Effect.gen(function*() {
      const dir = yield* Support.tempDir
      const key = yield* Support.generateKey("ES256")
      fs.writeFileSync(path.join(dir, "sa.key"), key.pem)
      const socket = path.join(dir, "signer.sock")
      yield* SignerServer.serveFiles({
        socket,
        keyFiles: [path.join(dir, "sa.key")],
        maxTokenExpirationSeconds: 86400,
        refreshHintSeconds: 60
      })
      const client = yield* ExternalSigner.make({ endpoint: socket })
      assert.strictEqual(client.signer.maxTokenExpirationSeconds, 86400)
      const token = yield* client.tokenSigner.sign(`{"iss":"https://example","sub":"a"}`)
      const parsed = SignedToken.parse(token)!
      assert.strictEqual(parsed.keyId, key.key.keyId)
      assert.strictEqual(yield* client.keySet.verify(parsed), "Verified")
      const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString())
      assert.deepStrictEqual(header, { alg: "ES256", kid: key.key.keyId, typ: "JWT" })
      assert.include([59, 60], yield* client.keySet.cacheMaxAgeSeconds)
    }).pipe(Effect.scoped))
})
