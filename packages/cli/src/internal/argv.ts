/**
 * Argument normalisation before `@effect/cli` parses them, so that kubectl's spellings work:
 * `--flag=value` and `-n=value` become two arguments (`@effect/cli` accepts `=` only on single-valued
 * long options), and an empty value (`--audience ""`, `--audience=`) survives as a marker instead of
 * being dropped, so that kubectl's "must not be an empty string" checks can fire; a lone `-` (read
 * stdin) is kept as a positional argument the same way.
 *
 * @internal
 */

/** Stands for an empty argument (`""`) inside the parsed options. */
export const emptyMarker = "\u0000"

/** Stands for a lone `-` (stdin), which `@effect/cli` would not take as a positional argument. */
export const dashMarker = "\u0000-"

/** The value as the user gave it: the markers back to `""` and `-`. */
export const valueOf = (value: string): string => (value === emptyMarker ? "" : value === dashMarker ? "-" : value)

/** Normalises the user's arguments (without `node` and the script path). */
export const normalize = (args: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") {
      out.push(...args.slice(i))
      break
    }
    const assignment = /^(--[A-Za-z0-9][A-Za-z0-9-]*|-[A-Za-z])=([\s\S]*)$/.exec(arg)
    if (assignment !== null) {
      out.push(assignment[1]!, assignment[2] === "" ? emptyMarker : assignment[2]!)
    } else {
      out.push(arg === "" ? emptyMarker : arg === "-" ? dashMarker : arg)
    }
  }
  return out
}
