import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type Bar, momentAt, TradingDay } from "@council/domain"
import { ReferencePrices } from "@council/broker"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import { MarketData } from "@council/market"
import { Database } from "@council/store"
import { referencePrices } from "../src/AppLayer.ts"

const bar = (date: string, open: number, close: number): Bar => ({ date: TradingDay.make(date), open, high: close + 1, low: open - 1, close, volume: 1_000 })

/** Two sessions; the second one's open, high, low and close are all different numbers. */
const bars = {
  SPY: [bar("2026-06-04", 500, 502), bar("2026-06-05", 503, 507)],
  TLT: [bar("2026-06-04", 90, 91), bar("2026-06-05", 92, 93)]
}

/**
 * A live feed during 2026-06-05's session: that day is not complete (not among the sessions) and its session so far
 * ends at the latest trade (one more than the open here).
 */
const live = Layer.effect(
  MarketData,
  Effect.map(Effect.service(MarketData), (recorded) =>
    MarketData.of({
      ...recorded,
      sessions: (from, to) => Effect.map(recorded.sessions(from, to), (days) => days.filter((d) => d < "2026-06-05")),
      snapshotDuring: (asOf, at, lookback) =>
        Effect.map(recorded.snapshotDuring(asOf, at, lookback), (snapshot) => ({
          ...snapshot,
          history: snapshot.history.map((h) => ({ ...h, bars: h.bars.map((b) => (b.date === asOf ? { ...b, close: b.open + 1 } : b)) })),
          intraday: { at, through: "latest-trade" as const }
        }))
    }))
).pipe(Layer.provide(MarketData.layerTest(bars)))

/** The safety broker's prices with the local exchange's present at `time` on 2026-06-05. */
const pricesAt = (time: string, market: Layer.Layer<MarketData, unknown> = MarketData.layerTest(bars)) =>
  ReferencePrices.use((p) => p.of(["SPY", "TLT"])).pipe(
    Effect.provide(referencePrices.pipe(
      Layer.provide(LocalExchange.layer()),
      Layer.provideMerge(Layer.mergeAll(market, Database.layerSqlite(":memory:"), ExchangeSession.layer(momentAt("2026-06-05", time))))
    )),
    Effect.map((prices) => Object.fromEntries(prices))
  )

describe("the safety broker's reference prices follow the exchange's present, never ahead of it", () => {
  it.effect("before the open: the last close; during the session: the open (what a close run knows); after the close: the close", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* pricesAt("09:00"), { SPY: 502, TLT: 91 })
      assert.deepStrictEqual(yield* pricesAt("15:45"), { SPY: 503, TLT: 92 })
      assert.deepStrictEqual(yield* pricesAt("16:15"), { SPY: 507, TLT: 93 })
    }))

  it.effect("during the session on a live feed (the day not complete yet): the latest trade, as the run's snapshot has it", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* pricesAt("15:45", live), { SPY: 504, TLT: 93 })
    }))
})
