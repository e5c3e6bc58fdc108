import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AccountId, defaultAccountSettings, type Ticker, TradingDay } from "@council/domain"
import { RiskRules } from "@council/daily"
import { position, snapshot } from "../../../packages/broker/test/BrokerDouble.ts"
import { intent, SPY, withExchange } from "../../../packages/exchange/test/ExchangeFixture.ts"
import { orderPurpose } from "../src/OrderPurpose.ts"

const CLAUDE = AccountId.make("CLAUDE")
const prices: Record<string, number> = { ODD: 300, HALF: 200_000 }

/** The risk gate's plan for a fractional account targeting `symbol` long. */
const plan = (symbol: string, held: number) =>
  RiskRules.planAccount({
    day: TradingDay.make("2026-06-08"),
    config: { id: CLAUDE, mode: "PAPER", settings: { ...defaultAccountSettings, fractional: true } },
    account: snapshot(held === 0 ? [] : [position(symbol, held, prices[symbol])]),
    targets: [{ symbol: symbol as Ticker, direction: "LONG", conviction: 1, riskProfile: "BASE", horizon: "1W" }],
    priceOf: (s) => prices[s],
    source: "a test pitch",
    schedule: "after-close"
  })

describe("orderPurpose", () => {
  it("a fractional entry does not promise a protective exit of all its shares: the next run's covers whole shares only", () => {
    const entry = plan("ODD", 0).intents[0]!
    assert.strictEqual(entry.orderClass, "simple")
    assert.isFalse(Number.isInteger(entry.qty))
    // the next run, holding what filled, protects the whole shares only
    const protect = plan("ODD", entry.qty).intents.find((i) => i.orderClass === "oco")!
    assert.strictEqual(protect.qty, Math.floor(entry.qty))
    assert.strictEqual(orderPurpose(entry.orderClass, entry.reason, entry.qty), "entry (the next run's protective exit, once it filled, covers its whole shares only)")
    // under a share: none at all
    const half = plan("HALF", 0).intents[0]!
    assert.isBelow(half.qty, 1)
    assert.deepStrictEqual(plan("HALF", half.qty).intents.filter((i) => i.orderClass === "oco"), [])
    assert.strictEqual(orderPurpose(half.orderClass, half.reason, half.qty), "entry of a fraction of a share (no protective exit: exits are placed for whole shares)")
  })

  it.effect("an OTO (never the gate's) says which one exit it carries, as the local exchange lists it: a take-profit or a stop", () =>
    withExchange(({ broker }) =>
      Effect.gen(function*() {
        const oto = (exit: "takeProfit" | "stopLoss") =>
          broker.placeOrder(intent({
            symbol: SPY,
            side: "buy",
            qty: 10,
            timeInForce: "gtc",
            orderClass: "oto",
            ...(exit === "takeProfit" ? { takeProfit: { limitPrice: 110 } } : { stopLoss: { stopPrice: 95 } })
          }))
        yield* oto("takeProfit")
        yield* oto("stopLoss")
        const listed = yield* broker.listOrders({ status: "open", limit: 500 })
        const purposes = listed.map((o) => orderPurpose(o.orderClass, undefined, o.qty, o.legs.map((leg) => leg.type))).sort()
        assert.deepStrictEqual(purposes, ["entry, with its stop", "entry, with its take-profit"])
      })))
})
