/**
 * @tokenrequest/testkit: port contract suites, arbitraries and an in-process fake server for other projects' tests.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Etcd from "./Etcd.js"

/**
 * @since 0.1.0
 */
export * as ObjectStoreContract from "./ObjectStoreContract.js"

/**
 * @since 0.1.0
 */
export * as KeySetContract from "./KeySetContract.js"

/**
 * @since 0.1.0
 */
export * as TokenSignerContract from "./TokenSignerContract.js"

/**
 * @since 0.1.0
 */
export * as Vectors from "./Vectors.js"

/**
 * @since 0.1.0
 */
export * as VectorCases from "./VectorCases.js"

/**
 * @since 0.1.0
 */
export * as FakeApiServer from "./FakeApiServer.js"

/**
 * @since 0.1.0
 */
export * as Arbitraries from "./Arbitraries.js"
