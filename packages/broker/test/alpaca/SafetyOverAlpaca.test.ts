import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AccountId, defaultAccountSettings, type OrderIntent, Ticker } from "@council/domain"
import { SafetyBroker } from "@council/broker"
import { AlpacaBroker } from "@council/broker/Alpaca"
import { type FakeAlpaca, position, startFakeAlpaca } from "./FakeAlpaca.ts"
import { ACCOUNT, clientFor } from "./fixtures.ts"

// The safety broker over the Alpaca adapter and the fake Alpaca server on 127.0.0.1: what it refuses never
// reaches the server (no POST /v2/orders).

const order = (fields: Partial<OrderIntent>): OrderIntent => ({
  account: ACCOUNT,
  symbol: Ticker.make("SPY"),
  side: "sell",
  qty: 10,
  type: "market",
  timeInForce: "day",
  orderClass: "simple",
  clientOrderId: "order",
  reason: "test",
  ...fields
})

const exit = (qty: number, clientOrderId: string) =>
  order({ qty, type: "limit", limitPrice: 900, timeInForce: "gtc", orderClass: "oco", takeProfit: { limitPrice: 900 }, stopLoss: { stopPrice: 600 }, clientOrderId })

const prices: SafetyBroker.ReferencePrices["Service"] = { of: () => Effect.succeed(new Map([["SPY", 760]])) }

const safeOver = (settings: Partial<typeof defaultAccountSettings>) =>
  Effect.gen(function*() {
    const fake = yield* startFakeAlpaca()
    const inner = AlpacaBroker.fromClient(yield* clientFor(fake), {})
    const broker = SafetyBroker.decorate({ id: AccountId.make(ACCOUNT), mode: "PAPER", settings: { ...defaultAccountSettings, ...settings } }, inner, prices)
    const posts = () => fake.requests.filter((r) => r.method === "POST" && r.path === "/v2/orders").length
    return { fake, inner, broker, posts }
  })

describe("the safety broker over Alpaca (127.0.0.1)", () => {
  it.live("refuses an exit that, with the exit already working, would sell more than the shares held; the shares left pass", () =>
    Effect.scoped(Effect.gen(function*() {
      const { fake, inner, broker, posts } = yield* safeOver({})
      fake.positions.set("SPY", position("SPY", 15, 760))
      yield* inner.placeOrder(exit(10, "earlier-exit"))
      const before = posts()
      const refused = yield* Effect.flip(broker.placeOrder(exit(10, "second-exit")))
      assert.deepStrictEqual([refused.reason, refused.rule], ["SafetyRefused", "exit-exceeds-position"])
      assert.match(refused.message, /working exits of 10 would close 20, and SPY holds 15/)
      assert.strictEqual(posts(), before)
      yield* broker.placeOrder(exit(5, "rest-exit"))
      assert.strictEqual(posts(), before + 1)
    })))

  it.live("counts a bracket's stop that is done_for_day as a working exit: a second full-size exit is refused (it would go short)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { fake, inner, broker, posts } = yield* safeOver({})
      // a bracket bought 10 SPY; its take-profit and stop (GTC) are done for the session and work again at the next
      yield* filledWithExitsDoneForDay(fake, inner, { orderClass: "bracket", takeProfit: { limitPrice: 900 }, clientOrderId: "bracket-entry" })
      // the adapter reads the group back as open, with its legs done for the day
      const listed = yield* inner.listOrders({ status: "open" })
      assert.deepStrictEqual(listed.map((o) => [o.clientOrderId, o.status, o.legs.map((l) => l.status)]), [
        ["bracket-entry", "filled", ["done_for_day", "done_for_day"]]
      ])
      const before = posts()
      const refused = yield* Effect.flip(broker.placeOrder(exit(10, "second-exit")))
      assert.deepStrictEqual([refused.reason, refused.rule], ["SafetyRefused", "exit-exceeds-position"])
      assert.match(refused.message, /working exits of 10 would close 20, and SPY holds 10/)
      assert.strictEqual(posts(), before)
    })))

  it.live("counts an OTO's lone stop that is done_for_day as a working exit", () =>
    Effect.scoped(Effect.gen(function*() {
      const { fake, inner, broker, posts } = yield* safeOver({})
      yield* filledWithExitsDoneForDay(fake, inner, { orderClass: "oto", clientOrderId: "oto-entry" })
      const before = posts()
      const refused = yield* Effect.flip(broker.placeOrder(exit(10, "second-exit")))
      assert.deepStrictEqual([refused.reason, refused.rule], ["SafetyRefused", "exit-exceeds-position"])
      assert.strictEqual(posts(), before)
      // what the stop leaves uncovered is nothing: even one share more is refused
      assert.strictEqual((yield* Effect.flip(broker.placeOrder(exit(1, "one-more")))).rule, "exit-exceeds-position")
    })))

  it.live("refuses a fractional short sale on a fractional account before sending it; a whole one goes out", () =>
    Effect.scoped(Effect.gen(function*() {
      const { broker, posts } = yield* safeOver({ fractional: true, allowShorting: true })
      const refused = yield* Effect.flip(broker.placeOrder(order({ qty: 2.5, clientOrderId: "fraction" })))
      assert.deepStrictEqual([refused.reason, refused.rule], ["SafetyRefused", "fractional-short"])
      assert.strictEqual(posts(), 0)
      yield* broker.placeOrder(order({ qty: 2, clientOrderId: "whole" }))
      assert.strictEqual(posts(), 1)
    })))
})

