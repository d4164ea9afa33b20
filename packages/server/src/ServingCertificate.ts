/**
 * The serving certificate. Without `--tls-cert-file`, kube-apiserver generates a self-signed
 * certificate into `--cert-dir` (`apiserver.crt`, `apiserver.key`) and reuses it on the next start;
 * so does this module, for the bind address, `localhost` and `127.0.0.1` (ECDSA P-256, one year).
 *
 * @since 0.1.0
 */
import "reflect-metadata"
import * as x509 from "@peculiar/x509"
import * as Effect from "effect/Effect"
import * as crypto from "node:crypto"
import * as fs from "node:fs/promises"
import * as net from "node:net"
import * as path from "node:path"

/**
 * A certificate chain and its key, PEM.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServingCertificate {
  readonly certificate: string
  readonly privateKey: string
  /** Where it was read from or written to, when on disk. */
  readonly certificateFile?: string | undefined
}

const subjectAlternativeNames = (hosts: ReadonlyArray<string>) => {
  const unique = [...new Set(hosts.filter((h) => h !== "" && h !== "0.0.0.0" && h !== "::"))]
  return unique.map((host): x509.JsonGeneralName =>
    net.isIP(host) !== 0 ? { type: "ip", value: host } : { type: "dns", value: host }
  )
}

/**
 * Generates a self-signed certificate valid for the hosts (DNS names or IP addresses).
 *
 * @since 0.1.0
 * @category constructors
 */
export const generate = (hosts: ReadonlyArray<string>): Effect.Effect<ServingCertificate> =>
  Effect.promise(async () => {
    x509.cryptoProvider.set(crypto.webcrypto as Crypto)
    const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" }
    const keys = await crypto.webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])
    const now = Date.now()
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: crypto.randomBytes(8).toString("hex").replace(/^[89a-f]/, "1"),
      name: `CN=localhost@${Math.floor(now / 1000)}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * 24 * 3600 * 1000),
      keys: keys as CryptoKeyPair,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign,
          true
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(subjectAlternativeNames(hosts))
      ]
    })
    const pkcs8 = await crypto.webcrypto.subtle.exportKey("pkcs8", keys.privateKey)
    const privateKey = crypto.createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" })
      .export({ format: "pem", type: "pkcs8" })
      .toString()
    return { certificate: certificate.toString("pem") + "\n", privateKey }
  })

const covers = (pem: string, hosts: ReadonlyArray<string>): boolean => {
  try {
    const certificate = new crypto.X509Certificate(pem)
    if (new Date(certificate.validTo).getTime() < Date.now() + 24 * 3600 * 1000) return false
    return subjectAlternativeNames(hosts).every((name) =>
      name.type === "ip" ? certificate.checkIP(name.value) !== undefined : certificate.checkHost(name.value) !== undefined
    )
  } catch {
    return false
  }
}

/**
 * The certificate in `certDir` when one is there, still valid for a day and covering the hosts;
 * otherwise a new one, written there (`apiserver.crt`, `apiserver.key` mode 0600).
 *
 * @since 0.1.0
 * @category constructors
 */
export const inDirectory = (certDir: string, hosts: ReadonlyArray<string>): Effect.Effect<ServingCertificate, Error> =>
  Effect.tryPromise({
    try: async () => {
      const certificateFile = path.join(certDir, "apiserver.crt")
      const keyFile = path.join(certDir, "apiserver.key")
      await fs.mkdir(certDir, { recursive: true, mode: 0o700 })
      const existing = await Promise.all([fs.readFile(certificateFile, "utf8"), fs.readFile(keyFile, "utf8")]).catch(() =>
        undefined
      )
      if (existing !== undefined && covers(existing[0], hosts)) {
        return { certificate: existing[0], privateKey: existing[1], certificateFile }
      }
      const generated = await Effect.runPromise(generate(hosts))
      await fs.writeFile(keyFile, generated.privateKey, { mode: 0o600 })
      await fs.writeFile(certificateFile, generated.certificate, { mode: 0o644 })
      return { ...generated, certificateFile }
    },
    catch: (cause) => new Error(`--cert-dir ${certDir}: ${cause instanceof Error ? cause.message : String(cause)}`)
  })
