/**
 * Price indicators over an ascending series of closes, as used by the offline portfolio managers.
 *
 * **When to use**: rule-based pitches and their thesis numbers. Every function looks only at the end of the
 * series (the as-of day and before) and returns `undefined` when the series is too short, never a guess.
 *
 * **Gotchas**: returns are simple returns; volatility is the sample standard deviation of daily simple returns,
 * annualised with √252.
 *
 * @since 0.1.0
 */

export const TRADING_DAYS_PER_YEAR = 252

/** Return over the last `sessions` sessions: `close[t] / close[t - sessions] - 1`. */
export const change = (closes: ReadonlyArray<number>, sessions: number): number | undefined => {
  const n = closes.length
  if (n <= sessions) return undefined
  return closes[n - 1]! / closes[n - 1 - sessions]! - 1
}

/** Simple moving average of the last `sessions` closes. */
export const sma = (closes: ReadonlyArray<number>, sessions: number): number | undefined => {
  const n = closes.length
  if (sessions < 1 || n < sessions) return undefined
  let sum = 0
  for (let i = n - sessions; i < n; i++) sum += closes[i]!
  return sum / sessions
}

/** Sample standard deviation of the last `sessions` daily returns (not annualised). */
export const dailyVolatility = (closes: ReadonlyArray<number>, sessions: number): number | undefined => {
  const n = closes.length
  if (sessions < 2 || n < sessions + 1) return undefined
  const returns: Array<number> = []
  for (let i = n - sessions; i < n; i++) returns.push(closes[i]! / closes[i - 1]! - 1)
  const mean = returns.reduce((a, b) => a + b, 0) / sessions
  const variance = returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (sessions - 1)
  return Math.sqrt(variance)
}

/** `dailyVolatility` annualised with √252. */
export const annualisedVolatility = (closes: ReadonlyArray<number>, sessions: number): number | undefined => {
  const daily = dailyVolatility(closes, sessions)
  return daily === undefined ? undefined : daily * Math.sqrt(TRADING_DAYS_PER_YEAR)
}

/** Lowest close of the last `sessions` closes. */
export const lowest = (closes: ReadonlyArray<number>, sessions: number): number | undefined =>
  closes.length < sessions || sessions < 1 ? undefined : Math.min(...closes.slice(closes.length - sessions))

/** Highest close of the last `sessions` closes. */
export const highest = (closes: ReadonlyArray<number>, sessions: number): number | undefined =>
  closes.length < sessions || sessions < 1 ? undefined : Math.max(...closes.slice(closes.length - sessions))
