/**
 * What one process's budget knows beyond the ledger: the worst cases its calls under way hold, and the calls
 * waiting for room (`Budget.ts` reads the ledger and decides; this file keeps the counts and the waiting).
 *
 * **Gotchas**: a call waits only for calls that can settle — never for calls that wait for room themselves (two
 * retries would wait for each other until their deadline). The sums are by key: `run:<run key>` and
 * `month:<first day>`. Not synchronized: `Budget.ts` changes them under its lock.
 *
 * @since 0.1.0
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"

/** A run as the budget's sums know it: its id and its backtest book (undefined for the live book). */
export interface RunRef {
  readonly runId: string
  readonly book: string | undefined
}

/**
 * A call that may wait for room: the worst cases it holds already (a retry: its call's earlier requests) under the
 * keys of the budget's sums, and whether it is counted among the calls waiting.
 */
export interface Waiter {
  readonly usd: number
  readonly keys: ReadonlyArray<string>
  waiting: boolean
}

/** A run's key among the budget's sums: a backtest's run ids repeat from one book to the next. */
export const runKey = (run: RunRef) => (run.book === undefined ? run.runId : `${run.book}\u0000${run.runId}`)

/** The in-flight sums and the calls waiting for room of one budget. */
export const make = () => {
  /** Worst cases this process reserved and has not settled yet, by `run:<id>` and `month:<from>`. */
  const inFlight = new Map<string, number>()
  /**
   * What this process's calls waiting for room hold already (a retry: its call's earlier requests), by the keys of
   * `inFlight`: those settle only once they get room, so no call waits for them.
   */
  const waitingHeld = new Map<string, number>()
  /** The refusals a call waits out: something under way that can settle would make room. */
  const worthWaiting = new WeakSet<object>()

  // a sum of worst cases added and taken away leaves rounding residue (6.9e-18 once all settled): that is nothing
  const addInFlight = (key: string, usd: number) => {
    const next = (inFlight.get(key) ?? 0) + usd
    inFlight.set(key, next <= 1e-12 ? 0 : next)
  }

  /** Calls waiting for room; the next change (a settlement, a call starting to wait) wakes them to check again. */
  let changes = 0
  let changed = Deferred.makeUnsafe<void>()
  const signalChange = () => {
    changes++
    const done = changed
    changed = Deferred.makeUnsafe<void>()
    Deferred.doneUnsafe(done, Effect.void)
  }
  /** Waits (interruptibly) until something changes after the `seen`-th change. */
  const changedSince = (seen: number) =>
    Effect.interruptible(Effect.suspend(() => (changes > seen ? Effect.void : Deferred.await(changed))))

  /** Counts `waiter` among the calls waiting; wakes the others when nothing left under way can settle for one of its keys. */
  const startWaiting = (waiter: Waiter) => {
    if (waiter.waiting || waiter.usd <= 0) return
    waiter.waiting = true
    for (const key of waiter.keys) waitingHeld.set(key, (waitingHeld.get(key) ?? 0) + waiter.usd)
    if (waiter.keys.some((key) => (inFlight.get(key) ?? 0) - (waitingHeld.get(key) ?? 0) <= 1e-12)) signalChange()
  }
  const stopWaiting = (waiter: Waiter) => {
    if (!waiter.waiting) return
    waiter.waiting = false
    for (const key of waiter.keys) waitingHeld.set(key, Math.max(0, (waitingHeld.get(key) ?? 0) - waiter.usd))
  }

  /** What this process's calls under way hold under `key`, at their worst case. */
  const held = (key: string) => inFlight.get(key) ?? 0

  /** Adds `usd` (negative: takes it away) to the run's and the month's sums. */
  const hold = (run: RunRef, month: string, usd: number) => {
    addInFlight(`run:${runKey(run)}`, usd)
    addInFlight(`month:${month}`, usd)
  }

  /**
   * Marks `refusal` (under `key`: `spentUsd` spent besides what is in flight, `limitUsd` the limit) as one `waiter`
   * can wait out when a call under way that can settle — neither this call nor another waiting for room itself —
   * would make room for `callUsd`, and counts the waiter as waiting.
   */
  const markWaitable = (refusal: object, key: string, waiter: Waiter, spent: { readonly spentUsd: number; readonly callUsd: number; readonly limitUsd: number }) => {
    const others = (waitingHeld.get(key) ?? 0) - (waiter.waiting ? waiter.usd : 0)
    const settling = held(key) - waiter.usd - others
    if (settling > 1e-12 && spent.spentUsd + waiter.usd + spent.callUsd <= spent.limitUsd) {
      worthWaiting.add(refusal)
      startWaiting(waiter)
    }
  }

  /**
   * Runs `attempt` (a reservation), or fails; when it failed with a refusal marked waitable (`markWaitable`), waits
   * for the next change (a settlement) and tries again. The waiter stops being counted as waiting however it ends.
   */
  const roomFor = <A, E>(attempt: (waiter: Waiter) => Effect.Effect<A, E>, waiter: Waiter): Effect.Effect<A, E> => {
    const loop: Effect.Effect<A, E> = Effect.suspend(() => {
      const seen = changes
      return attempt(waiter).pipe(
        Effect.catchIf(
          (error: E) => typeof error === "object" && error !== null && worthWaiting.has(error),
          () => Effect.andThen(changedSince(seen), loop)
        )
      )
    })
    return Effect.ensuring(loop, Effect.sync(() => stopWaiting(waiter)))
  }

  return { held, hold, markWaitable, roomFor, signalChange }
}

export type BudgetRoom = ReturnType<typeof make>
