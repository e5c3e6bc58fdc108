import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type Bar, Ticker, TradingDay } from "@council/domain"
import { SpendLedger } from "@council/llm"
import { type CorporateAction, MarketData } from "@council/market"
import { Database, SqlRunStore } from "@council/store"
import { liveBook, Standings, TradeLedger } from "@council/tracking"
import { simulate } from "./fixtures/SimulatedBook.ts"
import { tempDb } from "./LedgerFixture.ts"

/** 25 weekdays from 2024-01-02. */
const DAYS: ReadonlyArray<TradingDay> = (() => {
  const out: Array<TradingDay> = []
  for (let t = Date.parse("2024-01-02T00:00:00Z"); out.length < 25; t += 86_400_000) {
    const d = new Date(t)
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(TradingDay.make(d.toISOString().slice(0, 10)))
  }
  return out
})()

const flat = (price: (i: number) => number): ReadonlyArray<Bar> =>
  DAYS.map((date, i) => ({ date, open: price(i), high: price(i), low: price(i), close: price(i), volume: 1_000 }))

/** SPY's raw closes: 100, then 50 from its 2:1 split (session 10), then 49.50 from its $0.50 dividend (session 15). */
const BARS = {
  SPY: flat((i) => (i < 10 ? 100 : i < 15 ? 50 : 49.5)),
  ...Object.fromEntries(["QQQ", "IWM", "TLT", "HYG", "GLD", "USO", "UUP", "XLE", "XLF"].map((s, k) => [s, flat((i) => 40 + k + i / 10)]))
}
const ACTIONS: ReadonlyArray<CorporateAction.CorporateAction> = [
  { kind: "split", symbol: Ticker.make("SPY"), exDate: DAYS[10]!, newRate: 2, oldRate: 1 },
  { kind: "dividend", symbol: Ticker.make("SPY"), exDate: DAYS[15]!, cash: 0.5 }
]

/** The bars of `BARS` with their splits and dividends, as a remote feed reports them. */
const market = Layer.effect(
  MarketData,
  Effect.map(MarketData.use(Effect.succeed), (base) =>
    MarketData.of({
      ...base,
      corporateActions: (from, to) => Effect.succeed(ACTIONS.filter((a) => a.exDate >= from && a.exDate <= to))
    }))
).pipe(Layer.provide(MarketData.layerTest(BARS)))

const home = () =>
  Layer.mergeAll(TradeLedger.layer, SqlRunStore.layer, SpendLedger.layerSql).pipe(
    Layer.provideMerge(Database.layerSqlite(tempDb("council-actions-"))),
    Layer.merge(market),
    Layer.orDie
  )

describe("SPY buy-and-hold through a split and a dividend on raw prices", () => {
  it.effect("is a holding's value (2 shares after the split, the dividend kept as cash), not the raw close: 0 % over the book, not −50.5 %", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const sim = yield* simulate(yield* MarketData, liveBook, DAYS[0]!, 25)
      for (const day of sim.days) yield* ledger.record(day)
      const report = yield* Standings.equityReport({ book: liveBook })
      const points = report.benchmark!.points
      assert.deepStrictEqual(points.map((p) => p.mark), DAYS.map(() => 100))
      const board = (yield* Standings.leaderboardReport({ book: liveBook })).leaderboard!
      assert.strictEqual(board.benchmark.totalReturn, 0)
    }).pipe(Effect.provide(home())))
})
