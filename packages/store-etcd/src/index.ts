/**
 * @tokenrequest/store-etcd: etcd v3 object store with a watch-fed cache.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as EtcdStore from "./EtcdStore.js"
