/**
 * Entry of `pnpm bench` (`node packages/bench/dist/main.js [flags]`); see `Cli` for the flags.
 *
 * @since 0.1.0
 */
import { main } from "./Cli.js"

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  }
)
