import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Ticker, TradingDay } from "@council/domain"
import { CorporateAction } from "@council/market"
import { TestClock } from "effect/testing"
import type { FakeAction } from "./actionServers.ts"
import { barsOf, type Recorded } from "./providerServers.ts"
import { alpacaFeed, polygonFeed } from "./remoteFeeds.ts"

const day = TradingDay.make
const KEY = "PKTESTKEYID123"
/** 17:00 New York on Friday 2024-11-15: the last complete day is 2024-11-14. */
const NOW = Date.parse("2024-11-15T22:00:00Z")
const SYMBOLS = ["SPY", "QQQ", "USO"]

const ACTIONS: ReadonlyArray<FakeAction> = [
  { kind: "split", symbol: "USO", exDate: "2024-04-29", newRate: 1, oldRate: 8 },
  { kind: "split", symbol: "SPY", exDate: "2024-06-10", newRate: 2, oldRate: 1 },
  // processed (paid) six weeks after its ex-date: Alpaca's start/end filter on the process date
  { kind: "dividend", symbol: "SPY", exDate: "2024-09-20", cash: 1.5, processDate: "2024-10-31" },
  // ex-date after today: not known yet, though the provider has it
  { kind: "dividend", symbol: "QQQ", exDate: "2024-11-18", cash: 0.7, processDate: "2024-11-29" },
  // a symbol outside the universe
  { kind: "dividend", symbol: "IBM", exDate: "2024-05-09", cash: 1.67, processDate: "2024-06-10" }
]

const KNOWN_BY_NOW: ReadonlyArray<CorporateAction.CorporateAction> = [
  { kind: "split", symbol: Ticker.make("USO"), exDate: day("2024-04-29"), newRate: 1, oldRate: 8 },
  { kind: "split", symbol: Ticker.make("SPY"), exDate: day("2024-06-10"), newRate: 2, oldRate: 1 },
  { kind: "dividend", symbol: Ticker.make("SPY"), exDate: day("2024-09-20"), cash: 1.5 }
]

const bars = Object.fromEntries(SYMBOLS.map((s) => [s, barsOf(s)]))

const alpaca = Effect.fnUntraced(function*(pageSize?: number) {
  yield* TestClock.setTime(NOW)
  return yield* alpacaFeed({ bars, symbols: SYMBOLS, actions: ACTIONS, actionsPage: pageSize })
})

const actionRequests = (server: { readonly requests: ReadonlyArray<Recorded> }) =>
  server.requests.filter((r) => r.path === "/v1/corporate-actions" || r.path.startsWith("/v3/reference/"))

