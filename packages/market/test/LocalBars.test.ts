import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { MarketSnapshot, Ticker, TradingDay } from "@council/domain"
import { defaultBarsDirectory, LocalBars, MarketData } from "@council/market"

const day = TradingDay.make
const SESSIONS = 4821

layer(LocalBars.layer())("LocalBars over data/bars/daily", (it) => {
  it.effect("resolves to the repository's data directory whatever the cwd", () =>
    Effect.sync(() => {
      const dir = fileURLToPath(defaultBarsDirectory)
      assert.isTrue(dir.endsWith("/data/bars/daily/"))
      assert.isTrue(existsSync(`${dir}SPY.csv`))
    }))

  it.effect("the universe is the ten ETFs, SPY first then alphabetical", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      assert.deepStrictEqual<ReadonlyArray<string>>(yield* md.universe, ["SPY", "GLD", "HYG", "IWM", "QQQ", "TLT", "USO", "UUP", "XLE", "XLF"])
    }))

  it.effect("knows every session from 2007-04-11 to 2026-06-08", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      const all = yield* md.sessions(day("2000-01-01"), day("2030-01-01"))
      assert.strictEqual(all.length, SESSIONS)
      assert.strictEqual(all[0], "2007-04-11")
      assert.strictEqual(all[all.length - 1], "2026-06-08")
      assert.strictEqual(yield* md.latestTradingDay, "2026-06-08")
      assert.deepStrictEqual<ReadonlyArray<string>>(yield* md.sessions(day("2026-06-04"), day("2026-06-08")), [
        "2026-06-04",
        "2026-06-05",
        "2026-06-08"
      ])
      assert.deepStrictEqual<ReadonlyArray<string>>(yield* md.sessions(day("2026-06-06"), day("2026-06-07")), [])
      assert.deepStrictEqual<ReadonlyArray<string>>(yield* md.sessions(day("2026-06-08"), day("2026-06-04")), [])
    }))

  it.effect("snapshot values match the CSV files", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      const last = yield* md.snapshot(day("2026-06-08"), 210)
      assert.isTrue(Schema.is(MarketSnapshot)(last))
      assert.strictEqual(last.asOf, "2026-06-08")
      assert.strictEqual(last.history.length, 10)
      const spy = last.history[0]!
      assert.strictEqual(spy.symbol, "SPY")
      assert.strictEqual(spy.bars.length, 210)
      assert.deepStrictEqual(spy.bars[209], {
        date: day("2026-06-08"),
        open: 743.359985,
        high: 745.340027,
        low: 738.190002,
        close: 739.219971,
        volume: 49319100
      })
      const uso = last.history.find((h) => h.symbol === "USO")!
      assert.strictEqual(uso.bars[209]!.close, 135.149994)

      const first = yield* md.snapshot(day("2007-04-11"), 1)
      assert.strictEqual(first.history[0]!.bars[0]!.close, 101.382858)
      assert.strictEqual(first.history.find((h) => h.symbol === "USO")!.bars[0]!.close, 403.679993)
    }))

  it.effect("lookback is cut short at the start of the data", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      const s1 = yield* md.snapshot(day("2007-04-11"), 210)
      assert.deepStrictEqual(s1.history.map((h) => h.bars.length), Array(10).fill(1))
      const s3 = yield* md.snapshot(day("2007-04-13"), 5)
      assert.deepStrictEqual(s3.history[0]!.bars.map((b) => b.date), ["2007-04-11", "2007-04-12", "2007-04-13"])
      const s0 = yield* md.snapshot(day("2010-06-01"), 0)
      assert.deepStrictEqual(s0.history.map((h) => h.bars.length), Array(10).fill(0))
    }))

  it.effect.prop(
    "as-of safety: a snapshot never holds a bar after its as-of day, and ends on it",
    { i: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: SESSIONS - 1 })), lookback: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 400 })) },
    ({ i, lookback }) =>
      Effect.gen(function*() {
        const md = yield* MarketData
        const sessions = yield* md.sessions(day("2007-01-01"), day("2026-12-31"))
        const asOf = sessions[i]!
        const snapshot = yield* md.snapshot(asOf, lookback)
        for (const h of snapshot.history) {
          assert.strictEqual(h.bars.length, Math.min(lookback, i + 1))
          assert.strictEqual(h.bars[h.bars.length - 1]!.date, asOf)
          assert.deepStrictEqual(h.bars.map((b) => b.date), sessions.slice(i + 1 - h.bars.length, i + 1))
        }
        const bars = yield* md.bars({ symbol: Ticker.make("QQQ"), asOf, lookback })
        assert.isTrue(bars.every((b) => b.date <= asOf))
        assert.strictEqual(bars[bars.length - 1]!.date, asOf)
      }),
    { arbitrary: { runs: 300 } }
  )

  it.effect("bars as of a non-session day end at the session before it", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      const bars = yield* md.bars({ symbol: Ticker.make("GLD"), asOf: day("2026-06-07"), lookback: 3 })
      assert.deepStrictEqual(bars.map((b) => b.date), ["2026-06-03", "2026-06-04", "2026-06-05"])
    }))

  it.effect("a weekend or holiday is not a trading day, and the message names the session before", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      assert.strictEqual(yield* md.ensureTradingDay(day("2026-06-05")), "2026-06-05")
      const weekend = yield* Effect.flip(md.ensureTradingDay(day("2026-06-06")))
      assert.strictEqual(weekend.reason, "NotATradingDay")
      assert.strictEqual(weekend.message, "2026-06-06 is not a trading session (the nearest earlier session is 2026-06-05)")
      const christmas = yield* Effect.flip(md.snapshot(day("2025-12-25"), 10))
      assert.strictEqual(christmas.reason, "NotATradingDay")
      assert.strictEqual(christmas.message, "2025-12-25 is not a trading session (the nearest earlier session is 2025-12-24)")
      const bogus = yield* Effect.flip(md.ensureTradingDay(day("2026-02-30")))
      assert.strictEqual(bogus.reason, "NotATradingDay")
      assert.strictEqual(bogus.message, "2026-02-30 is not a calendar date")
    }))

  it.effect("days outside the data are out of range", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      const late = yield* Effect.flip(md.ensureTradingDay(day("2099-01-01")))
      assert.strictEqual(late.reason, "OutOfRange")
      assert.strictEqual(late.message, "2099-01-01 is after the last session in the data (2026-06-08)")
      const early = yield* Effect.flip(md.snapshot(day("2007-04-10"), 5))
      assert.strictEqual(early.reason, "OutOfRange")
      assert.strictEqual(early.message, "2007-04-10 is before the first session in the data (2007-04-11)")
      const bars = yield* Effect.flip(md.bars({ symbol: Ticker.make("SPY"), asOf: day("2026-06-09"), lookback: 5 }))
      assert.strictEqual(bars.reason, "OutOfRange")
    }))

  it.effect("an unknown symbol fails with UnknownSymbol", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      const error = yield* Effect.flip(md.bars({ symbol: Ticker.make("AAPL"), asOf: day("2026-06-08"), lookback: 5 }))
      assert.strictEqual(error.reason, "UnknownSymbol")
      assert.include(error.message, "AAPL is not in the universe")
    }))
})
