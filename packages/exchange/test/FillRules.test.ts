import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { type Bar, epochOf, momentAt, type OrderIntent, TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { Database } from "@council/store"
import { type BrokerError, type Broker } from "@council/broker"
import { ExchangeSession, LocalExchange, type LocalExchangeOptions } from "@council/exchange"
import { ocoExit } from "./BracketOrders.ts"
import { ACCOUNT, bars, closeAt, D1, D2, D3, D4, D6, intent, isoAt, SPY } from "./ExchangeFixture.ts"

/** An exchange whose present is the test clock's now (`TestClock`), on a fresh in-memory ledger. */
const withClock = <A, E>(
  body: (broker: Broker) => Effect.Effect<A, E>,
  options: { readonly bars?: Record<string, ReadonlyArray<Bar>>; readonly exchange?: LocalExchangeOptions } = {}
) =>
  Effect.gen(function*() {
    const exchange = yield* LocalExchange
    return yield* body(LocalExchange.broker(exchange, ACCOUNT))
  }).pipe(
    Effect.provide(LocalExchange.layer(options.exchange).pipe(
      Layer.provide(Database.layerSqlite(":memory:")),
      Layer.provide(MarketData.layerTest(options.bars ?? bars)),
      Layer.provide(ExchangeSession.layerClock),
      Layer.fresh
    ))
  )

/** Moves the test clock to `time`, New York time, of `day`. */
const at = (day: string, time: string) => TestClock.setTime(epochOf(momentAt(day, time)))

const refused = (error: BrokerError, message: RegExp) => {
  assert.strictEqual(error.reason, "InvalidRequest", error.message)
  assert.match(error.message, message)
}

const cls = (side: "buy" | "sell" = "buy", qty = 10) => intent({ symbol: SPY, side, qty, timeInForce: "cls" })

/** 10 SPY bought at D1's close (100.05), then `exit` placed after that close; returns the exit. */
const protectedAfterD1 = (broker: Broker, exit: OrderIntent) =>
  Effect.gen(function*() {
    yield* at(D1, "15:45")
    yield* broker.placeOrder(cls())
    yield* at(D1, "16:30")
    return yield* broker.placeOrder(exit)
  })

/** SPY quiet at 100 on D1, then `d2` (a gap at its open). */
const gapOnD2 = (d2: Pick<Bar, "open" | "high" | "low" | "close">) => ({
  bars: { SPY: [{ date: D1, open: 100, high: 101, low: 99, close: 100, volume: 1 }, { date: D2, ...d2, volume: 1 }] }
})

/** Around NYSE's 13:00 close of 2025-11-28 (the day after Thanksgiving). */
const EARLY = TradingDay.make("2025-11-28")
const earlyBars: Record<string, ReadonlyArray<Bar>> = {
  SPY: [
    { date: TradingDay.make("2025-11-26"), open: 600, high: 605, low: 598, close: 604, volume: 1 },
    { date: EARLY, open: 604, high: 610, low: 603, close: 608, volume: 1 },
    { date: TradingDay.make("2025-12-01"), open: 607, high: 609, low: 600, close: 601, volume: 1 }
  ]
}

describe("the local exchange's fill rules (the present is the clock's)", () => {
  it.effect("a market-on-close order sent before the cutoff fills at that session's close with slippage and commission, not before", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D1, "15:49:59")
        const order = yield* broker.placeOrder(cls())
        assert.deepStrictEqual([order.status, order.timeInForce, order.submittedAt], ["new", "cls", isoAt(D1, "15:49:59")])
        yield* at(D1, "15:59:59")
        assert.deepStrictEqual([(yield* broker.getOrder(order.id)).status, (yield* broker.getPositions).length], ["new", 0])
        yield* at(D1, "16:00")
        const filled = yield* broker.getOrder(order.id)
        assert.deepStrictEqual([filled.status, filled.filledAvgPrice, filled.filledAt], ["filled", 100.05, closeAt(D1)])
        assert.strictEqual((yield* broker.getAccount).cash, 100_000 - 1000.5 - 1)
      }), { exchange: { commissionPerShare: 0.01, commissionMin: 1 } }))

  it.effect("market-on-close orders are refused from 10 minutes before the close until 19:00; later they queue for the next close", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D1, "15:50")
        refused(yield* Effect.flip(broker.placeOrder(cls())), /market on close orders are not accepted from 10 minutes before the close until 19:00/)
        yield* at(D1, "18:59:59")
        refused(yield* Effect.flip(broker.placeOrder(cls())), /not accepted/)
        yield* at(D1, "19:00")
        const queued = yield* broker.placeOrder(cls())
        assert.strictEqual(queued.status, "accepted")
        yield* at(D2, "09:30")
        assert.strictEqual((yield* broker.getOrder(queued.id)).status, "new")
        yield* at(D2, "15:59")
        assert.strictEqual((yield* broker.getOrder(queued.id)).status, "new")
        yield* at(D2, "16:00")
        const filled = yield* broker.getOrder(queued.id)
        assert.deepStrictEqual([filled.status, filled.filledAvgPrice, filled.filledAt], ["filled", 102.05, closeAt(D2)])
      })))

  it.effect("a market order sent after the close waits, accepted, and fills at the next session's open", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D1, "16:15")
        const order = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
        assert.deepStrictEqual([order.status, order.filledAvgPrice], ["accepted", null])
        yield* at(D2, "09:29:59")
        assert.strictEqual((yield* broker.getOrder(order.id)).status, "accepted")
        yield* at(D2, "09:30")
        const filled = yield* broker.getOrder(order.id)
        assert.deepStrictEqual([filled.status, filled.filledAvgPrice, filled.filledAt], ["filled", 101.05, isoAt(D2, "09:30")])
      })))

  it.effect("a market order sent before the open fills at that session's open; a sell at the open less slippage", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D1, "10:00")
        yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
        yield* at(D2, "08:00")
        const sell = yield* broker.placeOrder(intent({ symbol: SPY, side: "sell", qty: 10 }))
        assert.strictEqual(sell.status, "accepted")
        yield* at(D2, "09:30")
        assert.deepStrictEqual([(yield* broker.getOrder(sell.id)).filledAvgPrice, (yield* broker.getPositions).length], [100.95, 0])
      })))

  it.effect("on the last day of the data a market order sent after the close stays open", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D6, "16:15")
        const order = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1 }))
        yield* at("2026-08-11", "10:00")
        assert.deepStrictEqual([(yield* broker.getOrder(order.id)).status, (yield* broker.getPositions).length], ["accepted", 0])
        assert.isFalse((yield* broker.getClock).isOpen)
      })))

  it.effect("a market order sent during the session fills at its close, the one price known to come after it", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D2, "10:00")
        const order = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
        assert.strictEqual(order.status, "new")
        const during = yield* broker.getAccount
        assert.deepStrictEqual([during.positions.length, during.buyingPower], [0, 98_989.5])
        yield* at(D2, "16:00")
        assert.deepStrictEqual([(yield* broker.getOrder(order.id)).filledAvgPrice, (yield* broker.getOrder(order.id)).filledAt], [102.05, closeAt(D2)])
      })))

  it.effect("market-on-open orders are refused from 09:28 until 19:00", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D2, "09:27:59")
        const early = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1, timeInForce: "opg" }))
        assert.strictEqual(early.status, "accepted")
        yield* at(D2, "09:28")
        refused(yield* Effect.flip(broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1, timeInForce: "opg" }))), /market on open orders/)
        yield* at(D2, "09:30")
        assert.strictEqual((yield* broker.getOrder(early.id)).filledAvgPrice, 101.05)
      })))

  it.effect("limit orders meet the bars of the sessions after the one they were sent in, at their close", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D1, "10:00")
        const limit = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1, type: "limit", limitPrice: 99.5, timeInForce: "gtc" }))
        yield* at(D1, "16:00")
        assert.strictEqual((yield* broker.getOrder(limit.id)).status, "new")
        yield* at(D4, "15:59")
        assert.strictEqual((yield* broker.getOrder(limit.id)).status, "new")
        yield* at(D4, "16:00")
        assert.deepStrictEqual([(yield* broker.getOrder(limit.id)).filledAvgPrice, (yield* broker.getOrder(limit.id)).filledAt], [99.5, closeAt(D4)])
      })))

  it.effect("an exit the open gaps through fills at the open, so a run later in the session cannot cancel it", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        // bought at D1's close (100 + 5 bps = 100.05); protected after the close by take-profit 105 / stop 95
        const oco = yield* protectedAfterD1(broker, ocoExit())
        // D2 opens at 90.20, through the stop: a sell stop fills at the open less 5 bps, 90.1549 → 90.15
        yield* at(D2, "09:30")
        const stop = (yield* broker.getOrder(oco.id)).legs[0]!
        assert.deepStrictEqual([stop.status, stop.filledAvgPrice, stop.filledAt], ["filled", 90.15, isoAt(D2, "09:30")])
        assert.strictEqual((yield* broker.getOrder(oco.id)).status, "canceled")
        assert.deepStrictEqual(yield* broker.getPositions, [])
        // the 15:45 run finds it done: nothing left to cancel, and the cash holds the sale
        yield* at(D2, "15:45")
        assert.strictEqual(yield* broker.cancelAllOrders, 0)
        assert.strictEqual((yield* broker.getAccount).cash, 100_000 - 10 * 100.05 + 10 * 90.15)
      }), gapOnD2({ open: 90.2, high: 99, low: 89, close: 98 })))

  it.effect("a stop-limit the open gaps through without reaching its limit works as a limit for the rest of that session", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        const order = yield* protectedAfterD1(broker, intent({ symbol: SPY, side: "sell", qty: 10, type: "stop_limit", timeInForce: "gtc", stopPrice: 95, limitPrice: 94 }))
        // D2 opens at 90, through the stop but under the limit: triggered at 09:30, not filled
        yield* at(D2, "09:30")
        const opened = yield* broker.getOrder(order.id)
        assert.deepStrictEqual([opened.status, opened.updatedAt], ["new", isoAt(D2, "09:30")])
        // the high (95), later than the open, reaches the limit: filled at 94 at D2's close, not a session later
        yield* at(D2, "16:00")
        const filled = yield* broker.getOrder(order.id)
        assert.deepStrictEqual([filled.status, filled.filledAvgPrice, filled.filledAt], ["filled", 94, closeAt(D2)])
      }), gapOnD2({ open: 90, high: 95, low: 89, close: 92 })))

  it.effect("marks positions at the latest price known: the open during a session, the close from its close on", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D1, "15:45")
        yield* broker.placeOrder(cls())
        yield* at(D2, "09:29")
        assert.deepStrictEqual((yield* broker.getPositions).map((p) => p.currentPrice), [100])
        yield* at(D2, "09:30")
        assert.deepStrictEqual((yield* broker.getPositions).map((p) => p.currentPrice), [101])
        yield* at(D2, "15:59:59")
        assert.deepStrictEqual((yield* broker.getPositions).map((p) => p.currentPrice), [101])
        yield* at(D2, "16:00")
        assert.deepStrictEqual((yield* broker.getPositions).map((p) => p.currentPrice), [102])
      })))

  it.effect("an early close (13:00) moves the market-on-close cutoff to 12:50 and the fill to 13:00", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(EARLY, "12:49:59")
        const order = yield* broker.placeOrder(cls())
        yield* at(EARLY, "12:50")
        refused(yield* Effect.flip(broker.placeOrder(cls())), /not accepted/)
        yield* at(EARLY, "12:59:59")
        assert.deepStrictEqual([(yield* broker.getClock).isOpen, (yield* broker.getOrder(order.id)).status], [true, "new"])
        yield* at(EARLY, "13:00")
        const clock = yield* broker.getClock
        assert.deepStrictEqual([clock.isOpen, clock.nextOpen, clock.nextClose], [false, "2025-12-01T09:30:00-05:00", "2025-12-01T16:00:00-05:00"])
        const filled = yield* broker.getOrder(order.id)
        assert.deepStrictEqual([filled.filledAvgPrice, filled.filledAt], [608.3, "2025-11-28T18:00:00.000Z"])
      }), { bars: earlyBars }))
})

