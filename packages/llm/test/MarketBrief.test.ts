import { assert, describe, it } from "@effect/vitest"
import { AccountId, Ticker, TradingDay } from "@council/domain"
import { MarketBrief } from "@council/llm/live"
import { path, snapshotOf } from "./snapshots.ts"

describe("MarketBrief", () => {
  it("shows nothing dated after the as-of close, whatever the snapshot carries", () => {
    const snapshot = snapshotOf({ SPY: path(30, 100, 0.01), TLT: path(30, 50, 0) })
    const leaked = {
      ...snapshot,
      history: snapshot.history.map((h) => ({
        ...h,
        bars: [...h.bars, { date: TradingDay.make("2025-01-02"), open: 999, high: 999, low: 999, close: 999.99, volume: 1 }]
      }))
    }
    const brief = MarketBrief.marketBrief(leaked)
    assert.strictEqual(brief, MarketBrief.marketBrief(snapshot))
    assert.notInclude(brief, "999.99")
    assert.include(brief, `As of the close of ${snapshot.asOf}.`)
    assert.match(brief, /^SPY \| 133\.45 \| \+1\.0% \| \+5\.1% \| \+22\.0% \| n\/a \| n\/a \| n\/a \| 0\.0% \| n\/a \| n\/a$/m)
  })

  it("describes the PM's own account: cash, positions and unrealized P&L", () => {
    const text = MarketBrief.accountBrief({
      account: AccountId.make("CLAUDE"),
      cash: 50_000,
      equity: 101_250.5,
      buyingPower: 100_000,
      longMarketValue: 51_250.5,
      shortMarketValue: 0,
      positions: [{ symbol: Ticker.make("SPY"), qty: 100, side: "long", avgEntryPrice: 500, marketValue: 51_250.5, currentPrice: 512.505, unrealizedPl: 1_250.5 }]
    })
    assert.strictEqual(text, [
      "Your account: equity $101,250.50, cash $50,000.00, buying power $100,000.00.",
      "Positions:",
      "- SPY: long 100 @ avg 500.00, now 512.50, value $51,250.50, unrealized P/L $1,250.50"
    ].join("\n"))
    assert.match(MarketBrief.accountBrief(null), /not available/)
  })
})
