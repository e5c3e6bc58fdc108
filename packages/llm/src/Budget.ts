/**
 * Spend limits for LLM calls: per run (`COUNCIL_LLM_BUDGET_USD`) and per calendar month
 * (`COUNCIL_LLM_BUDGET_USD_MONTH`, UTC months, summed from the `SpendLedger`).
 *
 * **When to use**: `ask` calls `reserve` before every LLM request and `settle` after it. A call whose worst case
 * (a ceiling on its input, `Prices.estimateTokens`, plus its maximum output, at the model's dearest input price and
 * its output price) could take spending past a limit is not made: `reserve` fails with `LlmBudgetExceeded`, which
 * the stages do not catch, so the run fails before any order is placed. A call made then costs at most what it
 * reserved (the provider holds its output, reasoning included, to `maxOutputTokens`), and the limit holds.
 *
 * **Details**
 * - Concurrent calls reserve their worst case atomically, so five PMs asking at once cannot jointly overrun; nor can
 *   two processes on one database: the check and the reservation's row are one `SpendLedger.exclusively` step (one
 *   `BEGIN IMMEDIATE` transaction on SQLite, an advisory lock on PostgreSQL). A call that fits the limit only once
 *   this process's calls under way are charged what they cost waits for them to settle (interruptibly) instead of
 *   failing the run: the worst cases of five parallel pitches can exceed a budget their costs fit many times. It
 *   never waits for calls waiting for room themselves (two retries would wait for each other until their deadline):
 *   a call that could only wait for those is refused at once.
 * - The reservation is written to the `SpendLedger` at once (the worst case, marked estimated): a call under way
 *   when the process dies, or whose stage attempt is dropped and retried, stays charged. A retry after a request
 *   the provider may have billed reserves another worst case (`reserveRetry`).
 * - `settle` charges what the usage cost; each request whose usage is unknown (it timed out, the connection broke
 *   after it was sent, a 2xx answer said none) is charged the worst case, marked estimated.
 * - `reserve`, `reserveRetry` and `settle` are not interruptible: a reservation written is returned, so its caller
 *   can settle it. `ask` settles an interrupted call (a deadline, Ctrl-C) to what its sent requests may cost: a
 *   request never sent costs nothing. Only a process killed outright leaves a reservation at its worst case.
 * - The run, its session and the stage come from the current `RunContext` (outside a run: `-`), a backtest's
 *   book from `SpendBook`: the per-run limit sums that book's run only. Outside a run (`verify`'s questions) the
 *   per-run limit sums this process's calls: every verify ever made is recorded under `-`, and what earlier ones
 *   spent is not this one's (it would refuse every question once they added up to the limit).
 * - `layerUnlimited` prices nothing and limits nothing: for tests and offline runs.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import { RunContext, type StoreError } from "@council/engine"
import { type BudgetRoom, make as makeRoom, type RunRef, runKey, type Waiter } from "./BudgetRoom.ts"
import type { Purpose, TokenUsage } from "./Exchange.ts"
import { costOf, formatUsd, type ModelPrice, type PriceTable, worstCaseOf } from "./Prices.ts"
import { SpendBook, type SpendEntry, SpendLedger } from "./SpendLedger.ts"

export const BudgetName = Schema.Literals(["COUNCIL_LLM_BUDGET_USD", "COUNCIL_LLM_BUDGET_USD_MONTH"])
export type BudgetName = typeof BudgetName.Type

export class LlmBudgetExceeded extends Schema.TaggedError<LlmBudgetExceeded>()("LlmBudgetExceeded", {
  budget: BudgetName,
  limitUsd: Schema.Finite,
  spentUsd: Schema.Finite,
  inFlightUsd: Schema.Finite,
  callUsd: Schema.Finite,
  actor: Schema.String,
  purpose: Schema.String,
  model: Schema.String
}) {
  override get message() {
    const verify = this.purpose === "verify"
    const scope = this.budget === "COUNCIL_LLM_BUDGET_USD" ? verify ? "this verify" : "this run" : "this month"
    const inFlight = this.inFlightUsd > 0 ? ` (+${formatUsd(this.inFlightUsd)} in flight)` : ""
    // verify places no orders in any case
    return `LLM budget ${this.budget}=${this.limitUsd} would be exceeded: ${formatUsd(this.spentUsd)} spent in ${scope}${inFlight}, and ${this.actor}'s ${this.purpose} call to ${this.model} could cost up to ${formatUsd(this.callUsd)}; the call was not made${verify ? "" : " and no orders are placed"}`
  }
}

export interface BudgetLimits {
  readonly perRunUsd: number | null
  readonly perMonthUsd: number | null
}

export interface CallEstimate {
  readonly actor: string
  /** `verify` for the probe `verify` sends outside any run. */
  readonly purpose: Purpose | "verify"
  /** `provider:model-id`. */
  readonly model: string
  readonly inputTokens: number
  readonly maxOutputTokens: number
}

