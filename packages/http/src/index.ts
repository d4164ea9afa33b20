/**
 * @tokenrequest/http: the Kubernetes-compatible TokenRequest HTTP API as an embeddable app (JSON and protobuf).
 *
 * @since 0.1.0
 */
export * as App from "./App.js"
export * as AuditSink from "./AuditSink.js"
export * as Caller from "./Caller.js"
export * as Negotiation from "./Negotiation.js"
export * as NodeListener from "./NodeListener.js"
export * as Protobuf from "./Protobuf.js"
export * as RequestBody from "./RequestBody.js"
export * as RequestUrl from "./RequestUrl.js"
export * as Routes from "./Routes.js"
export * as Status from "./Status.js"
