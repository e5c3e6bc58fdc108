import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { TestClock } from "effect/testing"
import { type AccountSnapshot, Ticker, TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { Database } from "@council/store"
import type { FakeAction } from "../../market/test/actionServers.ts"
import type { FakeBar } from "../../market/test/providerServers.ts"
import { alpacaFeed } from "../../market/test/remoteFeeds.ts"
import * as CorporateActions from "../src/CorporateActions.ts"
import { newAccountRow } from "../src/Keys.ts"
import * as Ledger from "../src/Ledger.ts"
import { ACCOUNT, type Harness, intent, tempDatabase, withExchange } from "./ExchangeFixture.ts"

const DAYS = ["2026-08-03", "2026-08-04", "2026-08-05", "2026-08-06", "2026-08-07", "2026-08-10", "2026-08-11", "2026-08-12", "2026-08-13", "2026-08-14"]
  .map((d) => TradingDay.make(d))
const [D1, D2, D3, D4, D5, D6, D7, D8, , D10] = DAYS as [TradingDay, TradingDay, TradingDay, TradingDay, TradingDay, TradingDay, TradingDay, TradingDay, TradingDay, TradingDay]
const SPY = Ticker.make("SPY")
const USO = Ticker.make("USO")

const rows = (prices: ReadonlyArray<readonly [number, number, number, number]>): ReadonlyArray<FakeBar> =>
  prices.map(([open, high, low, close], i) => ({ date: DAYS[i]!, open, high, low, close, volume: 1_000_000 }))

/** Raw prices: USO's 1:8 reverse split on D4 (10 → 80.80), SPY's 2:1 split on D6 (606 → 303), SPY's $1.50 dividend on D8. */
const BARS = {
  USO: rows([
    [10, 10.1, 9.9, 10],
    [10, 10.2, 9.95, 10.1],
    [10.1, 10.15, 9.95, 10],
    [80.8, 82, 80, 81.6],
    [81.6, 82.4, 81, 82],
    [82, 82.8, 81.6, 82.4],
    [82.4, 83, 82, 82.8],
    [82.8, 83.2, 82.4, 83.2],
    [83.2, 83.6, 82.8, 83.2],
    [83.2, 84, 83, 84]
  ]),
  SPY: rows([
    [598, 602, 597, 600],
    [600, 604, 599, 602],
    [602, 605, 600, 602],
    [603, 606, 601, 604],
    [604, 607, 602, 606],
    [303, 305, 302, 304],
    [304, 306, 303, 305],
    [303.5, 304, 302, 303],
    [303, 305, 302, 304],
    [304, 306, 303, 305]
  ])
}

const ACTIONS: ReadonlyArray<FakeAction> = [
  { kind: "split", symbol: "USO", exDate: D4, newRate: 1, oldRate: 8 },
  { kind: "split", symbol: "SPY", exDate: D6, newRate: 2, oldRate: 1 },
  { kind: "dividend", symbol: "SPY", exDate: D8, cash: 1.5, processDate: "2026-08-28" }
]

/** No slippage and no commission: the values below are the prices times the shares. */
const FRICTIONLESS = { slippageBps: 0, commissionPerShare: 0, commissionMin: 0 }

/** The Alpaca feed over a 127.0.0.1 server speaking its bars and corporate-actions endpoints (every day complete). */
const alpaca = Effect.gen(function*() {
  yield* TestClock.setTime(Date.parse("2026-09-01T00:00:00Z"))
  return (yield* alpacaFeed({ bars: BARS, symbols: [SPY, USO], actions: ACTIONS, now: () => 0 })).md
})

const positionOf = (snapshot: AccountSnapshot, symbol: Ticker) => {
  const p = snapshot.positions.find((position) => position.symbol === symbol)
  return p === undefined ? undefined : { qty: p.qty, avgEntryPrice: p.avgEntryPrice }
}

/** 100 USO and 10 SPY bought at D1's close, sell limits far above the market on D2, then the account on each day. */
const scenario = ({ broker, closeDay, setDay }: Harness) =>
  Effect.gen(function*() {
    yield* broker.placeOrder(intent({ symbol: USO, side: "buy", qty: 100 }))
    yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
    yield* closeDay
    yield* setDay(D2)
    // in the old shares: after USO's reverse split a limit of 12 is far below the market and would fill at once
    const usoExit = yield* broker.placeOrder(intent({ symbol: USO, side: "sell", qty: 100, type: "limit", limitPrice: 12, timeInForce: "gtc" }))
    const spyExit = yield* broker.placeOrder(intent({ symbol: SPY, side: "sell", qty: 10, type: "limit", limitPrice: 700, timeInForce: "gtc" }))
    const at = (day: TradingDay, close: boolean) =>
      Effect.gen(function*() {
        yield* setDay(day)
        if (close) yield* closeDay
        return yield* broker.getAccount
      })
    return {
      d3Close: yield* at(D3, true),
      d4: yield* at(D4, false),
      d5Close: yield* at(D5, true),
      d6: yield* at(D6, false),
      d8: yield* at(D8, false),
      d10Close: yield* at(D10, true),
      usoExit: yield* broker.getOrder(usoExit.id),
      spyExit: yield* broker.getOrder(spyExit.id)
    }
  })

const appliedRows = (filename: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<{ readonly action: string; readonly qty_before: number; readonly qty_after: number; readonly cash: number; readonly canceled: number }>`
      SELECT action, qty_before, qty_after, cash, canceled FROM exchange_corporate_actions WHERE account = 'CLAUDE' ORDER BY ex_date, action`
  }).pipe(Effect.provide(Database.layerSqlite(filename)))

