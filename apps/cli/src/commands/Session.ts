import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { type AccountId, isBefore, parseMoment, RunId, type TradingDay } from "@council/domain"
import { type BrokerError, LiveGuard, TradingAccounts } from "@council/broker"
import { Calendar, LocalExchange } from "@council/exchange"
import type { AccountProfile } from "@council/daily"
import { liveBook, TradeLedger } from "@council/tracking"
import { RunStore } from "@council/engine"
import { RunAccounts } from "@council/daily/RunActivity"
import { describeHolder, liveHolders } from "@council/store"
import { CliFailure } from "../CliFailure.ts"

/**
 * The in-process exchange's part of `ensureTradableDay`, for the accounts of `accounts` that live on it: approving a
 * run obeys it too (its broker clocks are checked by the approval's own rule, `checkStillInTime`).
 */
export const ensureLocalTradableDay = (day: TradingDay, accounts: ReadonlyArray<AccountProfile>) =>
  Effect.gen(function*() {
    const { all } = yield* TradingAccounts
    const local = all.filter((a) => a.credentials === undefined && accounts.some((p) => p.id === a.id)).map((a) => a.id)
    if (local.length === 0) return
    const exchange = yield* LocalExchange
    const keys = yield* exchange.keys.pipe(Effect.orElseSucceed(() => []))
    const point = yield* exchange.point.pipe(Effect.mapError((e) => CliFailure.usage(e.message)))
    const where = (p: Calendar.SessionPoint) => `${p.session}${p.phase === "open" ? " (during the session)" : ""}`
    const ahead = keys.find((k) => local.includes(k.account) && k.traded && Calendar.pointBefore(point, k.point))
    if (ahead !== undefined) {
      return yield* CliFailure.usage(
        `the local exchange has traded ${ahead.account} up to ${where(ahead.point)}; positions carry across days, so it cannot trade ${where(point)} (a replay without --from reads that day's run from its recordings; or use a fresh COUNCIL_HOME)`
      )
    }
    // an account that never had an order holds no moment of its own, but a session the ledger recorded it at
    // does: its snapshot there (initial cash, no position) would contradict orders for an earlier day — sent by
    // this run, or placed later at the earlier moment a dry run left the account at (`order`)
    const recorded = yield* recordedAfter(day, local, point)
    if (recorded !== undefined) {
      return yield* CliFailure.usage(
        `the ledger has recorded ${recorded.account} at ${recorded.session} (a reconciliation); positions carry across days, so the local exchange cannot trade ${where(point)} for it (run ${recorded.session} or a later day, or use a fresh COUNCIL_HOME for an earlier one)`
      )
    }
  })

/**
 * The session rule every route that sends orders obeys (`run daily`, a retry, a fork that sends): a broker can
 * only trade its present. Orders sent to Alpaca fill at its current prices, so a run sends orders only for the
 * broker's current session (as its clock tells; a local exchange server's clock follows the run's session
 * header). The in-process exchange carries positions across days, so it cannot even read a moment before one it
 * has traded an account into (a close run of a day after that day's after-close run, say) — that part holds for dry
 * runs too, and for an `exchange serve`, whose clock refuses (422) such a day. An account that never had an order
 * holds no moment, but a session the ledger's live book recorded it at does (reconciled there: its snapshot,
 * initial cash and no position, would contradict orders of an earlier day, unless it was marked no later than the
 * run's point: see `markedBy`), for dry runs too.
 * Anything else is refused up front (exit 2), before any order — and, when sending, so is an account configured in
 * another mode than the run was decided for (`ensureSameModes`), before any request.
 */
