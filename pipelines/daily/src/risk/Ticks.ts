/**
 * Exit prices on valid ticks: take-profit and stop-loss distances of a risk profile, priced off the snapshot price
 * and rounded as Alpaca accepts them (a price of $1 or more in cents, below $1 in hundredths of a cent).
 */
import type { Direction, ExitDistance } from "@council/domain"

/** The price increment Alpaca accepts at `price`: a cent from $1 up, $0.0001 below. */
export const tickOf = (price: number): number => (price >= 1 ? 0.01 : 0.0001)

const decimalsOf = (price: number) => (price >= 1 ? 2 : 4)

/** `price` on its tick, to the nearest. */
export const roundToTick = (price: number): number => {
  const rounded = Number(price.toFixed(decimalsOf(price)))
  // a price just under $1 may round up to $1.0000, which is on the cent tick too
  return Number(rounded.toFixed(decimalsOf(rounded)))
}

/** `price` on its tick, rounded down (`"down"`) or up (`"up"`). */
const toTick = (price: number, way: "down" | "up"): number => {
  const scale = 10 ** decimalsOf(price)
  const scaled = price * scale
  const whole = way === "down" ? Math.floor(scaled + 1e-7) : Math.ceil(scaled - 1e-7)
  return roundToTick(whole / scale)
}

export interface ExitPrices {
  readonly takeProfit: { readonly limitPrice: number }
  readonly stopLoss: { readonly stopPrice: number }
}

/**
 * The exits of a position of `direction` entered at `price`: take-profit `takeProfitPct` away in its favour, stop
 * `stopLossPct` against it, each on its tick and at least one tick away from the price (the broker refuses exits
 * closer than that), the stop above zero.
 */
export const exitPrices = (price: number, direction: Exclude<Direction, "FLAT">, distance: ExitDistance): ExitPrices => {
  const up = roundToTick(price * (1 + (direction === "LONG" ? distance.takeProfitPct : distance.stopLossPct) / 100))
  const down = roundToTick(price * (1 - (direction === "LONG" ? distance.stopLossPct : distance.takeProfitPct) / 100))
  const above = Math.max(up, toTick(price + tickOf(price), "up"))
  const below = Math.max(tickOf(down), Math.min(down, toTick(price - tickOf(price), "down")))
  return direction === "LONG"
    ? { takeProfit: { limitPrice: above }, stopLoss: { stopPrice: below } }
    : { takeProfit: { limitPrice: below }, stopLoss: { stopPrice: above } }
}
