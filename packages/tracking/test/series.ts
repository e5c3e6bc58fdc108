import { TradingDay } from "@council/domain"
import type { Metrics } from "@council/tracking"
import { Prng } from "@council/tracking"

/** `count` weekdays from 2024-01-02 (holidays do not matter here). */
export const weekdays = (count: number): Array<TradingDay> => {
  const out: Array<TradingDay> = []
  for (let t = Date.parse("2024-01-02T00:00:00Z"); out.length < count; t += 86_400_000) {
    const d = new Date(t)
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(TradingDay.make(d.toISOString().slice(0, 10)))
  }
  return out
}

/** An equity series over weekdays from its values. */
export const seriesOf = (equity: ReadonlyArray<number>): Array<Metrics.EquityPoint> => {
  const dates = weekdays(equity.length)
  return equity.map((value, i) => ({ date: dates[i]!, equity: value }))
}

/** Equity from 100 compounding `returns`. */
export const compound = (returns: ReadonlyArray<number>, start = 100): Array<number> => {
  const out = [start]
  for (const r of returns) out.push(out[out.length - 1]! * (1 + r))
  return out
}

/** `n` i.i.d. normal daily returns with mean `mu` and standard deviation `sigma`. */
export const normalReturns = (n: number, mu: number, sigma: number, seed: string | number): Array<number> => {
  const prng = Prng.make(seed)
  return Array.from({ length: n }, () => mu + sigma * prng.normal())
}
