import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import {
  type AccountSettings,
  type AccountSnapshot,
  AccountId,
  defaultAccountSettings,
  type Order,
  type OrderIntent
} from "@council/domain"
import { BrokerError, placeOnce, SafetyBroker } from "@council/broker"
import { intent, memoryBroker, position, snapshot, toOrder } from "./BrokerDouble.ts"

const prices: Record<string, number> = { SPY: 100, TLT: 100, GLD: 100, QQQ: 100 }
const reference: SafetyBroker.ReferencePrices["Service"] = {
  of: (symbols) => Effect.succeed(new Map(symbols.flatMap((s) => (prices[s] === undefined ? [] : [[s, prices[s]] as const]))))
}

const safe = (settings: Partial<AccountSettings>, account: AccountSnapshot = snapshot(), open: ReadonlyArray<Order> = []) => {
  const inner = memoryBroker(account, open)
  const broker = SafetyBroker.decorate({ id: AccountId.make("CLAUDE"), mode: "PAPER", settings: { ...defaultAccountSettings, ...settings } }, inner.broker, reference)
  return { ...inner, broker }
}

/** What the safety broker did with `order`: `passed`, or the rule it refused it by. */
const outcome = (settings: Partial<AccountSettings>, order: OrderIntent, account?: AccountSnapshot, open?: ReadonlyArray<Order>) =>
  Effect.gen(function*() {
    const { broker, placed } = safe(settings, account, open)
    const exit = yield* Effect.exit(broker.placeOrder(order))
    if (Exit.isSuccess(exit)) return placed.length === 1 ? "passed" : "passed without reaching the broker?"
    const error = exit.cause.reasons.find((r) => r._tag === "Fail")?.error as BrokerError
    assert.strictEqual(placed.length, 0, "a refused order never reaches the broker")
    return error.reason === "SafetyRefused" ? error.rule! : `${error.reason}: ${error.message}`
  })

type Case = readonly [string, Partial<AccountSettings>, OrderIntent, string, AccountSnapshot?, ReadonlyArray<Order>?]

const table = (name: string, cases: ReadonlyArray<Case>) =>
  it.effect(name, () =>
    Effect.gen(function*() {
      for (const [label, settings, order, expected, account, open] of cases) {
        assert.strictEqual(yield* outcome(settings, order, account, open), expected, label)
      }
    }))

const buy = (qty: number, fields: Partial<OrderIntent> = {}) => intent({ side: "buy", qty, ...fields })
const sell = (qty: number, fields: Partial<OrderIntent> = {}) => intent({ side: "sell", qty, ...fields })

const exit = (qty: number, fields: Partial<OrderIntent> = {}) => sell(qty, { type: "limit", orderClass: "oco", limitPrice: 106, clientOrderId: `exit-${qty}`, ...fields })
/** A bracket buy of `qty` whose entry filled: its two exit legs are working. */
const filledBracket = (qty: number): Order => {
  const entry = toOrder(buy(qty, { orderClass: "bracket", clientOrderId: "bracket" }), 0)
  const leg = (n: number, type: "limit" | "stop"): Order["legs"][number] => ({ ...toOrder(sell(qty, { type, clientOrderId: `leg-${n}` }), n), id: `leg-${n}`, status: n === 1 ? "new" : "held", orderClass: "bracket" })
  return { ...entry, status: "filled", filledQty: qty, legs: [leg(1, "limit"), leg(2, "stop")] }
}

