/**
 * The accounts a completed run's execution failed (or could not evaluate): such a run is `completed` — every stage
 * ran — though `run daily` exited 1, and the next run of that day retries them.
 *
 * **When to use**: wherever runs are listed — `pnpm pipeline runs` and the monitor's `/api/runs` (its summaries'
 * `failedAccounts`, which the dashboard reads) — so both say the same. A module of its own, loading no stage.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { ExecutionReport } from "@council/domain"
import { type RunRecord, RunStore } from "@council/engine"

/** A completed run's accounts whose execution failed (or could not be evaluated), and of how many accounts. */
export interface FailedAccounts {
  readonly accounts: ReadonlyArray<string>
  readonly of: number
}

const decodeExecution = Schema.decodeUnknownOption(Schema.toCodecJson(ExecutionReport))

/**
 * The runs of `runs` that completed with failed accounts, by run id (a run without failures is absent): their
 * Execution outputs, read in one query per pipeline over the runs' days.
 */
export const failedAccountsOf = (runs: ReadonlyArray<RunRecord>) =>
  Effect.gen(function*() {
    const completed = runs.filter((r) => r.status === "completed")
    const failed = new Map<string, FailedAccounts>()
    if (completed.length === 0) return failed
    const listed = new Set(completed.map((r) => r.id))
    const days = completed.map((r) => r.tradingDay).sort()
    const store = yield* RunStore
    for (const pipeline of new Set(completed.map((r) => r.pipeline))) {
      const outputs = yield* store.stageOutputs({ pipeline, stage: "Execution", from: days[0]!, to: days.at(-1)! })
      for (const { output, runId } of outputs) {
        if (!listed.has(runId) || output === undefined) continue
        const report = decodeExecution(output)
        if (Option.isNone(report)) continue
        const accounts = report.value.accounts.filter((a) => a.status === "failed").map((a) => a.account)
        if (accounts.length > 0) failed.set(runId, { accounts, of: report.value.accounts.length })
      }
    }
    return failed
  })
