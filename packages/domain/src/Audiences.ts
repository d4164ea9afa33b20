/**
 * Audiences (`authenticator/audiences.go`, `jwt.go`): defaulting to the API audiences, intersection
 * in requested order, and the upstream error text with Go's `%q` of a `[]string`.
 *
 * @since 0.1.0
 */
import { goQuote } from "./FieldError.js"

/**
 * Step T6 (and the TokenReview default): an empty list becomes the API audiences.
 *
 * @since 0.1.0
 * @category rules
 */
export const defaulted = (requested: ReadonlyArray<string>, apiAudiences: ReadonlyArray<string>): ReadonlyArray<string> =>
  requested.length === 0 ? apiAudiences : requested

/**
 * `Audiences(token).Intersect(requested)`: walks `requested` in order and keeps each entry present in
 * `token` (duplicates in `requested` are kept).
 *
 * @since 0.1.0
 * @category rules
 */
export const intersect = (token: ReadonlyArray<string>, requested: ReadonlyArray<string>): ReadonlyArray<string> => {
  const have = new Set(token)
  return requested.filter((a) => have.has(a))
}

/**
 * Go's `%q` of a `[]string`: `["a" "b"]`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const quoteList = (list: ReadonlyArray<string>): string => `[${list.map(goQuote).join(" ")}]`

/**
 * `token audiences ["x"] is invalid for the target audiences ["y"]`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const invalidMessage = (token: ReadonlyArray<string>, requested: ReadonlyArray<string>): string =>
  `token audiences ${quoteList(token)} is invalid for the target audiences ${quoteList(requested)}`
