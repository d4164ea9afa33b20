/**
 * @tokenrequest/server: the reference server: configuration, authentication, authorization, object API, TLS, health and metrics.
 *
 * @since 0.1.0
 */
export {}
