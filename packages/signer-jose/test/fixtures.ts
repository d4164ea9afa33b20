/**
 * Key fixtures in every PEM layout upstream accepts, generated with the `openssl` CLI into a
 * temporary directory (removed by `cleanup`).
 */
import { execFileSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const openssl = (...args: Array<string>): Buffer => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] })

export interface Fixtures {
  readonly dir: string
  readonly path: (name: string) => string
  readonly read: (name: string) => string
  /** The kid computed from openssl's DER export of the public key, hashed with node:crypto. */
  readonly opensslKid: (name: string, options?: { readonly publicInput?: boolean }) => string
  readonly cleanup: () => void
}

export const create = (): Fixtures => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "signer-jose-"))
  const p = (name: string) => path.join(dir, name)
  const write = (name: string, content: string | Buffer) => fs.writeFileSync(p(name), content)

  // RSA: PKCS#1 private, PKCS#8 private, PKIX public, PKCS#1 public, certificate.
  openssl("genrsa", "-traditional", "-out", p("rsa.pkcs1.pem"), "2048")
  openssl("pkcs8", "-topk8", "-nocrypt", "-in", p("rsa.pkcs1.pem"), "-out", p("rsa.pkcs8.pem"))
  openssl("rsa", "-in", p("rsa.pkcs1.pem"), "-pubout", "-out", p("rsa.pub.pem"))
  openssl("rsa", "-in", p("rsa.pkcs1.pem"), "-RSAPublicKey_out", "-out", p("rsa.pub.pkcs1.pem"))
  openssl("req", "-x509", "-new", "-key", p("rsa.pkcs1.pem"), "-subj", "/CN=sa-rsa", "-days", "2", "-out", p("rsa.crt"))

  // ECDSA on the three curves: SEC1 (with and without an EC PARAMETERS block), PKCS#8, PKIX, certificate.
  for (const [name, curve] of [["p256", "prime256v1"], ["p384", "secp384r1"], ["p521", "secp521r1"]] as const) {
    openssl("ecparam", "-name", curve, "-genkey", "-noout", "-out", p(`${name}.sec1.pem`))
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", p(`${name}.sec1.pem`), "-out", p(`${name}.pkcs8.pem`))
    openssl("ec", "-in", p(`${name}.sec1.pem`), "-pubout", "-out", p(`${name}.pub.pem`))
    openssl("req", "-x509", "-new", "-key", p(`${name}.sec1.pem`), "-subj", `/CN=sa-${name}`, "-days", "2", "-out",
      p(`${name}.crt`))
  }
  openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", p("p256.params.pem"))

  // Keys upstream refuses.
  openssl("ecparam", "-name", "secp224r1", "-genkey", "-noout", "-out", p("p224.sec1.pem"))
  openssl("ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", p("k256.sec1.pem"))
  openssl("genpkey", "-algorithm", "ed25519", "-out", p("ed25519.pem"))
  openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:secret", "-in", p("p256.sec1.pem"), "-out",
    p("p256.encrypted.pem"))
  write("garbage.pem", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
  write("empty.pem", "")

  // Several blocks per file, with text and a non-key block between them.
  const read = (name: string) => fs.readFileSync(p(name), "utf8")
  write(
    "bundle.pem",
    ["# verification keys\n", read("rsa.pub.pem"), read("p256.params.pem"), "comment\n", read("p384.crt"),
      read("p521.sec1.pem"), read("rsa.pub.pkcs1.pem")].join("")
  )

  return {
    dir,
    path: p,
    read,
    opensslKid: (name, options) => {
      const der = options?.publicInput
        ? openssl("pkey", "-pubin", "-in", p(name), "-pubout", "-outform", "DER")
        : openssl("pkey", "-in", p(name), "-pubout", "-outform", "DER")
      return crypto.createHash("sha256").update(der).digest("base64url")
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true })
  }
}
