/**
 * Every account's daily series in a window beside SPY's (`equityReport`), and the same numbers as a chart's columns
 * (`chartOf`). Re-exported by `Standings`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { decimalNumber, decimalSum, type TradingDay } from "@council/domain"
import { CorporateAction } from "@council/market"
import * as LlmCosts from "./LlmCosts.ts"
import { benchmarkOn, NO_ACTION } from "./MarketCloses.ts"
import { type MarksAt, marksKey, marksOver, rememberMarks, sessionMoments } from "./RecordedMarks.ts"
import { BENCHMARK, type BenchmarkPoint, type EquityChart, type EquityReport, type Query, type Requirements, type SeriesPoint } from "./StandingsModel.ts"
import { failWith, type LedgerError, type SeriesRow, TradeLedger } from "./TradeLedger.ts"

const pointsOf = (
  rows: ReadonlyArray<SeriesRow>,
  costs: Option.Option<LlmCosts.DailyCosts>,
  estimated: LlmCosts.DailyCosts,
  marks: MarksAt
): Array<SeriesPoint> => {
  let peak = 0
  return rows.map((row) => {
    const equity = decimalNumber(row.equity)
    peak = Math.max(peak, equity)
    // every number as the decimal it stands for (a sum of fills is 9980.3, not 9980.300000000001), as the CSV prints it
    return {
      date: row.session,
      equity,
      cash: decimalNumber(row.cash),
      longMarketValue: decimalNumber(row.longMarketValue),
      shortMarketValue: decimalNumber(row.shortMarketValue),
      grossExposure: decimalSum([row.longMarketValue, Math.abs(row.shortMarketValue)]),
      traded: decimalNumber(row.traded),
      llmCost: Option.match(costs, { onNone: () => null, onSome: (c) => decimalNumber(c.get(row.session)?.get(row.account) ?? 0) }),
      llmCostEstimated: (estimated.get(row.session)?.get(row.account) ?? 0) > 0,
      drawdown: peak > 0 ? 1 - equity / peak : 0,
      markedAt: row.markedAt,
      spyMark: row.markedAt === null ? null : marks.get(marksKey(row.session, row.markedAt))?.[BENCHMARK] ?? null
    }
  })
}

/** Every account's daily series in the window, with SPY's closes on the same sessions. */
export const equityReport = (query: Query): Effect.Effect<EquityReport, LedgerError, Requirements> =>
  Effect.gen(function*() {
    const ledger = yield* TradeLedger
    const rows = yield* ledger.series(query)
    const accounts = [...new Set(rows.map((r) => r.account))]
    const sessions = [...new Set(rows.map((r) => r.session))].sort()
    const spent = { from: sessions[0], to: sessions.at(-1) }
    const costs = yield* LlmCosts.dailyCosts(query.book, accounts, spent).pipe(Effect.mapError(failWith("llm costs")))
    const estimated = Option.isNone(costs)
      ? new Map()
      : yield* LlmCosts.estimatedDailyCosts(query.book, accounts, spent).pipe(Effect.mapError(failWith("llm costs")))
    const marks = yield* marksOver(query.book, sessions)
    const moments = sessionMoments(rows)
    // SPY's value of each session: its mark at the session's moment, else its close; a session with neither is left out
    // (with the splits and dividends since the first session: a holding's value, `CorporateAction.holdings`)
    const benchmark = Option.map(yield* benchmarkOn(sessions), (closes) => {
      // a session without a bar yet (a live one before its complete bar) keeps the holding of the one before
      let held: CorporateAction.Holding = NO_ACTION
      return sessions.flatMap((date): Array<BenchmarkPoint> => {
        const known = closes.get(date)
        if (known !== undefined) held = known.holding
        const close = known === undefined ? undefined : CorporateAction.valueAt(known.holding, known.close)
        const at = moments.get(date) ?? null
        const price = at === null ? undefined : marks.get(marksKey(date, at))?.[BENCHMARK]
        const mark = price === undefined ? undefined : CorporateAction.valueAt(held, price)
        const value = mark ?? close
        return value === undefined ? [] : [{ date, close: close ?? null, markedAt: mark === undefined ? null : at, mark: value }]
      })
    })
    const report: EquityReport = {
      book: query.book,
      window: { from: query.from ?? null, to: query.to ?? null },
      from: sessions[0] ?? null,
      to: sessions[sessions.length - 1] ?? null,
      llmCostRecorded: Option.isSome(costs),
      accounts: accounts.map((account) => ({ account, points: pointsOf(rows.filter((r) => r.account === account), costs, estimated, marks) })),
      benchmark: Option.match(benchmark, { onNone: () => null, onSome: (points) => ({ name: BENCHMARK, points }) })
    }
    rememberMarks(report, marks)
    return report
  }).pipe(Effect.withSpan("Standings.equityReport", { attributes: { book: query.book } }))

/** `report` as columns (`EquityChart`): the same numbers, each date written once. */
export const chartOf = (report: EquityReport): EquityChart => {
  const dates = [...new Set(report.accounts.flatMap((a) => a.points.map((p) => p.date)))].sort()
  const at = new Map(dates.map((date, i) => [date, i]))
  const column = <P extends { readonly date: TradingDay }>(points: ReadonlyArray<P>, value: (point: P) => number) => {
    const out: Array<number | null> = new Array(dates.length).fill(null)
    for (const point of points) {
      const i = at.get(point.date)
      if (i !== undefined) out[i] = value(point)
    }
    return out
  }
  return {
    book: report.book,
    window: report.window,
    from: report.from,
    to: report.to,
    dates,
    accounts: report.accounts.map(({ account, points }) => ({ account, equity: column(points, (p) => p.equity) })),
    benchmark: report.benchmark === null ? null : { name: report.benchmark.name, closes: column(report.benchmark.points, (p) => p.mark) }
  }
}
