/**
 * The "lean" server, an experiment: the domain programs `createToken` and `reviewToken` with the
 * same ports as our server (memory store, key ring from the key file, issuer configuration, random
 * UUIDs) and the domain schemas, served directly on `node:http` — no `@effect/platform` server, no
 * router, no web `Request`/`Response`. It answers the JSON success path of the two endpoints (and
 * `Status` objects for failures) and nothing else: it is not a server to use, but the measurement
 * of what our programs cost over HTTP once the generic HTTP stack is out of the way, i.e. what a
 * fast lane for these two endpoints in the reference server could reach.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"
import * as Config from "@tokenrequest/domain/Config"
import * as CreateToken from "@tokenrequest/domain/CreateToken"
import { IdGenerator } from "@tokenrequest/domain/IdGenerator"
import type { KubeObject } from "@tokenrequest/domain/KubeObject"
import * as ReviewToken from "@tokenrequest/domain/ReviewToken"
import * as TokenRequest from "@tokenrequest/domain/TokenRequest"
import * as TokenReview from "@tokenrequest/domain/TokenReview"
import * as Status from "@tokenrequest/http/Status"
import * as KeyRing from "@tokenrequest/signer-jose/KeyRing"
import * as MemoryStore from "@tokenrequest/store-memory/MemoryStore"
import * as Fixture from "./Fixture.js"

const tokenPath = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/

const decodeTokenRequest = Schema.decodeUnknownEither(TokenRequest.TokenRequest)
const encodeIssued = Schema.encodeSync(TokenRequest.IssuedTokenRequest)
const decodeTokenReview = Schema.decodeUnknownEither(TokenReview.TokenReview)
const encodeTokenReview = Schema.encodeSync(TokenReview.TokenReview)

const send = (res: ServerResponse, code: number, text: string, headers: Record<string, string> = {}) => {
  res.writeHead(code, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers })
  res.end(text)
}

const sendStatus = (res: ServerResponse, status: Status.Status) => send(res, Status.httpCode(status), Status.toJson(status))

const readBody = (req: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new Error("request entity too large"))
        req.destroy()
      } else {
        chunks.push(chunk)
      }
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

const typed = (kind: string, wire: Record<string, unknown>) => {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = wire
  return { kind, apiVersion: TokenRequest.apiVersion, ...rest }
}

/**
 * Builds the lean listener over the key file and objects; `dispose` releases the runtime.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = async (
  keyFile: string,
  objects: ReadonlyArray<KubeObject>
): Promise<{ readonly listener: RequestListener; readonly dispose: () => Promise<void> }> => {
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      MemoryStore.layerWithObjects([
        { apiVersion: "v1", kind: "Namespace", metadata: { name: Fixture.serviceAccount.namespace } },
        {
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: Fixture.serviceAccount.name, namespace: Fixture.serviceAccount.namespace }
        },
        ...objects
      ]),
      KeyRing.layerFiles({ signingKeyFile: keyFile }),
      Config.layer({ issuers: [Fixture.issuer] }),
      Layer.succeed(IdGenerator, { next: Effect.sync(() => randomUUID()) })
    )
  )
  await runtime.runPromise(Effect.void)
  const run = <A, E>(effect: Effect.Effect<A, E, ManagedRuntime.ManagedRuntime.Context<typeof runtime>>) =>
    runtime.runSyncExit(effect) as Exit.Exit<A, E>
  const listener: RequestListener = (req, res) => {
    if (req.headers.authorization !== `Bearer ${Fixture.adminToken}`) {
      sendStatus(res, Status.make(401, "Unauthorized", "Unauthorized"))
      return
    }
    const path = req.url ?? "/"
    const match = req.method === "POST" ? tokenPath.exec(path) : null
    const isReview = req.method === "POST" && path === "/apis/authentication.k8s.io/v1/tokenreviews"
    if (match === null && !isReview) {
      sendStatus(res, Status.make(404, "NotFound", "the server could not find the requested resource"))
      return
    }
    readBody(req, 3 * 1024 * 1024).then((body) => {
      let json: unknown
      try {
        json = JSON.parse(body.toString("utf8"))
      } catch {
        sendStatus(res, Status.badRequest("the request body could not be decoded"))
        return
      }
      if (match !== null) {
        const decoded = decodeTokenRequest(json)
        if (decoded._tag === "Left") {
          sendStatus(res, Status.badRequest(decoded.left.message))
          return
        }
        const exit = run(CreateToken.createToken(match[1]!, match[2]!, decoded.right))
        if (Exit.isFailure(exit)) {
          sendStatus(res, Status.fromCause(exit.cause))
          return
        }
        send(res, 201, JSON.stringify(typed("TokenRequest", encodeIssued(exit.value.tokenRequest) as Record<string, unknown>)))
        return
      }
      const decoded = decodeTokenReview(json)
      if (decoded._tag === "Left") {
        sendStatus(res, Status.badRequest(decoded.left.message))
        return
      }
      const exit = run(ReviewToken.reviewToken(decoded.right))
      if (Exit.isFailure(exit)) {
        sendStatus(res, Status.fromCause(exit.cause))
        return
      }
      send(res, 201, JSON.stringify(typed("TokenReview", encodeTokenReview(exit.value) as Record<string, unknown>)))
    }, () => sendStatus(res, Status.badRequest("the request body could not be read")))
  }
  return { listener, dispose: () => runtime.dispose() }
}
