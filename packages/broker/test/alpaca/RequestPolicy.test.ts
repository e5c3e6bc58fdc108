import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import { BrokerError, type BrokerErrorReason } from "../../src/Broker.ts"
import { makeLimiter, rateLimitedRetryPolicy, retryPolicy } from "../../src/alpaca/RequestPolicy.ts"

const error = (reason: BrokerErrorReason, retryable: boolean) =>
  new BrokerError({ account: "CLAUDE", reason, message: reason, retryable })

/** Runs `count` requests through a fresh limiter at once; returns their start times (ms). */
const startTimes = Effect.fnUntraced(function*(
  count: number,
  options: Parameters<typeof makeLimiter>[0],
  work: Duration.Input = Duration.zero
) {
  const limiter = yield* makeLimiter(options)
  const started = yield* Ref.make<ReadonlyArray<number>>([])
  const request = limiter.withPermit(
    Clock.currentTimeMillis.pipe(
      Effect.flatMap((now) => Ref.update(started, (all) => [...all, now])),
      Effect.andThen(Effect.sleep(work))
    )
  )
  const fiber = yield* Effect.forEach(Array.from({ length: count }, () => request), (r) => r, {
    concurrency: "unbounded",
    discard: true
  }).pipe(Effect.forkChild)
  return { limiter, started, fiber }
})

/** Advances the test clock in small steps, running what became due. */
const advance = Effect.fnUntraced(function*(total: Duration.Input, step: Duration.Input = "100 millis") {
  const steps = Math.ceil(Duration.toMillis(Duration.fromInputUnsafe(total)) / Duration.toMillis(Duration.fromInputUnsafe(step)))
  for (let i = 0; i < steps; i++) yield* TestClock.adjust(step)
})

describe("RequestPolicy", () => {
  describe("makeLimiter", () => {
    it.effect("spaces twice the allowed rate into consecutive windows", () =>
      Effect.gen(function*() {
        const { fiber, started } = yield* startTimes(400, { limit: 200, window: "1 minute" })
        yield* TestClock.adjust(Duration.zero)
        assert.strictEqual((yield* Ref.get(started)).length, 200)
        yield* TestClock.adjust("59 seconds")
        assert.strictEqual((yield* Ref.get(started)).length, 200)
        yield* TestClock.adjust("1 second")
        assert.strictEqual((yield* Ref.get(started)).length, 400)
        yield* Fiber.join(fiber)
        const times = yield* Ref.get(started)
        for (const t of times) {
          assert.isAtMost(times.filter((u) => u >= t && u < t + 60_000).length, 200)
        }
      }))

    it.effect("frees a slot one window after the request finished, not after it started", () =>
      Effect.gen(function*() {
        const { fiber, started } = yield* startTimes(3, { limit: 2, window: "10 seconds" }, "5 seconds")
        yield* advance("20 seconds", "1 second")
        yield* Fiber.join(fiber)
        assert.deepStrictEqual(yield* Ref.get(started), [0, 0, 15_000])
      }))

    it.effect("a request interrupted while it waits takes no slot", () =>
      Effect.gen(function*() {
        const limiter = yield* makeLimiter({ limit: 1, window: "1 second" })
        const first = yield* limiter.withPermit(Effect.sleep("2 seconds")).pipe(Effect.forkChild)
        const waiting = yield* limiter.withPermit(Clock.currentTimeMillis).pipe(Effect.forkChild)
        yield* advance("500 millis")
        yield* Fiber.interrupt(waiting)
        yield* advance("2 seconds")
        const next = yield* limiter.withPermit(Clock.currentTimeMillis).pipe(Effect.forkChild)
        yield* advance("2 seconds")
        yield* Fiber.join(first)
        assert.strictEqual(yield* Fiber.join(next), 3_000)
      }))

    it.effect("holds requests until a 429's reset time, capped at maxPause", () =>
      Effect.gen(function*() {
        const limiter = yield* makeLimiter({ limit: 10, window: "1 second", maxPause: "1 minute" })
        yield* limiter.pauseUntil(30_000)
        const first = yield* limiter.withPermit(Clock.currentTimeMillis).pipe(Effect.forkChild)
        yield* advance("31 seconds", "1 second")
        assert.strictEqual(yield* Fiber.join(first), 30_000)
        yield* limiter.pauseUntil(Number.MAX_SAFE_INTEGER)
        assert.strictEqual(yield* limiter.pausedUntil, 31_000 + 60_000)
        const second = yield* limiter.withPermit(Clock.currentTimeMillis).pipe(Effect.forkChild)
        yield* advance("61 seconds", "1 second")
        assert.strictEqual(yield* Fiber.join(second), 91_000)
      }))
  })

  describe("retryPolicy", () => {
    const attempts = Effect.fnUntraced(function*(
      failure: BrokerError,
      schedule: ReturnType<typeof retryPolicy>,
      total: Duration.Input
    ) {
      const times = yield* Ref.make<ReadonlyArray<number>>([])
      const fiber = yield* Clock.currentTimeMillis.pipe(
        Effect.flatMap((now) => Ref.update(times, (all) => [...all, now])),
        Effect.andThen(Effect.fail(failure)),
        Effect.retry(schedule),
        Effect.flip,
        Effect.forkChild
      )
      yield* advance(total, "50 millis")
      const final = yield* Fiber.join(fiber)
      return { final, times: yield* Ref.get(times) }
    })

    it.effect("backs off exponentially with jitter, capped, and stops after the configured retries", () =>
      Effect.gen(function*() {
        const failure = error("ServerError", true)
        const { final, times } = yield* attempts(failure, retryPolicy({ base: "1 second", cap: "5 seconds", times: 5 }), "40 seconds")
        assert.strictEqual(final, failure)
        assert.strictEqual(times.length, 6)
        const delays = times.slice(1).map((t, i) => t - times[i]!)
        const expected = [1000, 2000, 4000, 8000, 16000]
        delays.forEach((delay, i) => {
          assert.isAtLeast(delay, Math.min(expected[i]! * 0.8, 5000) - 1, `delay ${i}`)
          assert.isAtMost(delay, Math.min(expected[i]! * 1.2, 5000) + 50, `delay ${i}`)
        })
        assert.isAbove(delays[2]!, delays[0]!)
        assert.isAtMost(Math.max(...delays), 5050)
      }))

    it.effect("does not retry business rejections", () =>
      Effect.gen(function*() {
        for (const reason of ["InsufficientBuyingPower", "InvalidRequest", "DuplicateClientOrderId", "NotFound"] as const) {
          const { times } = yield* attempts(error(reason, false), retryPolicy({ base: "10 millis" }), "5 seconds")
          assert.strictEqual(times.length, 1, reason)
        }
      }))

    it.effect("retries every retryable reason: rate limits, server errors and unavailability", () =>
      Effect.gen(function*() {
        for (const reason of ["RateLimited", "ServerError", "Unavailable"] as const) {
          const { times } = yield* attempts(error(reason, true), retryPolicy({ base: "10 millis", times: 3 }), "5 seconds")
          assert.strictEqual(times.length, 4, reason)
        }
      }))

    it.effect("the rate-limited variant retries only 429s", () =>
      Effect.gen(function*() {
        const limited = yield* attempts(error("RateLimited", true), rateLimitedRetryPolicy({ base: "10 millis", times: 2 }), "5 seconds")
        const server = yield* attempts(error("ServerError", true), rateLimitedRetryPolicy({ base: "10 millis", times: 2 }), "5 seconds")
        assert.strictEqual(limited.times.length, 3)
        assert.strictEqual(server.times.length, 1)
      }))
  })
})
