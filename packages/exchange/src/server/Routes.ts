/**
 * Routing of the exchange server: a route table of method + path pattern (`*` matches one segment) to handlers,
 * and the matching that tells 404 (no such path) from 405 (path without that method).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { BrokerError } from "@council/broker"
import type { NewYorkMoment } from "@council/domain"
import type { KeyHolder } from "../Keys.ts"
import type { Reply } from "./HttpWire.ts"

/** One routed request: path parameters, query, body, the authenticated account and the moment it trades at. */
export interface Call {
  readonly params: ReadonlyArray<string>
  readonly query: URLSearchParams
  readonly body: string
  readonly account: KeyHolder
  readonly now: NewYorkMoment
}

export type Handler = (call: Call) => Effect.Effect<Reply, BrokerError>

export interface Route {
  readonly method: string
  /** Path segments; `*` matches one segment (passed to the handler in order). */
  readonly path: ReadonlyArray<string>
  readonly handler: Handler
  /** Admin routes ignore `X-Council-Session` and never get faults. */
  readonly admin?: boolean
}

export type Match =
  | { readonly _tag: "Found"; readonly route: Route; readonly params: ReadonlyArray<string> }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "MethodNotAllowed" }

export const matchRoute = (routes: ReadonlyArray<Route>, method: string, segments: ReadonlyArray<string>): Match => {
  let pathMatched = false
  for (const route of routes) {
    if (route.path.length !== segments.length) continue
    const params: Array<string> = []
    let ok = true
    for (let i = 0; i < segments.length && ok; i++) {
      const pattern = route.path[i]!
      if (pattern === "*") params.push(segments[i]!)
      else ok = pattern === segments[i]
    }
    if (!ok) continue
    pathMatched = true
    if (route.method === method) return { _tag: "Found", route, params }
  }
  return pathMatched ? { _tag: "MethodNotAllowed" } : { _tag: "NotFound" }
}

/** Path segments, percent-decoded (so `/v2/orders%3Aby_client_order_id` matches the colon path too). */
export const segmentsOf = (pathname: string): ReadonlyArray<string> | undefined => {
  const parts = pathname.split("/").filter((p) => p !== "")
  const decoded: Array<string> = []
  for (const part of parts) {
    try {
      decoded.push(decodeURIComponent(part))
    } catch {
      return undefined
    }
  }
  return decoded
}
