import { assert, describe, it } from "@effect/vitest"
import { AccountId, defaultAccountSettings, momentAt, type OrderIntent, type Ticker, TradingDay } from "@council/domain"
import { DailyParams, newRunParams, RiskRules } from "@council/daily"
import { Schema } from "effect"
import { orderMaker } from "../src/risk/Orders.ts"
import { position, snapshot } from "../../../packages/broker/test/BrokerDouble.ts"

const day = TradingDay.make("2026-06-08")
const CLAUDE = AccountId.make("CLAUDE")
const ticker = (s: string) => s as Ticker
const prices: Record<string, number> = { SPY: 100, TLT: 100, GLD: 100, QQQ: 100 }

const target = (symbol: string, conviction: number): RiskRules.Target => ({
  symbol: ticker(symbol),
  direction: conviction > 0 ? "LONG" : "SHORT",
  conviction,
  riskProfile: "BASE",
  horizon: "1W"
})

/** Long SPY and QQQ, short TLT; the targets close SPY and TLT, open GLD and flip QQQ short. */
const plan = (schedule: "close" | "after-close", positionIntents: boolean) =>
  RiskRules.planAccount({
    day,
    config: { id: CLAUDE, mode: "PAPER", settings: defaultAccountSettings },
    account: snapshot([position("SPY", 10), position("TLT", -20), position("QQQ", 30)]),
    targets: [target("GLD", 2), target("QQQ", -1)],
    priceOf: (s) => prices[s],
    source: "a test pitch",
    schedule,
    positionIntents
  })

const withoutIntent = ({ positionIntent: _, ...rest }: OrderIntent) => rest

describe("the gate states each order's position intent (positionIntent: sent)", () => {
  for (const schedule of ["close", "after-close"] as const) {
    it(`${schedule}: closes and reductions close, entries open (a flip closes today); nothing else changes, the client order ids included`, () => {
      const stating = plan(schedule, true)
      const before = plan(schedule, false)
      assert.deepStrictEqual(
        stating.intents.map((i) => `${i.side} ${i.symbol} ${i.positionIntent}`).sort(),
        ["buy GLD buy_to_open", "buy TLT buy_to_close", "sell QQQ sell_to_close", "sell SPY sell_to_close"]
      )
      assert.isTrue(before.intents.every((i) => !("positionIntent" in i)))
      assert.deepStrictEqual(stating.intents.map(withoutIntent), [...before.intents])
    })
  }

  // ids a run recorded before this change made (computed once with that code): a resumed run adopts its orders
  it("the client order id leaves the intent out: the ids of runs recorded before are the ids made now", () => {
    const exits = { takeProfit: { limitPrice: 110 }, stopLoss: { stopPrice: 90 } }
    for (const stating of [false, true]) {
      const orders = orderMaker(day, CLAUDE, "after-close", stating)
      const made = [
        orders.reduce("close", ticker("SPY"), "sell", 10, "close SPY"),
        orders.reduce("reduce", ticker("TLT"), "buy", 4, "reduce the TLT short"),
        orders.entry("open", ticker("GLD"), "buy", 7, exits, "open GLD"),
        orders.protect(ticker("SPY"), "sell", 10, exits, "protect SPY")
      ]
      assert.deepStrictEqual(made.map((i) => i.clientOrderId), [
        "2026-06-08-CLAUDE-SPY-close-07c1370447",
        "2026-06-08-CLAUDE-TLT-reduce-3570a4aec0",
        "2026-06-08-CLAUDE-GLD-open-c3450b027d",
        "2026-06-08-CLAUDE-SPY-protect-7745a0bb9f"
      ])
      assert.deepStrictEqual(
        made.map((i) => i.positionIntent),
        stating ? ["sell_to_close", "buy_to_close", "buy_to_open", "sell_to_close"] : [undefined, undefined, undefined, undefined]
      )
    }
  })

  it("a new run records that it states them; params recorded before decode without it", () => {
    const base = { accounts: [], broker: "local-exchange", data: "fixtures", pms: "offline" }
    const params = newRunParams(base, { schedule: "close", moment: momentAt(day, "15:45") })
    assert.strictEqual(params.positionIntent, "sent")
    const { positionIntent: _, ...before } = params
    assert.isUndefined(Schema.decodeUnknownSync(DailyParams)(before).positionIntent)
  })
})