// SPY on D2: open 101, high 103, low 100, close 102; on D3: open 102, high 108, low 101, close 107. With daily bars the
// one price known to trade after 15:45 is the day's close: a `day` order sent then can only meet that close.
describe("a day order sent during a session meets that session's close alone (never the next session's bar)", () => {
  const limit = (side: "buy" | "sell", qty: number, limitPrice: number, timeInForce: "day" | "gtc" = "day") =>
    intent({ symbol: SPY, side, qty, type: "limit", limitPrice, timeInForce })
  const state = (broker: Broker, id: string) => Effect.map(broker.getOrder(id), (o) => [o.status, o.filledAvgPrice, o.status === "new" ? null : o.filledAt ?? o.updatedAt ?? null])

  it.effect("a day limit fills at the close when the close crosses it, and expires at that close when only the bar's range did", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D1, "15:45")
        yield* broker.placeOrder(cls())
        yield* at(D2, "15:45")
        const crossed = yield* broker.placeOrder(limit("buy", 1, 102.5))
        const touched = yield* broker.placeOrder(limit("buy", 1, 101))
        const sell = yield* broker.placeOrder(limit("sell", 5, 101.5))
        assert.deepStrictEqual([crossed.status, touched.status, sell.status], ["new", "new", "new"])
        yield* at(D2, "15:59:59")
        assert.deepStrictEqual((yield* state(broker, crossed.id))[0], "new")
        yield* at(D2, "16:00")
        // at the close, no slippage (a limit's price is its own): 102 ≤ 102.5 buys, 102 ≥ 101.5 sells
        assert.deepStrictEqual(yield* state(broker, crossed.id), ["filled", 102, closeAt(D2)])
        assert.deepStrictEqual(yield* state(broker, sell.id), ["filled", 102, closeAt(D2)])
        // the low (100) reached 101 at some time of the day daily bars cannot place after 15:45: expired, not filled
        assert.deepStrictEqual(yield* state(broker, touched.id), ["expired", null, closeAt(D2)])
        // D3's low (101) reaches it too: a day order of D2 is not there any more
        yield* at(D3, "16:00")
        assert.deepStrictEqual(yield* state(broker, touched.id), ["expired", null, closeAt(D2)])
        assert.deepStrictEqual((yield* broker.getPositions).map((p) => p.qty), [6])
      })))

  it.effect("a day stop triggers on the close alone: a sell stop the close reaches fills at it less the slippage", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        const stop = (stopPrice: number) => intent({ symbol: SPY, side: "sell", qty: 5, type: "stop", stopPrice, timeInForce: "day" })
        yield* at(D1, "15:45")
        yield* broker.placeOrder(cls())
        yield* at(D2, "15:45")
        const reached = yield* broker.placeOrder(stop(102.5))
        const touched = yield* broker.placeOrder(stop(100.5))
        yield* at(D2, "16:00")
        // 102 less 5 bps is 101.949, on the tick 101.95
        assert.deepStrictEqual(yield* state(broker, reached.id), ["filled", 101.95, closeAt(D2)])
        assert.deepStrictEqual(yield* state(broker, touched.id), ["expired", null, closeAt(D2)])
      })))

  it.effect("a day OCO pair sent during a session: the take-profit the close crosses fills at it, one the range alone touched expires", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        const oco = (takeProfit: number, stopLoss: number) => ({ ...ocoExit(), limitPrice: takeProfit, takeProfit: { limitPrice: takeProfit }, stopLoss: { stopPrice: stopLoss }, timeInForce: "day" as const })
        yield* at(D1, "15:45")
        yield* broker.placeOrder(cls("buy", 20))
        yield* at(D2, "15:45")
        const crossed = yield* broker.placeOrder(oco(101.5, 95))
        // the high (103) and the low (100) reach both of these: daily bars cannot put either after 15:45
        const touched = yield* broker.placeOrder(oco(102.5, 100.5))
        yield* at(D2, "16:00")
        assert.deepStrictEqual(yield* state(broker, crossed.id), ["filled", 102, closeAt(D2)])
        assert.deepStrictEqual((yield* broker.getOrder(crossed.id)).legs.map((leg) => leg.status), ["canceled"])
        assert.deepStrictEqual(yield* state(broker, touched.id), ["expired", null, closeAt(D2)])
        assert.deepStrictEqual((yield* broker.getOrder(touched.id)).legs.map((leg) => leg.status), ["expired"])
        assert.deepStrictEqual((yield* broker.getPositions).map((p) => p.qty), [10])
      })))

  it.effect("a gtc limit sent at 15:45 works from the next session: the close it was sent before does not fill it", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D2, "15:45")
        const gtc = yield* broker.placeOrder(limit("buy", 1, 102.5, "gtc"))
        yield* at(D2, "16:00")
        assert.deepStrictEqual(yield* state(broker, gtc.id), ["new", null, null])
        // D3 opens at 102, under the limit: filled at the open
        yield* at(D3, "09:30")
        assert.deepStrictEqual(yield* state(broker, gtc.id), ["filled", 102, isoAt(D3, "09:30")])
      })))

  it.effect("a day limit sent before the open works that whole session; one sent after the close, the next session's", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(D2, "08:00")
        const early = yield* broker.placeOrder(limit("buy", 1, 100.5))
        yield* at(D2, "16:30")
        const late = yield* broker.placeOrder(limit("buy", 1, 101.5))
        // D2's low (100) reaches 100.5 after its open (101): filled at the limit at D2's close
        assert.deepStrictEqual(yield* state(broker, early.id), ["filled", 100.5, closeAt(D2)])
        // D3 opens at 102 and its low (101) reaches 101.5: filled at the limit at D3's close
        yield* at(D3, "16:00")
        assert.deepStrictEqual(yield* state(broker, late.id), ["filled", 101.5, closeAt(D3)])
      })))

  // 2025-11-28 closes at 13:00 (open 604, high 610, low 603, close 608); 2025-12-01: open 607, low 600
  it.effect("on an early close: one sent at 12:55 meets the 13:00 close alone, even when first read sessions later; one sent at 13:05, the next session's bar", () =>
    withClock((broker) =>
      Effect.gen(function*() {
        yield* at(EARLY, "12:55")
        const crossed = yield* broker.placeOrder(limit("buy", 1, 609))
        const touched = yield* broker.placeOrder(limit("buy", 1, 605))
        yield* at(EARLY, "13:05")
        const after = yield* broker.placeOrder(limit("buy", 1, 602))
        // read first at the next session's close: 2025-12-01's low (600) reaches 605, but that order ended at 13:00
        yield* at("2025-12-01", "16:00")
        assert.deepStrictEqual(yield* state(broker, crossed.id), ["filled", 608, isoAt(EARLY, "13:00")])
        assert.deepStrictEqual(yield* state(broker, touched.id), ["expired", null, isoAt(EARLY, "13:00")])
        // sent after the early close: 2025-12-01's whole bar, its low reaching 602 after an open of 607
        assert.deepStrictEqual(yield* state(broker, after.id), ["filled", 602, isoAt(TradingDay.make("2025-12-01"), "16:00")])
        assert.deepStrictEqual((yield* broker.getPositions).map((p) => p.qty), [2])
      }), { bars: earlyBars }))
})
