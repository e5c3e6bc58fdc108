import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

/**
 * Asks every model at once and waits for every answer before failing with the first failure (in `items`' order).
 *
 * `Effect.forEach` interrupts the other calls as soon as one fails — the budget refusing one PM's call, say —
 * and an interrupted call is not recorded: its request already sent is charged its worst case, and the run
 * continued after raising the budget asks (and pays) again for an answer that was on its way. Waiting lets each
 * call under way end (each is bounded by its own deadline) and be recorded, so the continued run takes it.
 */
export const allAnswers = <A, B, E, R>(
  items: ReadonlyArray<A>,
  ask: (item: A) => Effect.Effect<B, E, R>
): Effect.Effect<Array<B>, E, R> =>
  Effect.forEach(items, (item) => Effect.exit(ask(item)), { concurrency: "unbounded" }).pipe(
    Effect.flatMap((exits) => {
      const failed = exits.find(Exit.isFailure)
      return failed === undefined ? Effect.succeed(exits.map((exit) => (exit as Exit.Success<B>).value)) : Effect.failCause(failed.cause)
    })
  )