/**
 * A GTC limit buy of 10 SPY at 760 with a stop at 600 (`entry`: its class, take-profit, id), filled, whose exit legs
 * are then `done_for_day` at the fake: done for the session, working again at the next one.
 */
const filledWithExitsDoneForDay = (
  fake: FakeAlpaca,
  inner: ReturnType<typeof AlpacaBroker.fromClient>,
  entry: Pick<OrderIntent, "orderClass" | "takeProfit" | "clientOrderId">
) =>
  Effect.gen(function*() {
    const placed = yield* inner.placeOrder(order({ side: "buy", type: "limit", limitPrice: 760, timeInForce: "gtc", stopLoss: { stopPrice: 600 }, ...entry }))
    fake.fill(placed.id, 760, "2026-08-03T19:50:00Z")
    fake.positions.set("SPY", position("SPY", 10, 760))
    const stored = fake.orders.get(placed.id)!
    fake.orders.set(placed.id, { ...stored, legs: stored.legs.map((leg) => ({ ...leg, status: "done_for_day" as const })) })
  })

/** A user's own open notional buy at the fake, as Alpaca lists it (`qty: null`, `notional` set, nothing filled). */
const userNotionalBuy = (fake: FakeAlpaca, symbol: string, notional: number) =>
  fake.addOrder({
    clientOrderId: "users-own-notional",
    symbol: Ticker.make(symbol),
    side: "buy",
    qty: 0,
    notional,
    type: "market",
    timeInForce: "day",
    limitPrice: null,
    stopPrice: null,
    orderClass: "simple",
    status: "accepted"
  })

