/**
 * Who may ask the monitor what, checked before any route, in this order by one router-wide middleware (one, so the
 * order cannot depend on how layers are built):
 * 1. behind a trusted reverse proxy (`trustedProxies`: `--trust-proxy`), the request as the browser sent it — its
 *    client address from `X-Forwarded-For`, its `Host` from `X-Forwarded-Host`, its scheme from
 *    `X-Forwarded-Proto` — when, and only when, the connection comes from one of those proxies; otherwise those
 *    headers are ignored (any client can write them). The connection's own `Host` is checked first all the same
 *    (`addressedHere`), so a rebinding page cannot forge its way past step 2 from a trusted address;
 * 2. the DNS-rebinding guard (`HostCheck`), when `hosts` is given (`Server.layer` always gives it);
 * 3. a mutation from a page of another origin is refused (`SameOrigin`);
 * 4. a client that failed authentication too often is answered 429 (`FailedAuth`), when `throttle` is given.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as HttpMiddleware from "effect/http/HttpMiddleware"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type * as IpNetwork from "effect/net/IpNetwork"
import * as FailedAuth from "./FailedAuth.ts"
import * as HostCheck from "./HostCheck.ts"
import * as SameOrigin from "./SameOrigin.ts"

export interface Access {
  /** The host names answered (absent: any: a test's router with no listening address). */
  readonly hosts?: HostCheck.Policy | undefined
  /** The reverse proxies whose `X-Forwarded-*` headers are believed (absent or empty: none). */
  readonly trustedProxies?: ReadonlyArray<IpNetwork.IpNetwork> | undefined
  /** The failed-authentication throttle (absent: none, e.g. with no token every mutation is refused anyway). */
  readonly throttle?: FailedAuth.FailedAuth | undefined
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"])

const forbidden = (message: string) => HttpServerResponse.jsonUnsafe({ _tag: "Forbidden", message }, { status: 403 })

const gate = (access: Access) =>
  Effect.fnUntraced(function*<E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) {
    const request = yield* HttpServerRequest.HttpServerRequest
    const hostname = HostCheck.hostnameOf(request.headers["host"])
    if (access.hosts !== undefined && !HostCheck.accepts(access.hosts, hostname)) return forbidden(HostCheck.refusal(access.hosts, hostname))
    if (SAFE.has(request.method)) return yield* app
    if (SameOrigin.isCrossOrigin(request.headers)) return forbidden(SameOrigin.REFUSAL)
    if (access.throttle === undefined) return yield* app
    const client = FailedAuth.clientOf(Option.getOrUndefined(request.remoteAddress))
    const wait = access.throttle.retryAfter(client)
    if (wait !== undefined) {
      return HttpServerResponse.jsonUnsafe({
        _tag: "TooManyRequests",
        message: `too many requests with a missing or wrong bearer token from this client: try again in ${wait} s`
      }, { status: 429, headers: { "retry-after": String(wait) } })
    }
    const response = yield* app
    access.throttle.answered(client, response.status)
    return response
  })

/**
 * Behind a trusted proxy, the `Host` the connection itself carries must be answered too, before the forwarded one
 * replaces it: a page that rebinds its name to the monitor's address, from a machine whose connections are trusted
 * (the proxy's own, `--trust-proxy 127.0.0.1`; a LAN range), could otherwise write `X-Forwarded-For` and
 * `X-Forwarded-Host: localhost` itself (no browser forbids them, and no preflight guards a same-origin request).
 * A proxy sends the name the browser used (answered: it is `--allowed-host`) or its upstream's address (answered).
 */
const addressedHere = (access: Access) =>
  Effect.fnUntraced(function*<E, R>(forwarded: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) {
    const request = yield* HttpServerRequest.HttpServerRequest
    const hostname = HostCheck.hostnameOf(request.headers["host"])
    if (access.hosts !== undefined && !HostCheck.accepts(access.hosts, hostname)) return forbidden(HostCheck.refusal(access.hosts, hostname))
    return yield* forwarded
  })

/** The router-wide middleware (see the module's order). */
export const layer = (access: Access) => {
  const proxies = access.trustedProxies ?? []
  return HttpRouter.middleware((app) => {
    const checked = gate(access)(app)
    return proxies.length === 0 ? checked : addressedHere(access)(HttpMiddleware.xForwardedHeaders({ trustedProxies: proxies })(checked))
  }, { global: true })
}
