/**
 * Which snapshot a session's trading counts in. A snapshot's `traded` is the dollars bought plus sold in its own
 * session and in every session since the account's previous snapshot that has none (a day `run daily` skipped, a
 * stop that fired then): the trading its return spans. Nothing is dropped, and a row reads the same in every window
 * that holds it.
 *
 * **When to use**: `TradeLedger`'s `equity` and `series` (and so the CSV, the metrics' turnover, the API). A
 * backtest has a snapshot of every session: there each row's `traded` is its own session's, unchanged.
 *
 * @since 0.1.0
 */
import { decimalSum } from "@council/domain"

export interface SessionTrading {
  readonly account: string
  readonly session: string
  readonly traded: number
}

/**
 * `traded` keyed `account session` for the snapshots `rows` (sorted by account, then session), from the sessions'
 * trading `sessions`: each session's counts in the account's first snapshot on or after it, unless it is no later than
 * `before[account]` (the account's snapshot just before the window: that one holds it). A session after the account's
 * last snapshot counts nowhere yet. Sums of several sessions are the decimal they stand for (`decimalSum`).
 */
export const tradedPerSnapshot = (
  rows: ReadonlyArray<{ readonly account: string; readonly session: string }>,
  sessions: ReadonlyArray<SessionTrading>,
  before: ReadonlyMap<string, string>
): ReadonlyMap<string, number> => {
  const snapshots = new Map<string, Array<string>>()
  for (const row of rows) {
    const days = snapshots.get(row.account)
    if (days === undefined) snapshots.set(row.account, [row.session])
    else days.push(row.session)
  }
  const terms = new Map<string, Array<number>>()
  for (const s of sessions) {
    const floor = before.get(s.account)
    if (floor !== undefined && s.session <= floor) continue
    const days = snapshots.get(s.account) ?? []
    let lo = 0
    let hi = days.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (days[mid]! < s.session) lo = mid + 1
      else hi = mid
    }
    if (lo === days.length) continue
    const key = `${s.account} ${days[lo]}`
    const into = terms.get(key)
    if (into === undefined) terms.set(key, [s.traded])
    else into.push(s.traded)
  }
  return new Map([...terms].map(([key, t]) => [key, t.length === 1 ? t[0]! : decimalSum(t)]))
}
