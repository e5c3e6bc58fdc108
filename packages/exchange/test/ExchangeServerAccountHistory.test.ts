import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { trading } from "@alpacahq/alpaca-trade-api"
import { type Bar, momentAt, type TradingDay } from "@council/domain"
import { type CorporateAction, MarketData } from "@council/market"
import { Database } from "@council/store"
import { ExchangeServer } from "@council/exchange/server"
import { ACCOUNT, D1, D2, D3, D4, D5, D6, QQQ, SPY } from "./ExchangeFixture.ts"
import { clientOf, GEMINI, keysOf } from "./ExchangeServerHarness.ts"

const bar = (date: TradingDay, close: number): Bar => ({ date, open: close, high: close + 1, low: close - 1, close, volume: 1_000_000 })

/** SPY closes 100, 102, 107, 96, 91, 90; QQQ 40 until its 2:1 split on D5, then 20. */
const BARS: Record<string, ReadonlyArray<Bar>> = {
  SPY: [bar(D1, 100), bar(D2, 102), bar(D3, 107), bar(D4, 96), bar(D5, 91), bar(D6, 90)],
  QQQ: [bar(D1, 40), bar(D2, 40), bar(D3, 40), bar(D4, 40), bar(D5, 20), bar(D6, 20)]
}

const ACTIONS: ReadonlyArray<CorporateAction.CorporateAction> = [
  { kind: "dividend", symbol: SPY, exDate: D4, cash: 0.5 },
  { kind: "split", symbol: QQQ, exDate: D5, newRate: 2, oldRate: 1 }
]

/** The fixture feed with a dividend and a split (the test feed has none). */
const market = Layer.effect(
  MarketData,
  Effect.gen(function*() {
    const md = yield* MarketData
    return MarketData.of({
      ...md,
      corporateActions: (from, to) => Effect.succeed(ACTIONS.filter((a) => a.exDate >= from && a.exDate <= to))
    })
  })
).pipe(Layer.provide(MarketData.layerTest(BARS)))

/** No slippage, $1 a fill: the numbers below are worked by hand from the bars. */
const server = ExchangeServer.layer({
  port: 0,
  accounts: [ACCOUNT, GEMINI],
  date: D2,
  rateLimit: 10_000,
  exchange: { slippageBps: 0, commissionPerShare: 0, commissionMin: 1 }
}).pipe(Layer.provide(Database.layerSqlite(":memory:")), Layer.provide(market), Layer.fresh)

const sdk = Effect.gen(function*() {
  const { url } = yield* ExchangeServer
  const keys = yield* keysOf(ACCOUNT)
  const config = new trading.Configuration({ basePath: url, keyId: keys.keyId, secret: keys.secret, retry: { maxRetries: 0 } })
  return { activities: new trading.AccountActivitiesApi(config), history: new trading.PortfolioHistoryApi(config) }
})

/** New York midnight of a summer day, in epoch seconds (EDT: 04:00 UTC). */
const midnight = (day: string) => Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)), 4) / 1000

interface Activity {
  readonly id: string
  readonly activity_type: string
  readonly symbol: string
  readonly side?: string
  readonly qty: string
  readonly net_amount?: string
  readonly per_share_amount?: string
  readonly date?: string
}

const order = (symbol: string, qty: number, side: "buy" | "sell") => ({ symbol, qty: String(qty), side, type: "market", time_in_force: "day" })

