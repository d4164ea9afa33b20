/**
 * Shared fixtures of the hardening suite: keys, seed objects, the token API served in-process on an
 * ephemeral loopback port (http's Node listener over the memory store and a jose key ring), the
 * reference server started programmatically, a raw HTTP/1.1 client that can send anything (broken
 * paths, bad header bytes, invalid UTF-8) and always gives up after a bound, and JWS forging tools.
 */
import { Config, IdGenerator, type KubeObject, ObjectStore } from "@tokenrequest/domain"
import * as NodeListener from "@tokenrequest/http/NodeListener"
import * as Protobuf from "@tokenrequest/http/Protobuf"
import * as Server from "@tokenrequest/server/Server"
import * as KeyId from "@tokenrequest/signer-jose/KeyId"
import * as KeyRing from "@tokenrequest/signer-jose/KeyRing"
import * as MemoryStore from "@tokenrequest/store-memory/MemoryStore"
import { Context, Effect, Layer, Redacted } from "effect"
import type * as Scope from "effect/Scope"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"

export const issuer = "https://issuer.hardening.test"

export const objects: ReadonlyArray<KubeObject.KubeObject> = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } },
  { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "builder", namespace: "default" } },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: { serviceAccountName: "builder", nodeName: "node-1" }
  },
  { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: "default" } },
  { apiVersion: "v1", kind: "Node", metadata: { name: "node-1" } }
]

const pem = (key: crypto.KeyObject) => key.export({ type: "pkcs8", format: "pem" }) as string

/** The signing key (ES256) of the servers under test, its kid, and a PKIX public PEM. */
export const signing = (() => {
  const pair = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
  return {
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    privatePem: pem(pair.privateKey),
    publicPem: pair.publicKey.export({ type: "spki", format: "pem" }) as string,
    kid: KeyId.make(pair.publicKey)
  }
})()

/** A second trusted key (as after a rotation: trusted for verification, not signing). */
export const second = (() => {
  const pair = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
  return {
    privateKey: pair.privateKey,
    publicPem: pair.publicKey.export({ type: "spki", format: "pem" }) as string,
    kid: KeyId.make(pair.publicKey)
  }
})()

/** A key nobody trusts (ES256), and an RSA key for algorithm confusion. */
export const foreign = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
export const foreignRsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })

/** The ports of the in-process app: memory store with `objects`, the ES256 key ring, random ids. */
export const ports = (
  options: {
    readonly keys?: Layer.Layer<
      import("@tokenrequest/domain/TokenSigner").TokenSigner | import("@tokenrequest/domain/KeySet").KeySet,
      unknown
    >
    readonly store?: Layer.Layer<ObjectStore.ObjectStore, unknown>
    readonly config?: Partial<Config.TokenConfig>
  } = {}
) =>
  Layer.mergeAll(
    Layer.orDie(options.store ?? MemoryStore.layerWithObjects(objects)),
    Layer.orDie(
      options.keys ?? KeyRing.layerFromKeys({ signingKey: signing.privatePem, keys: [signing.publicPem, second.publicPem] })
    ),
    IdGenerator.layerRandom,
    Config.layer({ issuers: [issuer], ...options.config })
  )

/** Node server limits for the in-process app (the reference server sets its own). */
export interface NodeLimits {
  readonly headersTimeout?: number
  readonly requestTimeout?: number
  readonly maxHeaderSize?: number
  readonly maxConnections?: number
  readonly keepAliveTimeout?: number
  /** How often Node checks the headers/request timeouts; default 30 s in Node, 250 ms here when a timeout is set. */
  readonly connectionsCheckingInterval?: number
}

export interface Served {
  readonly url: string
  readonly port: number
  readonly store: ObjectStore.ObjectStore["Type"]
  readonly server: http.Server
}

export class App extends Context.Tag("hardening/App")<App, Served>() {}

/** Serves a Node listener on 127.0.0.1:0 in the scope; closes every connection at the end. */
export const listen = (
  listener: http.RequestListener,
  limits: NodeLimits = {}
): Effect.Effect<{ readonly server: http.Server; readonly port: number }, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: http.Server; readonly port: number }>((resume) => {
      const server = http.createServer({
        ...(limits.maxHeaderSize === undefined ? {} : { maxHeaderSize: limits.maxHeaderSize }),
        ...(limits.requestTimeout === undefined ? {} : { requestTimeout: limits.requestTimeout }),
        ...(limits.headersTimeout === undefined && limits.requestTimeout === undefined
          ? {}
          : { connectionsCheckingInterval: limits.connectionsCheckingInterval ?? 250 })
      }, listener)
      if (limits.headersTimeout !== undefined) server.headersTimeout = limits.headersTimeout
      if (limits.maxConnections !== undefined) server.maxConnections = limits.maxConnections
      if (limits.keepAliveTimeout !== undefined) server.keepAliveTimeout = limits.keepAliveTimeout
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, port: (server.address() as AddressInfo).port })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