export interface Reservation {
  readonly call: CallEstimate
  readonly worstCaseUsd: number
  readonly price: ModelPrice | undefined
  readonly runId: string
  /** The backtest's book of the run (`SpendBook`); undefined for the live book. */
  readonly book: string | undefined
  readonly stage: string
  readonly month: string
  /** The call's row in the `SpendLedger`. */
  readonly entry: number
}

/**
 * What the requests of a reserved call cost: the usage they reported, and how many may have been billed
 * without reporting any (a timeout, a connection dropped after sending, a 2xx answer without usage), each
 * charged the call's worst case.
 */
export interface Charge {
  readonly usage: TokenUsage | null
  readonly unknownRequests: number
}

export interface BudgetShape {
  /** Checks the limits and writes the call's worst case to the ledger before it is sent. */
  readonly reserve: (call: CallEstimate) => Effect.Effect<Reservation, LlmBudgetExceeded | StoreError>
  /**
   * One more request for a reserved call (a retry after a request the provider may have billed): its worst case
   * is checked against the limits and reserved too, or the retry is not sent.
   */
  readonly reserveRetry: (reservation: Reservation) => Effect.Effect<void, LlmBudgetExceeded | StoreError>
  /** Charges what the call's requests cost (`usage: null`: one request of unknown usage, the worst case). */
  readonly settle: (reservation: Reservation, charge: TokenUsage | Charge | null) => Effect.Effect<Settled, StoreError>
}

export interface Settled {
  readonly costUsd: number
  readonly estimated: boolean
}

/** `[first day of the UTC month, first day of the next)` as ISO text. */
const monthOf = (millis: number): { readonly from: string; readonly to: string } => {
  const d = new Date(millis)
  return {
    from: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString(),
    to: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString()
  }
}

const chargeOf = (charge: TokenUsage | Charge | null): Charge =>
  charge === null
    ? { usage: null, unknownRequests: 1 }
    : "unknownRequests" in charge
    ? charge
    : { usage: charge, unknownRequests: 0 }

/** The run id of a call made outside any run (no `RunContext`: `verify`'s questions). */
const OUTSIDE_RUN = "-"

type Month = { readonly from: string; readonly to: string }

/**
 * Fails when one more `worstCaseUsd` could take the run's or the month's spending past its limit. The sums are
 * read from the ledger each time: it holds every call under way as its worst case, this process's and any
 * other's sharing the database (a backtest beside a day's run). A refusal `waiter` can wait out (it would fit
 * once this process's calls under way that can settle cost nothing) is marked so, and the waiter counted as
 * waiting (`BudgetRoom.markWaitable`).
 */
