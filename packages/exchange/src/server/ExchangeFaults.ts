/**
 * Fault injection and rate limiting for the exchange server (`ExchangeServer`): a seeded fault plan and a
 * fixed-window request counter per API key. Pure and synchronous, so tests can check them without a socket.
 *
 * **When to use**: through `ExchangeServer.layer({ faultRate, seed, rateLimit })`; directly only to
 * predict which requests of a seeded run get which fault.
 *
 * **Gotchas**
 * - A fault plan draws once per request, in the order requests arrive. With the same seed and the same request
 *   sequence the faults are the same; concurrent requests arrive in an order the plan cannot control.
 * - `dropped` (the order is placed, then the connection is destroyed without a response) only applies where the
 *   caller allows it (`POST /v2/orders`); elsewhere the plan picks among the other kinds, so the number of draws
 *   per request stays one.
 * - The rate limit uses fixed windows aligned to the epoch (one minute unless told otherwise, like Alpaca's);
 *   `X-Ratelimit-Reset` is the end of the current window in epoch seconds. A client that never has more than
 *   `limit` requests in any sliding window of the same length never exceeds it.
 *
 * @since 0.1.0
 */

/** The faults a request can get: a 429 (with rate-limit headers), a 500, a 503, or a dropped connection. */
export const FAULT_KINDS = ["rate_limited", "server_error", "unavailable", "dropped"] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** Parses a comma-separated list of fault kinds (`429`, `500`, `503`, `drop` are accepted as aliases). */
export const parseFaultKinds = (text: string): ReadonlyArray<FaultKind> | { readonly error: string } => {
  const aliases: Record<string, FaultKind> = {
    "429": "rate_limited",
    "500": "server_error",
    "503": "unavailable",
    drop: "dropped",
    rate_limited: "rate_limited",
    server_error: "server_error",
    unavailable: "unavailable",
    dropped: "dropped"
  }
  const kinds: Array<FaultKind> = []
  for (const part of text.split(",").map((p) => p.trim().toLowerCase()).filter((p) => p !== "")) {
    const kind = aliases[part]
    if (kind === undefined) return { error: `unknown fault kind "${part}" (use 429, 500, 503, drop)` }
    if (!kinds.includes(kind)) kinds.push(kind)
  }
  return kinds.length === 0 ? { error: "no fault kinds given" } : kinds
}

/** mulberry32: a small, fast 32-bit PRNG; good enough to pick faults reproducibly. */
const mulberry32 = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface FaultPlan {
  /** The fault for the next request, if any; `canDrop` says whether `dropped` applies to it. */
  readonly next: (canDrop: boolean) => FaultKind | undefined
}

/**
 * A fault plan: each request gets a fault with probability `rate`, its kind picked uniformly among `kinds`
 * (those that apply). Two plans with the same seed, rate and kinds give the same faults for the same requests.
 */
export const makeFaultPlan = (options: {
  readonly rate: number
  readonly seed: number
  readonly kinds?: ReadonlyArray<FaultKind>
}): FaultPlan => {
  const random = mulberry32(options.seed)
  const kinds = options.kinds ?? FAULT_KINDS
  const rate = Math.min(1, Math.max(0, options.rate))
  return {
    next: (canDrop) => {
      if (rate === 0) return undefined
      const hit = random() < rate
      const pick = random()
      if (!hit) return undefined
      const applicable = canDrop ? kinds : kinds.filter((k) => k !== "dropped")
      return applicable.length === 0 ? undefined : applicable[Math.floor(pick * applicable.length)]
    }
  }
}

/** What the rate limiter says about one request. */
export interface RateLimitState {
  readonly limit: number
  readonly remaining: number
  /** Epoch seconds when the current window ends. */
  readonly reset: number
  readonly exceeded: boolean
}

export interface RateLimiter {
  /** Counts a request of `key` at `nowMs`. */
  readonly hit: (key: string, nowMs: number) => RateLimitState
}

/** A fixed-window limiter: at most `limit` requests per key per epoch-aligned window of `windowMs` (a minute). */
export const makeRateLimiter = (limit: number, windowMs = 60_000): RateLimiter => {
  const windows = new Map<string, { start: number; count: number }>()
  const windowOf = (key: string, nowMs: number) => {
    const start = Math.floor(nowMs / windowMs) * windowMs
    const current = windows.get(key)
    if (current !== undefined && current.start === start) return current
    const fresh = { start, count: 0 }
    windows.set(key, fresh)
    for (const [k, w] of windows) if (w.start < start) windows.delete(k)
    return fresh
  }
  return {
    hit: (key, nowMs) => {
      const window = windowOf(key, nowMs)
      window.count += 1
      return {
        limit,
        remaining: Math.max(0, limit - window.count),
        reset: Math.ceil((window.start + windowMs) / 1000),
        exceeded: window.count > limit
      }
    }
  }
}

/** The `X-Ratelimit-*` headers of a state. */
export const rateLimitHeaders = (state: RateLimitState): Record<string, string> => ({
  "X-Ratelimit-Limit": String(state.limit),
  "X-Ratelimit-Remaining": String(state.remaining),
  "X-Ratelimit-Reset": String(state.reset)
})
