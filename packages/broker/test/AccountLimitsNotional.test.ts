import { assert, describe, it } from "@effect/vitest"
import { defaultAccountSettings, type Order, type Ticker } from "@council/domain"
import { AccountLimits } from "@council/broker"
import { intent, snapshot } from "./BrokerDouble.ts"

const SPY = "SPY" as Ticker

/** A user's open notional buy of SPY, as the Alpaca adapter reads it: `qty` the shares filled so far. */
const notionalBuy = (notional: number, filled: { readonly qty: number; readonly price: number } | undefined): Order => ({
  id: "user-notional",
  clientOrderId: "user-notional",
  symbol: SPY,
  side: "buy",
  qty: filled?.qty ?? 0,
  notional,
  type: "market",
  timeInForce: "day",
  limitPrice: null,
  stopPrice: null,
  orderClass: "simple",
  status: filled === undefined ? "accepted" : "partially_filled",
  filledQty: filled?.qty ?? 0,
  filledAvgPrice: filled?.price ?? null,
  submittedAt: "2026-08-04T13:00:00Z",
  filledAt: null,
  legs: []
})

describe("the gate's book of an account with a user's open notional order", () => {
  it("counts the shares its dollars not yet spent will buy, so the position limit sees them", () => {
    const account = snapshot([], { equity: 100_000 })
    const price = () => 100
    // $30,000 of SPY at $100 waiting: 300 shares the book holds once it fills
    const book = AccountLimits.bookOf(account, [notionalBuy(30_000, undefined)], price)
    assert.strictEqual(book.holdings.get(SPY), 300)
    // half of it filled (150 shares at $100): 150 more to come
    const half = AccountLimits.bookOf(account, [notionalBuy(30_000, { qty: 150, price: 100 })], price)
    assert.strictEqual(half.holdings.get(SPY), 150)
    // a 25 % position limit ($25,000) already passed by the waiting order: a buy of 10 more shares is refused
    const settings = { ...defaultAccountSettings, maxPositionPct: 25, maxOrderValue: 1_000_000 }
    const refused = AccountLimits.check(settings, book, intent({ side: "buy", qty: 10 }), AccountLimits.priceIn(book, price))
    assert.strictEqual(refused?.rule, "max-position-pct")
  })
})
