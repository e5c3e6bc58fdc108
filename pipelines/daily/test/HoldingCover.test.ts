import { assert, describe, it } from "@effect/vitest"
import { AccountId, type AccountSnapshot, defaultAccountSettings, type Order, type OrderIntent, type Ticker, TradingDay } from "@council/domain"
import { RiskRules } from "@council/daily"
import { position, snapshot } from "../../../packages/broker/test/BrokerDouble.ts"
import { brokerOrder } from "./Fixtures.ts"

// A holding account (its PM abstained, or nobody pitched) under `abstained: covered`: every whole held share gets an
// exit — a position whose working exits (or the user's working sells) cover part of it gets one for the rest; nothing
// is canceled. Under `abstained: protected` (runs recorded before) a partly covered position was left as it was.

const day = TradingDay.make("2026-06-08")
const CLAUDE = AccountId.make("CLAUDE")
const SPY = "SPY" as Ticker

const order = (fields: Partial<Order> & Pick<Order, "id" | "side" | "qty" | "orderClass" | "status">): Order =>
  brokerOrder({ symbol: SPY, type: "limit", limitPrice: 110, ...fields })

/** An OCO exit of `qty` shares (`filled` of them already sold by its take-profit). */
const oco = (id: string, side: "buy" | "sell", qty: number, filled = 0): Order =>
  order({ id, side, qty, filledQty: filled, orderClass: "oco", status: filled > 0 ? "partially_filled" : "new", legs: [order({ id: `${id}-stop`, side, qty, orderClass: "oco", status: "new", type: "stop", limitPrice: null, stopPrice: 95 })] })

const hold = (account: AccountSnapshot, open: ReadonlyArray<Order>, remainder = true, brackets = false) =>
  RiskRules.protectHeld({
    day,
    config: { id: CLAUDE, mode: "PAPER", settings: defaultAccountSettings },
    account,
    open,
    priceOf: (s) => (s === SPY ? 100 : undefined),
    rule: "pm-abstained",
    detail: "CLAUDE did not pitch; holding",
    why: "CLAUDE did not pitch",
    schedule: "close",
    positionIntents: true,
    remainder,
    brackets
  })

const shape = (i: OrderIntent) => [i.orderClass, i.side, i.qty, i.takeProfit?.limitPrice, i.stopLoss?.stopPrice, i.positionIntent].join(" ")

