/**
 * The outcome of a run and how it is printed: TAP 13 (the default) or JUnit XML, plus the one-line
 * summary `N passed, N failed, N skipped`.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export type Outcome = "passed" | "failed" | "skipped"

/**
 * One check's result.
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckResult {
  /** Stable id, e.g. `validation.minimum`: the spec chapters and vectors refer to it. */
  readonly id: string
  /** What the check asserts, in one sentence. */
  readonly title: string
  /** The spec chapter (file under docs/spec/) the rule is described in. */
  readonly chapter: string
  readonly outcome: Outcome
  /** Why it failed or was skipped. */
  readonly message?: string | undefined
  readonly durationMillis: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly server: string
  readonly results: ReadonlyArray<CheckResult>
  /** Problems while creating or deleting the suite's own objects (never hidden). */
  readonly cleanupErrors: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Counts {
  readonly passed: number
  readonly failed: number
  readonly skipped: number
}

/**
 * @since 0.1.0
 * @category formatting
 */
export const counts = (report: Report): Counts => ({
  passed: report.results.filter((r) => r.outcome === "passed").length,
  failed: report.results.filter((r) => r.outcome === "failed").length,
  skipped: report.results.filter((r) => r.outcome === "skipped").length
})

/**
 * `N passed, N failed, N skipped`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const summary = (report: Report): string => {
  const c = counts(report)
  return `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`
}

/**
 * True when no check failed and everything the suite created was deleted again (the exit code is 0
 * exactly then).
 *
 * @since 0.1.0
 * @category formatting
 */
export const succeeded = (report: Report): boolean => counts(report).failed === 0 && report.cleanupErrors.length === 0

const yamlString = (text: string): string => JSON.stringify(text)

/**
 * TAP version 13: one `ok`/`not ok` line per check, `# SKIP` for skipped ones, a YAML block with the
 * failure message, and the summary as a final comment.
 *
 * @since 0.1.0
 * @category formatting
 */
export const tap = (report: Report): string => {
  const lines = ["TAP version 13", `1..${report.results.length}`]
  report.results.forEach((r, i) => {
    const name = `${r.id} - ${r.title}`.replace(/#/g, "\\#")
    if (r.outcome === "passed") lines.push(`ok ${i + 1} ${name}`)
    else if (r.outcome === "skipped") lines.push(`ok ${i + 1} ${name} # SKIP ${r.message ?? ""}`.trimEnd())
    else {
      lines.push(`not ok ${i + 1} ${name}`)
      lines.push("  ---")
      lines.push(`  message: ${yamlString(r.message ?? "failed")}`)
      lines.push(`  chapter: ${yamlString(r.chapter)}`)
      lines.push("  ...")
    }
  })
  for (const error of report.cleanupErrors) lines.push(`# cleanup: ${error}`)
  lines.push(`# ${summary(report)}`)
  return lines.join("\n") + "\n"
}

const xml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/**
 * JUnit XML: one `testsuite` named `tokenrequest-conformance`, one `testcase` per check (classname =
 * the chapter), `failure` and `skipped` elements.
 *
 * @since 0.1.0
 * @category formatting
 */
export const junit = (report: Report): string => {
  const c = counts(report)
  const seconds = (ms: number) => (ms / 1000).toFixed(3)
  const total = report.results.reduce((s, r) => s + r.durationMillis, 0)
  const cases = report.results.map((r) => {
    const open = `    <testcase classname="${xml(r.chapter)}" name="${xml(`${r.id} - ${r.title}`)}" time="${seconds(r.durationMillis)}"`
    if (r.outcome === "passed") return `${open}/>`
    const inner = r.outcome === "skipped"
      ? `      <skipped message="${xml(r.message ?? "")}"/>`
      : `      <failure message="${xml(r.message ?? "failed")}">${xml(r.message ?? "failed")}</failure>`
    return `${open}>\n${inner}\n    </testcase>`
  })
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="tokenrequest-conformance" tests="${report.results.length}" failures="${c.failed}" skipped="${c.skipped}" time="${seconds(total)}">`,
    `  <testsuite name="tokenrequest-conformance" tests="${report.results.length}" failures="${c.failed}" errors="0" skipped="${c.skipped}" time="${seconds(total)}">`,
    `    <properties><property name="server" value="${xml(report.server)}"/></properties>`,
    ...cases,
    ...(report.cleanupErrors.length > 0
      ? [`    <system-err>${xml(report.cleanupErrors.join("\n"))}</system-err>`]
      : []),
    `  </testsuite>`,
    `</testsuites>`,
    ``
  ].join("\n")
}

/**
 * @since 0.1.0
 * @category formatting
 */
export type Format = "tap" | "junit"

/**
 * @since 0.1.0
 * @category formatting
 */
export const format = (report: Report, as: Format): string => (as === "junit" ? junit(report) : tap(report))
