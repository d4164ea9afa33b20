/**
 * `node packages/bench/dist/summarize-profile.js FILE.cpuprofile... [--top N]`: prints each profile's summary.
 *
 * @since 0.1.0
 */
import { renderFile } from "./Profile.js"

const args = process.argv.slice(2)
const topIndex = args.indexOf("--top")
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 40
const files = topIndex < 0 ? args : args.filter((_, i) => i !== topIndex && i !== topIndex + 1)
for (const file of files) process.stdout.write(`${await renderFile(file, top)}\n\n`)
