/**
 * `RequestInfo` as kube-apiserver's `RequestInfoFactory` resolves it from the method and URL: whether
 * the request is for a resource, and then its verb, API group and version, namespace, resource,
 * subresource and name; otherwise the path and the lower-cased method as the verb.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export interface RequestInfo {
  readonly isResourceRequest: boolean
  /** The URL path, for non-resource requests and ABAC `nonResourcePath`. */
  readonly path: string
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or the method. */
  readonly verb: string
  readonly apiPrefix: string
  readonly apiGroup: string
  readonly apiVersion: string
  readonly namespace: string
  readonly resource: string
  readonly subresource: string
  readonly name: string
  /** The path segments from the resource on: `[resource, name, subresource, ...]`. */
  readonly parts: ReadonlyArray<string>
}

const apiPrefixes = new Set(["api", "apis"])
const grouplessApiPrefixes = new Set(["api"])
const namespaceSubresources = new Set(["status", "finalize"])

const resourceVerbs: Record<string, string> = {
  POST: "create",
  GET: "get",
  HEAD: "get",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete"
}

/**
 * Resolves a request. `query` is the URL search parameters (for `watch=true`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (method: string, path: string, query?: URLSearchParams): RequestInfo => {
  const nonResource: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: "",
    apiGroup: "",
    apiVersion: "",
    namespace: "",
    resource: "",
    subresource: "",
    name: "",
    parts: []
  }
  let parts = path.replace(/^\/+|\/+$/g, "").split("/").filter((_, i, all) => !(all.length === 1 && all[0] === ""))
  if (parts.length < 3 || !apiPrefixes.has(parts[0]!)) return nonResource
  const apiPrefix = parts[0]!
  parts = parts.slice(1)
  let apiGroup = ""
  if (!grouplessApiPrefixes.has(apiPrefix)) {
    if (parts.length < 3) return nonResource
    apiGroup = parts[0]!
    parts = parts.slice(1)
  }
  const apiVersion = parts[0]!
  parts = parts.slice(1)
  let verb = resourceVerbs[method.toUpperCase()] ?? ""
  let namespace = ""
  if (parts[0] === "namespaces") {
    if (parts.length > 1) {
      namespace = parts[1]!
      if (parts.length > 2 && !namespaceSubresources.has(parts[2]!)) parts = parts.slice(2)
    }
  }
  const resource = parts[0] ?? ""
  const name = parts[1] ?? ""
  const subresource = parts[2] ?? ""
  if (name === "" && verb === "get") verb = query?.get("watch") === "true" || query?.get("watch") === "1" ? "watch" : "list"
  if (name === "" && verb === "delete") verb = "deletecollection"
  return {
    isResourceRequest: true,
    path,
    verb,
    apiPrefix,
    apiGroup,
    apiVersion,
    namespace,
    resource,
    subresource,
    name,
    parts
  }
}

/**
 * Whether the verb only reads (`get`, `list`, `watch`), as ABAC's `readonly` means it.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isReadOnly = (info: RequestInfo): boolean =>
  info.verb === "get" || info.verb === "list" || info.verb === "watch"