const checkLimits = (
  limits: BudgetLimits,
  room: BudgetRoom,
  totals: { readonly run: (run: RunRef) => Effect.Effect<number, StoreError>; readonly month: (month: Month) => Effect.Effect<number, StoreError> }
) =>
(call: CallEstimate, worstCaseUsd: number, run: RunRef, month: Month, waiter: Waiter) =>
  Effect.gen(function*() {
    const exceeded = (budget: BudgetName, limitUsd: number, totalUsd: number, key: string) => {
      const pending = room.held(key)
      const error = new LlmBudgetExceeded({
        budget,
        limitUsd,
        spentUsd: Math.max(0, totalUsd - pending),
        inFlightUsd: pending,
        callUsd: worstCaseUsd,
        actor: call.actor,
        purpose: call.purpose,
        model: call.model
      })
      room.markWaitable(error, key, waiter, { spentUsd: error.spentUsd, callUsd: worstCaseUsd, limitUsd })
      return error
    }
    if (limits.perRunUsd !== null) {
      const total = yield* totals.run(run)
      if (total + worstCaseUsd > limits.perRunUsd) {
        return yield* exceeded("COUNCIL_LLM_BUDGET_USD", limits.perRunUsd, total, `run:${runKey(run)}`)
      }
    }
    if (limits.perMonthUsd !== null) {
      const total = yield* totals.month(month)
      if (total + worstCaseUsd > limits.perMonthUsd) {
        return yield* exceeded("COUNCIL_LLM_BUDGET_USD_MONTH", limits.perMonthUsd, total, `month:${month.from}`)
      }
    }
  })

/** The run, stage, session and book a call is charged to: the current `RunContext` (outside a run `-`) and `SpendBook`. */
const chargedTo = Effect.gen(function*() {
  const context = yield* Effect.serviceOption(RunContext)
  return {
    runId: Option.match(context, { onNone: () => OUTSIDE_RUN, onSome: (c) => c.runId }),
    stage: Option.match(context, { onNone: () => "-", onSome: (c) => c.stage }),
    tradingDay: Option.getOrUndefined(Option.map(context, (c) => c.tradingDay)),
    book: yield* SpendBook
  }
})

/** What a settled call cost: its usage at the model's prices, plus the worst case for each request of unknown usage. */
const costOfCharge = (reservation: Reservation, charged: TokenUsage | Charge | null): Settled => {
  const { unknownRequests, usage } = chargeOf(charged)
  const price = reservation.price
  const costUsd = price === undefined ? 0 : (usage === null ? 0 : costOf(price, usage)) + unknownRequests * reservation.worstCaseUsd
  return { costUsd, estimated: unknownRequests > 0 && costUsd > 0 }
}

const isOutside = (run: RunRef) => run.runId === OUTSIDE_RUN && run.book === undefined

/** The ledger row of a call reserved at its worst case, at `now`, charged to `to`. */
const spendEntry = (call: CallEstimate, worstCaseUsd: number, to: Effect.Success<typeof chargedTo>, now: number): SpendEntry => ({
  runId: to.runId,
  stage: to.stage,
  actor: call.actor,
  purpose: call.purpose,
  model: call.model,
  costUsd: worstCaseUsd,
  estimated: worstCaseUsd > 0,
  at: new Date(now).toISOString(),
  ...(to.book === undefined ? {} : { book: to.book }),
  ...(to.tradingDay === undefined ? {} : { tradingDay: to.tradingDay })
})

/**
 * What this process's calls have under way, by ledger row: the requests reserved for each row not yet settled, and
 * what its calls outside any run are charged now (the ledger cannot sum those per run: they share the run id `-`).
 */
const makeUnderWay = () => {
  const requests = new Map<number, number>()
  const outsideRun = new Map<number, number>()
  return {
    /** Requests reserved for `entry` (1 once it is settled or unknown). */
    requests: (entry: number) => requests.get(entry) ?? 1,
    /** `entry` holds `made` requests, charged `usd` now. */
    reserved: (entry: number, run: RunRef, made: number, usd: number) => {
      requests.set(entry, made)
      if (isOutside(run)) outsideRun.set(entry, usd)
    },
    /** `entry` settled at `usd`. */
    settled: (entry: number, run: RunRef, usd: number) => {
      requests.delete(entry)
      if (isOutside(run)) outsideRun.set(entry, usd)
    },
    /** The per-run sum of this process's calls outside any run. */
    outsideRunUsd: () => [...outsideRun.values()].reduce((sum, usd) => sum + usd, 0)
  }
}