layer(server)("ExchangeServer: account activities and portfolio history", (it) => {
  it.effect("fills, a dividend and a split: activities of every kind and the equity of each close, never past the present", () =>
    Effect.gen(function*() {
      const exchange = yield* ExchangeServer
      const client = yield* clientOf(ACCOUNT)
      const list = (path: string) => Effect.map(client.get(path), (r) => r.json as ReadonlyArray<Activity>)
      // D2 15:45 buy 10 SPY (fills at the close, 102); D3 15:45 buy 50 QQQ (40); D4 15:45 sell 4 SPY (96)
      assert.strictEqual((yield* client.post("/v2/orders", order("SPY", 10, "buy"))).status, 200)
      yield* exchange.setSession(momentAt(D3, "15:45"))
      assert.strictEqual((yield* client.post("/v2/orders", order("QQQ", 50, "buy"))).status, 200)
      yield* exchange.setSession(momentAt(D4, "15:45"))
      assert.strictEqual((yield* client.post("/v2/orders", order("SPY", 4, "sell"))).status, 200)

      // at D4 15:45: D4's close has not come, the split not either; the dividend was paid at D4's open
      const early = yield* list("/v2/account/activities")
      assert.deepStrictEqual(early.map((a) => [a.activity_type, a.symbol]), [["DIV", "SPY"], ["FILL", "QQQ"], ["FILL", "SPY"]])
      const earlyHistory = (yield* client.get(`/v2/account/portfolio/history?period=1W&timeframe=1D&date_end=${D6}`)).json as {
        readonly timestamp: ReadonlyArray<number>
        readonly equity: ReadonlyArray<number>
      }
      // cash 100000 - 1020 - 1 = 98979, + 10 SPY at 102: 99999; D3: 98979 - 2000 - 1 + 10 × 107 + 50 × 40 = 100048
      assert.deepStrictEqual(earlyHistory.timestamp, [midnight(D2), midnight(D3)])
      assert.deepStrictEqual(earlyHistory.equity, [99999, 100048])

      yield* exchange.setSession(momentAt(D6, "16:15"))
      const all = yield* list("/v2/account/activities")
      assert.deepStrictEqual(all.map((a) => [a.activity_type, a.symbol, a.side ?? "", a.qty]), [
        ["SPLIT", "QQQ", "", "50"],
        ["FILL", "SPY", "sell", "4"],
        ["DIV", "SPY", "", "10"],
        ["FILL", "QQQ", "buy", "50"],
        ["FILL", "SPY", "buy", "10"]
      ])
      const div = all[2]!
      assert.deepStrictEqual([div.net_amount, div.per_share_amount, div.date], ["5", "0.5", D4])
      assert.strictEqual(all[0]!.date, D5)

      // FILL keeps its order of before (oldest first); the other types and filters as Alpaca takes them
      assert.deepStrictEqual((yield* list("/v2/account/activities/FILL")).map((a) => a.side), ["buy", "buy", "sell"])
      assert.deepStrictEqual((yield* list("/v2/account/activities/FILL?direction=desc")).map((a) => a.side), ["sell", "buy", "buy"])
      assert.deepStrictEqual((yield* list("/v2/account/activities/DIV")).map((a) => a.id), [div.id])
      assert.deepStrictEqual((yield* list("/v2/account/activities?activity_types=SPLIT,DIV&direction=asc")).map((a) => a.activity_type), ["DIV", "SPLIT"])
      assert.deepStrictEqual((yield* list(`/v2/account/activities?date=${D4}`)).map((a) => a.activity_type), ["FILL", "DIV"])
      assert.deepStrictEqual((yield* list("/v2/account/activities?activity_types=TRANS")), [])
      assert.deepStrictEqual((yield* list("/v2/account/activities?category=non_trade_activity")).map((a) => a.activity_type), ["SPLIT", "DIV"])
      assert.strictEqual((yield* client.get("/v2/account/activities?category=trade_activity&activity_types=DIV")).status, 422)
      const until = encodeURIComponent(`${D4}T20:00:00Z`)
      assert.deepStrictEqual((yield* list(`/v2/account/activities?after=${encodeURIComponent(`${D3}T20:00:00Z`)}&until=${until}`)).map((a) => a.activity_type), ["DIV"])
      const paged: Array<string> = []
      let token = ""
      for (let pages = 0; pages < 4; pages++) {
        const page = yield* list(`/v2/account/activities?page_size=2${token === "" ? "" : `&page_token=${encodeURIComponent(token)}`}`)
        if (page.length === 0) break
        paged.push(...page.map((a) => a.id))
        token = page[page.length - 1]!.id
      }
      assert.deepStrictEqual(paged, all.map((a) => a.id))

      // refusals a client reads: 422 naming the input
      const badType = yield* client.get("/v2/account/activities/FFFFF")
      assert.deepStrictEqual([badType.status, badType.json], [422, { code: 40010001, message: "invalid activity type: FFFFF" }])
      assert.strictEqual((yield* client.get("/v2/account/activities?direction=sideways")).status, 422)
      assert.include((yield* client.get("/v2/account/activities?date=someday")).text, "invalid date: someday")

      // through Alpaca's SDK
      const api = yield* sdk
      const splits = yield* Effect.promise(() => api.activities.getAccountActivitiesByActivityType({ activityType: "SPLIT" }))
      assert.deepStrictEqual(splits.map((a) => [a.activityType, a.symbol]), [["SPLIT", "QQQ"]])
      const typed = yield* Effect.promise(() => api.activities.getAccountActivities({ activityTypes: ["DIV", "FILL"], direction: "asc" }))
      assert.deepStrictEqual(typed.map((a) => a.activityType), ["FILL", "FILL", "DIV", "FILL"])

      // D4: cash 96978 + 5 dividend + 384 - 1 = 97366, + 6 × 96 + 50 × 40 = 99942; D5 (QQQ 100 shares at 20): 97366 + 546 + 2000;
      // D6: 97366 + 540 + 2000. The base: the close before the week (D1), before the account existed: its 100000
      const history = yield* Effect.promise(() => api.history.getAccountPortfolioHistory({ period: "1W", timeframe: "1D" }))
      assert.deepStrictEqual(history.timestamp, [D2, D3, D4, D5, D6].map(midnight))
      assert.deepStrictEqual(history.equity, [99999, 100048, 99942, 99912, 99906])
      assert.deepStrictEqual(history.profitLoss, [-1, 48, -58, -88, -94])
      assert.deepStrictEqual(history.profitLossPct, [-1, 48, -58, -88, -94].map((pl) => pl / 100000))
      assert.deepStrictEqual([history.baseValue, history.timeframe], [100000, "1D"])

      // two sessions, then an end before the present: the base is the close before the first of them
      const two = (yield* client.get(`/v2/account/portfolio/history?period=2D&date_end=${D5}`)).json as Record<string, unknown>
      assert.deepStrictEqual([two.timestamp, two.equity, two.base_value, two.base_value_asof], [
        [midnight(D4), midnight(D5)],
        [99942, 99912],
        100048,
        D3
      ])
      assert.deepStrictEqual(two.profit_loss, [-106, -136])
      // start and end as the SDK sends them (timestamps): the sessions closing between them
      const between = (yield* client.get(`/v2/account/portfolio/history?start=${D3}T00:00:00.000Z&end=${D4}T21:00:00.000Z`)).json as Record<string, unknown>
      assert.deepStrictEqual([between.timestamp, between.equity, between.base_value], [[midnight(D3), midnight(D4)], [100048, 99942], 99999])

      // an end before the account existed (and before the data): no points, the initial cash as the base
      for (const end of [D1, "2020-01-06", "2026-08-08"]) {
        const none = yield* client.get(`/v2/account/portfolio/history?date_end=${end}&period=1D`)
        const expected = end === "2026-08-08" ? [[midnight(D5)], [99912]] : [[], []]
        assert.deepStrictEqual([none.status, (none.json as Record<string, unknown>).timestamp, (none.json as Record<string, unknown>).equity], [200, ...expected])
      }

      const intraday = yield* client.get("/v2/account/portfolio/history?timeframe=1H")
      assert.strictEqual(intraday.status, 422)
      assert.include(intraday.text, "timeframe 1H is not served")
      assert.strictEqual((yield* client.get("/v2/account/portfolio/history?period=3Q")).status, 422)
      assert.strictEqual((yield* client.get("/v2/account/portfolio/history?date_end=tomorrow")).status, 422)
      assert.strictEqual((yield* client.get("/v2/account/portfolio/history?extended_hours=perhaps")).status, 422)
    }))

  it.effect("a request at an earlier moment sees no session after it (an account that has not traded)", () =>
    Effect.gen(function*() {
      const gemini = yield* clientOf(GEMINI)
      const at = { "X-Council-Session": `${D3}T15:45:00-04:00` }
      const history = (yield* gemini.get("/v2/account/portfolio/history?period=1A", at)).json as Record<string, ReadonlyArray<number>>
      // created at D2 15:45; at D3 15:45 only D2's close has passed
      assert.deepStrictEqual([history.timestamp, history.equity], [[midnight(D2)], [100000]])
      assert.deepStrictEqual(yield* Effect.map(gemini.get("/v2/account/activities", at), (r) => r.json), [])
    }))
})
