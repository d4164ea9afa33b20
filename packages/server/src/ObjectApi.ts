/**
 * The object API of the reference server (CONTRACT §4): list, get, create and delete of namespaces,
 * service accounts, pods, secrets and nodes, with Kubernetes semantics: 201 on create, 409
 * `AlreadyExists`, 404 `NotFound`, `<Kind>List` answers with `metadata.resourceVersion`, a
 * `meta.k8s.io/v1` Table when kubectl asks for one, field and label selectors, and the admission
 * steps kubectl users rely on (a pod without a service account runs as `default`, which must exist; a
 * new namespace gets its `default` service account; objects in a missing namespace are refused).
 * Deleting a pod (or its namespace) removes it at once, so its tokens stop authenticating at once.
 *
 * @since 0.1.0
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as crypto from "node:crypto"
import { Forbidden, Invalid, NotFound } from "@tokenrequest/domain/Errors"
import { FieldError } from "@tokenrequest/domain/FieldError"
import * as KubeObject from "@tokenrequest/domain/KubeObject"
import { ObjectStore } from "@tokenrequest/domain/ObjectStore"
import * as Negotiation from "@tokenrequest/http/Negotiation"
import * as RequestBody from "@tokenrequest/http/RequestBody"
import * as RequestUrl from "@tokenrequest/http/RequestUrl"
import * as Routes from "@tokenrequest/http/Routes"
import * as Status from "@tokenrequest/http/Status"
import * as CoreProtobuf from "./internal/coreProtobuf.js"
import type { RequestInfo } from "./RequestInfo.js"

const encodeObject = Schema.encodeSync(KubeObject.KubeObject)

/**
 * The JSON wire form of a stored object (timestamps as RFC 3339 text).
 *
 * @since 0.1.0
 * @category encoding
 */
export const toWire = (object: KubeObject.KubeObject): Record<string, unknown> => {
  const { apiVersion, kind, metadata, ...rest } = encodeObject(object) as Record<string, unknown>
  return { kind, apiVersion, metadata, ...rest }
}

/**
 * Whether a request is for the object API (core/v1, one of the five kinds, no subresource).
 *
 * @since 0.1.0
 * @category routing
 */
export const isObjectRequest = (info: RequestInfo): boolean =>
  info.isResourceRequest && info.apiPrefix === "api" && info.apiGroup === "" && info.apiVersion === "v1" &&
  Option.isSome(KubeObject.kindOfResource(info.resource)) && info.subresource === "" && info.parts.length <= 2

const json = (code: number, body: unknown) =>
  HttpServerResponse.text(JSON.stringify(body), { status: code, contentType: "application/json" })

const respondStatus = (status: Status.Status) => Routes.respondStatus(status)

type Selector = (object: KubeObject.KubeObject) => boolean

const fieldValue = (object: KubeObject.KubeObject, field: string): string | undefined => {
  switch (field) {
    case "metadata.name":
      return object.metadata.name ?? ""
    case "metadata.namespace":
      return object.metadata.namespace ?? ""
    case "spec.nodeName":
      return object.kind === "Pod" ? KubeObject.podNodeName(object) : undefined
    case "spec.serviceAccountName":
      return object.kind === "Pod" ? KubeObject.podServiceAccountName(object) : undefined
    case "type":
      return object.kind === "Secret" ? String(object["type"] ?? "") : undefined
    default:
      return undefined
  }
}

const parseRequirements = (text: string) =>
  text.split(",").map((r) => r.trim()).filter((r) => r !== "").map((requirement) => {
    const match = /^(!?)([^=!]+?)\s*(?:(==|=|!=)\s*(.*))?$/.exec(requirement)
    return match === null
      ? undefined
      : { not: match[1] === "!", key: match[2]!.trim(), op: match[3], value: (match[4] ?? "").trim() }
  })

/**
 * Compiles `fieldSelector` and `labelSelector` (equality-based: `=`, `==`, `!=`, `key`, `!key`).
 *
 * @since 0.1.0
 * @category selectors
 */
export const selector = (
  kind: KubeObject.ObjectKind,
  fieldSelector: string | null,
  labelSelector: string | null
): Selector | Status.Status => {
  const checks: Array<Selector> = []
  for (const requirement of parseRequirements(fieldSelector ?? "")) {
    if (requirement === undefined || requirement.op === undefined || requirement.not) {
      return Status.badRequest(`invalid field selector: ${fieldSelector}`)
    }
    const { key, op, value } = requirement
    const probe = fieldValue({ apiVersion: "v1", kind, metadata: {} }, key)
    if (probe === undefined) {
      return Status.badRequest(`"${key}" is not a known field selector: only "metadata.name", "metadata.namespace"`)
    }
    checks.push((object) => (fieldValue(object, key) === value) === (op !== "!="))
  }
  for (const requirement of parseRequirements(labelSelector ?? "")) {
    if (requirement === undefined) return Status.badRequest(`unable to parse requirement: ${labelSelector}`)
    const { key, not, op, value } = requirement
    checks.push((object) => {
      const labels = object.metadata.labels ?? {}
      if (op === undefined) return (key in labels) !== not
      return (labels[key] === value) === (op !== "!=")
    })
  }
  return (object) => checks.every((check) => check(object))
}

