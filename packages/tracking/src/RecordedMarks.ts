/**
 * The prices the ledger recorded at each (session, moment) a book's snapshots were marked at (`marksOver`), the moment
 * each session is marked at (`sessionMoments`), and the prices of the moments before a session's close
 * (`pricesBeforeClose`), which the paper baselines are marked at.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { Ticker, type TradingDay } from "@council/domain"
import { closeTimestamp } from "@council/exchange/Calendar"
import type { EquityReport } from "./StandingsModel.ts"
import { type BookId, TradeLedger } from "./TradeLedger.ts"

/** The prices recorded at each (session, moment). */
export type MarksAt = ReadonlyMap<string, Readonly<Record<string, number>>>
export const marksKey = (session: string, markedAt: string) => `${session} ${markedAt}`

/**
 * The marks an `equityReport` read, kept with the report it made: a leaderboard computed from that report (its
 * baselines need every symbol's marks, which the report keeps of SPY alone) takes them instead of reading the
 * ledger's marks again. A report that did not come from `equityReport` in this thread (decoded, built) has none.
 */
const marksRead = new WeakMap<EquityReport, MarksAt>()

/** Keeps the marks `report` was made from, for `marksOf`. */
export const rememberMarks = (report: EquityReport, marks: MarksAt): void => {
  marksRead.set(report, marks)
}

/** The marks `report` was made from, when it came from `equityReport` in this thread. */
export const marksOf = (report: EquityReport): MarksAt | undefined => marksRead.get(report)

/** The book's recorded marks over `sessions` (sorted), by session and moment. */
export const marksOver = (book: BookId, sessions: ReadonlyArray<TradingDay>) =>
  Effect.gen(function*() {
    const recorded = yield* (yield* TradeLedger).marks({ book, from: sessions[0], to: sessions.at(-1) })
    return new Map(recorded.map((m) => [marksKey(m.session, m.markedAt), m.prices])) as MarksAt
  })

/**
 * The moment each session is marked at: COUNCIL's snapshot's, else the latest any account's snapshot recorded;
 * sessions without one are absent.
 */
export const sessionMoments = (rows: ReadonlyArray<{ readonly account: string; readonly session: TradingDay; readonly markedAt: string | null }>): ReadonlyMap<TradingDay, string> => {
  const moments = new Map<TradingDay, string>()
  const fromCouncil = new Set<TradingDay>()
  for (const row of rows) {
    if (row.markedAt === null || fromCouncil.has(row.session)) continue
    const known = moments.get(row.session)
    if (row.account === "COUNCIL") fromCouncil.add(row.session)
    if (row.account === "COUNCIL" || known === undefined || row.markedAt > known) moments.set(row.session, row.markedAt)
  }
  return moments
}

/**
 * The prices at each session's moment (`sessionMoments`) when that moment comes before the session's close (a run
 * under `close`): what the paper baselines are marked at on those sessions, before the session's trades.
 */
export const pricesBeforeClose = (moments: ReadonlyMap<TradingDay, string>, marks: MarksAt): ReadonlyMap<TradingDay, ReadonlyMap<Ticker, number>> =>
  new Map([...moments].flatMap(([session, at]) => {
    const prices = marks.get(marksKey(session, at))
    if (prices === undefined || !(Date.parse(at) < Date.parse(closeTimestamp(session)))) return []
    return [[session, new Map(Object.entries(prices).map(([symbol, price]) => [Ticker.make(symbol), price]))] as const]
  }))
