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
 * - `X-Frame-Options: DENY` beside `frame-ancestors 'none'`, for a browser that reads only the older header: no
 *   page frames the approve or close-all button under a decoy (clickjacking).
 * - A route that sets no `Cache-Control` (the API's JSON, its refusals) gets `no-store`: accounts, positions and
 *   runs are kept in no disk cache nor proxy. The dashboard's files and the report say their own (`no-cache`).
 * - `Cross-Origin-Opener-Policy: same-origin` where the browser applies it (`openerPolicyApplies`: a loopback
 *   name, or HTTPS): a page that opened the dashboard (`window.open`) loses its hold on that tab, so it cannot
 *   later send it to a copy that asks for the token. On a LAN address over plain HTTP Chromium ignores it and
 *   logs a console error, so it is not sent there.
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
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HostCheck from "./HostCheck.ts"

/** Set on every answer (a route's own value of one of them is kept). */
export const ALWAYS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "cross-origin-resource-policy": "same-origin",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "cache-control": "no-store"
}

/** Set where the browser applies it (`openerPolicyApplies`). */
export const OPENER_POLICY: Readonly<Record<string, string>> = { "cross-origin-opener-policy": "same-origin" }

/**
 * Whether a request was sent to a potentially trustworthy origin, where browsers apply the opener policy: a
 * loopback name (`Host`), or HTTPS (a proxy's `X-Forwarded-Proto`, whoever wrote it: it chooses only a header of this
 * very answer, which a browser on plain HTTP ignores).
 */
export const openerPolicyApplies = (request: HttpServerRequest.HttpServerRequest): boolean =>
  HostCheck.isLoopback(HostCheck.hostnameOf(request.headers["host"]) ?? "") ||
  request.protocol === "https" ||
  request.headers["x-forwarded-proto"]?.split(",").at(-1)?.trim().toLowerCase() === "https"

/** `response` with every header of `ALWAYS` it lacks (and `OPENER_POLICY`'s, with `opener`), and a bearer challenge when it is a 401. */
export const secured = (response: HttpServerResponse.HttpServerResponse, opener = false): HttpServerResponse.HttpServerResponse => {
  const wanted = opener ? { ...ALWAYS, ...OPENER_POLICY } : ALWAYS
  const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => response.headers[name] === undefined))
  const withDefaults = HttpServerResponse.setHeaders(response, missing)
  return response.status === 401 && response.headers["www-authenticate"] === undefined
    ? HttpServerResponse.setHeader(withDefaults, "www-authenticate", "Bearer realm=\"council\"")
    : withDefaults
}

/** The router-wide middleware (see the module's rules). */
export const layer = HttpRouter.middleware((app) =>
  Effect.andThen(
    HttpEffect.appendPreResponseHandler((request, response) => Effect.succeed(secured(response, openerPolicyApplies(request)))),
    app
  ), { global: true })
