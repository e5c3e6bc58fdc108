/**
 * Group commit for the exchange's writes: write calls queue up and one fiber runs them in batches — one
 * transaction per batch — so concurrent orders share a `BEGIN`/`COMMIT` (and the commit's WAL writes) instead of
 * paying for one each.
 *
 * **When to use**: `LocalExchange` sends every call that writes through `run` (or `runIsolated`); it is also what
 * serializes them.
 *
 * **The contract of `run`**: the call fails only before its first write, except for writes that stand on their own
 * (bringing an account to the session). Then a failed call leaves nothing behind, with no savepoint — on SQLite a
 * failed statement undoes only itself. A call that may fail after writing goes through `runIsolated`: it gets a
 * savepoint, rolled back when it fails. On PostgreSQL every call gets one (a failed statement there aborts the
 * whole transaction).
 *
 * **Gotchas**
 * - A call completes only after its batch commits: a caller never sees a write that could still roll back. If the
 *   commit fails, every call of the batch fails with that error.
 * - A call of `run` that fails with a database error or a defect (the contract cannot vouch for what it wrote)
 *   rolls the whole batch back; its calls then run again, one transaction each, so only the culprit fails.
 * - Calls run in arrival order, each seeing the writes of the calls before it. A lone call runs in a transaction
 *   of its own.
 * - Batches run on a fiber of the layer's scope, with tracing off: spans belong to the callers.
 * - Savepoints used to cost more than the rest of an order: SQLite writes a statement journal for them (the store
 *   keeps it in memory, `temp_store = MEMORY`).
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import type * as SqlClient from "effect/sql/SqlClient"
import * as SqlError from "effect/sql/SqlError"

/** A queued call: how it runs, and how its caller learns the outcome. */
interface Pending {
  /** Runs the call inside the batch's transaction (in a savepoint when isolated); keeps its outcome; false if unclean. */
  readonly inBatch: Effect.Effect<boolean>
  /** Runs the call in a transaction of its own; keeps its outcome. */
  readonly alone: Effect.Effect<void>
  /** Completes the caller: with the kept outcome, or with the failure of the batch's commit. */
  readonly publish: (commit: Exit.Exit<void, SqlError.SqlError>) => Effect.Effect<void>
}

/** Most calls in one transaction. */
const MAX_BATCH = 64

/** A database error or a defect: nothing says what the call wrote before it. */
const isUnexpected = (cause: Cause.Cause<unknown>) => {
  const error = Cause.findErrorOption(cause)
  return Cause.hasDies(cause) || (error._tag === "Some" && SqlError.isSqlError(error.value))
}

/**
 * `atStart` runs first in every transaction (a batch's, or a lone call's), before any call: the exchange checks
 * there whether another connection committed since it last looked (`ReadCache.confirmLocked`).
 */
export const make = Effect.fnUntraced(function*(sql: SqlClient.SqlClient, atStart: Effect.Effect<void, SqlError.SqlError> = Effect.void) {
  const queue = yield* Queue.unbounded<Pending>()
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })

  const runAlone = (call: Pending) => Effect.andThen(call.alone, call.publish(Exit.void))

  const runBatch = (batch: ReadonlyArray<Pending>): Effect.Effect<void> => {
    if (batch.length === 1) return runAlone(batch[0]!)
    let clean = true
    const calls = Effect.forEach(batch, (call) => Effect.map(call.inBatch, (ok) => void (clean &&= ok)), { discard: true })
    // an unclean call rolls the batch back (a defect is how a transaction body asks for that)
    const body = Effect.andThen(calls, Effect.suspend(() => (clean ? Effect.void : Effect.die("batch rolled back"))))
    return Effect.flatMap(Effect.exit(sql.withTransaction(Effect.andThen(atStart, body))), (commit) =>
      clean
        ? Effect.forEach(batch, (call) => call.publish(commit), { discard: true })
        : Effect.forEach(batch, runAlone, { discard: true }))
  }

  yield* Effect.forkScoped(
    Effect.forever(Effect.flatMap(Queue.takeBetween(queue, 1, MAX_BATCH), runBatch)).pipe(Effect.withTracerEnabled(false))
  )

  const enqueue = <A, E>(effect: Effect.Effect<A, E>, isolated: boolean): Effect.Effect<A, E | SqlError.SqlError> =>
    Effect.flatMap(Deferred.make<A, E | SqlError.SqlError>(), (done) => {
      let outcome: Exit.Exit<A, E | SqlError.SqlError> = Exit.die("the call did not run")
      const savepoint = isolated || pg
      const pending: Pending = {
        inBatch: Effect.map(Effect.exit(savepoint ? sql.withTransaction(effect) : effect), (exit) => {
          outcome = exit
          return savepoint || Exit.isSuccess(exit) || !isUnexpected(exit.cause)
        }),
        alone: Effect.map(Effect.exit(sql.withTransaction(Effect.andThen(atStart, effect))), (exit) => {
          outcome = exit
        }),
        publish: (commit) =>
          Effect.suspend(() => Deferred.done(done, Exit.isFailure(commit) ? Exit.failCause(commit.cause) : outcome))
      }
      return Effect.andThen(Queue.offer(queue, pending), Deferred.await(done))
    })

  return {
    /** Runs a call that fails only before its first write (see the contract); settles once its batch commits. */
    run: <A, E>(effect: Effect.Effect<A, E>) => enqueue(effect, false),
    /** Runs a call that may fail after writing, in a savepoint of its own; settles once its batch commits. */
    runIsolated: <A, E>(effect: Effect.Effect<A, E>) => enqueue(effect, true)
  }
})
