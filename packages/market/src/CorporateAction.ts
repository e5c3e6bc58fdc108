/**
 * Splits and cash dividends, as a remote feed reports them, and what they do to a holding.
 *
 * **When to use**: `MarketData.corporateActions` answers these; the local exchange applies them to its accounts
 * (`@council/exchange` `CorporateActions`) and the benchmark and baselines value a buy-and-hold with `holdingValues`,
 * so both follow one convention.
 *
 * **The convention** (raw prices everywhere):
 * - Bars are the prices that traded (unadjusted). An action takes effect before the open of its **ex-date**, the
 *   first session the price reflects it, and is known only from that date on.
 * - A split of `newRate` for `oldRate` multiplies shares by `newRate / oldRate` (2:1 → × 2; 1:8 reverse → ÷ 8) and
 *   divides the cost per share by the same; fractional shares stay (Alpaca pays fractional shares since 2021, no
 *   cash in lieu).
 * - A cash dividend of `cash` a share is credited on the ex-date to the shares held at the close before it (a
 *   short pays it): the price drops by about the dividend that morning, so crediting then keeps equity continuous
 *   (the pay date comes weeks later; crediting then would show a dip that is not a loss).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Ticker, TradingDay } from "@council/domain"

export const Split = Schema.Struct({
  kind: Schema.Literal("split"),
  symbol: Ticker,
  exDate: TradingDay,
  /** Shares after, for `oldRate` before (2:1 is `newRate` 2, `oldRate` 1; a 1:8 reverse split `newRate` 1, `oldRate` 8). */
  newRate: Schema.Finite,
  oldRate: Schema.Finite
})
export type Split = typeof Split.Type

export const CashDividend = Schema.Struct({
  kind: Schema.Literal("dividend"),
  symbol: Ticker,
  exDate: TradingDay,
  /** Dollars a share (of the shares after any split of the same ex-date). */
  cash: Schema.Finite
})
export type CashDividend = typeof CashDividend.Type

export const CorporateAction = Schema.Union([Split, CashDividend])
export type CorporateAction = typeof CorporateAction.Type

/** Shares after a split for each share before. */
export const splitRatio = (split: Split): number => split.newRate / split.oldRate

/** Why an action cannot be applied (a ratio that is not positive, a negative dividend), if it cannot. */
export const actionProblem = (action: CorporateAction): string | undefined =>
  action.kind === "split"
    ? action.newRate > 0 && action.oldRate > 0 ? undefined : `split ratio ${action.newRate}:${action.oldRate}`
    : action.cash >= 0
    ? undefined
    : `dividend of ${action.cash}`

/** A stable key of an action: what the exchange stores it under, so it is applied once. */
export const actionKey = (action: CorporateAction): string =>
  action.kind === "split"
    ? `split ${action.symbol} ${action.exDate} ${action.newRate}:${action.oldRate}`
    : `dividend ${action.symbol} ${action.exDate} ${action.cash}`

/** Splits first, then dividends (a dividend of a split's ex-date is per share after the split), then by symbol. */
export const actionOrder = (a: CorporateAction, b: CorporateAction): number =>
  a.exDate !== b.exDate
    ? (a.exDate < b.exDate ? -1 : 1)
    : a.kind !== b.kind
    ? (a.kind === "split" ? -1 : 1)
    : actionKey(a) < actionKey(b)
    ? -1
    : actionKey(a) > actionKey(b)
    ? 1
    : 0

/** One share of a symbol bought at the start, on a later date: the shares it became and the dividends it paid. */
export interface Holding {
  readonly shares: number
  readonly cash: number
}

/** The holding's value at `price` (a raw price of its date). */
export const valueAt = (holding: Holding, price: number): number => holding.shares * price + holding.cash

/**
 * One share of `symbol` bought on the first of `dates` (ascending), on each of them: splits change the shares,
 * dividends add cash (kept, not reinvested), as the exchange applies them to an account. An action applies on the
 * first date on or after its ex-date, never on the first date (what is bought then is bought after it).
 * Without actions every holding is one share and no cash, so `valueAt` gives the price back.
 */
export const holdings = (
  dates: ReadonlyArray<TradingDay>,
  actions: ReadonlyArray<CorporateAction>,
  symbol: Ticker
): ReadonlyArray<Holding> => {
  const mine = actions.filter((a) => a.symbol === symbol).sort(actionOrder)
  let shares = 1
  let cash = 0
  let next = 0
  while (next < mine.length && dates.length > 0 && mine[next]!.exDate <= dates[0]!) next++
  return dates.map((date) => {
    while (next < mine.length && mine[next]!.exDate <= date) {
      const action = mine[next++]!
      if (action.kind === "split") shares *= splitRatio(action)
      else cash += shares * action.cash
    }
    return { shares, cash }
  })
}