/** The token API (http package) over `portsLayer`, served on loopback. */
export const serveApp = (
  portsLayer: Layer.Layer<
    | ObjectStore.ObjectStore
    | import("@tokenrequest/domain/TokenSigner").TokenSigner
    | import("@tokenrequest/domain/KeySet").KeySet
    | IdGenerator.IdGenerator
    | Config.Config
  >,
  options: NodeListener.Options & { readonly limits?: NodeLimits } = {}
): Layer.Layer<App> =>
  Layer.scoped(
    App,
    Effect.gen(function*() {
      const context = yield* Layer.build(portsLayer)
      const store = Context.get(context, ObjectStore.ObjectStore)
      const made = yield* Effect.acquireRelease(
        Effect.sync(() => NodeListener.make(Layer.succeedContext(context), options)),
        (m) => Effect.promise(m.dispose)
      )
      const { port, server } = yield* listen(made.listener, options.limits)
      return { url: `http://127.0.0.1:${port}`, port, store, server }
    })
  )

// ---------------------------------------------------------------------------------------------
// The reference server.

export interface ReferenceServer {
  readonly url: string
  readonly port: number
  readonly adminToken: string
  readonly issuer: string
  readonly dir: string
}

export class Reference extends Context.Tag("hardening/Reference")<Reference, ReferenceServer>() {}

/**
 * The reference server (plain HTTP on loopback, port 0) with the fixture signing key as a file, the
 * fixture objects, AlwaysAllow, and a fixed issuer; the temp dir goes with the scope.
 */
export const referenceServer = (options: Partial<Server.Options> = {}): Layer.Layer<Reference, Server.StartError> =>
  Layer.scoped(
    Reference,
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "tokenrequest-hardening-"))),
        (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
      )
      const keyFile = path.join(dir, "sa.key")
      fs.writeFileSync(keyFile, signing.privatePem)
      const publicFile = path.join(dir, "sa.pub")
      fs.writeFileSync(publicFile, signing.publicPem)
      const secondFile = path.join(dir, "second.pub")
      fs.writeFileSync(secondFile, second.publicPem)
      const running = yield* Server.start({
        port: 0,
        insecurePlainHttp: true,
        serviceAccountIssuer: [issuer],
        serviceAccountSigningKeyFile: keyFile,
        serviceAccountKeyFile: [publicFile, secondFile],
        initialObjects: objects,
        adminToken: "hardening-admin-token",
        ...options
      })
      return {
        url: running.url,
        port: running.port,
        adminToken: running.adminToken === undefined ? "" : Redacted.value(running.adminToken),
        issuer: running.issuers[0]!,
        dir
      }
    })
  )

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client.

export interface RawResponse {
  /** 0 when the server closed the connection without an answer. */
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: Buffer
  readonly text: string
  /** Milliseconds from the first byte sent to the connection's end. */
  readonly elapsed: number
}

const dechunk = (data: Buffer): Buffer => {
  const parts: Array<Buffer> = []
  let offset = 0
  for (;;) {
    const lineEnd = data.indexOf("\r\n", offset)
    if (lineEnd < 0) break
    const size = parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16)
    if (!Number.isFinite(size) || size === 0) break
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size))
    offset = lineEnd + 2 + size + 2
  }
  return Buffer.concat(parts)
}

/** Parses the first response of a byte stream (`Connection: close`). */
export const parseResponse = (data: Buffer, elapsed: number): RawResponse => {
  const end = data.indexOf("\r\n\r\n")
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0), text: "", elapsed }
  const [statusLine, ...lines] = data.subarray(0, end).toString("latin1").split("\r\n")
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(":")
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  let body = data.subarray(end + 4)
  if ((headers["transfer-encoding"] ?? "").toLowerCase().includes("chunked")) body = dechunk(body)
  else if (headers["content-length"] !== undefined) body = body.subarray(0, Number(headers["content-length"]))
  return { status, headers, body, text: body.toString("utf8"), elapsed }
}

/**
 * Sends raw bytes to 127.0.0.1:`port` and reads until the server closes; fails with `"hang"` after
 * `timeoutMs`. Bytes may be sent in several writes, `gapMs` apart (slow clients).
 */
export const sendRaw = (
  port: number,
  chunks: ReadonlyArray<Buffer | string>,
  options: { readonly timeoutMs?: number; readonly gapMs?: number } = {}
): Promise<RawResponse & { readonly closedEarly: boolean }> =>
  new Promise((resolve, reject) => {
    const started = Date.now()
    const received: Array<Buffer> = []
    const socket = net.connect(port, "127.0.0.1")
    let settled = false
    let pending = [...chunks]
    let closedEarly = false
    const finish = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ ...parseResponse(Buffer.concat(received), Date.now() - started), closedEarly })
    }
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      socket.destroy()
      reject(new Error(`hang: no complete answer within ${options.timeoutMs ?? 10_000} ms`))
    }, options.timeoutMs ?? 10_000)
    const writeNext = () => {
      if (settled || socket.destroyed) return
      const next = pending.shift()
      if (next === undefined) return
      socket.write(next, () => {
        if (pending.length > 0) setTimeout(writeNext, options.gapMs ?? 0)
      })
    }
    socket.on("connect", writeNext)
    socket.on("data", (chunk) => received.push(chunk))
    socket.on("error", () => {
      if (pending.length > 0) closedEarly = true
      finish()
    })
    socket.on("close", () => {
      if (pending.length > 0) closedEarly = true
      pending = []
      finish()
    })
  })

