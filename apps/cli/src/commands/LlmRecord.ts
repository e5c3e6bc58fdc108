/**
 * A run's LLM record as the reading commands show it: `show --llm` (its exchanges), the cost table of `show`, the
 * cost column of `runs`. Reads the store only: no model, adapter or trading stack is loaded.
 *
 * What a run was charged is the spend ledger's (`llm_spend`), as the budget, the monitor and the leaderboard
 * count it: it keeps the calls of a stage attempt that was dropped and retried (a crash, a timeout), whose
 * exchanges left the run's record with the attempt. A run with no ledger rows (an imported run, paid for
 * elsewhere) is charged what its recorded exchanges say (`@council/llm`'s `RunCharges`, as the monitor says it).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { PM_NAMES } from "@council/domain"
import type { RunBundle } from "@council/engine"
import * as AuditTrail from "@council/llm/AuditTrail"
import * as Models from "@council/llm/Models"
import * as Prices from "@council/llm/Prices"
import * as RunCharges from "@council/llm/RunCharges"
import type { ListedRun } from "@council/llm/RunCharges"
import { SpendLedger } from "@council/llm/SpendLedger"
import { CliFailure } from "../CliFailure.ts"
import { RunSource } from "../RunSource.ts"
import { counted, ESTIMATE_MARK, ESTIMATE_NOTE, table } from "../Table.ts"

/** The roles `--pm` may name: the PMs and the chairman. */
const ROLES: ReadonlyArray<string> = [...PM_NAMES, Models.CHAIRMAN]

/** Checks `show --llm`'s flags (before the store is read): the role `--pm` names, if any. */
export const exchangeFilter = (pm: Option.Option<string>, full: boolean) =>
  Effect.gen(function*() {
    if (full) return yield* CliFailure.usage("--full only applies to show --json without --llm (--llm always prints every exchange in full)")
    const who = Option.map(pm, (p) => p.trim().toUpperCase())
    if (Option.isSome(who) && !ROLES.includes(who.value)) {
      return yield* CliFailure.usage(`--pm ${who.value === "" ? "''" : who.value}: not a council role (the roles are ${ROLES.join(", ")})`)
    }
    return who
  })

/** What a run's record and the spend ledger say it cost. */
export interface Charged {
  /** What the run was charged: the ledger's sum, or the recorded exchanges' when the ledger has none. */
  readonly totalUsd: number
  /** Of which, calls whose exchanges are not in the record (their stage attempt was dropped). */
  readonly droppedUsd: number
  /** Of which, worst cases charged for calls whose usage is unknown (timed out, unreadable): an estimate. */
  readonly estimatedUsd: number
}

/** `usd` as a cost, marked when `estimatedUsd` of it is an estimate. */
export const costText = (usd: number, estimatedUsd: number): string => `${estimatedUsd > 0 ? ESTIMATE_MARK : ""}${Prices.formatUsd(usd)}`



/** `$X spent`, and what of it the record does not show. */
const spentText = (charged: Charged) => {
  const parts = [
    ...(charged.estimatedUsd > 0 ? [`${Prices.formatUsd(charged.estimatedUsd)} of it estimated: the worst case of calls whose usage is unknown`] : []),
    ...(charged.droppedUsd > 0
      ? [`${Prices.formatUsd(charged.droppedUsd)} of it by calls of stage attempts that were dropped and retried: their exchanges are not in the record`]
      : [])
  ]
  return `${costText(charged.totalUsd, charged.estimatedUsd)}${parts.length === 0 ? "" : ` (${parts.join("; ")})`}`
}

/** What run `bundle` of the `RunSource` was charged (see the module), by the home's ledger (`SpendLedger.layerSql`). */
export const chargedFor = (bundle: RunBundle) =>
  Effect.map(
    Effect.flatMap(RunSource, ({ backtest }) => SpendLedger.use((ledger) => ledger.runCharges([bundle.run.id], backtest?.id))),
    (ledger): Charged => {
      const { estimatedUsd: ledgerEstimatedUsd, totalUsd: ledgerUsd } = ledger.get(bundle.run.id) ?? { totalUsd: 0, estimatedUsd: 0 }
      const lines = AuditTrail.costs(AuditTrail.fromRecordings(bundle.recordings))
      const recordedUsd = lines.reduce((sum, l) => sum + l.costUsd, 0)
      // sums of the same calls in another order differ in the last digits
      const droppedUsd = ledgerUsd - recordedUsd > 1e-9 ? ledgerUsd - recordedUsd : 0
      return ledgerUsd > 0
        ? { totalUsd: ledgerUsd, droppedUsd, estimatedUsd: ledgerEstimatedUsd }
        : { totalUsd: recordedUsd, droppedUsd: 0, estimatedUsd: lines.reduce((sum, l) => sum + l.estimatedUsd, 0) }
    }
  )

