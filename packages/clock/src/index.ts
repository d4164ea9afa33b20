/**
 * @tokenrequest/clock: clock adapters: the system clock and a fixed or manually advanced clock.
 *
 * @since 0.1.0
 */
export * as Clock from "./Clock.js"
