import { KeyRing } from "@tokenrequest/signer-jose"
import * as KeySetContract from "@tokenrequest/testkit/KeySetContract"
import * as TokenSignerContract from "@tokenrequest/testkit/TokenSignerContract"
import { afterAll } from "@effect/vitest"
import * as Fixtures from "./fixtures.js"

const fixtures = Fixtures.create()
afterAll(() => fixtures.cleanup())

const bundle = fixtures.path("bundle.pem")
const cases = [
  { name: "RS256, PKCS#1 signing key", signing: "rsa.pkcs1.pem", keys: ["rsa.crt", "bundle.pem"] },
  { name: "RS256, PKCS#8 signing key", signing: "rsa.pkcs8.pem", keys: ["bundle.pem"] },
  { name: "ES256, SEC1 signing key", signing: "p256.sec1.pem", keys: ["p256.pub.pem", "bundle.pem"] },
  { name: "ES256, SEC1 with EC PARAMETERS", signing: "p256.params.pem", keys: [] },
  { name: "ES384, PKCS#8 signing key", signing: "p384.pkcs8.pem", keys: ["p384.crt"] },
  { name: "ES512, SEC1 signing key", signing: "p521.sec1.pem", keys: ["rsa.pub.pem", "p521.pkcs8.pem"] }
]

for (const c of cases) {
  const layer = KeyRing.layerFiles({
    signingKeyFile: fixtures.path(c.signing),
    keyFiles: c.keys.map((name) => (name === "bundle.pem" ? bundle : fixtures.path(name)))
  })
  TokenSignerContract.suite(`signer-jose files, ${c.name}`, layer)
  KeySetContract.suite(`signer-jose files, ${c.name}`, layer)
}

const memory = KeyRing.layerFromKeys({
  signingKey: fixtures.read("p521.pkcs8.pem"),
  keys: [fixtures.read("rsa.pub.pkcs1.pem"), fixtures.read("p521.pub.pem")]
})
TokenSignerContract.suite("signer-jose in memory, ES512", memory)
KeySetContract.suite("signer-jose in memory, ES512", memory)

for (const algorithm of ["ES256", "RS256"] as const) {
  const ephemeral = KeyRing.layerEphemeral(algorithm)
  TokenSignerContract.suite(`signer-jose ephemeral ${algorithm}`, ephemeral)
  KeySetContract.suite(`signer-jose ephemeral ${algorithm}`, ephemeral)
}