describe("corporate actions on the local exchange over a remote feed's raw bars", () => {
  it.effect("a position keeps its value through a 1:8 reverse split and a 2:1 split (± the day's move); a dividend credits cash", () =>
    Effect.gen(function*() {
      const md = yield* alpaca
      const filename = tempDatabase()
      const seen = yield* withExchange(scenario, { market: Layer.succeed(MarketData, md), filename, exchange: FRICTIONLESS })
      // bought: 100 × 10 + 10 × 600 = 7,000 of the 100,000
      assert.strictEqual(seen.d3Close.cash, 93_000)
      assert.strictEqual(seen.d3Close.equity, 93_000 + 100 * 10 + 10 * 602)
      // USO's reverse split before D4's open: 12.5 shares at 80.80 (1,010), not 100 of them (8,080)
      assert.deepStrictEqual(positionOf(seen.d4, USO), { qty: 12.5, avgEntryPrice: 80 })
      assert.strictEqual(seen.d4.equity, 93_000 + 12.5 * 80.8 + 10 * 603)
      // nothing of D6 is known at D5's close: SPY is still 10 shares
      assert.deepStrictEqual(positionOf(seen.d5Close, SPY), { qty: 10, avgEntryPrice: 600 })
      assert.deepStrictEqual(positionOf(seen.d6, SPY), { qty: 20, avgEntryPrice: 300 })
      assert.strictEqual(seen.d6.equity, 93_000 + 12.5 * 82 + 20 * 303)
      // the dividend's morning: 20 shares × 1.50 in cash, the price down by about as much
      assert.strictEqual(seen.d8.cash, 93_030)
      assert.strictEqual(seen.d8.equity, 93_030 + 12.5 * 82.8 + 20 * 303.5)
      assert.strictEqual(seen.d10Close.equity, 93_030 + 12.5 * 84 + 20 * 305)
      // the open orders in the old shares were canceled at the split, not filled at a price of the new ones
      assert.strictEqual(seen.usoExit.status, "canceled")
      assert.strictEqual(seen.spyExit.status, "canceled")
      assert.deepStrictEqual(yield* appliedRows(filename), [
        { action: `split USO ${D4} 1:8`, qty_before: 100, qty_after: 12.5, cash: 0, canceled: 1 },
        { action: `split SPY ${D6} 2:1`, qty_before: 10, qty_after: 20, cash: 0, canceled: 1 },
        { action: `dividend SPY ${D8} 1.5`, qty_before: 20, qty_after: 20, cash: 30, canceled: 0 }
      ])
    }).pipe(Effect.scoped), 30_000)

  it.effect("a run replays exactly: the same orders on a fresh database give the same account every day, and a second exchange over the first database applies nothing again", () =>
    Effect.gen(function*() {
      const md = yield* alpaca
      const market = Layer.succeed(MarketData, md)
      const filename = tempDatabase()
      const first = yield* withExchange(scenario, { market, filename, exchange: FRICTIONLESS })
      const second = yield* withExchange(scenario, { market, exchange: FRICTIONLESS })
      const accounts = (seen: typeof first) => [seen.d3Close, seen.d4, seen.d5Close, seen.d6, seen.d8, seen.d10Close]
      assert.deepStrictEqual(accounts(second), accounts(first))
      assert.deepStrictEqual([second.usoExit.status, second.spyExit.status], ["canceled", "canceled"])
      const reopened = yield* withExchange(({ broker }) => broker.getAccount, { market, filename, start: D10, time: "16:00", exchange: FRICTIONLESS })
      assert.deepStrictEqual(reopened, first.d10Close)
      assert.strictEqual((yield* appliedRows(filename)).length, 3)
    }).pipe(Effect.scoped), 30_000)

  it.effect("an action met again (an advance resumed from a point before it) is applied once: the stored record says it was", () =>
    Effect.gen(function*() {
      const md = yield* alpaca
      const sql = yield* SqlClient.SqlClient
      const ledger = Ledger.make(sql)
      yield* ledger.createAccount(newAccountRow(ACCOUNT, { session: D1, phase: "closed" }, `${D1}T20:00:00.000Z`, 100_000))
      yield* ledger.writePosition(ACCOUNT, SPY, undefined, { qty: 10, avgEntryPrice: 600 })
      const corporate = CorporateActions.make({ ledger, sql, market: md })
      const book = { account: ACCOUNT, cash: 93_000 }
      yield* corporate.applyBefore(book, D5, D6)
      yield* corporate.applyBefore(book, D7, D8)
      // the same sessions again, as an advance that failed after them and resumed from D5 would
      yield* corporate.applyBefore(book, D5, D6)
      yield* corporate.applyBefore(book, D5, D8)
      assert.deepStrictEqual(yield* ledger.positions(ACCOUNT), [{ symbol: SPY, qty: 20, avg_entry_price: 300 }])
      assert.strictEqual(book.cash, 93_000 + 20 * 1.5)
      assert.deepStrictEqual((yield* corporate.appliedTo(ACCOUNT)).map((r) => [r.action, r.qty_before, r.qty_after, r.cash]), [
        [`split SPY ${D6} 2:1`, 10, 20, 0],
        [`dividend SPY ${D8} 1.5`, 20, 20, 30]
      ])
    }).pipe(Effect.provide(Database.layerSqlite(":memory:")), Effect.scoped), 30_000)
})
