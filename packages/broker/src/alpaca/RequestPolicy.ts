/**
 * Per-account request policy for the Alpaca adapter: a rate limiter (default 200 requests/minute, Alpaca's
 * trading limit), a pause until `X-Ratelimit-Reset` after a 429, and the retry schedule for retryable
 * `BrokerError`s.
 *
 * **When to use**: `AlpacaClient` builds one limiter per account and applies `retryPolicy` to idempotent
 * requests; `AlpacaBroker` applies it to order placement around its lookup-before-resubmit loop.
 *
 * **How the limiter counts**: a sliding window whose slots are freed `window` after the request *finished*. At
 * most `limit` requests are in flight or finished within the last `window`, so the server, which counts
 * requests when it receives them, never sees more than `limit` in any window. A request under the limit costs two
 * counter updates and a clock read: the finish times wait in a queue and are dropped when their window has passed
 * (no fiber or timer per request); only a request that must wait sleeps, until the oldest slot frees or, when
 * every slot is in flight, until one finishes. It uses only `Clock`, so it runs under `TestClock`.
 *
 * **Gotchas**
 * - `pauseUntil` takes epoch milliseconds of the current `Clock`; a pause is capped at `maxPause` (default one
 *   minute) so a wrong or skewed `X-Ratelimit-Reset` cannot stall an account for long.
 * - `effect/persistence` `RateLimiter` was not used: it adds a store service and a `RateLimiterError` channel,
 *   and its token bucket counts at request start, which can still trip a server that counts on receipt.
 * - `retryPolicy` retries only errors with `retryable: true` (429, 5xx, timeouts, dropped connections);
 *   business rejections stop it at once. Delays are exponential from `base` with ±20 % jitter, never above
 *   `cap`, at most `times` retries.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { BrokerError } from "../Broker.ts"

export interface RateLimitOptions {
  /** Requests per window. Default 200. */
  readonly limit: number
  /** Default one minute. */
  readonly window: Duration.Input
  /** Longest pause a 429 can impose. Default one minute. */
  readonly maxPause: Duration.Input
}

export const defaultRateLimit: RateLimitOptions = { limit: 200, window: "1 minute", maxPause: "1 minute" }

/** One account's limiter. */
export interface AccountLimiter {
  readonly limit: number
  /** Runs `effect` once the account may send another request, and counts it. */
  readonly withPermit: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Holds the account's requests until `epochMillis` (capped at now + `maxPause`). */
  readonly pauseUntil: (epochMillis: number) => Effect.Effect<void>
  /** Epoch millis until which requests are held (0 when never paused). */
  readonly pausedUntil: Effect.Effect<number>
}

/** One account's limiter (its state lives in the returned object; nothing runs between requests). */
export const makeLimiter = (options: Partial<RateLimitOptions> = {}): Effect.Effect<AccountLimiter> =>
  Effect.sync(() => {
    const limit = Math.max(1, Math.floor(options.limit ?? defaultRateLimit.limit))
    const window = Duration.toMillis(Duration.fromInputUnsafe(options.window ?? defaultRateLimit.window))
    const maxPause = Duration.toMillis(Duration.fromInputUnsafe(options.maxPause ?? defaultRateLimit.maxPause))
    let inFlight = 0
    /** When the slots of finished requests free, oldest first (from `head` on; earlier entries are spent). */
    const frees: Array<number> = []
    let head = 0
    let paused = 0
    /** Requests waiting for an in-flight one to finish (every slot was in flight). */
    let waiting: Array<() => void> = []

    const dropFreed = (now: number) => {
      while (head < frees.length && frees[head]! <= now) head++
      if (head > 64 && head * 2 > frees.length) {
        frees.splice(0, head)
        head = 0
      }
    }

    const untilFinished = Effect.callback<void>((resume) => {
      waiting.push(() => resume(Effect.void))
    })

    /** What to wait for before a request may start at `now`; `undefined`: nothing, the slot is taken. */
    const takeNow = (now: number): Effect.Effect<void> | undefined => {
      if (paused > now) return Effect.sleep(Duration.millis(paused - now))
      dropFreed(now)
      if (inFlight + frees.length - head < limit) {
        inFlight += 1
        return undefined
      }
      return head < frees.length ? Effect.sleep(Duration.millis(frees[head]! - now)) : untilFinished
    }

    /** Takes a slot once the pause has passed and one is free; only the waits can be interrupted, not the taking. */
    const take: Effect.Effect<void> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const wait = takeNow(now)
      return wait === undefined ? Effect.void : Effect.andThen(Effect.interruptible(wait), take)
    })

    const release = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => {
        inFlight -= 1
        frees.push(now + window)
        const woken = waiting
        waiting = []
        for (const wake of woken) wake()
      }))

    const withPermit = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.acquireUseRelease(take, () => effect, () => release)

    const pauseUntil = (epochMillis: number): Effect.Effect<void> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => {
          paused = Math.max(paused, Math.min(epochMillis, now + maxPause))
        }))

    return { limit, withPermit, pauseUntil, pausedUntil: Effect.sync(() => paused) }
  })

export interface RetryOptions {
  /** First delay. Default 250 ms. */
  readonly base: Duration.Input
  /** Largest delay. Default 8 s. */
  readonly cap: Duration.Input
  /** Retries after the first attempt. Default 4. */
  readonly times: number
}

export const defaultRetry: RetryOptions = { base: "250 millis", cap: "8 seconds", times: 4 }

/**
 * The retry schedule of the clients `AlpacaBroker.layer` makes (the app's), under what an account's own options say:
 * `defaultRetry` unless provided. Tests that exercise retries against a server on 127.0.0.1 provide a shorter one
 * (`Effect.provideService(RetrySchedule, …)` around the program), instead of waiting out the real one.
 */
export const RetrySchedule = Context.Reference<RetryOptions>("@council/broker/alpaca/RetrySchedule", { defaultValue: () => defaultRetry })

/** Exponential backoff with jitter, capped, limited, and only while the error is retryable. */
export const retryPolicy = (
  options: Partial<RetryOptions> = {}
): Schedule.Schedule<Duration.Duration, BrokerError> =>
  Schedule.min([
    Schedule.exponential(options.base ?? defaultRetry.base).pipe(Schedule.jittered),
    Schedule.spaced(options.cap ?? defaultRetry.cap)
  ]).pipe(
    Schedule.upTo({ times: Math.max(0, options.times ?? defaultRetry.times) }),
    Schedule.setInputType<BrokerError>(),
    Schedule.while(({ input }) => input.retryable)
  )

/** The same schedule restricted to `RateLimited` (the request was refused before it was processed). */
export const rateLimitedRetryPolicy = (
  options: Partial<RetryOptions> = {}
): Schedule.Schedule<Duration.Duration, BrokerError> =>
  retryPolicy(options).pipe(Schedule.while(({ input }) => input.reason === "RateLimited"))
