/**
 * Child-process entry of a server under test (see `Target.startChild`).
 *
 * @since 0.1.0
 */
import { runChild } from "./Target.js"

void runChild()
