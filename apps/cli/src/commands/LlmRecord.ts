/**
 * A run's LLM record as the reading commands show it: `show --llm` (its exchanges), the cost table of `show`, the
 * cost column of `runs`. Reads the store only: no model, adapter or trading stack is loaded.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { PM_NAMES, type RunId } from "@council/domain"
import { type RunBundle, RunStore } from "@council/engine"
import * as AuditTrail from "@council/llm/AuditTrail"
import * as Models from "@council/llm/Models"
import * as Prices from "@council/llm/Prices"
import { CliFailure } from "../CliFailure.ts"
import { counted, table } from "../Table.ts"

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

/** Prints `show <run> --llm [--pm X]`: every exchange of `who` (default: every role), readable or as JSON. */
export const showExchanges = (bundle: RunBundle, who: Option.Option<string>, json: boolean) =>
  Effect.gen(function*() {
    const entries = AuditTrail.fromRecordings(bundle.recordings).filter((e) => Option.isNone(who) || e.exchange.actor === who.value)
    if (json) return yield* Console.log(JSON.stringify(entries, null, 2))
    if (entries.length === 0) {
      return yield* Console.log(`run ${bundle.run.id} has no LLM exchanges${Option.isSome(who) ? ` for ${who.value}` : ""} (offline stand-ins ask no model)`)
    }
    yield* Console.log(entries.map(AuditTrail.format).join("\n\n"))
    yield* Console.log(`\n${counted(entries.length, "exchange")} · ${Prices.formatUsd(AuditTrail.totalCost(entries))} spent for this run`)
  })

/** A run's LLM costs for `show --json`: per stage and actor, and the total; `null` when it asked no model. */
export const costSummary = (bundle: RunBundle) => {
  const entries = AuditTrail.fromRecordings(bundle.recordings)
  if (entries.length === 0) return null
  return {
    costs: AuditTrail.costs(entries),
    totalUsd: AuditTrail.totalCost(entries),
    reusedExchanges: entries.filter((e) => e.reusedFrom !== undefined).length
  }
}

/** The cost table of `show <run>`: per stage and PM; empty when the run asked no model. */
export const costTable = (bundle: RunBundle): string => {
  const summary = costSummary(bundle)
  if (summary === null) return ""
  const reused = summary.reusedExchanges
  return [
    "",
    table(
      ["LLM STAGE", "ACTOR", "MODEL", "REQUESTS", "TOKENS IN", "TOKENS OUT", "COST"],
      summary.costs.map((l) => [l.stage, l.actor, l.model, String(l.calls), String(l.inputTokens), String(l.outputTokens), Prices.formatUsd(l.costUsd)])
    ),
    `LLM total ${Prices.formatUsd(summary.totalUsd)}${reused > 0 ? ` (${reused} exchanges reused from the parent run, not charged again)` : ""} · details: pnpm pipeline show ${bundle.run.id} --llm`
  ].join("\n")
}

/** A run's LLM cost for `runs`: `-` when it asked no model. */
export const runCost = (runId: RunId) =>
  Effect.map(RunStore.use((store) => store.getRecordings(runId)), (recordings) => {
    const entries = AuditTrail.fromRecordings(recordings)
    return entries.length === 0 ? "-" : Prices.formatUsd(AuditTrail.totalCost(entries))
  })
