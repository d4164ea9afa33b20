/**
 * Entry module of a worker process of `tokenrequest serve --workers N` (see `Workers`).
 *
 * @since 0.1.0
 */
import { runWorker } from "./Workers.js"

runWorker()
