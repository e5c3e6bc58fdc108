import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import { AccountId, Ticker, TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import * as AlpacaBars from "@council/market/AlpacaBars"
import { Database } from "@council/store"
import { ExchangeServer } from "@council/exchange/server"
import type { FakeAction } from "../../market/test/actionServers.ts"
import type { FakeBar } from "../../market/test/providerServers.ts"
import { alpacaFeed } from "../../market/test/remoteFeeds.ts"
import { keysOf, send } from "./ExchangeServerHarness.ts"

const DAYS = ["2026-08-03", "2026-08-04", "2026-08-05", "2026-08-06", "2026-08-07", "2026-08-10", "2026-08-11", "2026-08-12"]
  .map((d) => TradingDay.make(d))
const SPY = Ticker.make("SPY")
const USO = Ticker.make("USO")
const ACCOUNT = AccountId.make("CLAUDE")

const flat = (price: number): ReadonlyArray<FakeBar> =>
  DAYS.map((date) => ({ date, open: price, high: price, low: price, close: price, volume: 1_000_000 }))

/** USO's 1:8 reverse split on 08-06, SPY's 2:1 split on 08-10, SPY's $1.50 dividend on 08-12 (paid 08-28). */
const ACTIONS: ReadonlyArray<FakeAction> = [
  { kind: "split", symbol: "USO", exDate: DAYS[3]!, newRate: 1, oldRate: 8 },
  { kind: "split", symbol: "SPY", exDate: DAYS[5]!, newRate: 2, oldRate: 1 },
  { kind: "dividend", symbol: "SPY", exDate: DAYS[7]!, cash: 1.5, processDate: "2026-08-28" }
]

/** `exchange serve` over an Alpaca feed (a 127.0.0.1 server speaking Alpaca's bars and corporate actions). */
const served = Effect.gen(function*() {
  yield* TestClock.setTime(Date.parse("2026-09-01T00:00:00Z"))
  const upstream = (yield* alpacaFeed({ bars: { SPY: flat(600), USO: flat(10) }, symbols: [SPY, USO], actions: ACTIONS, now: () => 0 })).md
  const context = yield* Layer.build(
    ExchangeServer.layer({ port: 0, accounts: [ACCOUNT], rateLimit: 10_000, date: DAYS[7]! }).pipe(
      Layer.provide(Database.layerSqlite(":memory:")),
      Layer.provide(Layer.succeed(MarketData, upstream)),
      Layer.fresh
    )
  )
  const server = Context.get(context, ExchangeServer)
  const keys = yield* Effect.provide(keysOf(ACCOUNT), context)
  return { upstream, url: server.url, keys }
})

describe("exchange serve: GET /v1/corporate-actions (Alpaca's market data)", () => {
  it.effect("Council's own Alpaca feed pointed at the server reads the splits and dividends the exchange applies", () =>
    Effect.gen(function*() {
      const { keys, upstream, url } = yield* served
      const feed = yield* AlpacaBars.make({
        keyId: Redacted.make(keys.keyId),
        secretKey: Redacted.make(keys.secret),
        baseUrl: url,
        symbols: [SPY, USO]
      }).pipe(Effect.provide(FetchHttpClient.layer))
      const expected = yield* upstream.corporateActions(DAYS[0]!, DAYS[7]!)
      assert.strictEqual(expected.length, 3)
      assert.deepStrictEqual(yield* feed.corporateActions(DAYS[0]!, DAYS[7]!), expected)
      assert.deepStrictEqual(
        (yield* feed.corporateActions(DAYS[4]!, DAYS[6]!)).map((a) => [a.kind, a.symbol, a.exDate]),
        [["split", "SPY", "2026-08-10"]]
      )
    }))

  it.effect("answers Alpaca's JSON shape and pages, and nothing dated after the request's moment", () =>
    Effect.gen(function*() {
      const { keys, url } = yield* served
      const get = (query: string, headers: Record<string, string> = {}) => send(url, "GET", `/v1/corporate-actions?${query}`, { keys, headers })

      // on 08-07 only USO's split (08-06) is known: SPY's are later
      const early = yield* get("symbols=SPY,USO&start=2026-08-01&end=2026-08-31", { "X-Council-Session": "2026-08-07" })
      assert.strictEqual(early.status, 200, early.text)
      const uso = early.json as { corporate_actions: { reverse_splits: Array<{ id: string }> }; next_page_token: null }
      assert.match(uso.corporate_actions.reverse_splits[0]!.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      assert.deepStrictEqual(early.json, {
        corporate_actions: {
          reverse_splits: [{
            id: uso.corporate_actions.reverse_splits[0]!.id,
            symbol: "USO",
            new_rate: 1,
            old_rate: 8,
            process_date: "2026-08-06",
            ex_date: "2026-08-06",
            record_date: "2026-08-06",
            payable_date: "2026-08-06"
          }]
        },
        next_page_token: null
      })

      // one action a page, `next_page_token` until null; the types filter; sort desc
      const pages: Array<unknown> = []
      let token: string | null = null
      do {
        const page = yield* get(`start=2026-08-01&end=2026-08-31&limit=1${token === null ? "" : `&page_token=${token}`}`)
        assert.strictEqual(page.status, 200, page.text)
        const body = page.json as { corporate_actions: Record<string, Array<{ symbol: string; ex_date: string }>>; next_page_token: string | null }
        pages.push(Object.entries(body.corporate_actions).map(([list, actions]) => [list, actions.map((a) => `${a.symbol} ${a.ex_date}`)]))
        token = body.next_page_token
      } while (token !== null && pages.length < 10)
      assert.deepStrictEqual(pages, [
        [["reverse_splits", ["USO 2026-08-06"]]],
        [["forward_splits", ["SPY 2026-08-10"]]],
        [["cash_dividends", ["SPY 2026-08-12"]]]
      ])
      const dividends = yield* get("types=cash_dividend&start=2026-08-01&end=2026-08-31&sort=desc")
      const [dividend] = (dividends.json as { corporate_actions: { cash_dividends: Array<Record<string, unknown>> } }).corporate_actions.cash_dividends
      assert.deepStrictEqual({ ...dividend, id: "" }, {
        id: "",
        symbol: "SPY",
        rate: 1.5,
        special: false,
        foreign: false,
        process_date: "2026-08-12",
        ex_date: "2026-08-12",
        record_date: "2026-08-12",
        payable_date: "2026-08-12"
      })
      // by default the request's day alone (the server's moment: 08-12, the dividend's ex-date)
      assert.deepStrictEqual(Object.keys((yield* get("")).json as object), ["corporate_actions", "next_page_token"])
      assert.deepStrictEqual(((yield* get("")).json as { corporate_actions: object }).corporate_actions, { cash_dividends: [dividend] })

      const bad = yield* get("types=split")
      assert.deepStrictEqual([bad.status, bad.json], [400, { message: "invalid types: split" }])
      assert.strictEqual((yield* get("page_token=nope")).status, 400)
      assert.strictEqual((yield* send(url, "GET", "/v1/corporate-actions")).status, 403)
    }))
})
