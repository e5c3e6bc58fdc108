/**
 * A wall-clock deadline for one effect: for a request to a third party that may accept the connection and never
 * answer (a stalled proxy, an overloaded API), where the run has a cutoff to keep.
 *
 * **Gotchas**
 * - The timer is `setTimeout`, not `Clock`: `TestClock` neither fires it nor needs to be moved past it, so tests that
 *   move a `TestClock` (rate-limit waits, call limiters) never trip it; a test of the deadline itself waits for real.
 * - What `Effect.timeoutOrElse` does for one fiber and one timer: that one forks the effect and a sleeping fiber and
 *   races them, a measurable share of a request's CPU before it is sent.
 * - On the deadline the effect is interrupted (an HTTP client aborts its request) and `onTimeout()` is the failure.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

/** `effect`, failed with `onTimeout()` (and interrupted) when it has not finished within `millis` of wall-clock time. */
export const within = <T>(millis: number, onTimeout: () => T) => <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | T> =>
  Effect.withFiber((parent) =>
    Effect.callback<A, E | T>((resume) => {
      const fiber = Effect.runForkWith(parent.context)(effect)
      const timer = setTimeout(() => {
        resume(Effect.fail(onTimeout()))
        fiber.interruptUnsafe()
      }, millis)
      fiber.addObserver((exit) => {
        clearTimeout(timer)
        resume(exit)
      })
      return Effect.sync(() => {
        clearTimeout(timer)
        fiber.interruptUnsafe()
      })
    })
  )
