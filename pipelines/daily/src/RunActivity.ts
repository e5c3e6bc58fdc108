/**
 * Whether a run marked `running` is being run: a live process holds a lease naming it (`liveHolders`), or its
 * process is gone — killed, crashed, its machine restarted — and the record stays `running` until it is continued.
 *
 * **When to use**: wherever runs are listed (`pnpm pipeline runs`, the monitor's `/api/runs`), to tell a run in
 * progress from one nobody runs, and to say how the latter is continued. A module of its own, loading no stage, so
 * `runs` stays light.
 *
 * A stopped run of a day that a later day's run has followed is `abandoned`: positions have moved on past its day
 * (Alpaca's clock is past it; the local exchange refuses to trade an account back before a later day), so it can
 * no longer send; what it placed reaches the ledger with the next reconciliation.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { AccountId, TradingDay } from "@council/domain"
import { canonicalJson, isDamagedRun, type RunRecord, RunStore } from "@council/engine"
import { TradingAccounts } from "@council/broker/TradingAccounts"
import { liveHolders } from "@council/store"
import { DAILY_PIPELINE } from "./StageNames.ts"

/** What a `running` run is: being run, stopped (continue it with `next`), or abandoned (`next` says why). */
export interface RunActivity {
  readonly state: "in-progress" | "stopped" | "abandoned"
  readonly next: string | null
}

/**
 * The command that continues (resumes or retries) the day's run of `accounts`. A day's run is the run of its
 * accounts, so `--accounts` is named unless they are every configured account: without it the command would start
 * another run of the day, leaving this one stopped.
 */
export const dayCommand = (day: TradingDay, accounts: ReadonlyArray<{ readonly id: AccountId | string }>) =>
  TradingAccounts.use(({ all }) =>
    Effect.succeed(
      `pnpm pipeline run daily --date ${day}` + (idsOf(all) === idsOf(accounts) ? "" : ` --accounts ${accounts.map((a) => a.id).join(",")}`)
    )
  )

/**
 * How a stopped run is continued: `again` (its `dayCommand`), or — for a dry run, which `run daily` never resumes
 * (without `--dry-run` it starts the day's real run, sending orders) — by running it again, dry.
 */
export const continuation = (again: string, dryRun: boolean, verb: "resume" | "continue it") =>
  dryRun ? `run it again with: ${again} --dry-run` : `${verb} with: ${again}`

/** The accounts' ids in one comparable string. */
export const idsOf = (accounts: ReadonlyArray<{ readonly id: string }>) => canonicalJson(accounts.map((a) => a.id).sort())

/** What this needs of a daily run's parameters (the full `DailyParams` would load the stages). */
export const RunAccounts = Schema.Struct({ accounts: Schema.Array(Schema.Struct({ id: Schema.String })), retryOf: Schema.optionalKey(Schema.String) })
const accountsOf = (run: RunRecord) => Schema.decodeUnknownOption(RunAccounts)(run.params)

/**
 * How a stopped daily run is continued: its day's chain (a retry continues its root's), a fork forked again. A
 * retry is a fork of its root naming it (`retryOf`, as `run daily` finds a day's retries); a fork of a retry carries
 * the retry's params, `retryOf` included, but is no part of the day's chain.
 */
const nextOf = (run: RunRecord) =>
  Effect.gen(function*() {
    const params = accountsOf(run)
    if (run.parentRunId !== null && !Option.exists(params, (p) => p.retryOf === run.parentRunId)) {
      return `fork it again with: pnpm pipeline replay ${run.parentRunId} --from ${run.forkFrom}${run.dryRun ? " --dry-run" : ""}`
    }
    const parent = run.parentRunId
    const root = parent === null ? Option.some(run) : yield* RunStore.use((s) => s.getRun(parent))
    const accounts = Option.flatMap(root, accountsOf)
    if (Option.isNone(accounts)) return null
    return continuation(yield* dayCommand(run.tradingDay, accounts.value.accounts), run.dryRun, "resume")
  })

/**
 * The activity of each `running` local daily run of `runs` (`imported` runs are records of another store: none).
 * `recent` are the store's latest local daily runs, to see whether a later day has run since a stopped one.
 */
export const activities = (runs: ReadonlyArray<RunRecord>, imported: ReadonlySet<string>) =>
  Effect.gen(function*() {
    const running = runs.filter((r) => r.status === "running" && r.pipeline === DAILY_PIPELINE && !imported.has(r.id))
    const result = new Map<string, RunActivity>()
    if (running.length === 0) return result
    const held = new Set((yield* liveHolders).map(({ holder }) => holder.runId))
    // surveyed, not listed: a damaged run (which `runs` names in its place) says nothing of a later day
    const recent = (yield* RunStore.use((s) => s.surveyRuns({ pipeline: DAILY_PIPELINE, origin: "local", limit: 200 })))
      .filter((r): r is RunRecord => !isDamagedRun(r))
    for (const run of running) {
      if (held.has(run.id)) {
        result.set(run.id, { state: "in-progress", next: null })
        continue
      }
      const later = run.dryRun ? undefined : recent.find((r) => !r.dryRun && r.tradingDay > run.tradingDay && r.startedAt >= run.startedAt)
      result.set(
        run.id,
        later === undefined
          ? { state: "stopped", next: yield* nextOf(run) }
          : {
            state: "abandoned",
            next: `a later day has run since (${later.id}), so ${run.tradingDay} can no longer trade; what it placed reaches the ledger with the next reconciliation`
          }
      )
    }
    return result
  })
