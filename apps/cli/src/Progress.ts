import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type { CouncilDecision, ExecutionReport, MarketSnapshot, PeerReviewResult, RiskVerdict } from "@council/domain"
import { Runner } from "@council/engine"
import type { PitchBook, ReconcileReport } from "@council/daily"
import { unevaluated } from "@council/daily/Unevaluated"
import { OFFLINE_CHAIRMAN_SOURCE } from "@council/llm/Chairman"
import { counted } from "./Table.ts"

const trades = (list: CouncilDecision["trades"]) =>
  list.length === 0 ? "council stays flat" : list.map((t) => `${t.direction} ${t.symbol} (${t.conviction})`).join(", ")

const summaries: Record<string, (output: never) => string> = {
  // what the log of a timer's run needs of it: that every account was read, or which was not (a revoked key)
  Reconcile: (r: ReconcileReport) => {
    const read = r.accounts.filter((a) => a.status === "recorded")
    const unread = r.accounts.filter((a) => a.status === "failed")
    const fills = read.reduce((n, a) => n + (a.newFills ?? a.fills), 0)
    return `${counted(read.length, "account")} read, ${counted(fills, "new fill")}` +
      (unread.length > 0 ? `; could not read ${unread.map((a) => a.account).join(", ")} (the session has no snapshot of it until the day is run again)` : "")
  },
  FetchData: (s: MarketSnapshot) => `${s.universe.length} symbols as of ${s.asOf}`,
  PmPitches: (b: PitchBook) =>
    `${b.pitches.map((p) => `${p.pm} ${p.direction === "FLAT" ? "FLAT" : `${p.direction} ${p.symbol} (${p.conviction > 0 ? "+" : ""}${p.conviction})`}`).join(", ")}` +
    (b.abstentions.length > 0 ? `; abstained: ${b.abstentions.map((a) => a.pm).join(", ")}` : ""),
  PeerReview: (r: PeerReviewResult) =>
    r.aggregate.length === 0
      ? "nothing to rank"
      : `Borda ${r.aggregate.map((s) => `${s.pm} ${s.points}`).join(", ")}` +
        (r.abstentions.length > 0 ? `; did not rank: ${r.abstentions.map((a) => a.pm).join(", ")}` : ""),
  CouncilSynthesis: (d: CouncilDecision) =>
    trades(d.trades) +
    (d.fallback !== undefined
      ? " (the chairman failed: mechanical vote)"
      : d.mechanical !== undefined && d.source !== OFFLINE_CHAIRMAN_SOURCE
      ? ` · mechanical vote: ${trades(d.mechanical.trades)}`
      : ""),
  RiskApproval: (v: RiskVerdict) => {
    const unread = unevaluated(v).length
    return `${counted(v.intents.length, "order intent")}, ${counted(v.rejections.length, "rejection")}, ${counted(v.clamps.length, "clamp")}` +
      (unread > 0 ? `; ${counted(unread, "account")} could not be read` : "")
  },
  Execution: (r: ExecutionReport) => {
    const failed = r.accounts.filter((a) => a.status === "failed").length
    const failures = failed > 0 ? `; ${counted(failed, "account")} failed` : ""
    if (r.dryRun) return `dry run: nothing sent${failures}`
    const placed = r.accounts.reduce((n, a) => n + a.orders.length, 0)
    const adopted = r.accounts.reduce((n, a) => n + a.adopted.length, 0)
    return `${counted(placed, "order")} placed${adopted > 0 ? `, ${adopted} already at the broker` : ""}${failures}`
  }
}

export const summarize = (stage: string, output: unknown): string => summaries[stage]?.(output as never) ?? ""

/** Prints one line per stage event to stderr, so stdout stays the result. */
export const printer = (event: Runner.RunEvent): Effect.Effect<void> => {
  switch (event._tag) {
    case "RunStarted":
      return Console.error(
        `${event.resumed ? "Resuming" : "Starting"} run ${event.run.id} · ${event.run.pipeline} · trading day ${event.run.tradingDay}${
          event.run.dryRun ? " · dry run" : ""
        }`
      )
    case "StageStarted":
      return event.attempt > 1 ? Console.error(`  ↻ ${event.stage} attempt ${event.attempt}`) : Effect.void
    case "StageReused":
      return Console.error(`  ⤷ ${event.stage.padEnd(17)} reused from ${event.from}`)
    case "StageCompleted":
      return Console.error(
        `  ✓ ${event.stage.padEnd(17)} ${`${event.durationMs} ms`.padStart(8)}  ${summarize(event.stage, event.output)}`
      )
    case "StageFailed":
      return Console.error(`  ✗ ${event.stage.padEnd(17)} ${event.message}`)
    case "RunPaused":
      return Console.error(`  ⏸ ${event.stage.padEnd(17)} awaiting approval`)
  }
}
