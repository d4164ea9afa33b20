/**
 * @tokenrequest/domain: the TokenRequest API's schemas, rules, ports and programs, with no I/O.
 *
 * @since 0.1.0
 */
export * as BoundObjectReference from "./BoundObjectReference.js"
export * as Config from "./Config.js"
export * as Errors from "./Errors.js"
export * as FieldError from "./FieldError.js"
export * as IdGenerator from "./IdGenerator.js"
export * as KeySet from "./KeySet.js"
export * as KubeObject from "./KubeObject.js"
export * as ObjectMeta from "./ObjectMeta.js"
export * as ObjectStore from "./ObjectStore.js"
export * as SelfSubjectReview from "./SelfSubjectReview.js"
export * as Status from "./Status.js"
export * as Time from "./Time.js"
export * as TokenRequest from "./TokenRequest.js"
export * as TokenReview from "./TokenReview.js"
export * as TokenSigner from "./TokenSigner.js"
export * as UserInfo from "./UserInfo.js"
export * as CreateToken from "./CreateToken.js"
export * as Discovery from "./Discovery.js"
export * as ReviewToken from "./ReviewToken.js"