/** Prints `show <run> --llm [--pm X]`: every exchange of `who` (default: every role), readable or as JSON. */
export const showExchanges = (bundle: RunBundle, who: Option.Option<string>, json: boolean) =>
  Effect.gen(function*() {
    const entries = AuditTrail.fromRecordings(bundle.recordings).filter((e) => Option.isNone(who) || e.exchange.actor === who.value)
    if (json) return yield* Console.log(JSON.stringify(entries, null, 2))
    if (entries.length === 0) {
      return yield* Console.log(`run ${bundle.run.id} has no LLM exchanges${Option.isSome(who) ? ` for ${who.value}` : ""} (offline stand-ins ask no model)`)
    }
    yield* Console.log(entries.map(AuditTrail.format).join("\n\n"))
    const shown = Option.isNone(who) ? "" : ` (${who.value}'s: ${Prices.formatUsd(AuditTrail.totalCost(entries))})`
    yield* Console.log(`\n${counted(entries.length, "exchange")}${shown} · ${spentText(yield* chargedFor(bundle))} spent for this run`)
  })

/**
 * A run's LLM costs for `show --json`: per stage and actor (of the recorded exchanges), and the total charged
 * with what of it the record does not show; `null` when it asked no model.
 */
export const costSummary = (bundle: RunBundle, charged: Charged) => {
  const entries = AuditTrail.fromRecordings(bundle.recordings)
  if (entries.length === 0 && charged.totalUsd === 0) return null
  return {
    costs: AuditTrail.costs(entries),
    totalUsd: charged.totalUsd,
    droppedUsd: charged.droppedUsd,
    estimatedUsd: charged.estimatedUsd,
    reusedExchanges: entries.filter((e) => e.reusedFrom !== undefined).length
  }
}

/** The cost table of `show <run>`: per stage and PM; empty when the run asked no model. `again`: the flags naming its store. */
export const costTable = (bundle: RunBundle, charged: Charged, again = ""): string => {
  const summary = costSummary(bundle, charged)
  if (summary === null) return ""
  const reused = summary.reusedExchanges
  return [
    "",
    table(
      ["LLM STAGE", "ACTOR", "MODEL", "REQUESTS", "TOKENS IN", "TOKENS OUT", "COST"],
      summary.costs.map((l) => [l.stage, l.actor, l.model, String(l.calls), String(l.inputTokens), String(l.outputTokens), costText(l.costUsd, l.estimatedUsd)])
    ),
    ...(summary.costs.some((l) => l.estimatedUsd > 0) || charged.estimatedUsd > 0 ? [ESTIMATE_NOTE] : []),
    `LLM total ${spentText(charged)}${reused > 0 ? ` (${reused} exchanges reused from the parent run, not charged again)` : ""} · details: pnpm pipeline show ${bundle.run.id}${again} --llm`
  ].join("\n")
}

/**
 * The LLM COST of each of `runs` (what it was charged, see the module): `—` (as the leaderboard writes no cost) when it asked no model, `?` when an
 * imported run's recordings do not read back (with the reason, in `unreadable`). One ledger query for them all.
 */
export const runCosts = (runs: ReadonlyArray<ListedRun>) =>
  Effect.map(Effect.flatMap(RunSource, ({ backtest }) => RunCharges.runCharges(runs, backtest?.id)), (charged) => {
    const costs = new Map<string, string>()
    const unreadable = new Map<string, string>()
    const charges = new Map<string, RunCharges.RunCharge>()
    for (const run of runs) {
      const read = charged.get(run.id)
      if (read === undefined) costs.set(run.id, "—")
      else if (Result.isSuccess(read)) (costs.set(run.id, costText(read.success.totalUsd, read.success.estimatedUsd)), charges.set(run.id, read.success))
      else (costs.set(run.id, "?"), unreadable.set(run.id, read.failure.message))
    }
    return { costs, unreadable, charges }
  })
