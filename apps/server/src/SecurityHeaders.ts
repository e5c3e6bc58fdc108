/**
 * The headers every answer of the monitor carries, whatever route (or refusal) wrote it: the API's JSON, its 401s
 * and 404s, the host guard's 403, the dashboard's files and the report pages.
 *
 * **Rules**
 * - `X-Content-Type-Options: nosniff` and `Cross-Origin-Resource-Policy: same-origin` everywhere: an answer that
 *   echoes text from outside (a 404 naming the path, a run's pitches) is never read as a page or a script, and a
 *   page of another origin cannot embed one (`<script src>`, `<img src>`) to read it.
 * - `Referrer-Policy: no-referrer`: a link the dashboard follows says nothing of the monitor's address.
 * - A route that sets no `Content-Security-Policy` (the API's JSON) gets `default-src 'none'; frame-ancestors
 *   'none'`: it runs nothing and is framed by nothing. The dashboard's and the report's own policies are kept.
 * - A `401` says how to authenticate (`WWW-Authenticate: Bearer realm="council"`, RFC 6750), and nothing more: the
 *   token is never echoed.
 *
 * **Gotcha**: applied as a pre-response handler of a router-wide middleware, so it reaches answers that other
 * middlewares (`RequestErrors`, `HostCheck`, `Compression`) wrote or rewrote after the route.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as HttpEffect from "effect/http/HttpEffect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerResponse from "effect/http/HttpServerResponse"

/** Set on every answer (a route's own value of one of them is kept). */
export const ALWAYS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "cross-origin-resource-policy": "same-origin",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'"
}

/** `response` with every header of `ALWAYS` it lacks, and a bearer challenge when it is a 401. */
export const secured = (response: HttpServerResponse.HttpServerResponse): HttpServerResponse.HttpServerResponse => {
  const missing = Object.fromEntries(Object.entries(ALWAYS).filter(([name]) => response.headers[name] === undefined))
  const withDefaults = HttpServerResponse.setHeaders(response, missing)
  return response.status === 401 && response.headers["www-authenticate"] === undefined
    ? HttpServerResponse.setHeader(withDefaults, "www-authenticate", "Bearer realm=\"council\"")
    : withDefaults
}

/** The router-wide middleware (see the module's rules). */
export const layer = HttpRouter.middleware((app) =>
  Effect.andThen(HttpEffect.appendPreResponseHandler((_, response) => Effect.succeed(secured(response))), app), { global: true })
