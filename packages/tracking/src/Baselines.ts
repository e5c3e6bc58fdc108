/**
 * Paper-only accounts that an account must beat to show skill: the random-entry baseline at the account's own
 * turnover and exposure (`randomEntry`), and any target-weight strategy such as the mechanical vote
 * (`paperAccount`). Both trade through the local exchange's fill model (`@council/exchange/FillModel`: a market
 * order fills at the session's close moved by the slippage, commission per fill) — never a broker, never a second
 * price formula.
 *
 * **When to use**: `Standings` builds the baselines of a book's leaderboard and the backtest report from the
 * sessions the ledger holds; the series they return feed `Leaderboard.leaderboard` and `Leaderboard.attribution`
 * like any account's.
 *
 * **Rules**
 * - A day's orders are `day` market orders filled at that session's close moved by the slippage (as the local
 *   exchange fills a market order placed during the session, the council's under the `close` schedule). A target is
 *   a signed fraction of the equity marked at that close before trading; symbols whose target did not change keep
 *   their shares (no rebalancing drift trades).
 * - Under a fill model's `partialFillPct` below 100 an order fills as the exchange fills the compared accounts' `day`
 *   market orders (`FillModel.fillQty`): that share of it at the close (whole shares, at least one; an order under
 *   two shares whole) and the rest expires; the shares held then stay until the symbol's target changes again.
 * - A symbol without a bar on a session is neither traded nor re-marked that session (its last close stands); a
 *   change of its target then trades on its next session with a bar, to the target of that session.
 * - Equity: cash plus shares × close; gross exposure: Σ |shares × close|; traded: Σ |shares traded × fill price|.
 * - A session with `marks` (the compared accounts marked during it, before its close) is marked as they are: the
 *   cash and shares before its trades at those prices; its trades still fill at its close and count in `traded`.
 *
 * @since 0.1.0
 */
import type { Ticker, TradingDay } from "@council/domain"
import { commission, fillQty, type FillModelOptions, roundCash, roundQty, slip } from "@council/exchange/FillModel"
import type { EquityPoint } from "./Metrics.ts"
import { type BaselineDay, randomEntryTargets } from "./RandomBaseline.ts"

/** A session's closes by symbol. */
export interface PaperSession {
  readonly date: TradingDay
  readonly closes: ReadonlyMap<Ticker, number>
  /**
   * The prices of the moment the compared accounts are marked at, when it comes before the session's close (a run
   * under `close`): the session's point is then the account as it was at that moment — before the session's trades —
   * at these prices (a symbol without one at its last close). Absent: marked at the close, after the trades.
   */
  readonly marks?: ReadonlyMap<Ticker, number>
}

export interface PaperAccountInput {
  readonly startingEquity: number
  readonly sessions: ReadonlyArray<PaperSession>
  /** Per session (same dates, in order): the targets after it and the symbols to trade. */
  readonly days: ReadonlyArray<BaselineDay>
  readonly fillModel: FillModelOptions
}

/** The daily series of a paper account trading `days` through the fill model (see the module's rules). */
export const paperAccount = (input: PaperAccountInput): ReadonlyArray<EquityPoint> => {
  const shares = new Map<Ticker, number>()
  const marks = new Map<Ticker, number>()
  let cash = input.startingEquity
  const equityNow = () => cash + [...shares].reduce((sum, [symbol, qty]) => sum + qty * (marks.get(symbol) ?? 0), 0)
  /** Equity and gross exposure at `prices` (a symbol without one at its last close). */
  const valued = (prices: ReadonlyMap<Ticker, number>) => {
    let equity = cash
    let gross = 0
    for (const [symbol, qty] of shares) {
      const value = qty * (prices.get(symbol) ?? marks.get(symbol) ?? 0)
      equity += value
      gross += Math.abs(value)
    }
    return { equity, grossExposure: gross }
  }
  /** Changed symbols that had no bar when they changed: traded on their next session with one. */
  const pending = new Set<Ticker>()
  return input.sessions.map((session, t) => {
    const during = session.marks === undefined ? undefined : valued(session.marks)
    for (const [symbol, close] of session.closes) marks.set(symbol, close)
    const day = input.days[t]
    const before = equityNow()
    let traded = 0
    for (const symbol of [...new Set([...(day?.changes ?? []), ...pending])].sort()) {
      const close = session.closes.get(symbol)
      if (close === undefined) {
        pending.add(symbol)
        continue
      }
      pending.delete(symbol)
      const weight = day?.targets.find((p) => p.symbol === symbol)?.weight ?? 0
      const wanted = roundQty((weight * before) / close - (shares.get(symbol) ?? 0))
      if (wanted === 0) continue
      const side = wanted > 0 ? "buy" : "sell"
      const delta = (side === "buy" ? 1 : -1) * fillQty({ type: "market", timeInForce: "day", qty: Math.abs(wanted), filledQty: 0 }, input.fillModel)
      const price = slip(close, side, input.fillModel.slippageBps)
      cash = roundCash(cash - delta * price - commission(Math.abs(delta), input.fillModel))
      shares.set(symbol, roundQty((shares.get(symbol) ?? 0) + delta))
      traded += Math.abs(delta) * price
    }
    if (during !== undefined) return { date: session.date, ...during, traded }
    const gross = [...shares].reduce((sum, [symbol, qty]) => sum + Math.abs(qty * (marks.get(symbol) ?? 0)), 0)
    return { date: session.date, equity: equityNow(), grossExposure: gross, traded }
  })
}

export interface RandomEntryInput {
  readonly startingEquity: number
  readonly sessions: ReadonlyArray<PaperSession>
  /** The compared account's annual turnover and average exposure (`Metrics`). */
  readonly turnover: number
  readonly exposure: number
  readonly allowShort: boolean
  readonly seed: string
  readonly fillModel: FillModelOptions
}

/** The random-entry baseline at the given turnover and exposure, traded through the fill model. */
export const randomEntry = (input: RandomEntryInput): ReadonlyArray<EquityPoint> =>
  paperAccount({
    startingEquity: input.startingEquity,
    sessions: input.sessions,
    fillModel: input.fillModel,
    days: randomEntryTargets({
      sessions: input.sessions.map((s) => ({ date: s.date, symbols: [...s.closes.keys()].sort() })),
      turnover: input.turnover,
      exposure: Math.max(0, Math.min(1, input.exposure)),
      allowShort: input.allowShort,
      seed: input.seed
    })
  })
