import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { BacktestReport, BookId, TradeLedger } from "@council/tracking"
import { ledgerHome } from "./fixtures/LedgerHome.ts"
import { simulate } from "./fixtures/SimulatedBook.ts"

const BOOK = BookId.make("bt-report-spy-scale")

describe("BacktestReport's SPY line", () => {
  it.effect("starts at the accounts' mean first equity, as the dashboard's chart does, when they start apart", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const from = TradingDay.make("2023-03-01")
      yield* ledger.createBook({ id: BOOK, label: "spy scale", from, to: TradingDay.make("2023-05-01"), params: {} })
      const sim = yield* simulate(yield* MarketData, BOOK, from, 25)
      for (const day of sim.days) yield* ledger.record(day)
      const read = yield* BacktestReport.reportData(BOOK)
      // the first account starts at three times its equity: the accounts no longer share a first equity
      const [first, ...rest] = read.equity.accounts
      const data = { ...read, equity: { ...read.equity, accounts: [{ ...first!, points: first!.points.map((p) => ({ ...p, equity: p.equity * 3 })) }, ...rest] } }
      const starts = data.equity.accounts.map((a) => a.points[0]!.equity)
      assert.isAbove(Math.max(...starts), Math.min(...starts) * 2)
      const html = BacktestReport.renderHtml(data)
      // the SPY polyline's first point read back through the svg's log scale (data-y0/y1 are natural logs)
      const svg = html.slice(html.indexOf("<svg"), html.indexOf("</svg>"))
      const attr = (name: string) => Number(svg.match(new RegExp(`data-${name}="([^"]+)"`))![1])
      const [y0, y1, top, bottom] = [attr("y0"), attr("y1"), attr("top"), attr("bottom")]
      const y = Number(svg.match(/data-series="SPY buy-and-hold"[^>]* points="([^"]+)"/)![1]!.split(" ")[0]!.split(",")[1])
      const drawn = Math.exp(y0 + ((bottom - y) / (bottom - top)) * (y1 - y0))
      const mean = starts.reduce((a, b) => a + b, 0) / starts.length
      assert.closeTo(drawn, mean, mean * Math.expm1((y1 - y0) / (bottom - top)))
    }).pipe(Effect.provide(ledgerHome("council-report-scale-"))))
})
