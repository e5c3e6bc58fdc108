/**
 * The market snapshot and an account's state as prompt text: the same brief for every PM of a day.
 *
 * **When to use**: the pitch, review and chairman prompts embed `marketBrief(snapshot)`; pitch prompts add
 * `accountBrief(account)`.
 *
 * **Details**: bars dated after `snapshot.asOf` are dropped here too (no look-ahead, whatever the feed sent). A
 * snapshot taken during the session (`intraday`) says so: its last "close" is the latest price, not the close.
 * Per symbol: last close, returns over 1/5/20/60 sessions, distance from the 50- and 200-session SMAs,
 * 20-session annualised volatility, the 60-session high/low and the last `RECENT_CLOSES` closes. A value needing
 * more history than the snapshot holds is `n/a`.
 *
 * @since 0.1.0
 */
import type { AccountSnapshot, MarketSnapshot } from "@council/domain"
import * as Indicators from "./Indicators.ts"

export const RECENT_CLOSES = 10

const pct = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? "n/a" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`
const unsignedPct = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? "n/a" : `${(x * 100).toFixed(1)}%`
const px = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(2))
const usd = (x: number): string => `$${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`

const closesUpTo = (snapshot: MarketSnapshot) =>
  snapshot.history.map((h) => ({ symbol: h.symbol, closes: h.bars.filter((b) => b.date <= snapshot.asOf).map((b) => b.close) }))

const asOfLine = (snapshot: MarketSnapshot): string => {
  const intraday = snapshot.intraday
  if (intraday === undefined) return `As of the close of ${snapshot.asOf}. Nothing after that close is known.`
  const time = intraday.at.slice(11, 16)
  const last = intraday.through === "open" ? "its open" : "its latest trade"
  return `As of ${time} New York time on ${snapshot.asOf}, during the session: the last value of ${snapshot.asOf} is ${last}, not its close. Nothing after that moment is known; orders fill at the close.`
}

/** The day's market snapshot as text. */
export const marketBrief = (snapshot: MarketSnapshot): string => {
  const series = closesUpTo(snapshot)
  const table = series.map(({ symbol, closes }) => {
    const last = closes.at(-1)
    const vs = (sma: number | undefined) => (sma === undefined || last === undefined ? undefined : last / sma - 1)
    return [
      symbol,
      px(last),
      pct(Indicators.change(closes, 1)),
      pct(Indicators.change(closes, 5)),
      pct(Indicators.change(closes, 20)),
      pct(Indicators.change(closes, 60)),
      pct(vs(Indicators.sma(closes, 50))),
      pct(vs(Indicators.sma(closes, 200))),
      unsignedPct(Indicators.annualisedVolatility(closes, 20)),
      px(Indicators.highest(closes, 60)),
      px(Indicators.lowest(closes, 60))
    ].join(" | ")
  })
  const recent = series.map(({ symbol, closes }) => `${symbol}: ${closes.slice(-RECENT_CLOSES).map((c) => c.toFixed(2)).join(" ")}`)
  return [
    asOfLine(snapshot),
    `Universe: ${snapshot.universe.join(", ")}`,
    "",
    "symbol | close | 1d | 5d | 20d | 60d | vs SMA50 | vs SMA200 | vol20 (ann.) | 60d high | 60d low",
    ...table,
    "",
    `Last ${RECENT_CLOSES} closes, oldest first:`,
    ...recent
  ].join("\n")
}

/** An account's cash, positions and P&L as text; `null` → said so. */
export const accountBrief = (account: AccountSnapshot | null): string => {
  if (account === null) return "Your account's state is not available today; assume a flat book."
  const positions = account.positions.length === 0
    ? ["Positions: none (flat)."]
    : [
      "Positions:",
      ...account.positions.map((p) =>
        `- ${p.symbol}: ${p.side} ${Math.abs(p.qty)} @ avg ${px(p.avgEntryPrice)}, now ${px(p.currentPrice)}, value ${usd(p.marketValue)}, unrealized P/L ${usd(p.unrealizedPl)}`
      )
    ]
  return [
    `Your account: equity ${usd(account.equity)}, cash ${usd(account.cash)}, buying power ${usd(account.buyingPower)}.`,
    ...positions
  ].join("\n")
}
