/**
 * @tokenrequest/cli: the tokenrequest command line.
 *
 * @since 0.1.0
 */
export {}
