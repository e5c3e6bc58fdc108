import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { marketData } from "@alpacahq/alpaca-trade-api"
import { momentAt } from "@council/domain"
import { ExchangeServer } from "@council/exchange/server"
import { D2, D3 } from "./ExchangeFixture.ts"
import { clientOf, keysOf, serverLayer } from "./ExchangeServerHarness.ts"

interface WireBar {
  readonly o: number
  readonly h: number
  readonly l: number
  readonly c: number
  readonly v: number
}
interface WireSnapshot {
  readonly latestTrade: { readonly p: number; readonly t: string } | null
  readonly latestQuote: null
  readonly minuteBar: null
  readonly dailyBar: WireBar & { readonly t: string }
  readonly prevDailyBar: (WireBar & { readonly t: string }) | null
}

const ohlcv = (bar: WireBar | null) => (bar === null ? null : [bar.o, bar.h, bar.l, bar.c, bar.v])

// The fixture's SPY (ExchangeFixture): D1 100/101/99/100, D2 101/103/100/102, D3 102/108/101/107 (open/high/low/close),
// volume 1,000,000. QQQ is 40/41/39/40 every day.
layer(serverLayer())("ExchangeServer: stock snapshots", (it) => {
  it.effect("at each moment of a session, only what was known then: before the open, during it, after the close", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const client = yield* clientOf()
      const snapshotsAt = (time: string) =>
        Effect.gen(function*() {
          yield* server.setSession(momentAt(D3, time))
          const reply = yield* client.get("/v2/stocks/snapshots?symbols=SPY,QQQ,NOPE")
          assert.strictEqual(reply.status, 200)
          return reply.json as Record<string, WireSnapshot>
        })

      // 09:00, before D3's open: D2 is the latest bar, whole; the price is D2's close
      const early = yield* snapshotsAt("09:00")
      assert.deepStrictEqual(Object.keys(early).sort(), ["QQQ", "SPY"])
      assert.deepStrictEqual(ohlcv(early.SPY!.dailyBar), [101, 103, 100, 102, 1_000_000])
      assert.deepStrictEqual(ohlcv(early.SPY!.prevDailyBar), [100, 101, 99, 100, 1_000_000])
      assert.strictEqual(early.SPY!.latestTrade!.p, 102)
      assert.deepStrictEqual([early.SPY!.latestQuote, early.SPY!.minuteBar], [null, null])

      // 15:45 of D3: only its open (102) is known — not its high of 108 nor its close of 107
      const during = yield* snapshotsAt("15:45")
      assert.deepStrictEqual(ohlcv(during.SPY!.dailyBar), [102, 102, 102, 102, 0])
      assert.deepStrictEqual(ohlcv(during.SPY!.prevDailyBar), [101, 103, 100, 102, 1_000_000])
      assert.strictEqual(during.SPY!.latestTrade!.p, 102)

      // after D3's close: its whole bar and its close
      const after = yield* snapshotsAt("16:30")
      assert.deepStrictEqual(ohlcv(after.SPY!.dailyBar), [102, 108, 101, 107, 1_000_000])
      assert.strictEqual(after.SPY!.latestTrade!.p, 107)
      assert.deepStrictEqual(ohlcv(after.QQQ!.dailyBar), [40, 41, 39, 40, 1_000_000])
    }))

  it.effect("through Alpaca's SDK: stockSnapshots, stockSnapshotSingle and stockLatestBars; an unknown symbol is a 404, no symbols a 400", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      yield* server.setSession(momentAt(D2, "15:45"))
      const keys = yield* keysOf()
      const stocks = new marketData.StockApi(
        new marketData.Configuration({ basePath: server.url, keyId: keys.keyId, secret: keys.secret, retry: { maxRetries: 0 } })
      )
      const all = yield* Effect.promise(() => stocks.stockSnapshots({ symbols: "SPY" }))
      assert.deepStrictEqual([all.SPY!.dailyBar!.o, all.SPY!.dailyBar!.c, all.SPY!.prevDailyBar!.c, all.SPY!.latestTrade!.p], [101, 101, 100, 101])
      assert.strictEqual(all.SPY!.latestQuote, undefined)
      const one = yield* Effect.promise(() => stocks.stockSnapshotSingle({ symbol: "SPY" }))
      assert.deepStrictEqual([one.symbol, one.dailyBar!.o, one.prevDailyBar!.h], ["SPY", 101, 101])

      // the latest bars: each symbol's snapshot's daily bar (D2's open alone at 15:45 of D2)
      const latest = yield* Effect.promise(() => stocks.stockLatestBars({ symbols: "SPY,QQQ" }))
      assert.deepStrictEqual([latest.bars.SPY!.o, latest.bars.SPY!.h, latest.bars.SPY!.c, latest.bars.QQQ!.o], [101, 101, 101, 40])

      const client = yield* clientOf()
      assert.strictEqual((yield* client.get("/v2/stocks/bars/latest")).status, 400)
      assert.strictEqual((yield* client.get("/v2/stocks/NOPE/snapshot")).status, 404)
      assert.strictEqual((yield* client.get("/v2/stocks/snapshots")).status, 400)
    }))
})
