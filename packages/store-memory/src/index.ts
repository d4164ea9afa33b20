/**
 * @tokenrequest/store-memory: in-memory object store, manifest loader and change events.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as ManifestLoader from "./ManifestLoader.js"

/**
 * @since 0.1.0
 */
export * as MemoryStore from "./MemoryStore.js"