describe("the safety broker refuses what breaks the account's rules (equity $100,000, price $100)", () => {
  table("shorting", [
    ["closing a long to flat", { allowShorting: false }, sell(100), "passed", snapshot([position("SPY", 100)])],
    ["one share past flat", { allowShorting: false }, sell(101), "shorting-disabled", snapshot([position("SPY", 100)])],
    ["a short from flat", { allowShorting: false }, sell(1), "shorting-disabled"],
    ["a short when allowed", { allowShorting: true }, sell(1), "passed"]
  ])

  table("max order value ($10,000)", [
    ["$9,900", { maxOrderValue: 10_000 }, buy(99), "passed"],
    ["$10,000", { maxOrderValue: 10_000 }, buy(100), "passed"],
    ["$10,100", { maxOrderValue: 10_000 }, buy(101), "max-order-value"],
    ["closing $20,000 is not limited", { maxOrderValue: 10_000 }, sell(200), "passed", snapshot([position("SPY", 200)])]
  ])

  table("max position (10 % of equity)", [
    ["9.9 %", { maxPositionPct: 10 }, buy(99), "passed"],
    ["10 %", { maxPositionPct: 10 }, buy(100), "passed"],
    ["10.1 %", { maxPositionPct: 10 }, buy(101), "max-position-pct"],
    ["adding to 50 shares: 10 %", { maxPositionPct: 10 }, buy(50), "passed", snapshot([position("SPY", 50)])],
    ["adding to 50 shares: 10.1 %", { maxPositionPct: 10 }, buy(51), "max-position-pct", snapshot([position("SPY", 50)])],
    ["a short of 10.1 %", { maxPositionPct: 10 }, sell(101), "max-position-pct"]
  ])

  table("gross exposure (50 %, 40 % held in TLT)", [
    ["49.9 %", { maxGrossExposurePct: 50 }, buy(99), "passed", snapshot([position("TLT", 400)])],
    ["50 %", { maxGrossExposurePct: 50 }, buy(100), "passed", snapshot([position("TLT", 400)])],
    ["50.1 %", { maxGrossExposurePct: 50 }, buy(101), "max-gross-exposure-pct", snapshot([position("TLT", 400)])],
    ["a short counts its absolute value", { maxGrossExposurePct: 50 }, sell(101), "max-gross-exposure-pct", snapshot([position("TLT", 400)])]
  ])

  table("open positions (TLT and GLD held)", [
    ["a third when 3 may be open", { maxOpenPositions: 3 }, buy(10), "passed", snapshot([position("TLT", 10), position("GLD", 10)])],
    ["a third when 2 may be open", { maxOpenPositions: 2 }, buy(10), "max-open-positions", snapshot([position("TLT", 10), position("GLD", 10)])],
    ["adding to a held one", { maxOpenPositions: 2 }, buy(10, { symbol: "TLT" as OrderIntent["symbol"] }), "passed", snapshot([position("TLT", 10), position("GLD", 10)])]
  ])

  table("buying power ($103 a share with the collar)", [
    ["$10,300 of cash", {}, buy(100), "passed", snapshot([position("TLT", 897)], { cash: 10_300, buyingPower: 90_000 })],
    ["$10,299 of cash", {}, buy(100), "buying-power", snapshot([position("TLT", 897.01)], { cash: 10_299, buyingPower: 90_000 })],
    ["$10,299 of cash, on margin", { allowMargin: true, maxGrossExposurePct: 200 }, buy(100), "passed", snapshot([position("TLT", 897.01)], { cash: 10_299, buyingPower: 90_000 })],
    ["$10,299 of buying power, on margin", { allowMargin: true, maxGrossExposurePct: 200 }, buy(100), "buying-power", snapshot([position("TLT", 897.01)], { cash: 50_000, buyingPower: 10_299 })],
    ["a limit buy costs its limit", {}, buy(100, { type: "limit", limitPrice: 99 }), "passed", snapshot([position("TLT", 899)], { cash: 9_900, buyingPower: 90_000 })],
    ["an open buy holds cash", {}, buy(51), "buying-power", snapshot([position("TLT", 897)], { cash: 10_300, buyingPower: 90_000 }), [toOrder(buy(50, { clientOrderId: "earlier" }), 0)]]
  ])

  table("minimum order value ($10,000)", [
    ["at it", { minOrderValue: 10_000 }, buy(100), "passed"],
    ["just under", { minOrderValue: 10_000 }, buy(99), "min-order-value"],
    ["a dust reduction", { minOrderValue: 10_000 }, sell(99), "min-order-value", snapshot([position("SPY", 200)])],
    ["closing a small position", { minOrderValue: 10_000 }, sell(1), "passed", snapshot([position("SPY", 1)])]
  ])

  table("fractional shares", [
    ["a fraction, not enabled", {}, buy(10.5), "fractional-disabled"],
    ["a fraction, enabled", { fractional: true }, buy(10.5), "passed"],
    ["closing a fractional position", {}, sell(10.5), "passed", snapshot([position("SPY", 10.5)])],
    ["a fractional short sale, enabled", { fractional: true, allowShorting: true }, sell(10.5), "fractional-short"],
    ["a fractional sale past flat, enabled", { fractional: true, allowShorting: true }, sell(10.5), "fractional-short", snapshot([position("SPY", 5)])],
    ["adding a fraction to a short, enabled", { fractional: true, allowShorting: true }, sell(0.5), "fractional-short", snapshot([position("SPY", -5)])],
    ["a whole short sale, enabled", { fractional: true, allowShorting: true }, sell(10), "passed"],
    ["covering a fractional short, enabled", { fractional: true, allowShorting: true }, buy(5.5), "passed", snapshot([position("SPY", -5.5)])]
  ])

  table("prices, equity and exits", [
    ["no price for a new symbol", {}, buy(1, { symbol: "XYZ" as OrderIntent["symbol"] }), "no-price"],
    ["no equity", {}, buy(1), "no-equity", snapshot([], { equity: 0, cash: 0 })],
    ["an exit of the whole position", {}, sell(100, { type: "limit", orderClass: "oco", limitPrice: 106 }), "passed", snapshot([position("SPY", 100)])],
    ["an exit larger than the position", {}, sell(101, { type: "limit", orderClass: "oco", limitPrice: 106 }), "exit-exceeds-position", snapshot([position("SPY", 100)])],
    ["an exit on the wrong side", {}, buy(100, { type: "limit", orderClass: "oco", limitPrice: 94 }), "exit-exceeds-position", snapshot([position("SPY", 100)])]
  ])

  table("exits already working (100 SPY held)", [
    ["a second exit of the whole position", {}, exit(100), "exit-exceeds-position", snapshot([position("SPY", 100)]), [toOrder(exit(100, { clientOrderId: "earlier" }), 0)]],
    ["an exit of the shares the working one leaves", {}, exit(40), "passed", snapshot([position("SPY", 100)]), [toOrder(exit(60, { clientOrderId: "earlier" }), 0)]],
    ["one share more than they leave", {}, exit(41), "exit-exceeds-position", snapshot([position("SPY", 100)]), [toOrder(exit(60, { clientOrderId: "earlier" }), 0)]],
    ["an exit beside a filled bracket's legs", {}, exit(100), "exit-exceeds-position", snapshot([position("SPY", 100)]), [filledBracket(100)]],
    ["an exit of the rest beside a filled bracket's legs", {}, exit(50), "passed", snapshot([position("SPY", 100)]), [filledBracket(50)]],
    ["a working exit on the other side does not count", {}, exit(100), "passed", snapshot([position("SPY", 100)]), [toOrder(buy(100, { type: "limit", orderClass: "oco", limitPrice: 90, clientOrderId: "earlier" }), 0)]]
  ])
})

