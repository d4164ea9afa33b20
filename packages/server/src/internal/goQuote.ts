/**
 * Go's `%q` for strings, close enough for the ASCII texts in upstream messages: double quotes,
 * backslash escapes, `\u` escapes for control characters.
 *
 * @internal
 */
export const goQuote = (text: string): string => JSON.stringify(text)
