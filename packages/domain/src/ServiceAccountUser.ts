/**
 * Who an authenticated service-account token is (`serviceaccount/util.go`, `user.go`): the
 * `ServiceAccountInfo` extracted by the validator, and its user info (username, UID, groups and the
 * pod, node and credential extras), plus the `system:authenticated` group the authenticator chain adds.
 *
 * @since 0.1.0
 */
import { subject } from "./Claims.js"
import type { UserInfo } from "./UserInfo.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ServiceAccountInfo {
  readonly namespace: string
  readonly name: string
  readonly uid: string
  readonly podName: string
  readonly podUid: string
  readonly nodeName: string
  readonly nodeUid: string
  /** `JTI=<jti>`, or `""`. */
  readonly credentialId: string
}

/**
 * Extra keys, as upstream names them.
 *
 * @since 0.1.0
 * @category constants
 */
export const extraKeys = {
  podName: "authentication.kubernetes.io/pod-name",
  podUid: "authentication.kubernetes.io/pod-uid",
  credentialId: "authentication.kubernetes.io/credential-id",
  nodeName: "authentication.kubernetes.io/node-name",
  nodeUid: "authentication.kubernetes.io/node-uid"
} as const

/**
 * `system:serviceaccounts` and `system:serviceaccounts:<namespace>` (`MakeGroupNames`).
 *
 * @since 0.1.0
 * @category formatting
 */
export const groupNames = (namespace: string): ReadonlyArray<string> => [
  "system:serviceaccounts",
  `system:serviceaccounts:${namespace}`
]

/**
 * The group every authenticated user gets.
 *
 * @since 0.1.0
 * @category constants
 */
export const authenticatedGroup = "system:authenticated"

/**
 * `ServiceAccountInfo.UserInfo()`: pod extras only when both pod name and UID are set; node UID only
 * with a node name; `extra` absent when empty.
 *
 * @since 0.1.0
 * @category constructors
 */
export const userInfo = (info: ServiceAccountInfo): UserInfo => {
  // The keys in sorted order, as Go marshals a map: credential-id, node-name, node-uid, pod-name, pod-uid.
  const extra: Record<string, ReadonlyArray<string>> = {}
  let empty = true
  if (info.credentialId !== "") {
    extra[extraKeys.credentialId] = [info.credentialId]
    empty = false
  }
  if (info.nodeName !== "") {
    extra[extraKeys.nodeName] = [info.nodeName]
    if (info.nodeUid !== "") extra[extraKeys.nodeUid] = [info.nodeUid]
    empty = false
  }
  if (info.podName !== "" && info.podUid !== "") {
    extra[extraKeys.podName] = [info.podName]
    extra[extraKeys.podUid] = [info.podUid]
    empty = false
  }
  const username = subject(info.namespace, info.name)
  const groups = groupNames(info.namespace)
  return empty ? { username, uid: info.uid, groups } : { username, uid: info.uid, groups, extra }
}

/**
 * `AuthenticatedGroupAdder`: appends `system:authenticated` unless already present.
 *
 * @since 0.1.0
 * @category constructors
 */
export const withAuthenticatedGroup = (user: UserInfo): UserInfo => {
  const groups = user.groups ?? []
  if (groups.includes(authenticatedGroup)) return user
  // (fields added in the spread's order, not spread: every review runs this)
  const { extra, uid, username } = user
  const added: { -readonly [K in keyof UserInfo]: UserInfo[K] } = { username }
  if (uid !== undefined) added.uid = uid
  added.groups = [...groups, authenticatedGroup]
  if (extra !== undefined) added.extra = extra
  return added
}