describe("the safety broker's bookkeeping", () => {
  it.effect("refuses with a typed reason, the rule and its numbers, before any request for the order", () =>
    Effect.gen(function*() {
      const { broker, requests } = safe({ maxOrderValue: 5_000 })
      const error = yield* Effect.flip(broker.placeOrder(buy(60)))
      assert.deepStrictEqual([error.reason, error.rule, error.retryable], ["SafetyRefused", "max-order-value", false])
      assert.strictEqual(error.message, "refused by the safety broker: 60 SPY × $100.00 = $6,000.00 exceeds the $5,000.00 order limit (max-order-value)")
      assert.deepStrictEqual(requests, ["getAccount", "listOrders", "getOrderByClientId"])
    }))

  it.effect("a dry-run account is read-only: every write is refused before any request, reads pass", () =>
    Effect.gen(function*() {
      const { broker, requests } = safe({ dryRun: true })
      for (const write of [broker.placeOrder(buy(1)), broker.cancelOrder("x"), broker.cancelAllOrders, broker.closeAllPositions, broker.closePosition("SPY" as OrderIntent["symbol"])]) {
        const error = yield* Effect.flip(write)
        assert.deepStrictEqual([error.reason, error.rule], ["SafetyRefused", "dry-run"])
      }
      assert.deepStrictEqual(requests, [])
      yield* broker.getAccount
      assert.deepStrictEqual(requests, ["getAccount"])
    }))

  it.effect("remembers the orders it let through: the second of two 6 % buys breaks a 10 % position", () =>
    Effect.gen(function*() {
      const { broker, placed } = safe({ maxPositionPct: 10 })
      yield* broker.placeOrder(buy(60, { clientOrderId: "first" }))
      const error = yield* Effect.flip(broker.placeOrder(buy(60, { clientOrderId: "second" })))
      assert.strictEqual(error.rule, "max-position-pct")
      assert.deepStrictEqual(placed.map((i) => i.clientOrderId), ["first"])
    }))

  it.effect("checks concurrent orders one at a time: ten 2 % buys under a 10 % cap, five pass", () =>
    Effect.gen(function*() {
      const { broker, placed, requests } = safe({ maxPositionPct: 10 })
      const exits = yield* Effect.forEach(Array.from({ length: 10 }, (_, n) => buy(20, { clientOrderId: `c${n}` })), (o) => Effect.exit(broker.placeOrder(o)), { concurrency: "unbounded" })
      assert.strictEqual(exits.filter(Exit.isSuccess).length, 5)
      assert.strictEqual(placed.length, 5)
      assert.strictEqual(requests.filter((r) => r === "getAccount").length, 1, "the book is read once")
    }))

  it.effect("an order the broker did not take gives its room back", () =>
    Effect.gen(function*() {
      const inner = memoryBroker(snapshot())
      let fail = true
      const flaky = {
        ...inner.broker,
        placeOrder: (o: OrderIntent) =>
          fail
            ? Effect.fail(new BrokerError({ account: "CLAUDE", reason: "ServerError", message: "500", retryable: true }))
            : inner.broker.placeOrder(o)
      }
      const broker = SafetyBroker.decorate({ id: AccountId.make("CLAUDE"), mode: "PAPER", settings: { ...defaultAccountSettings, maxPositionPct: 10 } }, flaky, reference)
      assert.strictEqual((yield* Effect.flip(broker.placeOrder(buy(100, { clientOrderId: "a" })))).reason, "ServerError")
      fail = false
      yield* broker.placeOrder(buy(100, { clientOrderId: "b" }))
      assert.deepStrictEqual(inner.placed.map((i) => i.clientOrderId), ["b"])
    }))

  it.effect("exactly once: an order already at the broker is adopted even when the rules would now refuse it", () =>
    Effect.gen(function*() {
      const earlier = buy(100, { clientOrderId: "2026-06-08-CLAUDE-SPY-open-abc" })
      const { broker, placed } = safe({ maxOrderValue: 5_000 }, snapshot(), [toOrder(earlier, 0)])
      const placement = yield* placeOnce(broker, earlier)
      assert.deepStrictEqual([placement.adopted, placement.order.id, placed.length], [true, "order-0", 0])
    }))

  it.effect("the risk gate's reads through it make the book: the orders that follow cost no further request", () =>
    Effect.gen(function*() {
      const { broker, requests } = safe({ maxPositionPct: 10 })
      yield* broker.getAccount
      yield* broker.listOrders({ status: "open", limit: 500 })
      yield* broker.placeOrder(buy(60, { clientOrderId: "a" }))
      assert.strictEqual((yield* Effect.flip(broker.placeOrder(buy(60, { clientOrderId: "b" })))).rule, "max-position-pct")
      assert.deepStrictEqual(requests, ["getAccount", "listOrders", "placeOrder", "getOrderByClientId"])
      yield* broker.listOrders({ status: "all", limit: 50 })
      yield* broker.cancelAllOrders
      yield* broker.placeOrder(buy(60, { clientOrderId: "c" }))
      assert.deepStrictEqual(requests.slice(4), ["listOrders", "cancelAllOrders", "getAccount", "listOrders", "placeOrder"])
    }))

  it.effect("reads the book again after a cancel or a close", () =>
    Effect.gen(function*() {
      const { broker, requests } = safe({})
      yield* broker.placeOrder(buy(10, { clientOrderId: "a" }))
      yield* broker.cancelAllOrders
      yield* broker.placeOrder(buy(10, { clientOrderId: "b" }))
      assert.strictEqual(requests.filter((r) => r === "getAccount").length, 2)
    }))

  it.effect("a cancel the broker accepted frees the order's headroom without reading the book again", () =>
    Effect.gen(function*() {
      const stale = toOrder(buy(60, { clientOrderId: "stale", type: "limit", limitPrice: 100 }), 0)
      const { broker, requests } = safe({ maxPositionPct: 10 }, snapshot(), [stale])
      yield* broker.getAccount
      yield* broker.listOrders({ status: "open", limit: 500 })
      yield* broker.cancelOrder(stale.id)
      yield* broker.placeOrder(buy(60, { clientOrderId: "a" }))
      assert.deepStrictEqual(requests, ["getAccount", "listOrders", "cancelOrder", "placeOrder"])

      // the same with the book already built: refused while the stale order holds the room, placed once it is canceled
      const second = safe({ maxPositionPct: 10 }, snapshot(), [stale])
      yield* second.broker.getAccount
      yield* second.broker.listOrders({ status: "open", limit: 500 })
      assert.strictEqual((yield* Effect.flip(second.broker.placeOrder(buy(60, { clientOrderId: "b" })))).rule, "max-position-pct")
      yield* second.broker.placeOrder(buy(30, { clientOrderId: "c" }))
      yield* second.broker.cancelOrder(stale.id)
      yield* second.broker.placeOrder(buy(60, { clientOrderId: "d" }))
      assert.strictEqual((yield* Effect.flip(second.broker.placeOrder(buy(20, { clientOrderId: "e" })))).rule, "max-position-pct")
      assert.deepStrictEqual(second.requests.filter((r) => r === "getAccount" || r === "listOrders"), ["getAccount", "listOrders"])
    }))

  it.effect("an exit counts against the ones working: a second in the same run is refused; canceling a working one (a bracket leg cancels its group) frees its shares", () =>
    Effect.gen(function*() {
      const held = snapshot([position("SPY", 100)])
      const one = safe({}, held)
      yield* one.broker.placeOrder(exit(60))
      assert.strictEqual((yield* Effect.flip(one.broker.placeOrder(exit(41)))).rule, "exit-exceeds-position")
      yield* one.broker.placeOrder(exit(40))
      // the gate's order: the working exit (a filled bracket's leg) canceled, then the new exit; with the book seen, then built
      const seen = safe({}, held, [filledBracket(100)])
      yield* seen.broker.getAccount
      yield* seen.broker.listOrders({ status: "open", limit: 500 })
      yield* seen.broker.cancelOrder("leg-1")
      yield* seen.broker.placeOrder(exit(100))
      const built = safe({}, held, [filledBracket(100)])
      const refused = yield* Effect.flip(built.broker.placeOrder(exit(100)))
      assert.strictEqual(refused.message, "refused by the safety broker: an exit sell of 100 SPY and the working exits of 100 would close 200, and SPY holds 100 (exit-exceeds-position)")
      yield* built.broker.cancelOrder("leg-1")
      yield* built.broker.placeOrder(exit(100))
      assert.deepStrictEqual([seen.placed.length, built.placed.length], [1, 1])
      assert.deepStrictEqual(built.requests.filter((r) => r === "getAccount" || r === "listOrders"), ["getAccount", "listOrders"])
    }))

  it.effect("reads the book again after a failed cancel, or a cancel of an order the book never saw", () =>
    Effect.gen(function*() {
      const { broker, requests } = safe({})
      yield* broker.placeOrder(buy(10, { clientOrderId: "a" }))
      assert.strictEqual((yield* Effect.flip(broker.cancelOrder("no-such-order"))).reason, "NotFound")
      yield* broker.placeOrder(buy(10, { clientOrderId: "b" }))
      assert.strictEqual(requests.filter((r) => r === "getAccount").length, 2)
      const placed = yield* broker.placeOrder(buy(10, { clientOrderId: "c" }))
      yield* broker.cancelOrder(placed.id)
      yield* broker.placeOrder(buy(10, { clientOrderId: "d" }))
      assert.strictEqual(requests.filter((r) => r === "getAccount").length, 3)
    }))

  it("marks only the brokers it made", () => {
    const { broker } = safe({})
    assert.isTrue(SafetyBroker.isSafe(broker))
    assert.isFalse(SafetyBroker.isSafe(memoryBroker(snapshot()).broker))
    assert.isFalse(SafetyBroker.isSafe({ ...broker }), "a copy is not the decorated broker")
  })
})