describe("the safety broker over Alpaca with a user's open notional order (127.0.0.1)", () => {
  it.live("counts a waiting notional buy's dollars against the cash even with no price for its symbol", () =>
    Effect.scoped(Effect.gen(function*() {
      // no margin, $100,000 of cash; the user's own "$90,000 of QQQ" waits (no reference price, no position for QQQ)
      const { fake, broker, posts } = yield* safeOver({ maxOrderValue: 50_000, maxPositionPct: 50 })
      userNotionalBuy(fake, "QQQ", 90_000)
      // the buy reserves its $90,000 with the 3 % market collar ($92,700): $7,300 is left, and 10 SPY at $760 (+3 %)
      // is $7,828
      const refused = yield* Effect.flip(broker.placeOrder(order({ side: "buy", qty: 10, clientOrderId: "too-much" })))
      assert.deepStrictEqual([refused.reason, refused.rule], ["SafetyRefused", "buying-power"])
      assert.strictEqual(posts(), 0)
      assert.match(refused.message, /more than the \$7,300\.00 cash \(no margin\) left/)
      // 9 SPY ($7,045.20 with the collar) fits in what is left
      yield* broker.placeOrder(order({ side: "buy", qty: 9, clientOrderId: "fits" }))
      assert.strictEqual(posts(), 1)
    })))

  it.live("counts an open order older than the newest 500 (every page of them): seeded by a full listing or not, the order that would overdraw is refused", () =>
    Effect.scoped(Effect.gen(function*() {
      const { fake, broker, posts } = yield* safeOver({ maxOrderValue: 50_000, maxPositionPct: 50 })
      // the user's "$90,000 of QQQ" an hour ago, then 500 one-cent TLT bids, a second apart: it is past the newest 500
      const stamp = (id: string, at: number) => fake.orders.set(id, { ...fake.orders.get(id)!, submittedAt: new Date(at).toISOString() })
      stamp(userNotionalBuy(fake, "QQQ", 90_000).id, Date.now() - 3_600_000)
      for (let n = 0; n < 500; n++) {
        const bid = fake.addOrder({ clientOrderId: `bid-${n}`, symbol: Ticker.make("TLT"), side: "buy", qty: 1, type: "limit", timeInForce: "gtc", limitPrice: 0.01, stopPrice: null, orderClass: "simple", status: "new" })
        stamp(bid.id, Date.now() - 3_000_000 + n * 1000)
      }
      // a listing of 500 through the safety broker (the risk gate's) does not hold it; the book is read whole anyway
      assert.strictEqual((yield* broker.listOrders({ status: "open", limit: 500 })).length, 500)
      const refused = yield* Effect.flip(broker.placeOrder(order({ side: "buy", qty: 10, clientOrderId: "too-much" })))
      assert.deepStrictEqual([refused.reason, refused.rule], ["SafetyRefused", "buying-power"])
      assert.strictEqual(posts(), 0)
      // 9 SPY ($7,045.20 with the 3 % collar) fits in the $7,295 left once the $92,700 and the bids' $5 are held
      yield* broker.placeOrder(order({ side: "buy", qty: 9, clientOrderId: "fits" }))
      assert.strictEqual(posts(), 1)
    })), 30_000)

  it.live("a full listing after a short one is not overlooked: the book does not keep the earlier listing, which lacks the newest order", () =>
    Effect.scoped(Effect.gen(function*() {
      const { fake, broker, posts } = yield* safeOver({ maxOrderValue: 50_000, maxPositionPct: 50 })
      const stamp = (id: string, at: number) => fake.orders.set(id, { ...fake.orders.get(id)!, submittedAt: new Date(at).toISOString() })
      for (let n = 0; n < 499; n++) {
        const bid = fake.addOrder({ clientOrderId: `bid-${n}`, symbol: Ticker.make("TLT"), side: "buy", qty: 1, type: "limit", timeInForce: "gtc", limitPrice: 0.01, stopPrice: null, orderClass: "simple", status: "new" })
        stamp(bid.id, Date.now() - 3_000_000 + n * 1000)
      }
      // a first read (the account, 499 orders: all of them), then the user's "$90,000 of QQQ", then a second read
      // (500, full)
      yield* broker.getAccount
      assert.strictEqual((yield* broker.listOrders({ status: "open", limit: 500 })).length, 499)
      stamp(userNotionalBuy(fake, "QQQ", 90_000).id, Date.now() - 1000)
      assert.strictEqual((yield* broker.listOrders({ status: "open", limit: 500 })).length, 500)
      const refused = yield* Effect.flip(broker.placeOrder(order({ side: "buy", qty: 10, clientOrderId: "too-much" })))
      assert.deepStrictEqual([refused.reason, refused.rule], ["SafetyRefused", "buying-power"])
      assert.strictEqual(posts(), 0)
    })), 30_000)

  it.live("places no order when the open orders cannot be read to the end (500 in one millisecond): it fails, sending nothing", () =>
    Effect.scoped(Effect.gen(function*() {
      const { fake, broker, posts } = yield* safeOver({})
      const instant = new Date(Date.now() - 60_000).toISOString()
      for (let n = 0; n < 501; n++) {
        const bid = fake.addOrder({ clientOrderId: `bid-${n}`, symbol: Ticker.make("TLT"), side: "buy", qty: 1, type: "limit", timeInForce: "gtc", limitPrice: 0.01, stopPrice: null, orderClass: "simple", status: "new" })
        fake.orders.set(bid.id, { ...bid, submittedAt: instant })
      }
      const failed = yield* Effect.flip(broker.placeOrder(order({ side: "buy", qty: 1, clientOrderId: "one" })))
      assert.include(failed.message, "the account's open orders could not be read to the end")
      assert.strictEqual(posts(), 0)
    })), 30_000)
})