/** One request, built from parts (no validation at all), `Connection: close`. */
export const rawRequest = (
  port: number,
  request: {
    readonly method?: string
    readonly path: string
    readonly headers?: ReadonlyArray<readonly [string, string]>
    readonly body?: Buffer | string
    readonly contentLength?: boolean
  },
  timeoutMs = 10_000
) => {
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body as never)
  const head = [
    `${request.method ?? "POST"} ${request.path} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Connection: close",
    ...(request.headers ?? []).map(([name, value]) => `${name}: ${value}`),
    ...(request.contentLength === false ? [] : [`Content-Length: ${body.length}`])
  ].join("\r\n")
  return sendRaw(port, [Buffer.concat([Buffer.from(head + "\r\n\r\n", "latin1"), body])], { timeoutMs })
}

/** A JSON POST through fetch, bounded. */
export const postJson = async (
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 10_000
) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs)
  })
  const text = await response.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

export const tokenPath = (namespace = "default", name = "builder") =>
  `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`
export const reviewPath = "/apis/authentication.k8s.io/v1/tokenreviews"

/**
 * Whether an answer is acceptable for a caller's mistake: 2xx, or a 4xx that is a `Status` with the
 * same code; or an answer Node's own parser gives before the app (400/408/413/414/431 without a
 * body, or a closed connection). Returns a description of what is wrong, or `undefined`.
 */
export const statusProblem = (response: RawResponse): string | undefined => {
  if (response.status >= 200 && response.status < 300) return undefined
  if (response.status === 0) return undefined
  if (response.status >= 500) return `server error ${response.status}: ${response.text.slice(0, 300)}`
  if (response.status < 400) return `unexpected ${response.status}`
  if (response.body.length === 0 && [400, 408, 413, 414, 431].includes(response.status)) return undefined
  if ((response.headers["content-type"] ?? "").startsWith(Protobuf.mediaType)) {
    // a client that accepts only protobuf gets its Status in the protobuf envelope
    const envelope = Protobuf.decodeEnvelope(response.body)
    if (envelope._tag === "Left") return `${response.status} protobuf answer that does not decode: ${envelope.left}`
    return envelope.right.kind === "Status" && envelope.right.apiVersion === "v1"
      ? undefined
      : `${response.status} protobuf answer of kind ${envelope.right.kind}`
  }
  let status: any
  try {
    status = JSON.parse(response.text)
  } catch {
    return `${response.status} without a JSON Status: ${response.text.slice(0, 200)}`
  }
  if (status?.kind !== "Status" || status.apiVersion !== "v1" || status.status !== "Failure") {
    return `${response.status} not a Status: ${response.text.slice(0, 200)}`
  }
  if (status.code !== response.status) return `Status code ${status.code} != HTTP ${response.status}`
  if (typeof status.message !== "string") return "Status without message"
  return undefined
}

// ---------------------------------------------------------------------------------------------
// JWS forging.

export const b64 = (value: string | Buffer | Uint8Array) => Buffer.from(value as never).toString("base64url")

export const decodePart = (token: string, index: number): any =>
  JSON.parse(Buffer.from(token.split(".")[index]!, "base64url").toString("utf8"))

/** Signs `header.payload` with a key as the header's `alg` says (ES*: IEEE P1363, RS256, HS256). */
export const sign = (
  header: Record<string, unknown>,
  payload: unknown,
  key: crypto.KeyObject | Buffer
): string => {
  const input = `${b64(JSON.stringify(header))}.${b64(typeof payload === "string" ? payload : JSON.stringify(payload))}`
  const alg = String(header["alg"])
  let signature: Buffer
  if (alg === "none") signature = Buffer.alloc(0)
  else if (alg.startsWith("HS")) {
    signature = crypto.createHmac(`sha${alg.slice(2)}`, key as Buffer).update(input).digest()
  } else if (alg.startsWith("ES")) {
    signature = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(input), {
      key: key as crypto.KeyObject,
      dsaEncoding: "ieee-p1363"
    })
  } else {
    signature = crypto.sign("sha256", Buffer.from(input), key as crypto.KeyObject)
  }
  return `${input}.${b64(signature)}`
}

/** A valid token's claims re-signed with the fixture key after `edit`. */
export const resign = (token: string, edit: (claims: any) => any, header: Record<string, unknown> = {}) =>
  sign({ alg: "ES256", kid: signing.kid, ...header }, edit(decodePart(token, 1)), signing.privateKey)
