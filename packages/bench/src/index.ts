/**
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Baseline from "./Baseline.js"
/** @since 0.1.0 */
export * as Cli from "./Cli.js"
/** @since 0.1.0 */
export * as Fixture from "./Fixture.js"
/** @since 0.1.0 */
export * as InProcess from "./InProcess.js"
/** @since 0.1.0 */
/** @since 0.1.0 */
export * as Load from "./Load.js"
/** @since 0.1.0 */
export * as Profile from "./Profile.js"
/** @since 0.1.0 */
export * as Report from "./Report.js"
/** @since 0.1.0 */
export * as Suite from "./Suite.js"
/** @since 0.1.0 */
export * as Target from "./Target.js"
