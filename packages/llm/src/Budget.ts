/**
 * Spend limits for LLM calls: per run (`COUNCIL_LLM_BUDGET_USD`) and per calendar month
 * (`COUNCIL_LLM_BUDGET_USD_MONTH`, UTC months, summed from the `SpendLedger`).
 *
 * **When to use**: `ask` calls `reserve` before every LLM request and `settle` after it. A call whose worst case
 * (its estimated input plus its maximum output, at the model's prices) could take spending past a limit is not
 * made: `reserve` fails with `LlmBudgetExceeded`, which the stages do not catch, so the run fails before any order
 * is placed.
 *
 * **Details**
 * - Concurrent calls reserve their worst case atomically, so five PMs asking at once cannot jointly overrun.
 * - `settle` charges what the usage cost; when usage is unknown (the call timed out or the connection broke
 *   after it was sent) the worst case is charged, marked estimated.
 * - The run and stage come from the current `RunContext` (outside a run: `-`).
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
import type { Purpose, TokenUsage } from "./Exchange.ts"
import { costOf, formatUsd, type ModelPrice, type PriceTable, worstCaseOf } from "./Prices.ts"
import { SpendLedger } from "./SpendLedger.ts"

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
    const scope = this.budget === "COUNCIL_LLM_BUDGET_USD" ? "this run" : "this month"
    const inFlight = this.inFlightUsd > 0 ? ` (+${formatUsd(this.inFlightUsd)} in flight)` : ""
    return `LLM budget ${this.budget}=${this.limitUsd} would be exceeded: ${formatUsd(this.spentUsd)} spent in ${scope}${inFlight}, and ${this.actor}'s ${this.purpose} call to ${this.model} could cost up to ${formatUsd(this.callUsd)}; the call was not made and no orders are placed`
  }
}

export interface BudgetLimits {
  readonly perRunUsd: number | null
  readonly perMonthUsd: number | null
}

export interface CallEstimate {
  readonly actor: string
  readonly purpose: Purpose
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
  readonly stage: string
  readonly month: string
}

export interface BudgetShape {
  readonly reserve: (call: CallEstimate) => Effect.Effect<Reservation, LlmBudgetExceeded | StoreError>
  /** `usage: null` when unknown: the worst case is charged. */
  readonly settle: (reservation: Reservation, usage: TokenUsage | null) => Effect.Effect<Settled, StoreError>
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

const make = (prices: PriceTable, limits: BudgetLimits) =>
  Effect.gen(function*() {
    const ledger = yield* SpendLedger
    const lock = yield* Semaphore.make(1)
    const runTotals = new Map<string, number>()
    const monthTotals = new Map<string, number>()
    let inFlight = 0

    const cached = (map: Map<string, number>, key: string, load: Effect.Effect<number, StoreError>) =>
      map.has(key) ? Effect.succeed(map.get(key)!) : Effect.tap(load, (total) => Effect.sync(() => map.set(key, total)))

    const reserve = (call: CallEstimate) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const context = yield* Effect.serviceOption(RunContext)
        const runId = Option.match(context, { onNone: () => "-", onSome: (c) => c.runId })
        const stage = Option.match(context, { onNone: () => "-", onSome: (c) => c.stage })
        const month = monthOf(yield* Clock.currentTimeMillis)
        const price = prices.models[call.model]
        const worstCaseUsd = price === undefined ? 0 : worstCaseOf(price, call.inputTokens, call.maxOutputTokens)
        const exceeded = (budget: BudgetName, limitUsd: number, spentUsd: number) =>
          new LlmBudgetExceeded({
            budget,
            limitUsd,
            spentUsd,
            inFlightUsd: inFlight,
            callUsd: worstCaseUsd,
            actor: call.actor,
            purpose: call.purpose,
            model: call.model
          })
        if (limits.perRunUsd !== null) {
          const spent = yield* cached(runTotals, runId, ledger.runTotal(runId))
          if (spent + inFlight + worstCaseUsd > limits.perRunUsd) {
            return yield* exceeded("COUNCIL_LLM_BUDGET_USD", limits.perRunUsd, spent)
          }
        }
        if (limits.perMonthUsd !== null) {
          const spent = yield* cached(monthTotals, month.from, ledger.totalBetween(month.from, month.to))
          if (spent + inFlight + worstCaseUsd > limits.perMonthUsd) {
            return yield* exceeded("COUNCIL_LLM_BUDGET_USD_MONTH", limits.perMonthUsd, spent)
          }
        }
        inFlight += worstCaseUsd
        return { call, worstCaseUsd, price, runId, stage, month: month.from } satisfies Reservation
      }))

    const settle = (reservation: Reservation, usage: TokenUsage | null) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const price = reservation.price
        const costUsd = price === undefined ? 0 : usage === null ? reservation.worstCaseUsd : costOf(price, usage)
        const estimated = usage === null && costUsd > 0
        inFlight = Math.max(0, inFlight - reservation.worstCaseUsd)
        if (runTotals.has(reservation.runId)) runTotals.set(reservation.runId, runTotals.get(reservation.runId)! + costUsd)
        if (monthTotals.has(reservation.month)) monthTotals.set(reservation.month, monthTotals.get(reservation.month)! + costUsd)
        yield* ledger.record({
          runId: reservation.runId,
          stage: reservation.stage,
          actor: reservation.call.actor,
          purpose: reservation.call.purpose,
          model: reservation.call.model,
          costUsd,
          estimated,
          at: new Date(yield* Clock.currentTimeMillis).toISOString()
        })
        return { costUsd, estimated } satisfies Settled
      }))

    return { reserve, settle } satisfies BudgetShape
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
