/**
 * @tokenrequest/http: the Kubernetes-compatible TokenRequest HTTP API as an embeddable app (JSON and protobuf).
 *
 * @since 0.1.0
 */
export {}