export const ensureTradableDay = (day: TradingDay, accounts: ReadonlyArray<AccountProfile>, sending: boolean) =>
  Effect.gen(function*() {
    if (sending) yield* ensureSameModes(accounts)
    yield* ensureLocalTradableDay(day, accounts)
    const { all } = yield* TradingAccounts
    const configs = all.filter((a) => accounts.some((p) => p.id === a.id))
    // a dry run reads the accounts as of its day: Alpaca's present always, an `exchange serve` not before a day it
    // has traded an account into — that one is asked
    const candidates = sending
      ? configs.filter((a) => a.credentials !== undefined)
      : configs.filter((a) => a.credentials !== undefined && a.baseUrl !== undefined && !LiveGuard.isAlpacaUrl(a.baseUrl))
    if (candidates.length === 0) return
    // loaded (and provided by RoutedBrokers) only when an account has credentials, as these have
    const { AlpacaBroker } = yield* Effect.promise(() => import("@council/broker/Alpaca"))
    const alpaca = Option.getOrThrowWith(yield* Effect.serviceOption(AlpacaBroker), () => new Error("RoutedBrokers provides AlpacaBroker"))
    // the clock of the first account whose key is not refused: one account's revoked key (401) fails that account
    // alone, at its own reads in the run, not every account's day; every key refused, the first account's refusal
    const { account: onAlpaca, read } = yield* firstUnrefused(candidates, (account) =>
      Effect.flatMap(alpaca.get(account.id), (broker) => broker.getClock))
    if (!sending) {
      if (read._tag === "Failure" && read.failure.reason === "InvalidRequest") {
        return yield* CliFailure.usage(
          `cannot read ${day} at ${onAlpaca.id}'s broker, even for a dry run: it refused: ${read.failure.message} (a replay without --from reads that day's run from its recordings instead)`
        )
      }
      return
    }
    // named as the user configured it: Alpaca, or the host of another Alpaca-compatible server (`exchange serve`)
    const where = onAlpaca.baseUrl === undefined || LiveGuard.isAlpacaUrl(onAlpaca.baseUrl) ? "Alpaca" : new URL(onAlpaca.baseUrl).host
    if (read._tag === "Failure") {
      const e = read.failure
      // an `exchange serve` refuses (422) a moment before one the account has traded up to: refused up front too
      return yield* e.reason === "InvalidRequest"
        ? CliFailure.usage(`refusing to send orders for ${day} to ${onAlpaca.id}: its broker refused: ${e.message}`)
        : CliFailure.failed(`cannot read the clock of ${where} for ${onAlpaca.id}: ${e.message}`)
    }
    const session = read.success.timestamp.slice(0, 10)
    if (session !== day) {
      return yield* CliFailure.usage(
        `refusing to send orders for ${day} to ${where}: its current session is ${session} (use --dry-run, or replay a past day)`
      )
    }
  })

/**
 * `read` for each of `candidates` in turn until one is not refused for its key (`Unauthorized`: 401, or Alpaca's
 * bare 403): the account, and what its read gave. Every key refused: the first account, with its refusal. The
 * market's clock and calendar are the same at every account of a broker, so whose key reads them does not matter —
 * only that one revoked key does not stop the accounts whose keys work.
 */
export const firstUnrefused = <A extends { readonly id: AccountId }, B, R>(
  candidates: ReadonlyArray<A>,
  read: (account: A) => Effect.Effect<B, BrokerError, R>
) =>
  Effect.gen(function*() {
    let first: { readonly account: A; readonly read: Result.Result<B, BrokerError> } | undefined
    for (const account of candidates) {
      const result = yield* Effect.result(read(account))
      if (result._tag === "Success" || result.failure.reason !== "Unauthorized") return { account, read: result }
      first ??= { account, read: result }
    }
    return first ?? (yield* Effect.die(new Error("firstUnrefused: no candidate")))
  })

/**
 * Under the day's lock, before a run that sends: another day's run in progress on one of `accounts` that lives on
 * the in-process exchange is refused (exit 2). Positions carry across days there, so of two days run at once the
 * one whose orders come second in time but first in days would be refused at send time, part-way, and
 * `ensureLocalTradableDay` cannot see a run that has not traded yet. Each run takes its day's lease before it
 * looks, so of two starting together at least one sees the other. A lease not yet naming its run counts for every
 * account.
 */
