/**
 * @tokenrequest/conformance: black-box conformance suite for any TokenRequest endpoint, and language-neutral vectors.
 *
 * @since 0.1.0
 */
export * as Checks from "./Checks.js"
export * as Endpoint from "./Endpoint.js"
export * as Fixture from "./Fixture.js"
export * as Kubeconfig from "./Kubeconfig.js"
export * as Report from "./Report.js"
export * as Suite from "./Suite.js"