const make = (prices: PriceTable, limits: BudgetLimits) =>
  Effect.gen(function*() {
    const ledger = yield* SpendLedger
    const lock = yield* Semaphore.make(1)
    const room = makeRoom()
    const underWay = makeUnderWay()
    const check = checkLimits(limits, room, {
      run: (run) => (isOutside(run) ? Effect.sync(underWay.outsideRunUsd) : ledger.runTotal(run.runId, run.book)),
      month: (month) => ledger.totalBetween(month.from, month.to)
    })

    /**
     * Under the lock, never cut short: a reservation written to the ledger is returned (to be settled), a revision
     * is written and counted together. An interruption waits for it.
     */
    const atomically = <A, E>(effect: Effect.Effect<A, E>) => Effect.uninterruptible(lock.withPermits(1)(effect))

    const reserveNow = (call: CallEstimate, waiter: Waiter) =>
      atomically(Effect.gen(function*() {
        const to = yield* chargedTo
        const { book, runId, stage } = to
        const now = yield* Clock.currentTimeMillis
        const month = monthOf(now)
        const price = prices.models[call.model]
        const worstCaseUsd = price === undefined ? 0 : worstCaseOf(price, call.inputTokens, call.maxOutputTokens)
        const entry = yield* ledger.exclusively(
          Effect.andThen(check(call, worstCaseUsd, { runId, book }, month, waiter), ledger.record(spendEntry(call, worstCaseUsd, to, now)))
        )
        underWay.reserved(entry, { runId, book }, 1, worstCaseUsd)
        room.hold({ runId, book }, month.from, worstCaseUsd)
        return { call, worstCaseUsd, price, runId, book, stage, month: month.from, entry } satisfies Reservation
      }))

    const reserveRetryNow = (reservation: Reservation, waiter: Waiter) =>
      atomically(Effect.gen(function*() {
        const made = underWay.requests(reservation.entry)
        yield* ledger.exclusively(Effect.andThen(
          check(reservation.call, reservation.worstCaseUsd, reservation, monthOf(Date.parse(reservation.month)), waiter),
          ledger.revise(reservation.entry, { costUsd: (made + 1) * reservation.worstCaseUsd, estimated: reservation.worstCaseUsd > 0 })
        ))
        underWay.reserved(reservation.entry, reservation, made + 1, (made + 1) * reservation.worstCaseUsd)
        room.hold(reservation, reservation.month, reservation.worstCaseUsd)
      }))

    // when the limit is crossed only because this process's other calls under way count at their worst case, a call
    // waits for one of them to settle (at what it cost, usually far less) and tries again (`BudgetRoom.roomFor`)
    const reserve = (call: CallEstimate) => room.roomFor((waiter) => reserveNow(call, waiter), { usd: 0, keys: [], waiting: false })

    const reserveRetry = (reservation: Reservation) =>
      room.roomFor((waiter) => reserveRetryNow(reservation, waiter), {
        usd: underWay.requests(reservation.entry) * reservation.worstCaseUsd,
        keys: [`run:${runKey(reservation)}`, `month:${reservation.month}`],
        waiting: false
      })

    const settle = (reservation: Reservation, charged: TokenUsage | Charge | null) =>
      atomically(Effect.gen(function*() {
        const settled = costOfCharge(reservation, charged)
        const reserved = underWay.requests(reservation.entry) * reservation.worstCaseUsd
        underWay.settled(reservation.entry, reservation, settled.costUsd)
        room.hold(reservation, reservation.month, -reserved)
        yield* ledger.revise(reservation.entry, settled).pipe(Effect.ensuring(Effect.sync(room.signalChange)))
        return settled
      }))

    return { reserve, reserveRetry, settle } satisfies BudgetShape
  })

export class LlmBudget extends Context.Service<LlmBudget, BudgetShape>()("@council/llm/LlmBudget") {
  /** Prices from `prices`; limits from `limits`; spending recorded in the `SpendLedger`. */
  static readonly layer = (prices: PriceTable, limits: BudgetLimits): Layer.Layer<LlmBudget, never, SpendLedger> =>
    Layer.effect(LlmBudget, make(prices, limits))

  /** No prices, no limits, an in-memory ledger. */
  static readonly layerUnlimited: Layer.Layer<LlmBudget> = LlmBudget.layer(
    { asOf: "-", currency: "USD", models: {} },
    { perRunUsd: null, perMonthUsd: null }
  ).pipe(Layer.provide(SpendLedger.layerMemory))
}
