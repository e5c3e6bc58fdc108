/**
 * The sessions of a leaderboard's span it leaves out, and why (`UnrecordedSessions`, `unrecordedOf`): no run those
 * days, a run that could not read some accounts, or no benchmark close.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { MarketData } from "@council/market"
import type * as Leaderboard from "./Leaderboard.ts"

/**
 * The sessions of a leaderboard's span (`from` … `to`) it leaves out: no run those days (the machine was off, the
 * runs were refused), a run that could not read some accounts (the note names the day and the accounts), or no
 * benchmark close; each return across them spans several sessions, which the annualized figures count as one.
 * `note` says so in a sentence (the CLI prints it below the table, the dashboard below its leaderboard).
 */
export const UnrecordedSessions = Schema.Struct({
  missing: Schema.Finite.annotate({ description: "the sessions of the span with no snapshot" }),
  sessions: Schema.Finite.annotate({ description: "the sessions of the span, `from` … `to` included, recorded or not (not daily returns)" }),
  from: Schema.String,
  to: Schema.String,
  note: Schema.String
})
export type UnrecordedSessions = typeof UnrecordedSessions.Type

/** Who has a value on which session: each account's snapshots and the benchmark's closes. */
export interface Coverage {
  readonly accounts: ReadonlyArray<{ readonly account: string; readonly series: ReadonlyArray<{ readonly date: string }> }>
  readonly benchmark: { readonly name: string; readonly closes: ReadonlyArray<{ readonly date: string }> }
}

/**
 * Why `missing` sessions of the span are not the leaderboard's: no account has a snapshot (no run those days), some
 * have one and others not (that day's run could not read those accounts), or every account has one and the
 * benchmark no close. `null` when no session is missing.
 */
const whyMissing = (sessions: ReadonlyArray<string>, coverage: Coverage, one: boolean): string | null => {
  const dated = coverage.accounts.map((a) => ({ account: a.account, dates: new Set(a.series.map((p) => p.date)) }))
  const closes = new Set(coverage.benchmark.closes.map((c) => c.date))
  const unread: Array<string> = []
  let noRun = 0
  let noClose = 0
  for (const day of sessions) {
    const absent = dated.filter((a) => !a.dates.has(day)).map((a) => a.account)
    if (absent.length === dated.length) noRun++
    else if (absent.length > 0) unread.push(`${day} ${absent.join(", ")}`)
    else if (!closes.has(day)) noClose++
  }
  if (noRun + unread.length + noClose === 0) return null
  if (unread.length === 0 && noClose === 0) return one ? "has no snapshot (no run that day)" : "have no snapshot (no run those days)"
  const shown = unread.slice(0, 3).join("; ") + (unread.length > 3 ? `; ${unread.length - 3} more` : "")
  const parts = [
    noRun > 0 ? `${noRun} with no run` : "",
    unread.length > 0 ? `${unread.length} whose run could not read an account: ${shown}` : "",
    noClose > 0 ? `${noClose} without a ${coverage.benchmark.name} close` : ""
  ]
  return `${one ? "is" : "are"} missing from it (${parts.filter((part) => part !== "").join("; ")})`
}

/** What `UnrecordedSessions` says of `board`'s span; `null` when every session has a snapshot or the market data cannot say (it only informs). */
export const unrecordedOf = (board: Leaderboard.Leaderboard, coverage: Coverage): Effect.Effect<UnrecordedSessions | null, never, MarketData> =>
  Effect.gen(function*() {
    const sessions = yield* MarketData.use((m) => m.sessions(board.from, board.to))
    const missing = sessions.length - (board.sessions + 1)
    if (missing <= 0) return null
    const why = whyMissing(sessions, coverage, missing === 1) ?? (missing === 1 ? "has no snapshot" : "have no snapshot")
    return {
      missing,
      sessions: sessions.length,
      from: board.from,
      to: board.to,
      note: `${missing} of the ${sessions.length} sessions from ${board.from} to ${board.to} ${why}; a return across ${missing === 1 ? "it" : "them"} spans several sessions and counts as one (N), so annualized return, volatility and Sharpe are not those of ${sessions.length - 1} daily returns`
    }
  }).pipe(Effect.orElseSucceed(() => null))
