import { assert, describe, it } from "@effect/vitest"
import { AccountId, type AccountSettings, defaultAccountSettings, type Ticker, TradingDay } from "@council/domain"
import { AccountLimits } from "@council/broker"
import { RiskRules } from "@council/daily"
import { sharesWithin } from "../src/risk/Sizing.ts"
import { snapshot } from "../../../packages/broker/test/BrokerDouble.ts"

// The gate sized an opening as `floor(room / price + 1e-9)` shares: 1e-9 of a share beyond the room, which below
// $1,000 a share is within the safety broker's $0.000001 tolerance and above it is not. At $5,000 a share and an
// order limit $0.000004 short of 10 shares, the gate approved 10 ($50,000) and the safety broker refused them.

const day = TradingDay.make("2026-06-08")
const CLAUDE = AccountId.make("CLAUDE")
const BIG = "BIG" as Ticker
const settings: AccountSettings = { ...defaultAccountSettings, maxOrderValue: 49_999.999996, maxPositionPct: 100, maxGrossExposurePct: 100 }

describe("the gate's share counts are exact in money", () => {
  it("an opening at $5,000 a share under a $49,999.999996 order limit is 9 shares, which the safety broker passes", () => {
    const account = snapshot([], { equity: 1_000_000 })
    const plan = RiskRules.planAccount({
      day,
      config: { id: CLAUDE, mode: "PAPER", settings },
      account,
      targets: [{ symbol: BIG, direction: "LONG", conviction: 1, riskProfile: "BASE", horizon: "1W" }],
      priceOf: (s) => (s === BIG ? 5000 : undefined),
      source: "a test pitch",
      schedule: "close"
    })
    assert.deepStrictEqual(plan.intents.map((i) => [i.symbol, i.side, i.qty]), [["BIG", "buy", 9]])
    assert.deepStrictEqual(plan.clamps.map((c) => [c.rule, c.requested, c.allowed]), [["max-order-value", 20, 9]])
    const book = AccountLimits.bookOf(account, [], () => 5000)
    const priceOf = AccountLimits.priceIn(book, () => 5000)
    assert.isUndefined(AccountLimits.check(settings, book, plan.intents[0]!, priceOf))
    // what the gate approved before: refused by the safety broker
    assert.strictEqual(AccountLimits.check(settings, book, { ...plan.intents[0]!, qty: 10 }, priceOf)?.rule, "max-order-value")
  })

  it("a room that is a whole number of shares, reached through binary noise, still buys them all", () => {
    // (0.1 + 0.2) × $10,000 is 3000.0000000000005 in floating point, $3,000 − 1e-12 is 2999.999999999999
    assert.strictEqual(sharesWithin((0.1 + 0.2) * 10_000, 300, false), 10)
    assert.strictEqual(sharesWithin(3000 - 1e-12, 300, false), 10)
    assert.strictEqual(sharesWithin(2999.99, 300, false), 9)
    assert.strictEqual(sharesWithin(1000, 300, true), 3.3333)
    assert.strictEqual(sharesWithin(0.7 * 1000 * 3, 700, true), 3)
    assert.strictEqual(sharesWithin(0, 300, false), 0)
    assert.strictEqual(sharesWithin(-5, 300, true), 0)
  })
})
