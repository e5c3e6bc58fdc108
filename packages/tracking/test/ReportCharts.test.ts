/**
 * What the report's two charts tell a reader of a long backtest: the equity axis is named a log scale and its
 * ticks are round dollars; the drawdown chart keeps the accounts' few percent readable beside SPY's crash and says
 * SPY's deepest drawdown in words; the session axis names the years.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { BacktestReport, BookId, TradeLedger } from "@council/tracking"
import { ledgerHome } from "./fixtures/LedgerHome.ts"
import { simulate } from "./fixtures/SimulatedBook.ts"
import * as ReportChart from "../src/ReportChart.ts"

const BOOK = BookId.make("bt-report-charts")

/** The report's data of a simulated book of `sessions` sessions. */
const simulated = (sessions: number) =>
  Effect.gen(function*() {
    const ledger = yield* TradeLedger
    const from = TradingDay.make("2023-03-01")
    yield* ledger.createBook({ id: BOOK, label: "charts", from, to: TradingDay.make("2023-08-01"), params: {} })
    const sim = yield* simulate(yield* MarketData, BOOK, from, sessions)
    for (const day of sim.days) yield* ledger.record(day)
    return yield* BacktestReport.reportData(BOOK)
  })

/** The page's `<figure>`s: caption, svg, the line under it. */
const figures = (html: string) =>
  [...html.matchAll(/<figure><figcaption>([^<]*)<\/figcaption>(<svg [^>]*>.*?<\/svg>).*?(?:<p class="chart-note">(.*?)<\/p>)?<\/figure>/g)]
    .map(([, caption, svg, note]) => ({
      caption: caption!,
      svg: svg!,
      note: note ?? null,
      ticks: [...svg!.matchAll(/text-anchor="end" dominant-baseline="middle">([^<]*)</g)].map((m) => m[1]!),
      series: [...svg!.matchAll(/data-series="([^"]+)"/g)].map((m) => m[1]!),
      y0: Number(svg!.match(/data-y0="([^"]+)"/)![1])
    }))

describe("the report's charts", () => {
  it.effect("equity from $48,743 to $743,678 (a 20-year backtest's): the caption says log scale, the ticks are $50,000, $100,000, $200,000, $500,000", () =>
    Effect.gen(function*() {
      const data = yield* simulated(30)
      // every account's equity a geometric ramp from $48,743 to $743,678; no benchmark
      const n = data.equity.accounts[0]!.points.length
      const ramp = (i: number) => 48_743 * (743_678 / 48_743) ** (i / (n - 1))
      const accounts = data.equity.accounts.map((a) => ({ ...a, points: a.points.map((p, i) => ({ ...p, equity: ramp(i) })) }))
      const [equity] = figures(BacktestReport.renderHtml({ ...data, equity: { ...data.equity, accounts, benchmark: null } }))
      assert.strictEqual(equity!.caption, "Equity per account, with SPY buy-and-hold from the same start, log scale")
      assert.match(equity!.svg, /data-scale="log"/)
      assert.deepStrictEqual(equity!.ticks, ["$50,000", "$100,000", "$200,000", "$500,000"])
    }).pipe(Effect.provide(ledgerHome("council-report-charts-"))))

  it.effect("SPY falling 55 % beside accounts that lose a few percent: their drawdowns keep the scale, SPY's deepest is said under the chart", () =>
    Effect.gen(function*() {
      const data = yield* simulated(40)
      const benchmark = data.equity.benchmark!
      // SPY's marks: up 10 % to session 10, then down to 45 % of that peak at session 25, then half way back
      const base = benchmark.points[0]!.mark
      const shape = (i: number) => (i <= 10 ? 1 + 0.01 * i : i <= 25 ? 1.1 * (1 - 0.55 * (i - 10) / 15) : 1.1 * 0.45 * (1 + 0.5 * (i - 25) / 15))
      const marks = benchmark.points.map((p, i) => ({ ...p, mark: base * shape(i) }))
      // every account's drawdown at most 3 %
      const accounts = data.equity.accounts.map((a) => ({ ...a, points: a.points.map((p, i) => ({ ...p, drawdown: 0.03 * ((i % 5) / 4) })) }))
      const html = BacktestReport.renderHtml({ ...data, equity: { ...data.equity, accounts, benchmark: { ...benchmark, points: marks } } })
      const [, drawdown] = figures(html)
      assert.notInclude(drawdown!.series, "SPY buy-and-hold")
      assert.sameMembers(drawdown!.series, accounts.map((a) => a.account))
      // the scale is the accounts': its bottom is their deepest, 3 % down (the ticks say depths, as every drawdown is written)
      assert.closeTo(drawdown!.y0, -0.03, 1e-12)
      assert.strictEqual(drawdown!.caption, "Drawdown from the running peak")
      assert.deepStrictEqual(drawdown!.ticks, ["3 %", "2 %", "1 %", "0 %"])
      const [peak, trough] = [benchmark.points[10]!.date, benchmark.points[25]!.date]
      assert.strictEqual(
        drawdown!.note,
        `SPY buy-and-hold’s deepest drawdown over these sessions: <span id="spy-drawdown">55.0 %</span> (${peak} → ${trough}); not drawn: on its scale the accounts’ curves would be flat lines at the top.`
      )
    }).pipe(Effect.provide(ledgerHome("council-report-charts-dd-"))))

  it.effect("drawdown ticks 2.5 % apart are written with the digit that tells them apart: 7.5 %, not 8 %", () =>
    Effect.gen(function*() {
      const data = yield* simulated(30)
      const accounts = data.equity.accounts.map((a) => ({ ...a, points: a.points.map((p, i) => ({ ...p, drawdown: 0.12 * ((i % 7) / 6) })) }))
      const [, drawdown] = figures(BacktestReport.renderHtml({ ...data, equity: { ...data.equity, accounts, benchmark: null } }))
      assert.deepStrictEqual(drawdown!.ticks, ["10.0 %", "7.5 %", "5.0 %", "2.5 %", "0.0 %"])
      assert.isNull(drawdown!.note)
    }).pipe(Effect.provide(ledgerHome("council-report-charts-ticks-"))))
})

describe("the report's session axis", () => {
  it("over twenty years: the first and last sessions by date, and between them years at each year's first session", () => {
    // every weekday from 2007-04-11 to 2026-06-08, as a long backtest's sessions
    const dates: Array<string> = []
    for (let t = Date.UTC(2007, 3, 11); t <= Date.UTC(2026, 5, 8); t += 86_400_000) {
      if (![0, 6].includes(new Date(t).getUTCDay())) dates.push(new Date(t).toISOString().slice(0, 10))
    }
    const labels = ReportChart.dateLabels(dates, 9)
    assert.deepStrictEqual(labels[0], [0, "2007-04-11"])
    assert.deepStrictEqual(labels.at(-1), [dates.length - 1, "2026-06-08"])
    const inner = labels.slice(1, -1)
    assert.deepStrictEqual(inner.map(([, label]) => label), ["2011", "2014", "2017", "2020", "2023"])
    for (const [i, year] of inner) assert.deepStrictEqual([dates[i - 1]!.slice(0, 4), dates[i]!.slice(0, 4)], [String(Number(year) - 1), year])
  })
})
