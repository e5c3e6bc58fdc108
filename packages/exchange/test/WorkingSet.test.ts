import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { AccountId, type TradingDay } from "@council/domain"
import type { Broker } from "@council/broker"
import { LocalExchange } from "@council/exchange"
import { MarketData, MarketDataError } from "@council/market"
import { bracketBuy, ocoExit } from "./BracketOrders.ts"
import { bars, D1, D2, D3, D5, D6, intent, QQQ, SPY, tempDatabase, withExchange } from "./ExchangeFixture.ts"

/** Everything a broker says of the account, as one value. */
const stateOf = (broker: Broker) =>
  Effect.all({
    open: broker.listOrders({ status: "open", limit: 500 }),
    all: broker.listOrders({ status: "all", limit: 500, direction: "asc" }),
    account: broker.getAccount,
    positions: broker.getPositions,
    fills: broker.listFills({})
  })

describe("WorkingSet", () => {
  // An exchange keeps what its write calls left of an account (row, open orders, positions: changed in memory as
  // its statements changed the rows) and answers the reads after them from it. A fresh exchange on the same file
  // reads everything from the database: at every step both must say the same.
  it.effect("what an exchange remembers after its writes is what a fresh exchange reads from the file", () =>
    Effect.gen(function*() {
      const filename = tempDatabase()
      const fresh = (day: TradingDay, time: string) => withExchange(({ broker }) => stateOf(broker), { filename, start: day, time })
      yield* withExchange(({ broker, setDay, setTime }) =>
        Effect.gen(function*() {
          const same = (day: TradingDay, time: string) =>
            Effect.gen(function*() {
              const warm = yield* stateOf(broker)
              assert.deepStrictEqual(warm, yield* fresh(day, time), `${day} ${time}`)
              return warm
            })
          // D1, in the session: a bracket entry (filled at the close, its legs then work), a day limit bracket that
          // will expire with its held legs canceled, a QQQ position to hold exits on
          yield* broker.placeOrder(bracketBuy({ takeProfit: 106, stopLoss: 94 }))
          yield* broker.placeOrder(bracketBuy({ takeProfit: 110, stopLoss: 90 }, { qty: 5, type: "limit", limitPrice: 98, timeInForce: "day" }))
          yield* broker.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 20 }))
          yield* same(D1, "15:45")
          // D2: the account is brought there by a placement (a stop-limit that triggers without filling)
          yield* setDay(D2)
          yield* broker.placeOrder(intent({ symbol: QQQ, side: "sell", qty: 5, type: "stop_limit", timeInForce: "gtc", stopPrice: 39.5, limitPrice: 41.5 }))
          yield* same(D2, "15:45")
          // after the close: queued orders (one fills at the next open, one is routed there to fill at its close)
          yield* setTime("20:00")
          yield* broker.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 2 }))
          yield* broker.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 1, timeInForce: "cls" }))
          yield* same(D2, "20:00")
          // D3: brought there by a read; the queued orders filled or were routed at its open
          yield* setDay(D3)
          yield* same(D3, "15:45")
          // an OCO exit, one order canceled by id, then two sessions at once
          const oco = yield* broker.placeOrder({ ...ocoExit(), symbol: QQQ, takeProfit: { limitPrice: 45 }, stopLoss: { stopPrice: 35 } })
          const canceled = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1, type: "limit", limitPrice: 50, timeInForce: "gtc" }))
          yield* broker.cancelOrder(canceled.id)
          yield* same(D3, "15:45")
          // D5: D3's take-profit filled and canceled its stop-loss; the stop-limit triggered without filling
          yield* setDay(D5)
          yield* broker.cancelOrder(oco.legs[0]!.id)
          const atD5 = yield* same(D5, "15:45")
          assert.isTrue(atD5.open.some((o) => o.type === "stop_limit"))
          assert.isTrue(atD5.all.some((o) => o.legs.some((leg) => leg.type === "limit" && leg.status === "filled")))
          // closing: cancels the symbol's orders, then a market order; then everything
          yield* broker.closePosition(QQQ, { percentage: 50 })
          yield* same(D5, "15:45")
          yield* setDay(D6)
          yield* broker.closeAllPositions
          const end = yield* same(D6, "15:45")
          assert.isAbove(end.fills.length, 4)
        }), { filename, start: D1 })
    }))

  it.effect("a write starts from the file, not from what this exchange read before another one wrote", () =>
    Effect.gen(function*() {
      const filename = tempDatabase()
      yield* withExchange(({ broker }) =>
        Effect.gen(function*() {
          // read (and so remembered): no open order, all the cash free
          assert.deepStrictEqual(yield* broker.listOrders({ status: "open" }), [])
          assert.strictEqual((yield* broker.getAccount).buyingPower, 100_000)
          // another exchange on the file reserves most of the cash
          yield* withExchange(({ broker: other }) => other.placeOrder(intent({ symbol: SPY, side: "buy", qty: 900 })), { filename })
          // a buy that fits only if that order were not there is refused
          const refused = yield* Effect.flip(broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 200 })))
          assert.strictEqual(refused._tag === "BrokerError" ? refused.reason : refused._tag, "InsufficientBuyingPower")
          assert.strictEqual((yield* broker.listOrders({ status: "open" })).length, 1)
        }), { filename })
    }))

  // Fills write their cash once, with the account's new point. Bringing an account to the present can fail part
  // way (the market data fails on a later order's bar); in a transaction shared with other calls (`GroupCommit`)
  // what it wrote before stands: the fills on the way must stand with their cash.
  it.effect("a fill stands with its cash when bringing the account to the present fails after it", () =>
    Effect.gen(function*() {
      let feedDown = false
      const market = Layer.effect(
        MarketData,
        Effect.map(Effect.service(MarketData), (inner) =>
          MarketData.of({
            ...inner,
            bars: (query) =>
              feedDown && query.symbol === QQQ
                ? Effect.fail(new MarketDataError({ reason: "Unavailable", message: "the feed is down" }))
                : inner.bars(query)
          }))
      ).pipe(Layer.provide(MarketData.layerTest(bars)))
      const buyBoth = (broker: Broker) =>
        Effect.andThen(
          broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 })),
          broker.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 10 }))
        )
      const cashAndPositions = (broker: Broker) =>
        Effect.map(broker.getAccount, (a) => ({ cash: a.cash, positions: a.positions.map((p) => [p.symbol, p.qty]) }))
      // where nothing failed
      const expected = yield* withExchange(({ broker, closeDay }) =>
        Effect.gen(function*() {
          yield* buyBoth(broker)
          yield* closeDay
          return yield* cashAndPositions(broker)
        }))
      assert.deepStrictEqual(expected.positions, [[QQQ, 10], [SPY, 10]])
      const actual = yield* withExchange(({ broker, closeDay, exchange }) =>
        Effect.gen(function*() {
          // SPY's market order is older than QQQ's: at the close it fills first, then QQQ's bar fails
          yield* buyBoth(broker)
          const others = ["GPT", "GEMINI", "GROK", "DEEPSEEK"].map((id) => LocalExchange.broker(exchange, AccountId.make(id)))
          yield* Effect.forEach(others, (other) => other.getAccount, { discard: true })
          yield* closeDay
          feedDown = true
          // the accounts are brought to the close together: one transaction, in which this one fails
          const [mine] = yield* Effect.all([Effect.exit(broker.getAccount), ...others.map((other) => other.getAccount)], {
            concurrency: "unbounded"
          })
          assert.isTrue(Exit.isFailure(mine))
          feedDown = false
          return yield* cashAndPositions(broker)
        }), { market })
      assert.deepStrictEqual(actual, expected)
    }))
})
