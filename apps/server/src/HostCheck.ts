/**
 * The DNS-rebinding guard: the server answers only requests addressed (`Host`) to a name it was told it has.
 *
 * **Why**: a page on another site can re-point its own name at the monitor's address (DNS rebinding); the browser
 * then treats the monitor as that page's own origin and lets its script read accounts, positions, orders and runs,
 * which need no token. Such requests still carry the page's name in `Host`, and that is what is checked. (Mutations
 * need the bearer token, which such a page does not have, whatever its `Host`.)
 *
 * **Rules** (`accepts`)
 * - Always: loopback names (`localhost`, `127.x.y.z`, `[::1]`) and the names given with `--allowed-host` /
 *   `COUNCIL_ALLOWED_HOSTS` (exact host names, any port; no wildcard; a fully qualified name's trailing dot is the
 *   same name).
 * - On a non-loopback listen address (`--host 0.0.0.0`, a LAN address) also any IP address written as such
 *   (`Host: 192.168.1.20:8080`): rebinding needs a name the attacker controls, and a page whose origin is an IP
 *   address is the monitor itself. So `--host 0.0.0.0` with no list starts and is reached by address; a name (a LAN
 *   DNS name, a reverse proxy's) is refused with a 403 saying which flag allows it, until it is listed.
 * - Behind a trusted proxy (`Access`), the `Host` checked is the one the browser sent (`X-Forwarded-Host`).
 * - A `Host` that is no `name[:port]` (`evil.example@localhost`, `localhost#@evil.example`: no browser writes them)
 *   is refused, not read as the URL parser would. The port is not checked: a rebinding page's `Host` carries its own
 *   name, and an SSH tunnel or a proxy reaches the monitor on another port.
 *
 * @since 0.1.0
 */
import { isIP } from "node:net"

/** `localhost`, `127.x.y.z`, `::1` (with or without brackets). */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

/** What the guard accepts: the address the server listens on and the names it was given. */
export interface Policy {
  readonly listen: string
  /** Host names, lower case (the CLI's `MonitorConfig.allowedHost` checks and normalizes them). */
  readonly allowed: ReadonlyArray<string>
}

/**
 * `Host` as RFC 9110 has it and browsers write it: a name or an IPv4 address, or an IPv6 one in brackets, and an
 * optional port — nothing a URL parser would read as something else (`evil.example@localhost` is `localhost` to it).
 */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::\d{1,5})?$/

/**
 * The host name of a `Host` header (`[::1]:8080` → `[::1]`), as the URL parser leaves it (lower case, IPv6 shortened,
 * IPv4 in dotted decimal) and without a fully qualified name's one trailing dot (`council.lan.` is `council.lan`:
 * DNS names the same host, and no attacker owns `localhost.`); `undefined` when it is not one.
 */
export const hostnameOf = (header: string | undefined): string | undefined => {
  const hostname = header === undefined || !HOST.test(header) ? undefined : URL.parse(`http://${header}/`)?.hostname
  if (hostname === undefined || !hostname.endsWith(".")) return hostname
  return hostname.length > 1 ? hostname.slice(0, -1) : undefined
}

const isAddress = (hostname: string) => isIP(hostname.replace(/^\[(.*)\]$/, "$1")) !== 0

/** Whether a request addressed to `hostname` (from `hostnameOf`) is answered (see the module's rules). */
export const accepts = (policy: Policy, hostname: string | undefined): boolean =>
  hostname !== undefined && (
    isLoopback(hostname) ||
    policy.allowed.includes(hostname) ||
    (!isLoopback(policy.listen.trim().toLowerCase()) && isAddress(hostname))
  )

/** The 403's words for a request addressed to `hostname`. */
export const refusal = (policy: Policy, hostname: string | undefined): string =>
  `this server answers requests addressed to ${isLoopback(policy.listen.trim().toLowerCase()) ? "localhost or 127.0.0.1" : "localhost or an IP address"} only` +
  `${policy.allowed.length === 0 ? "" : ` and to ${policy.allowed.join(", ")}`}, not ${hostname === undefined ? "a request without a valid Host" : `"${hostname.slice(0, 80)}"`}` +
  `; to reach it by that name, start it with --allowed-host ${hostname === undefined ? "NAME" : hostname.slice(0, 80)} (or COUNCIL_ALLOWED_HOSTS)`