describe("corporate actions of the remote feeds", () => {
  it.effect("alpaca: splits and cash dividends by ex-date, none dated after today, none of another symbol", () =>
    Effect.gen(function*() {
      const { md, server } = yield* alpaca()
      // bars alone never ask for actions
      yield* md.bars({ symbol: Ticker.make("SPY"), asOf: day("2024-11-14"), lookback: 30 })
      assert.deepStrictEqual(actionRequests(server), [])
      const actions = yield* md.corporateActions(day("2024-01-01"), day("2024-12-31"))
      assert.deepStrictEqual(actions, KNOWN_BY_NOW)
      const [asked] = actionRequests(server)
      assert.strictEqual(asked!.query.get("types"), "forward_split,reverse_split,cash_dividend")
      assert.strictEqual(asked!.query.get("symbols"), "SPY,QQQ,USO")
      // ex-dates up to today (2024-11-15) asked as process dates up to 90 days later
      assert.deepStrictEqual([asked!.query.get("start"), asked!.query.get("end")], ["2023-12-25", "2025-02-13"])
    }).pipe(Effect.scoped))

  it.effect("alpaca: a range asked is fetched through today, then not asked again; a later day asks only for the days after", () =>
    Effect.gen(function*() {
      const { md, server } = yield* alpaca()
      assert.deepStrictEqual(yield* md.corporateActions(day("2024-06-01"), day("2024-06-30")), [KNOWN_BY_NOW[1]!])
      assert.deepStrictEqual(yield* md.corporateActions(day("2024-06-10"), day("2024-06-10")), [KNOWN_BY_NOW[1]!])
      assert.strictEqual(actionRequests(server).length, 1)
      // on the QQQ dividend's ex-date (20:00 New York), it is known
      yield* TestClock.setTime(Date.parse("2024-11-19T01:00:00Z"))
      const later = yield* md.corporateActions(day("2024-06-01"), day("2024-11-20"))
      assert.deepStrictEqual(later, [KNOWN_BY_NOW[1]!, KNOWN_BY_NOW[2]!, { kind: "dividend", symbol: Ticker.make("QQQ"), exDate: day("2024-11-18"), cash: 0.7 }])
      const asked = actionRequests(server).map((r) => [r.query.get("start"), r.query.get("end")])
      // 2024-06-01 .. 2024-11-15, then 2024-11-16 .. 2024-11-18 (process dates from a week before to 90 days after)
      assert.deepStrictEqual(asked, [["2024-05-25", "2025-02-13"], ["2024-11-09", "2025-02-16"]])
    }).pipe(Effect.scoped))

  it.effect("a snapshot's history has the splits known by its day applied before their ex-date (the day's bar raw); one before the split is raw", () =>
    Effect.gen(function*() {
      const { md } = yield* alpaca()
      const raw = barsOf("SPY")
      const rawOn = (date: string) => raw.find((b) => b.date === date)!
      const spyOf = (snapshot: { readonly history: ReadonlyArray<{ readonly symbol: string; readonly bars: ReadonlyArray<unknown> }> }) =>
        snapshot.history.find((h) => h.symbol === "SPY")!.bars
      // SPY's 2:1 split is on 2024-06-10: as of 2024-06-11 the two sessions before it are halved, volume doubled
      const after = spyOf(yield* md.snapshot(day("2024-06-11"), 4))
      const halved = (date: string) => {
        const b = rawOn(date)
        return { date, open: b.open / 2, high: b.high / 2, low: b.low / 2, close: b.close / 2, volume: b.volume * 2 }
      }
      assert.deepStrictEqual(after, [halved("2024-06-06"), halved("2024-06-07"), rawOn("2024-06-10"), rawOn("2024-06-11")])
      // as of 2024-06-07 the split is not known: the bars are the raw ones
      assert.deepStrictEqual(spyOf(yield* md.snapshot(day("2024-06-07"), 2)), [rawOn("2024-06-06"), rawOn("2024-06-07")])
      // USO's reverse split (2024-04-29) is before the window: nothing changes
      const uso: ReadonlyArray<unknown> = (yield* md.snapshot(day("2024-06-11"), 2)).history.find((h) => h.symbol === "USO")!.bars
      assert.deepStrictEqual<ReadonlyArray<unknown>>(uso, barsOf("USO").filter((b) => b.date === "2024-06-10" || b.date === "2024-06-11"))
    }).pipe(Effect.scoped))

  it.effect("alpaca: follows next_page_token", () =>
    Effect.gen(function*() {
      const { md, server } = yield* alpaca(1)
      assert.deepStrictEqual(yield* md.corporateActions(day("2024-01-01"), day("2024-11-14")), KNOWN_BY_NOW)
      assert.isAbove(actionRequests(server).length, 3)
    }).pipe(Effect.scoped))

  it.effect("polygon: splits (split_to for split_from) and dividends per symbol, by ex-date", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const { md, server } = yield* polygonFeed({ bars, symbols: SYMBOLS, apiKey: KEY, actions: ACTIONS, now: () => 0 })
      assert.deepStrictEqual(yield* md.corporateActions(day("2024-01-01"), day("2024-12-31")), KNOWN_BY_NOW)
      const asked = actionRequests(server)
      assert.strictEqual(asked.length, 6, "a splits and a dividends call per symbol")
      assert.deepStrictEqual(
        asked.map((r) => [r.path, r.query.get("ticker"), r.headers.authorization]),
        ["SPY", "QQQ", "USO"].flatMap((t) => [["/v3/reference/splits", t, `Bearer ${KEY}`], ["/v3/reference/dividends", t, `Bearer ${KEY}`]])
      )
      assert.strictEqual(asked[0]!.query.get("execution_date.lte"), "2024-11-15")
    }).pipe(Effect.scoped))
})

describe("CorporateAction.holdings", () => {
  it("one share bought on the first date: a 2:1 split doubles it, a dividend adds its cash, an action of the first date is before the purchase", () => {
    const dates = ["2024-06-03", "2024-06-04", "2024-06-05", "2024-06-06", "2024-06-07"].map((d) => day(d))
    const spy = Ticker.make("SPY")
    const held = CorporateAction.holdings(dates, [
      { kind: "dividend", symbol: spy, exDate: day("2024-06-06"), cash: 0.5 },
      { kind: "split", symbol: spy, exDate: day("2024-06-05"), newRate: 2, oldRate: 1 },
      { kind: "split", symbol: spy, exDate: day("2024-06-03"), newRate: 3, oldRate: 1 },
      { kind: "split", symbol: Ticker.make("USO"), exDate: day("2024-06-04"), newRate: 1, oldRate: 8 }
    ], spy)
    assert.deepStrictEqual(held, [
      { shares: 1, cash: 0 },
      { shares: 1, cash: 0 },
      { shares: 2, cash: 0 },
      { shares: 2, cash: 1 },
      { shares: 2, cash: 1 }
    ])
    // the value through the split at raw prices 100 → 50.5: the day's 1 % move, not a halving
    assert.strictEqual(CorporateAction.valueAt(held[1]!, 100), 100)
    assert.strictEqual(CorporateAction.valueAt(held[2]!, 50.5), 101)
    assert.strictEqual(CorporateAction.valueAt(held[3]!, 50), 101)
  })
})
