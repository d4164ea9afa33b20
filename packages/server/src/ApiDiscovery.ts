/**
 * The discovery documents kubectl and client libraries read before they act: `/api` (APIVersions),
 * `/api/v1` (APIResourceList with the `serviceaccounts/token` subresource), `/apis` (APIGroupList),
 * `/apis/authentication.k8s.io` (APIGroup), `/apis/authentication.k8s.io/v1` (APIResourceList) and
 * `/version`. Unknown discovery paths such as `/openapi/v2` answer 404 `Status`, which kubectl
 * tolerates with `--validate=false`.
 *
 * @since 0.1.0
 */

/**
 * The version this server reports on `/version`.
 *
 * @since 0.1.0
 * @category constants
 */
export const version = {
  major: "1",
  minor: "35",
  emulationMajor: "1",
  emulationMinor: "35",
  minCompatibilityMajor: "1",
  minCompatibilityMinor: "34",
  gitVersion: "v1.35.0-tokenrequest",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-01-01T00:00:00Z",
  goVersion: "go1.24.0",
  compiler: "gc",
  platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`
} as const

const objectVerbs = ["create", "delete", "get", "list", "watch"]

const coreResources = [
  { name: "namespaces", singularName: "namespace", namespaced: false, kind: "Namespace", verbs: objectVerbs, shortNames: ["ns"] },
  { name: "nodes", singularName: "node", namespaced: false, kind: "Node", verbs: objectVerbs, shortNames: ["no"] },
  {
    name: "pods",
    singularName: "pod",
    namespaced: true,
    kind: "Pod",
    verbs: objectVerbs,
    shortNames: ["po"],
    categories: ["all"]
  },
  { name: "secrets", singularName: "secret", namespaced: true, kind: "Secret", verbs: objectVerbs },
  {
    name: "serviceaccounts",
    singularName: "serviceaccount",
    namespaced: true,
    kind: "ServiceAccount",
    verbs: objectVerbs,
    shortNames: ["sa"]
  },
  {
    name: "serviceaccounts/token",
    singularName: "",
    namespaced: true,
    group: "authentication.k8s.io",
    version: "v1",
    kind: "TokenRequest",
    verbs: ["create"]
  }
]

const authenticationGroup = {
  name: "authentication.k8s.io",
  versions: [{ groupVersion: "authentication.k8s.io/v1", version: "v1" }],
  preferredVersion: { groupVersion: "authentication.k8s.io/v1", version: "v1" }
}

/**
 * The document served at a discovery path, or `undefined` when the path is not one.
 * `serverAddress` is `host:port` as clients reach the server.
 *
 * @since 0.1.0
 * @category documents
 */
export const documentFor = (pathname: string, serverAddress: string): unknown | undefined => {
  switch (pathname.replace(/\/+$/, "")) {
    case "/api":
      return {
        kind: "APIVersions",
        versions: ["v1"],
        serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }]
      }
    case "/api/v1":
      return { kind: "APIResourceList", groupVersion: "v1", resources: coreResources }
    case "/apis":
      return { kind: "APIGroupList", apiVersion: "v1", groups: [authenticationGroup] }
    case "/apis/authentication.k8s.io":
      return { kind: "APIGroup", apiVersion: "v1", ...authenticationGroup }
    case "/apis/authentication.k8s.io/v1":
      return {
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: "authentication.k8s.io/v1",
        resources: [
          { name: "selfsubjectreviews", singularName: "selfsubjectreview", namespaced: false, kind: "SelfSubjectReview", verbs: ["create"] },
          { name: "tokenreviews", singularName: "tokenreview", namespaced: false, kind: "TokenReview", verbs: ["create"] }
        ]
      }
    case "/version":
      return version
    default:
      return undefined
  }
}

/**
 * Health endpoints, public: `/healthz`, `/livez`, `/readyz` and their `/…/ping` style subpaths.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isHealthPath = (pathname: string): boolean => /^\/(healthz|livez|readyz)(\/[a-z-]+)?\/?$/.test(pathname)
