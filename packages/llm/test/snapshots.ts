import { Ticker, TradingDay } from "@council/domain"
import type { Bar, MarketSnapshot } from "@council/domain"

/** `count` weekdays ending on 2024-12-31 (a Tuesday), ascending. */
export const weekdays = (count: number): ReadonlyArray<TradingDay> => {
  const out: Array<TradingDay> = []
  const d = new Date("2024-12-31T00:00:00Z")
  while (out.length < count) {
    const dow = d.getUTCDay()
    if (dow !== 0 && dow !== 6) out.unshift(TradingDay.make(d.toISOString().slice(0, 10)))
    d.setUTCDate(d.getUTCDate() - 1)
  }
  return out
}

const barsOf = (dates: ReadonlyArray<TradingDay>, closes: ReadonlyArray<number>): Array<Bar> =>
  closes.map((close, i) => ({
    date: dates[dates.length - closes.length + i]!,
    open: close,
    high: close * 1.005,
    low: close * 0.995,
    close,
    volume: 1_000_000
  }))

/** A snapshot as of the last close; series may be shorter than the longest (they end on the same day). */
export const snapshotOf = (closes: Readonly<Record<string, ReadonlyArray<number>>>): MarketSnapshot => {
  const longest = Math.max(...Object.values(closes).map((c) => c.length))
  const dates = weekdays(longest)
  const symbols = Object.keys(closes).sort()
  return {
    asOf: dates[dates.length - 1]!,
    universe: symbols.map((s) => Ticker.make(s)),
    history: symbols.map((s) => ({ symbol: Ticker.make(s), bars: barsOf(dates, closes[s]!) }))
  }
}

/** `n` closes from `start`, compounding `drift` per session plus an alternating ±`wiggle` (deterministic noise). */
export const path = (n: number, start: number, drift: number, wiggle = 0): Array<number> => {
  const out: Array<number> = []
  let level = start
  for (let i = 0; i < n; i++) {
    if (i > 0) level *= 1 + drift
    out.push(level * (1 + (i % 2 === 0 ? wiggle : -wiggle)))
  }
  return out
}
