/**
 * Failed-authentication throttling: a client whose requests were refused `401` (a missing or wrong bearer token)
 * `LIMITS.failures` times within `LIMITS.window` is answered `429 Too Many Requests` with `Retry-After` on every
 * mutation for `LIMITS.lockout`, whatever token it sends — so `COUNCIL_API_TOKEN` cannot be guessed faster than
 * `failures` tries per `lockout` from one client.
 *
 * **Rules**
 * - Only 401s count; a request that authenticates (any answer but 401) clears the client's failures. Reads need no
 *   token and are never throttled.
 * - A client is its address (`request.remoteAddress`: the peer, or the forwarded client behind a trusted proxy);
 *   an IPv6 client by its /64, which one host commonly holds whole.
 * - Memory is bounded: at most `LIMITS.clients` clients are remembered; when full, expired entries are dropped,
 *   and when none is, new clients share one entry (under a flood of addresses, they are throttled together rather
 *   than forgotten).
 *
 * **Gotcha**: behind a reverse proxy that is not trusted (`--trust-proxy`), every client is the proxy: one client
 * guessing locks the others out too, for `lockout`.
 *
 * @since 0.1.0
 */
import { isIP } from "node:net"
import * as Result from "effect/Result"
import * as IpNetwork from "effect/net/IpNetwork"
import * as NetAddress from "effect/net/NetAddress"

export const LIMITS = {
  failures: 10,
  window: 15 * 60_000,
  lockout: 15 * 60_000,
  clients: 10_000
} as const

/** The entry new clients share once the table is full (no address is written so). */
const OVERFLOW = "overflow"

export type Limits = { readonly [K in keyof typeof LIMITS]: number }

interface Entry {
  /** When the first failure still counted happened. */
  since: number
  failures: number
  /** Until when the client is refused (0: it is not). */
  lockedUntil: number
}

/** A client's key: its address, an IPv6 one as its /64; `unknown` when the request says none. */
export const clientOf = (address: string | undefined): string => {
  if (address === undefined) return "unknown"
  const ip = NetAddress.ipFromString(address.replace(/^\[(.*)\]$/, "$1"))
  if (Result.isFailure(ip)) return address
  const canonical = NetAddress.toCanonical(ip.success)
  if (NetAddress.isIpv4Address(canonical) || isIP(address) === 4) return NetAddress.formatIp(canonical)
  return Result.match(IpNetwork.fromAddress(canonical, 64), { onFailure: () => address, onSuccess: IpNetwork.format })
}

export interface FailedAuth {
  /** Seconds until `client` may try again (rounded up), or `undefined` when it is not locked out. */
  readonly retryAfter: (client: string) => number | undefined
  /** Records the answer `client` got to a request that needed the token. */
  readonly answered: (client: string, status: number) => void
  /** How many clients are remembered (bounded by `limits.clients`). */
  readonly size: () => number
}

/** A throttle with `limits`, reading the time from `now` (milliseconds). */
export const make = (limits: Limits = LIMITS, now: () => number = Date.now): FailedAuth => {
  const entries = new Map<string, Entry>()
  const expired = (entry: Entry, at: number) => entry.lockedUntil <= at && at - entry.since >= limits.window
  /** Whether the table has room for one more client (one place is kept for the shared entry). */
  const room = () => entries.size - (entries.has(OVERFLOW) ? 1 : 0) < limits.clients - 1
  const entryOf = (client: string, at: number): Entry => {
    const known = entries.get(client)
    if (known !== undefined) return known
    if (!room()) {
      for (const [key, entry] of entries) if (expired(entry, at)) entries.delete(key)
    }
    const key = room() ? client : OVERFLOW
    const entry = entries.get(key) ?? { since: at, failures: 0, lockedUntil: 0 }
    entries.set(key, entry)
    return entry
  }
  const keyOf = (client: string) => entries.has(client) || room() ? client : OVERFLOW
  return {
    retryAfter: (client) => {
      const at = now()
      const entry = entries.get(keyOf(client))
      return entry === undefined || entry.lockedUntil <= at ? undefined : Math.ceil((entry.lockedUntil - at) / 1000)
    },
    answered: (client, status) => {
      const at = now()
      if (status !== 401) {
        if (entries.has(client)) entries.delete(client)
        return
      }
      const entry = entryOf(client, at)
      if (at - entry.since >= limits.window || (entry.lockedUntil !== 0 && entry.lockedUntil <= at)) {
        Object.assign(entry, { since: at, failures: 0, lockedUntil: 0 })
      }
      entry.failures += 1
      if (entry.failures >= limits.failures) entry.lockedUntil = at + limits.lockout
    },
    size: () => entries.size
  }
}