const age = (object: KubeObject.KubeObject, now: number): string => {
  const created = object.metadata.creationTimestamp
  if (created === undefined || created === null) return "<unknown>"
  const seconds = Math.max(0, Math.floor((now - DateTime.toEpochMillis(created)) / 1000))
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return `${minutes}m${seconds % 60 === 0 ? "" : `${seconds % 60}s`}`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h`
  return `${Math.floor(hours / 24)}d`
}

const columns: { readonly [K in KubeObject.ObjectKind]: ReadonlyArray<{ name: string; cell: (o: KubeObject.KubeObject) => unknown }> } = {
  Namespace: [{ name: "Status", cell: () => "Active" }],
  ServiceAccount: [{
    name: "Secrets",
    cell: (o) => (Array.isArray(o["secrets"]) ? (o["secrets"] as Array<unknown>).length : 0)
  }],
  Pod: [
    { name: "Service Account", cell: (o) => KubeObject.podServiceAccountName(o) },
    { name: "Node", cell: (o) => KubeObject.podNodeName(o) || "<none>" }
  ],
  Secret: [
    { name: "Type", cell: (o) => String(o["type"] ?? "Opaque") },
    {
      name: "Data",
      cell: (o) => Object.keys({ ...(o["data"] as object | undefined), ...(o["stringData"] as object | undefined) }).length
    }
  ],
  Node: [{ name: "Status", cell: () => "Ready" }]
}

const wantsTable = (accept: string | undefined): boolean =>
  (accept ?? "").split(",").some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part))

const table = (kind: KubeObject.ObjectKind, objects: ReadonlyArray<KubeObject.KubeObject>, resourceVersion: string, now: number) => ({
  kind: "Table",
  apiVersion: "meta.k8s.io/v1",
  metadata: { resourceVersion },
  columnDefinitions: [
    { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace.", priority: 0 },
    ...columns[kind].map((c) => ({ name: c.name, type: "string", format: "", description: c.name, priority: 0 })),
    { name: "Age", type: "string", format: "", description: "Time since creation.", priority: 0 }
  ],
  rows: objects.map((object) => {
    const wire = toWire(object)
    return {
      cells: [object.metadata.name ?? "", ...columns[kind].map((c) => c.cell(object)), age(object, now)],
      object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: wire["metadata"] }
    }
  })
})

const listResourceVersion = (objects: ReadonlyArray<KubeObject.KubeObject>): string =>
  String(objects.reduce((max, o) => Math.max(max, Number(o.metadata.resourceVersion ?? 0) || 0), 0))

const generatedSuffix = () => {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789"
  return Array.from(crypto.randomBytes(5), (b) => alphabet[b % alphabet.length]).join("")
}

const requireNamespace = (namespace: string) =>
  Effect.flatMap(ObjectStore, (store) =>
    Effect.flatMap(store.get("Namespace", "", namespace), (found) =>
      Option.isSome(found)
        ? Effect.void
        : Effect.fail(new NotFound({ group: "", resource: "namespaces", name: namespace }))))

const decodeCreateBody = (kind: KubeObject.ObjectKind, info: RequestInfo) =>
  Effect.gen(function*() {
    const body = yield* RequestBody.readBody()
    const contentType = ((yield* HttpServerRequest.HttpServerRequest).headers["content-type"] ?? "").trim()
    const unrecognized = (detail: string) =>
      new Status.StatusFailure({
        status: Status.badRequest(
          `the object provided is unrecognized (must be of type ${kind}): ${detail} (${RequestBody.summarizeData(body)})`
        )
      })
    let parsed: unknown
    if (/^application\/vnd\.kubernetes\.protobuf/i.test(contentType)) {
      // The codec is loaded with the first protobuf request.
      const Protobuf = yield* Effect.promise(() => import("@tokenrequest/http/Protobuf"))
      const envelope = Protobuf.decodeEnvelope(body)
      if (Either.isLeft(envelope)) return yield* Effect.fail(unrecognized(envelope.left))
      const { apiVersion, kind: sentKind, raw } = envelope.right
      try {
        parsed = { ...CoreProtobuf.decodeObject(sentKind === "" ? kind : sentKind, raw), apiVersion: apiVersion === "" ? "v1" : apiVersion, kind: sentKind === "" ? kind : sentKind }
      } catch (error) {
        return yield* Effect.fail(unrecognized((error as Error).message))
      }
    } else if (contentType === "" || /^application\/(json|[a-z.+-]*\+json)/i.test(contentType)) {
      try {
        parsed = JSON.parse(new TextDecoder().decode(body))
      } catch (error) {
        return yield* Effect.fail(unrecognized(`couldn't get version/kind; json parse error: ${(error as Error).message}`))
      }
    } else {
      return yield* Effect.fail(
        new Status.StatusFailure({ status: Status.unsupportedMediaType([...Negotiation.acceptedMediaTypes]) })
      )
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return yield* Effect.fail(unrecognized("not an object"))
    }
    const record = parsed as Record<string, unknown>
    const actualKind = typeof record["kind"] === "string" && record["kind"] !== "" ? record["kind"] : kind
    const actualVersion = typeof record["apiVersion"] === "string" && record["apiVersion"] !== "" ? record["apiVersion"] : "v1"
    if (actualKind !== kind) {
      return yield* Effect.fail(
        new Status.StatusFailure({
          status: Status.badRequest(
            `${actualKind} in version "${actualVersion}" cannot be handled as a ${kind}: no kind "${actualKind}" is registered for version "${actualVersion}" in scheme "pkg/api/legacyscheme/scheme.go:30"`
          )
        })
      )
    }
    if (actualVersion !== "v1") {
      return yield* Effect.fail(
        new Status.StatusFailure({
          status: Status.badRequest(`the API version in the data (${actualVersion}) does not match the expected API version (v1)`)
        })
      )
    }
    const metadata = (typeof record["metadata"] === "object" && record["metadata"] !== null ? record["metadata"] : {}) as Record<string, unknown>
    const namespaced = KubeObject.kinds[kind].namespaced
    let namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : ""
    if (namespaced) {
      if (namespace === "") namespace = info.namespace
      else if (namespace !== info.namespace) {
        return yield* Effect.fail(
          new Status.StatusFailure({
            status: Status.badRequest("the namespace of the provided object does not match the namespace sent on the request")
          })
        )
      }
    }
    let name = typeof metadata["name"] === "string" ? metadata["name"] : ""
    const generateName = typeof metadata["generateName"] === "string" ? metadata["generateName"] : ""
    if (name === "" && generateName !== "") name = `${generateName}${generatedSuffix()}`
    if (name === "") {
      return yield* Effect.fail(
        new Invalid({
          group: "",
          kind,
          name: "",
          causes: [new FieldError({ type: "FieldValueRequired", field: "metadata.name", detail: "name or generateName is required" })]
        })
      )
    }
    const {
      namespace: _ns,
      uid: _uid,
      resourceVersion: _rv,
      creationTimestamp: _ct,
      deletionTimestamp: _dt,
      selfLink: _sl,
      managedFields: _mf,
      ...keptMetadata
    } = metadata
    const candidate = {
      ...record,
      apiVersion: "v1",
      kind,
      metadata: { ...keptMetadata, name, ...(namespaced ? { namespace } : {}) }
    }
    return yield* Schema.decodeUnknown(KubeObject.KubeObject)(candidate).pipe(
      Effect.mapError((error) =>
        new Status.StatusFailure({
          status: Status.badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${error.message.split("\n")[0]}`)
        })
      )
    )
  })

const admit = (object: KubeObject.KubeObject) =>
  Effect.gen(function*() {
    const store = yield* ObjectStore
    if (object.kind !== "Pod") return object
    const spec = (typeof object["spec"] === "object" && object["spec"] !== null ? object["spec"] : {}) as Record<string, unknown>
    const serviceAccountName = typeof spec["serviceAccountName"] === "string" && spec["serviceAccountName"] !== ""
      ? spec["serviceAccountName"]
      : typeof spec["serviceAccount"] === "string" && spec["serviceAccount"] !== ""
      ? spec["serviceAccount"]
      : "default"
    const namespace = object.metadata.namespace ?? ""
    const serviceAccount = yield* store.get("ServiceAccount", namespace, serviceAccountName)
    if (Option.isNone(serviceAccount)) {
      return yield* Effect.fail(
        new Forbidden({
          group: "",
          resource: "pods",
          name: object.metadata.name ?? "",
          reason: `error looking up service account ${namespace}/${serviceAccountName}: serviceaccount "${serviceAccountName}" not found`
        })
      )
    }
    return { ...object, spec: { ...spec, serviceAccountName, serviceAccount: serviceAccountName } }
  })

const deleteNamespaceContents = (namespace: string) =>
  Effect.gen(function*() {
    const store = yield* ObjectStore
    for (const kind of ["Pod", "Secret", "ServiceAccount"] as const) {
      for (const object of yield* store.list(kind, namespace)) {
        yield* store.delete(kind, namespace, object.metadata.name ?? "").pipe(Effect.catchTag("NotFound", () => Effect.void))
      }
    }
  })

/**
 * Answers an object-API request (see `isObjectRequest`). Never fails: every error is a `Status`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handle = (
  info: RequestInfo,
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, ObjectStore | HttpServerRequest.HttpServerRequest> => {
  const kind = Option.getOrThrow(KubeObject.kindOfResource(info.resource))
  const namespaced = KubeObject.kinds[kind].namespaced
  const program = Effect.gen(function*() {
    const store = yield* ObjectStore
    if (!namespaced && info.namespace !== "" && kind !== "Namespace") return yield* respondStatus(Status.pathNotFound)
    const namespace = namespaced ? info.namespace : ""
    const url = RequestUrl.parse(request.url)
    switch (info.verb) {
      case "list": {
        const select = selector(kind, url.searchParams.get("fieldSelector"), url.searchParams.get("labelSelector"))
        if (typeof select !== "function") return yield* respondStatus(select)
        const objects = (yield* store.list(kind, namespaced && namespace !== "" ? namespace : undefined)).filter(select)
        const resourceVersion = listResourceVersion(objects)
        if (wantsTable(request.headers["accept"])) return json(200, table(kind, objects, resourceVersion, Date.now()))
        return json(200, {
          kind: `${kind}List`,
          apiVersion: "v1",
          metadata: { resourceVersion },
          items: objects.map(toWire)
        })
      }
      case "watch": {
        const select = selector(kind, url.searchParams.get("fieldSelector"), url.searchParams.get("labelSelector"))
        if (typeof select !== "function") return yield* respondStatus(select)
        const inScope = (object: KubeObject.KubeObject) =>
          object.kind === kind && (!namespaced || namespace === "" || object.metadata.namespace === namespace) &&
          select(object)
        const asTable = wantsTable(request.headers["accept"])
        const encoder = new TextEncoder()
        const event = (type: string, object: KubeObject.KubeObject) =>
          encoder.encode(
            JSON.stringify({ type, object: asTable ? table(kind, [object], object.metadata.resourceVersion ?? "", Date.now()) : toWire(object) }) + "\n"
          )
        const resourceVersion = url.searchParams.get("resourceVersion")
        const existing = resourceVersion === null || resourceVersion === "" || resourceVersion === "0"
          ? (yield* store.list(kind, namespaced && namespace !== "" ? namespace : undefined)).filter(select)
          : []
        const timeoutSeconds = Number(url.searchParams.get("timeoutSeconds") ?? "")
        const changes = store.watch.pipe(
          Stream.filter((change) => inScope(change.object)),
          Stream.map((change) => event(change.type, change.object)),
          Stream.catchAll(() => Stream.empty)
        )
        // The empty first chunk makes Node send the response headers at once, as watch clients wait for them.
        const body = Stream.concat(
          Stream.fromIterable([new Uint8Array(0), ...existing.map((object) => event("ADDED", object))]),
          changes
        )
        return HttpServerResponse.stream(
          Number.isFinite(timeoutSeconds) && timeoutSeconds > 0
            ? Stream.interruptWhen(body, Effect.sleep(`${timeoutSeconds} seconds`))
            : body,
          { status: 200, contentType: "application/json;stream=watch" }
        )
      }
      case "get": {
        const found = yield* store.get(kind, namespace, info.name)
        if (Option.isNone(found)) {
          return yield* Effect.fail(new NotFound({ group: "", resource: info.resource, name: info.name }))
        }
        if (wantsTable(request.headers["accept"])) {
          return json(200, table(kind, [found.value], found.value.metadata.resourceVersion ?? "", Date.now()))
        }
        return json(200, toWire(found.value))
      }
      case "create": {
        if (namespaced && namespace === "") return yield* respondStatus(Status.methodNotAllowed)
        const decoded = yield* decodeCreateBody(kind, info)
        if (namespaced) yield* requireNamespace(namespace)
        const admitted = yield* admit(decoded)
        const created = yield* store.create(admitted)
        if (kind === "Namespace") {
          yield* store.create({
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: "default", namespace: created.metadata.name ?? "" }
          }).pipe(Effect.catchTag("AlreadyExists", () => Effect.void))
        }
        return json(201, toWire(created))
      }
      case "delete": {
        const deleted = yield* store.delete(kind, namespace, info.name)
        if (kind === "Namespace") yield* deleteNamespaceContents(info.name)
        return json(200, toWire(deleted))
      }
      default:
        return yield* respondStatus(Status.methodNotAllowed)
    }
  })
  return Routes.handleFailures(program)
}
