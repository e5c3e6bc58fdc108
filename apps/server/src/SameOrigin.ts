/**
 * Mutations come from the monitor's own origin or from clients that are no browser page: a `POST` (any method but
 * `GET`, `HEAD`, `OPTIONS`) whose `Origin` is another origin than the one it was sent to — or `null`, a sandboxed
 * frame's or a file's — or whose `Sec-Fetch-Site` says `cross-site`, is refused with 403 before its route runs.
 *
 * **Why**: the bearer token already stops a page of another site (it does not hold it, and the server answers no
 * CORS preflight, so a page can add no `Authorization` header); this refuses such a request whatever it carries,
 * with words that say why, so a token that ever reaches a browser (a user script, a bookmarklet) cannot be used by
 * another site. `curl`, the CLI and scripts send no `Origin` and are not affected; reads are not either.
 *
 * **When**: on every address the server listens on (`Origin` is compared with the request's own `Host`, whatever
 * name the client used; behind a trusted proxy, the `Host` the browser sent). Applied by `Access`, after the
 * forwarded headers and the host guard.
 *
 * @since 0.1.0
 */
/** Whether a request with these headers comes from a page of another origin than the server it reached. */
export const isCrossOrigin = (headers: Readonly<Record<string, string | undefined>>): boolean => {
  if (headers["sec-fetch-site"]?.trim().toLowerCase() === "cross-site") return true
  const origin = headers.origin?.trim()
  if (origin === undefined || origin === "") return false
  const from = URL.parse(origin)
  return from === null || from.host === "" || from.host.toLowerCase() !== (headers.host ?? "").trim().toLowerCase()
}

/** The 403's words. */
export const REFUSAL = "a request from a page of another origin may change nothing here; send mutations from the command line " +
  "or a script (curl -H 'Authorization: Bearer …'), which sends no Origin"
