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

describe("the book of an account with a user's open notional sell", () => {
  const notionalSell = (notional: number): Order => ({ ...notionalBuy(notional, undefined), id: "user-sell", clientOrderId: "user-sell", side: "sell" })
  const held = (qty: number) => snapshot([{ symbol: SPY, qty, side: "long", avgEntryPrice: 100, marketValue: qty * 100, currentPrice: 100, unrealizedPl: 0 }])

  it("holds the shares its dollars sell at the latest known price, at most the position (it opens no short)", () => {
    // $4,000 of 100 SPY at $100: 40 shares on their way out, 60 stay
    assert.strictEqual(AccountLimits.bookOf(held(100), [notionalSell(4_000)], () => 100).holdings.get(SPY), 60)
    // $4,000 of 30 SPY held (the price moved since): all 30 go, nothing is taken for a short
    const all = AccountLimits.bookOf(held(30), [notionalSell(4_000)], () => 100)
    assert.deepStrictEqual([all.holdings.get(SPY), all.committed], [0, 0])
    // no reference price: the broker's mark ($100) prices it; with neither, the whole position is held for it
    assert.strictEqual(AccountLimits.bookOf(held(100), [notionalSell(4_000)], () => undefined).holdings.get(SPY), 60)
    const unpriced = { ...held(100), positions: held(100).positions.map((p) => ({ ...p, currentPrice: Number.NaN })) }
    assert.strictEqual(AccountLimits.bookOf(unpriced, [notionalSell(4_000)], () => undefined).holdings.get(SPY), 0)
  })
})
