/**
 * A remote feed's corporate actions, fetched lazily and kept: the part of `RemoteBars` that answers
 * `MarketData.corporateActions`.
 *
 * **When to use**: `RemoteBars.make` builds one per feed over its provider's `corporateActions`.
 *
 * **Gotchas**
 * - Like the bars, the feed keeps one contiguous range of ex-dates it has asked about and widens it on demand, and
 *   a range asked is fetched through `horizon` (today): a backtest's sessions ask day by day, and
 *   Polygon's two calls a symbol would otherwise come every session. What lies past the question is kept, never
 *   answered. Nothing is fetched until the first question (the bars alone never call it).
 * - The caller clips the range to today (an action is known from its ex-date on); actions dated outside the asked range, of symbols outside
 *   the universe, or that cannot be applied (`CorporateAction.actionProblem`) are dropped, the last with a warning.
 * - A provider reports an action once; the same action reported twice (two pages, two endpoints) is kept once.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Semaphore from "effect/Semaphore"
import type { Ticker, TradingDay } from "@council/domain"
import * as BarIndex from "./BarIndex.ts"
import { type CorporateAction, actionKey, actionOrder, actionProblem } from "./CorporateAction.ts"
import type { MarketDataError } from "./MarketData.ts"

/** The provider's actions of `symbols` with an ex-date in `[from, to]`. */
export type FetchActions = (
  symbols: ReadonlyArray<Ticker>,
  from: TradingDay,
  to: TradingDay
) => Effect.Effect<ReadonlyArray<CorporateAction>, MarketDataError>

const shift = (day: TradingDay, days: number): TradingDay =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10) as TradingDay

/**
 * `(from, to) => actions with an ex-date in [from, to]`, ordered (`actionOrder`), fetching only the days not asked
 * before. Without `fetch` (a provider without corporate actions) every answer is empty.
 */
export const make = Effect.fnUntraced(function*(options: {
  readonly provider: string
  readonly symbols: ReadonlyArray<Ticker>
  readonly fetch: FetchActions | undefined
  /** Today (New York): ranges are fetched up to it. */
  readonly horizon: Effect.Effect<TradingDay>
}) {
  const { fetch } = options
  const lock = yield* Semaphore.make(1)
  const universe = new Set<string>(options.symbols)
  let range: { readonly from: TradingDay; readonly to: TradingDay } | undefined
  const known = new Map<string, CorporateAction>()

  const fetchGap = (from: TradingDay, to: TradingDay) =>
    fetch === undefined ? Effect.void : Effect.gen(function*() {
      for (const action of yield* fetch(options.symbols, from, to)) {
        if (!universe.has(action.symbol) || (BarIndex.isCalendarDate(action.exDate) && (action.exDate < from || action.exDate > to))) continue
        const problem = BarIndex.isCalendarDate(action.exDate) ? actionProblem(action) : `ex-date "${action.exDate}"`
        if (problem !== undefined) {
          yield* Effect.logWarning(`${options.provider}: the ${action.symbol} action of ${action.exDate} cannot be applied (${problem}); dropped`)
          continue
        }
        known.set(actionKey(action), action)
      }
    })

  const ensure = (from: TradingDay, asked: TradingDay) =>
    lock.withPermits(1)(Effect.gen(function*() {
      const horizon = yield* options.horizon
      const to = asked > horizon ? asked : horizon
      if (range === undefined) {
        yield* fetchGap(from, to)
        range = { from, to }
        return
      }
      if (asked <= range.to && from >= range.from) return
      if (from < range.from) {
        yield* fetchGap(from, shift(range.from, -1))
        range = { from, to: range.to }
      }
      if (to > range.to) {
        yield* fetchGap(shift(range.to, 1), to)
        range = { from: range.from, to }
      }
    }))

  return (from: TradingDay, to: TradingDay): Effect.Effect<ReadonlyArray<CorporateAction>, MarketDataError> =>
    from > to ? Effect.succeed([]) : Effect.map(
      ensure(from, to),
      () => [...known.values()].filter((a) => a.exDate >= from && a.exDate <= to).sort(actionOrder)
    )
})
