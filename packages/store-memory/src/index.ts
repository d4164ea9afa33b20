/**
 * @tokenrequest/store-memory: in-memory object store, manifest loader and change events.
 *
 * @since 0.1.0
 */
export {}
