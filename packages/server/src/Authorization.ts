/**
 * Authorization as kube-apiserver's `--authorization-mode` does it for the modes the reference server
 * offers: `AlwaysAllow`, `AlwaysDeny` and `ABAC` (the policy file of `--authorization-policy-file`,
 * one `abac.authorization.kubernetes.io/v1beta1` Policy per line, matched like upstream's
 * `pkg/auth/authorizer/abac`). Several modes are tried in order; the first to allow wins. A denial
 * becomes the upstream 403 Status message.
 *
 * @since 0.1.0
 */
import { Forbidden } from "@tokenrequest/domain/Errors"
import type { UserInfo } from "@tokenrequest/domain/UserInfo"
import { goQuote } from "./internal/goQuote.js"
import { isReadOnly, type RequestInfo } from "./RequestInfo.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Mode = "AlwaysAllow" | "AlwaysDeny" | "ABAC"

/**
 * @since 0.1.0
 * @category constants
 */
export const modes: ReadonlyArray<Mode> = ["AlwaysAllow", "AlwaysDeny", "ABAC"]

/**
 * The `spec` of an ABAC policy line. Absent strings are empty; `*` is the wildcard.
 *
 * @since 0.1.0
 * @category models
 */
export interface PolicySpec {
  readonly user: string
  readonly group: string
  readonly readonly: boolean
  readonly apiGroup: string
  readonly resource: string
  readonly namespace: string
  readonly nonResourcePath: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Decision {
  readonly allowed: boolean
  /** The authorizer's reason, appended to the 403 message (`No policy matched.`). */
  readonly reason: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Authorizer {
  readonly authorize: (user: UserInfo, request: RequestInfo) => Decision
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const alwaysAllow: Authorizer = { authorize: () => ({ allowed: true, reason: "" }) }

/**
 * @since 0.1.0
 * @category constructors
 */
export const alwaysDeny: Authorizer = { authorize: () => ({ allowed: false, reason: "Everything is forbidden." }) }

const allAuthenticated = "system:authenticated"

const stringField = (value: unknown, name: string, line: number, path: string): string => {
  if (value === undefined || value === null) return ""
  if (typeof value !== "string") throw new Error(`policy file ${path}: line ${line}: spec.${name} must be a string`)
  return value
}

/**
 * Parses a policy file: blank lines and lines starting with `#` are skipped; every other line is one
 * JSON Policy. As upstream converts them, `user: "*"` or `group: "*"` means every authenticated
 * subject (group `system:authenticated`, so not `system:anonymous`); unversioned lines (the v0 format
 * with the fields at the top level) get the v0 defaults (empty means all).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parsePolicyFile = (path: string, text: string): Array<PolicySpec> | { readonly error: string } => {
  const policies: Array<PolicySpec> = []
  const lines = text.split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const trimmed = lines[index]!.trim()
    if (trimmed === "" || trimmed.startsWith("#")) continue
    const line = index + 1
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch (error) {
      return { error: `policy file ${path}: line ${line}: ${(error as Error).message}` }
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return { error: `policy file ${path}: line ${line}: not a JSON object` }
    }
    const object = parsed as Record<string, unknown>
    try {
      if (object["apiVersion"] === undefined && object["kind"] === undefined) {
        const user = stringField(object["user"], "user", line, path)
        const group = stringField(object["group"], "group", line, path)
        const namespace = stringField(object["namespace"], "namespace", line, path)
        const resource = stringField(object["resource"], "resource", line, path)
        const anyone = (user === "" && group === "") || user === "*" || group === "*"
        policies.push({
          user: anyone ? "" : user,
          group: anyone ? allAuthenticated : group,
          readonly: object["readonly"] === true,
          apiGroup: "*",
          resource: resource === "" ? "*" : resource,
          namespace: namespace === "" ? "*" : namespace,
          nonResourcePath: namespace === "" && resource === "" ? "*" : ""
        })
        continue
      }
      if (object["apiVersion"] !== "abac.authorization.kubernetes.io/v1beta1" || object["kind"] !== "Policy") {
        return {
          error: `policy file ${path}: line ${line}: unsupported apiVersion/kind ${JSON.stringify(object["apiVersion"])}/${
            JSON.stringify(object["kind"])
          }, want "abac.authorization.kubernetes.io/v1beta1"/"Policy"`
        }
      }
      const spec = (object["spec"] ?? {}) as Record<string, unknown>
      if (typeof spec !== "object" || Array.isArray(spec)) {
        return { error: `policy file ${path}: line ${line}: spec must be an object` }
      }
      if (spec["readonly"] !== undefined && typeof spec["readonly"] !== "boolean") {
        return { error: `policy file ${path}: line ${line}: spec.readonly must be a boolean` }
      }
      const user = stringField(spec["user"], "user", line, path)
      const group = stringField(spec["group"], "group", line, path)
      const anyone = user === "*" || group === "*"
      policies.push({
        user: anyone ? "" : user,
        group: anyone ? allAuthenticated : group,
        readonly: spec["readonly"] === true,
        apiGroup: stringField(spec["apiGroup"], "apiGroup", line, path),
        resource: stringField(spec["resource"], "resource", line, path),
        namespace: stringField(spec["namespace"], "namespace", line, path),
        nonResourcePath: stringField(spec["nonResourcePath"], "nonResourcePath", line, path)
      })
    } catch (error) {
      return { error: (error as Error).message }
    }
  }
  return policies
}

const subjectMatches = (policy: PolicySpec, user: UserInfo): boolean => {
  let matched = false
  if (policy.user !== "") {
    if (policy.user === "*") matched = true
    else if (policy.user === (user.username ?? "")) matched = true
    else return false
  }
  if (policy.group !== "") {
    if (policy.group === "*") matched = true
    else if ((user.groups ?? []).includes(policy.group)) matched = true
    else return false
  }
  return matched
}

const verbMatches = (policy: PolicySpec, request: RequestInfo): boolean => isReadOnly(request) || !policy.readonly

const resourceMatches = (policy: PolicySpec, request: RequestInfo): boolean =>
  request.isResourceRequest &&
  (policy.namespace === "*" || policy.namespace === request.namespace) &&
  (policy.resource === "*" || policy.resource === request.resource) &&
  (policy.apiGroup === "*" || policy.apiGroup === request.apiGroup)

const nonResourceMatches = (policy: PolicySpec, request: RequestInfo): boolean =>
  !request.isResourceRequest &&
  (policy.nonResourcePath === "*" ||
    policy.nonResourcePath === request.path ||
    (policy.nonResourcePath.endsWith("*") && request.path.startsWith(policy.nonResourcePath.replace(/\*+$/, ""))))

/**
 * Whether one policy allows the request (upstream `matches`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const policyMatches = (policy: PolicySpec, user: UserInfo, request: RequestInfo): boolean =>
  subjectMatches(policy, user) &&
  verbMatches(policy, request) &&
  (resourceMatches(policy, request) || nonResourceMatches(policy, request))

/**
 * @since 0.1.0
 * @category constructors
 */
export const abac = (policies: ReadonlyArray<PolicySpec>): Authorizer => ({
  authorize: (user, request) =>
    policies.some((policy) => policyMatches(policy, user, request))
      ? { allowed: true, reason: "" }
      : { allowed: false, reason: "No policy matched." }
})

/**
 * The modes in order: the first that allows wins; reasons of the others are joined by newlines.
 *
 * @since 0.1.0
 * @category constructors
 */
export const union = (authorizers: ReadonlyArray<Authorizer>): Authorizer => ({
  authorize: (user, request) => {
    const reasons: Array<string> = []
    for (const authorizer of authorizers) {
      const decision = authorizer.authorize(user, request)
      if (decision.allowed) return decision
      if (decision.reason !== "") reasons.push(decision.reason)
    }
    return { allowed: false, reason: reasons.join("\n") }
  }
})

const sanitize = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/**
 * `forbiddenMessage` of upstream's responsewriters: `User "u" cannot create resource
 * "serviceaccounts/token" in API group "" in the namespace "ns"`, the cluster-scope variant, or
 * `User "u" cannot get path "/metrics"`.
 *
 * @since 0.1.0
 * @category errors
 */
export const forbiddenMessage = (user: UserInfo, request: RequestInfo): string => {
  const username = goQuote(user.username ?? "")
  if (!request.isResourceRequest) return `User ${username} cannot ${request.verb} path ${goQuote(request.path)}`
  const resource = request.subresource === "" ? request.resource : `${request.resource}/${request.subresource}`
  const scope = request.namespace === "" ? "at the cluster scope" : `in the namespace ${goQuote(request.namespace)}`
  return `User ${username} cannot ${request.verb} resource ${goQuote(resource)} in API group ${
    goQuote(request.apiGroup)
  } ${scope}`
}

/**
 * The 403 error for a denied request, as upstream's `responsewriters.Forbidden` builds it.
 *
 * @since 0.1.0
 * @category errors
 */
export const forbidden = (user: UserInfo, request: RequestInfo, reason: string): Forbidden => {
  const message = sanitize(forbiddenMessage(user, request))
  return new Forbidden({
    group: request.apiGroup,
    resource: request.resource,
    name: request.name,
    reason: reason === "" ? message : `${message}: ${reason}`
  })
}
