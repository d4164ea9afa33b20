/**
 * @tokenrequest/testkit: port contract suites, arbitraries and an in-process fake server for other projects' tests.
 *
 * @since 0.1.0
 */
export {}
