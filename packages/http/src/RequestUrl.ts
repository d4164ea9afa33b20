/**
 * The URL of a request from its request target, without surprises: a target starting with `/` is
 * always a path (`//evil.example/openid/v1/jwks` is the path `//evil.example/openid/v1/jwks`, not a
 * request for another host), and a target or `Host` value that does not parse falls back to
 * `http://localhost` instead of throwing. Targets with dot segments are for refusing: URL parsing
 * would resolve `/namespaces/a/serviceaccounts/..` into `/namespaces/a`, where kube-apiserver takes
 * `..` as a name it refuses.
 *
 * @since 0.1.0
 */

const fallbackOrigin = "http://localhost"

/**
 * Parses a request target (`req.url`) against an origin (default `http://localhost`); never throws.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (target: string, origin: string = fallbackOrigin): URL => {
  const base = origin === fallbackOrigin ? fallbackOrigin : URL.canParse(origin) ? new URL(origin).origin : fallbackOrigin
  const safeBase = base === "null" ? fallbackOrigin : base
  if (target.startsWith("/")) {
    return URL.canParse(safeBase + target) ? new URL(safeBase + target) : new URL(`${safeBase}/`)
  }
  return URL.canParse(target, safeBase) ? new URL(target, safeBase) : new URL(`${safeBase}/`)
}

const dotSegment = /^(?:\.|%2e){1,2}$/i

/**
 * Whether the path of a request target has a `.` or `..` segment, plain or percent-encoded (`%2e`),
 * with `/` or `\` as separators (URL parsing treats both alike). No Kubernetes name is `.` or `..`,
 * so such a target never names an object; answer it 404 rather than let URL parsing resolve it into
 * another path.
 *
 * @since 0.1.0
 * @category parsing
 */
export const hasDotSegment = (target: string): boolean =>
  target.split(/[?#]/, 1)[0]!.split(/[/\\]/).some((segment) => dotSegment.test(segment))
