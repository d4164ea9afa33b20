/**
 * @tokenrequest/server: the reference server: configuration, authentication, authorization, object API, TLS, health and metrics.
 *
 * @since 0.1.0
 */
export * as ApiDiscovery from "./ApiDiscovery.js"
export * as AuditLog from "./AuditLog.js"
export * as Authentication from "./Authentication.js"
export * as Authorization from "./Authorization.js"
export * as Configuration from "./Configuration.js"
export * as FastPath from "./FastPath.js"
export * as Keys from "./Keys.js"
export * as Kubeconfig from "./Kubeconfig.js"
export * as Metrics from "./Metrics.js"
export * as ObjectApi from "./ObjectApi.js"
export * as ReplicatedStore from "./ReplicatedStore.js"
export * as RequestInfo from "./RequestInfo.js"
export * as Server from "./Server.js"
export * as ServingCertificate from "./ServingCertificate.js"
export * as TokenFile from "./TokenFile.js"
export * as Workers from "./Workers.js"
