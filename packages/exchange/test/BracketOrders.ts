import type { OrderIntent } from "@council/domain"
import { intent, SPY } from "./ExchangeFixture.ts"

/**
 * A bracket buy of ten SPY, good till canceled: a market entry whose take-profit limit and stop-loss stop work from
 * the session after it fills. `fields` changes the entry (a limit, a symbol, a quantity).
 */
export const bracketBuy = (
  exits: { readonly takeProfit: number; readonly stopLoss: number },
  fields: Partial<OrderIntent> = {}
): OrderIntent =>
  intent({
    symbol: SPY,
    side: "buy",
    qty: 10,
    timeInForce: "gtc",
    orderClass: "bracket",
    takeProfit: { limitPrice: exits.takeProfit },
    stopLoss: { stopPrice: exits.stopLoss },
    ...fields
  })

/** Ten SPY bought gtc with a take-profit at 120 and a stop-loss at 80: exits far from the fixture's prices. */
export const wideBracket = (): OrderIntent => bracketBuy({ takeProfit: 120, stopLoss: 80 })

/** An exit-only OCO pair selling 10 SPY: take-profit at 105, stop at 95. */
export const ocoExit = (): OrderIntent =>
  intent({
    symbol: SPY,
    side: "sell",
    qty: 10,
    type: "limit",
    timeInForce: "gtc",
    orderClass: "oco",
    takeProfit: { limitPrice: 105 },
    stopLoss: { stopPrice: 95 }
  })