export const ensureNoOtherDayRunning = (day: TradingDay, accounts: ReadonlyArray<AccountProfile>) =>
  Effect.gen(function*() {
    const { all } = yield* TradingAccounts
    const local = all.filter((a) => a.credentials === undefined && accounts.some((p) => p.id === a.id)).map((a) => a.id)
    if (local.length === 0) return
    const held = yield* liveHolders.pipe(Effect.mapError((e) => CliFailure.failed(`cannot read the run leases: ${e.message}`)))
    const now = Date.now()
    for (const { holder, key } of held) {
      if (!key.startsWith("daily:") || key === `daily:${day}`) continue
      const runId = holder.runId
      const run = runId === null ? Option.none() : yield* RunStore.use((s) => s.getRun(RunId.make(runId))).pipe(Effect.orElseSucceed(() => Option.none()))
      const theirs = Option.flatMap(run, (r) => Schema.decodeUnknownOption(RunAccounts)(r.params))
      const shared = Option.match(theirs, { onNone: () => local, onSome: (p) => local.filter((a) => p.accounts.some((x) => x.id === a)) })
      if (shared.length === 0) continue
      return yield* CliFailure.usage(
        `${key.slice("daily:".length)} is being run by ${describeHolder(holder, now)} and trades ${shared.join(", ")} on the local exchange too; positions carry across days, so ${day} waits: try again when it is done`
      )
    }
  })

/**
 * Of `accounts`, those the live book of the ledger holds a snapshot of at a session after `day`: a reading of them
 * now is of a later session (the ledger's cursors moved past `day`), so `day`'s snapshot of them can no longer be taken.
 */
export const snapshotsAfter = (day: TradingDay, accounts: ReadonlyArray<AccountId>) =>
  Effect.gen(function*() {
    if (accounts.length === 0) return []
    const rows = yield* TradeLedger.use((ledger) => ledger.equity({ book: liveBook, from: day })).pipe(
      Effect.mapError((e) => CliFailure.failed(`cannot read the ledger: ${e.message}`))
    )
    return accounts.filter((a) => rows.some((row) => row.session > day && row.account === a))
  })

/** The first of `accounts` the live book of the ledger holds a snapshot of at a session after `day` that `point` cannot precede (`markedBy`). */
const recordedAfter = (day: TradingDay, accounts: ReadonlyArray<AccountId>, point: Calendar.SessionPoint) =>
  Effect.gen(function*() {
    const rows = yield* TradeLedger.use((ledger) => ledger.equity({ book: liveBook, from: day })).pipe(
      Effect.mapError((e) => CliFailure.failed(`cannot read the ledger: ${e.message}`))
    )
    return rows.find((row) => row.session > day && accounts.includes(row.account) && !markedBy(row.markedAt, point))
  })

/**
 * Whether a snapshot marked at `markedAt` shows the account as it stood no later than `point`: a reconciliation
 * before a session's open is filed under that session but marked at the close before, which an after-close run of
 * that close may still follow (its orders fill at the open after the snapshot). Unknown (no moment): not.
 */
const markedBy = (markedAt: string | null, point: Calendar.SessionPoint): boolean => {
  const marked = markedAt === null ? undefined : parseMoment(markedAt)
  return marked !== undefined && !isBefore(Calendar.momentOfPoint(point), marked)
}

/**
 * Fails when an account a recorded run was decided for (`profiles`, from its parameters) is configured here in
 * another mode: a run decided for a PAPER account never sends to a LIVE one of the same name, nor the reverse
 * (approving it, resuming or retrying its day, or a fork that sends). No request is made.
 */
export const ensureSameModes = (profiles: ReadonlyArray<AccountProfile>) =>
  Effect.gen(function*() {
    const { all } = yield* TradingAccounts
    for (const profile of profiles) {
      const mode = all.find((a) => a.id === profile.id)?.mode
      if (mode !== undefined && mode !== profile.mode) {
        return yield* CliFailure.usage(
          `${profile.id} was decided as a ${profile.mode} account but is configured ${mode} here: nothing is sent (restore the configuration the run was decided with, or decide anew)`
        )
      }
    }
  })

/** Fails naming the accounts of `profiles` that are not configured here (a run or bundle from another setup). */
export const ensureConfigured = (profiles: ReadonlyArray<AccountProfile>, what: string) =>
  Effect.gen(function*() {
    const { all } = yield* TradingAccounts
    const missing = profiles.filter((p) => !all.some((a) => a.id === p.id)).map((p) => p.id)
    if (missing.length > 0) {
      return yield* CliFailure.usage(`${what} trades ${missing.join(", ")}, which ${missing.length === 1 ? "is" : "are"} not configured here`)
    }
  })
