/**
 * What a run was charged for LLM calls, as `runs`, `show`, `/api/runs` and a run's detail say it: the spend
 * ledger's rows of the run (`SpendLedger`), as the budget counts them; for an imported run, which was paid for
 * elsewhere and has no rows here, what its recorded exchanges say they cost (`AuditTrail`).
 *
 * **When to use**: `runCharges` for a page of runs (one ledger query for all of them, recordings read only for the
 * imported runs among them); `recordedCharge` on a run's recordings alone.
 *
 * **Gotchas**: a local run without rows (offline PMs, a fork whose answers all came from its parent) was charged
 * nothing: it is absent, its recordings are not read.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { RunId } from "@council/domain"
import { RunStore, type StoreError } from "@council/engine"
import * as AuditTrail from "./AuditTrail.ts"
import { SpendLedger } from "./SpendLedger.ts"

/** What a run was charged in all, and of it the worst cases of calls whose usage is unknown (shown `≈` when above 0). */
export const RunCharge = Schema.Struct({ totalUsd: Schema.Finite, estimatedUsd: Schema.Finite })
export type RunCharge = typeof RunCharge.Type

/** What `recordings` say their run's own exchanges cost (reused ones cost it nothing); `None` when they hold none. */
export const recordedCharge = (recordings: Parameters<typeof AuditTrail.fromRecordings>[0]): Option.Option<RunCharge> => {
  const entries = AuditTrail.fromRecordings(recordings)
  if (entries.length === 0) return Option.none()
  const lines = AuditTrail.costs(entries)
  return Option.some({ totalUsd: lines.reduce((sum, l) => sum + l.costUsd, 0), estimatedUsd: lines.reduce((sum, l) => sum + l.estimatedUsd, 0) })
}

/** A run as `runCharges` takes it: its id, and whether it was imported (paid for elsewhere). */
export interface ListedRun {
  readonly id: string
  readonly imported: boolean
}

/**
 * What each of `runs` (of backtest `book`'s store, when given) was charged (see the module): a run charged nothing is
 * absent; an imported run whose recordings do not read back is its `StoreError` (the others are read all the same).
 */
export const runCharges = (
  runs: ReadonlyArray<ListedRun>,
  book?: string
): Effect.Effect<ReadonlyMap<string, Result.Result<RunCharge, StoreError>>, StoreError, SpendLedger | RunStore> =>
  Effect.gen(function*() {
    const ledger = yield* SpendLedger.use((ledger) => ledger.runCharges(runs.map((r) => r.id), book))
    const charged = new Map<string, Result.Result<RunCharge, StoreError>>([...ledger].map(([id, charge]) => [id, Result.succeed(charge)]))
    const store = yield* RunStore
    const recorded = yield* Effect.forEach(
      runs.filter((r) => r.imported && !ledger.has(r.id)),
      (run) => Effect.map(Effect.result(store.getRecordings(RunId.make(run.id))), (read) => [run.id, Result.map(read, recordedCharge)] as const)
    )
    for (const [id, read] of recorded) {
      if (Result.isFailure(read)) charged.set(id, Result.fail(read.failure))
      else if (Option.isSome(read.success)) charged.set(id, Result.succeed(read.success.value))
    }
    return charged
  })
