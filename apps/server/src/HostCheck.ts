/**
 * The DNS-rebinding guard of a server bound to loopback: it answers only requests addressed to a loopback name
 * (`Host: 127.0.0.1:8080`, `localhost:8080`, `[::1]:8080`); any other `Host` is refused with 403.
 *
 * **Why**: a page on another site can re-point its own name at 127.0.0.1 (DNS rebinding); the browser then treats
 * the monitor as that page's own origin and lets its script read accounts, positions, orders and runs, which need
 * no token. Such requests still carry the page's name in `Host`, and that is what is checked. (Mutations need the
 * bearer token, which such a page does not have, whatever its `Host`.)
 *
 * **When**: only when the server listens on a loopback address: on `--host 0.0.0.0` or a LAN address, clients reach
 * it by names this server cannot know.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"

/** `localhost`, `127.x.y.z`, `::1` (with or without brackets). */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

/** The host name of a `Host` header (`[::1]:8080` → `[::1]`); `undefined` when it is not one. */
const hostnameOf = (header: string | undefined): string | undefined =>
  header === undefined ? undefined : URL.parse(`http://${header}/`)?.hostname

/** The guard for a server listening on `listenHost`: a global middleware on loopback, nothing otherwise. */
export const layer = (listenHost: string) =>
  !isLoopback(listenHost.trim().toLowerCase()) ? Layer.empty : HttpRouter.middleware((app) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const hostname = hostnameOf(request.headers["host"])
      return hostname !== undefined && isLoopback(hostname)
        ? yield* app
        : HttpServerResponse.jsonUnsafe({
          _tag: "Forbidden",
          message: "this server answers requests addressed to localhost or 127.0.0.1 only; to reach it by another name, " +
            "start it with --host set to an address of this machine"
        }, { status: 403 })
    }), { global: true })