describe("a holding account's partly covered position (abstained: covered)", () => {
  it("an OCO exit of 6 of 10 held: an exit for the other 4 at BASE distances, the 6 left working, nothing canceled", () => {
    const plan = hold(snapshot([position("SPY", 10)]), [oco("exit-6", "sell", 6)])
    assert.deepStrictEqual(plan.intents.map(shape), ["oco sell 4 106 97 sell_to_close"])
    assert.deepStrictEqual(plan.intents.map((i) => i.reason), ["protect 4 SPY with BASE exits (6 of 10 covered by working orders): CLAUDE did not pitch"])
    assert.deepStrictEqual(plan.cancels, [])
    assert.strictEqual(plan.rejections[0]!.detail, "CLAUDE did not pitch; holding (1 partly covered position given an exit for the rest)")
  })

  it("a short's partial exit: a buy exit for the rest; an exit's own partial fill counts only what it still closes", () => {
    assert.deepStrictEqual(hold(snapshot([position("SPY", -8)]), [oco("exit-5", "buy", 5)]).intents.map(shape), ["oco buy 3 94 103 buy_to_close"])
    // 10 ordered, 4 sold by its take-profit: 6 held, 6 still covered — nothing to add
    assert.deepStrictEqual(hold(snapshot([position("SPY", 6)]), [oco("exit-10", "sell", 10, 4)]).intents, [])
    // 12 held, the same exit closes 6 of them: 6 more
    assert.deepStrictEqual(hold(snapshot([position("SPY", 12)]), [oco("exit-10", "sell", 10, 4)]).intents.map(shape), ["oco sell 6 106 97 sell_to_close"])
  })

  it("the user's working sell counts as covering its shares: 10 held, a limit sell of 7, an exit for 3 (never more than is held)", () => {
    const sell = order({ id: "user-sell", side: "sell", qty: 7, orderClass: "simple", status: "new", limitPrice: 120 })
    assert.deepStrictEqual(hold(snapshot([position("SPY", 10)]), [sell]).intents.map(shape), ["oco sell 3 106 97 sell_to_close"])
    assert.deepStrictEqual(hold(snapshot([position("SPY", 10)]), [{ ...sell, qty: 10 }]).intents, [])
    // a working buy (an addition) closes nothing: it covers nothing
    assert.deepStrictEqual(hold(snapshot([position("SPY", 10)]), [{ ...sell, side: "buy" }]).intents.map(shape), ["oco sell 10 106 97 sell_to_close"])
  })

  it("a working notional sell (its shares unknown until it fills) leaves the position as it is", () => {
    const notional = order({ id: "user-notional", side: "sell", qty: 0, notional: 300, orderClass: "simple", status: "new", type: "market", limitPrice: null, timeInForce: "day" })
    assert.deepStrictEqual(hold(snapshot([position("SPY", 10)]), [notional]).intents, [])
  })

  it("an exit is whole shares: a fractional rest below one share is left without one", () => {
    assert.deepStrictEqual(hold(snapshot([position("SPY", 10.5)]), [oco("exit-6", "sell", 6)]).intents.map(shape), ["oco sell 4 106 97 sell_to_close"])
    assert.deepStrictEqual(hold(snapshot([position("SPY", 6.75)]), [oco("exit-6", "sell", 6)]).intents, [])
  })

  it("exits covering the whole position, or more than it, are left as they are", () => {
    assert.deepStrictEqual(hold(snapshot([position("SPY", 10)]), [oco("exit-6", "sell", 6), oco("exit-4", "sell", 4)]).intents, [])
    const over = hold(snapshot([position("SPY", 5)]), [oco("exit-6", "sell", 6)])
    assert.deepStrictEqual([over.intents, over.cancels], [[], []])
  })

  it("the same day planned again gives the same exit and client order id (a retry adopts it), and none once it works", () => {
    const first = hold(snapshot([position("SPY", 10)]), [oco("exit-6", "sell", 6)])
    const again = hold(snapshot([position("SPY", 10)]), [oco("exit-6", "sell", 6)])
    assert.deepStrictEqual(again.intents.map((i) => i.clientOrderId), first.intents.map((i) => i.clientOrderId))
    assert.match(first.intents[0]!.clientOrderId, /^2026-06-08-CLAUDE-SPY-protect-/)
    const placed = oco(first.intents[0]!.clientOrderId, "sell", 4)
    assert.deepStrictEqual(hold(snapshot([position("SPY", 10)]), [oco("exit-6", "sell", 6), placed]).intents, [])
  })

  it("abstained: bracketed — a partly filled bracket entry's bought shares count as covered by its held legs; only the rest gets an exit", () => {
    /** A bracket entry of 10 on `side`, `filled` bought, its legs held until it completes. */
    const bracket = (side: "buy" | "sell", filled: number) => {
      const exit = side === "buy" ? "sell" : "buy"
      return order({ id: `bracket-${side}`, side, qty: 10, filledQty: filled, orderClass: "bracket", status: "partially_filled", type: "market", limitPrice: null, legs: [
        order({ id: `bracket-${side}-tp`, side: exit, qty: 10, orderClass: "bracket", status: "held" }),
        order({ id: `bracket-${side}-stop`, side: exit, qty: 10, orderClass: "bracket", status: "held", type: "stop", limitPrice: null, stopPrice: 95 })
      ] })
    }
    assert.deepStrictEqual(hold(snapshot([position("SPY", 8)]), [bracket("buy", 8)], true, true).intents, [])
    // 4 held from before, 8 bought by the entry: an exit for the 4
    assert.deepStrictEqual(hold(snapshot([position("SPY", 12)]), [bracket("buy", 8)], true, true).intents.map(shape), ["oco sell 4 106 97 sell_to_close"])
    // a short's partial bracket sell
    assert.deepStrictEqual(hold(snapshot([position("SPY", -6)]), [bracket("sell", 6)], true, true).intents, [])
    // runs recording `covered`: the entry's shares got an exit of their own
    assert.deepStrictEqual(hold(snapshot([position("SPY", 8)]), [bracket("buy", 8)], true, false).intents.map(shape), ["oco sell 8 106 97 sell_to_close"])
  })

  it("runs recorded before (abstained: protected): a position with any exit was left as it was", () => {
    assert.deepStrictEqual(hold(snapshot([position("SPY", 10)]), [oco("exit-6", "sell", 6)], false).intents, [])
    const sell = order({ id: "user-sell", side: "sell", qty: 7, orderClass: "simple", status: "new", limitPrice: 120 })
    assert.deepStrictEqual(hold(snapshot([position("SPY", 10)]), [sell], false).intents, [])
    assert.deepStrictEqual(hold(snapshot([position("SPY", 10)]), [], false).intents.map(shape), ["oco sell 10 106 97 sell_to_close"])
  })
})
