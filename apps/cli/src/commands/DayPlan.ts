/**
 * What `run daily` does with a day, decided before anything is written (`planDay`): start it, resume its unfinished
 * run, retry the accounts that failed (their carried plans, same client order ids) and read again those no
 * reconciliation of the day could read, or say the day is done — and, where a snapshot can no longer be taken, why.
 * Every plan that reaches the broker checks first that the broker's session is still the day's (`ensureTradableDay`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type ExecutionReport, needsRetry, type TradingDay } from "@council/domain"
import type { RunRecord } from "@council/engine"
import type { AccountProfile, DailyParams } from "@council/daily"
import * as RunNotices from "../RunNotices.ts"
import { carriedPlans, dayChain, dayReport, paramsOf, retryParams, unreconciled } from "./DayChain.ts"
import { ensureTradableDay, snapshotsAfter } from "./Session.ts"

/** What `run daily` will do, decided before anything is written; `note` is said once the plan is final. */
export type DayPlan =
  | { readonly _tag: "Start" }
  | { readonly _tag: "Resume"; readonly run: RunRecord }
  | { readonly _tag: "Retry"; readonly root: RunRecord; readonly params: DailyParams; readonly note: string }
  | { readonly _tag: "Done"; readonly run: RunRecord; readonly report: ExecutionReport; readonly note: string }
  | { readonly _tag: "Awaiting"; readonly run: RunRecord }
  | { readonly _tag: "Rejected"; readonly run: RunRecord }

export const planDay = (dryRun: boolean, day: TradingDay, params: DailyParams) =>
  Effect.gen(function*() {
    if (dryRun) {
      yield* ensureTradableDay(day, params.accounts, false)
      return { _tag: "Start" } satisfies DayPlan
    }
    const chain = yield* dayChain(day, params.accounts)
    const last = chain.at(-1)
    if (last === undefined) {
      yield* ensureTradableDay(day, params.accounts, true)
      return { _tag: "Start" } satisfies DayPlan
    }
    if (last.status === "awaiting-approval") return { _tag: "Awaiting", run: last } satisfies DayPlan
    if (last.status === "rejected") return { _tag: "Rejected", run: last } satisfies DayPlan
    if (last.status !== "completed") {
      yield* ensureTradableDay(day, Option.match(paramsOf(last), { onNone: () => params.accounts, onSome: (p) => atBroker(p, chain[0]!) }), true)
      return { _tag: "Resume", run: last } satisfies DayPlan
    }
    return yield* planCompletedDay(day, params, chain, last)
  })

/**
 * A day whose latest run (`last`) completed: done, or retried — its failed accounts sent their carried plans again
 * and the accounts no reconciliation of the day could read read again (`reconciles`), or those read alone.
 */
const planCompletedDay = (day: TradingDay, params: DailyParams, chain: ReadonlyArray<RunRecord>, last: RunRecord) =>
  Effect.gen(function*() {
    const report = yield* dayReport(chain)
    const failed = report.accounts.filter(needsRetry).map((a) => a.account)
    const ran = `Trading day ${day} already ran as ${chain[0]!.id}${chain.length > 1 ? ` (retried as ${chain.slice(1).map((r) => r.id).join(", ")})` : ""}`
    const root = chain[0]!
    const rootParams = Option.getOrElse(paramsOf(root), () => params)
    // an account no reconciliation of the day could read has no snapshot of the session (no equity that day): a
    // retry reads it — its orders are not sent again — unless the ledger has moved past the day for it
    const unread = yield* unreconciled(chain, rootParams.accounts.map((a) => a.id))
    const gone = yield* snapshotsAfter(day, unread)
    const reads = rootParams.accounts.filter((a) => unread.includes(a.id) && !gone.includes(a.id))
    const done = (why: string | undefined) =>
      Effect.map(RunNotices.withEquityOf(last.id, report), (withEquity): DayPlan => ({
        _tag: "Done",
        run: last,
        report: withEquity,
        note: `${ran}; nothing is placed again.${why === undefined ? "" : ` ${why}`}`
      }))
    if (failed.length === 0 && reads.length === 0) return yield* done(gone.length === 0 ? undefined : snapshotGap(day, gone, "the ledger has recorded it at a later session"))
    const accounts = rootParams.accounts.filter((a) => failed.includes(a.id))
    if (failed.length === 0) {
      // reading alone sends nothing, but reads the broker's present: refused (exit 2) when that is past the day
      const refused = yield* ensureTradableDay(day, reads, true).pipe(
        Effect.as(undefined),
        Effect.catchTag("CliFailure", (e) => (e.exitCode === 2 ? Effect.succeed(e.message) : Effect.fail(e)))
      )
      if (refused !== undefined) return yield* done(snapshotGap(day, [...gone, ...reads.map((a) => a.id)], refused))
    } else {
      yield* ensureTradableDay(day, [...accounts, ...reads.filter((a) => !failed.includes(a.id))], true)
    }
    const reading = reads.length === 0 ? "" : failed.length === 0
      ? `; reading ${reads.map((a) => a.id).join(", ")} again, which no reconciliation of the day could read (the session has no snapshot of ${reads.length === 1 ? "it" : "them"}); nothing is placed again`
      : `; reading ${reads.map((a) => a.id).join(", ")} first (no reconciliation of the day could)`
    const note = failed.length === 0
      ? `${ran}${reading}.`
      : `${ran}; retrying ${failed.join(", ")} with the same orders (same client order ids: what reached the broker is not placed again)${reading}.`
    // the retry sends with this command's keys: a refused one is told where they are configured now
    const carried = yield* carriedPlans(chain, failed)
    const retry = retryParams(root, rootParams, params.keysFrom, accounts, carried, reads.map((a) => a.id))
    return { _tag: "Retry", root, params: retry, note } satisfies DayPlan
  })

/**
 * The accounts a run of the day continued reads and sends at the broker's present: its own, and those a retry reads
 * again (`reconciles`, profiled as the day's first run recorded them). A retry that only reads has no account of its
 * own: continued once the broker is past the day, it would record the present as the day's snapshot.
 */
const atBroker = (run: DailyParams, root: RunRecord): ReadonlyArray<AccountProfile> => {
  const reads = run.reconciles ?? []
  if (reads.length === 0) return run.accounts
  const profiles = Option.match(paramsOf(root), { onNone: () => run.accounts, onSome: (p) => p.accounts })
  return [...run.accounts, ...profiles.filter((a) => reads.includes(a.id) && !run.accounts.some((x) => x.id === a.id))]
}

/**
 * What a day's missing snapshots are and why they stay missing: `accounts` had no reconciliation of `day` that read
 * them, and `why` they can no longer be read for it.
 */
const snapshotGap = (day: TradingDay, accounts: ReadonlyArray<string>, why: string) =>
  `The day has no snapshot of ${accounts.join(", ")} (no reconciliation of ${day} could read ${accounts.length === 1 ? "it" : "them"}), and it can no longer be taken: ${why}. ` +
  `The equity series has no point of ${accounts.length === 1 ? "it" : "them"} on ${day}, and the leaderboard leaves the day out for every account; the orders and fills of the day are in the ledger.`
