/**
 * How big a position the gate wants, and how much of an opening the account's rules allow — each cut recorded
 * with its rule and numbers. The rules and their measures are `AccountLimits` (the safety broker's), so whatever
 * this approves passes there.
 */
import { AccountLimits } from "@council/broker"
import { type AccountId, type AccountSettings, type Clamp, decimalNumber, type Direction, type Horizon, type Rejection, type RiskProfile, type RuleNumbers, type Ticker } from "@council/domain"

export interface Target {
  readonly symbol: Ticker
  readonly direction: Exclude<Direction, "FLAT">
  readonly conviction: number
  readonly riskProfile: RiskProfile
  readonly horizon: Horizon
}

/** Share of equity per point of |conviction|. */
export const WEIGHT_PER_CONVICTION = 0.1

/** |conviction| beyond this adds nothing. */
export const MAX_CONVICTION = 2

/** Decimals of a fractional quantity. */
export const FRACTION_DIGITS = 4

/** `qty` rounded down to what the account may trade: whole shares, or `FRACTION_DIGITS` decimals when fractional. */
export const tradable = (qty: number, fractional: boolean): number => {
  if (!(qty > 0)) return 0
  const scale = fractional ? 10 ** FRACTION_DIGITS : 1
  return Math.floor(qty * scale + 1e-9) / scale
}

/**
 * The most shares (whole, or `FRACTION_DIGITS` decimals) whose cost at `perShare` is within `room`, the two compared
 * as the decimals they stand for (`decimalNumber`: binary noise dropped), not as a share count with a tolerance.
 * `tradable(room / perShare)` allowed 1e-9 share beyond the room — at most $0.000001 below $1,000 a share (the
 * safety broker's tolerance) but more above it, so an opening could pass a limit there by that much and then be
 * refused by the safety broker.
 */
export const sharesWithin = (room: number, perShare: number, fractional: boolean): number => {
  if (!(room > 0) || !(perShare > 0) || !Number.isFinite(room)) return 0
  const scale = fractional ? 10 ** FRACTION_DIGITS : 1
  const estimate = (room / perShare) * scale
  const whole = Math.floor(estimate)
  // away from a whole unit by far more than binary noise, the count is exact as it is (most calls: no decimals)
  const margin = 1e-6 + estimate * 1e-11
  if (estimate - whole > margin && whole + 1 - estimate > margin) return whole / scale
  const limit = decimalNumber(room)
  const fits = (units: number) => decimalNumber((units / scale) * perShare) <= limit
  let units = Math.floor((limit / perShare) * scale)
  while (units > 0 && !fits(units)) units--
  while (fits(units + 1)) units++
  return units / scale
}

/**
 * Whether an opening on `side` may be for a fraction of a share: only a long one (a buy) of an account that allows
 * fractions. A short sale is whole shares (Alpaca: "fractional orders cannot be sold short").
 */
const fractionalSide = (settings: Pick<AccountSettings, "fractional">, side: "buy" | "sell"): boolean =>
  settings.fractional && side === "buy"

const usd = AccountLimits.dollars
const pct = (n: number) => `${Number(n.toFixed(2))}%`

export interface Notes {
  readonly rejections: Array<Rejection>
  readonly clamps: Array<Clamp>
}

const rejection = (account: AccountId, symbol: string, rule: string, detail: string, numbers?: RuleNumbers): Rejection =>
  numbers === undefined ? { account, symbol, rule, detail } : { account, symbol, rule, detail, numbers }

/**
 * The signed holding the gate wants for `target`, or `undefined` when it wants none there (recorded in `notes`):
 * |conviction| × `WEIGHT_PER_CONVICTION` of equity, at most `maxPositionPct`, in tradable shares at `price` (a short in
 * whole shares, fractional account or not).
 */
export const desiredHolding = (input: {
  readonly account: AccountId
  readonly settings: AccountSettings
  readonly equity: number
  readonly target: Target
  readonly price: number
  readonly source: string
  readonly notes: Notes
}): number | undefined => {
  const { account, equity, notes, price, settings, target } = input
  const symbol = target.symbol
  if (target.direction === "SHORT" && !settings.allowShorting) {
    notes.rejections.push(rejection(account, symbol, "shorting-disabled", `${input.source} wants ${symbol} SHORT; ${account} does not allow shorting, so it stays flat there`))
    return undefined
  }
  const weight = Math.min(Math.abs(target.conviction), MAX_CONVICTION) * WEIGHT_PER_CONVICTION
  const cap = settings.maxPositionPct / 100
  const fractional = fractionalSide(settings, target.direction === "LONG" ? "buy" : "sell")
  const requested = tradable((equity * weight) / price, fractional)
  if (requested <= 0) {
    const budget = equity * weight
    notes.rejections.push(rejection(account, symbol, "below-one-share", `${pct(weight * 100)} of ${usd(equity)} = ${usd(budget)} buys no share at ${usd(price)}`, { value: budget, limit: price, unit: "usd" }))
    return undefined
  }
  let qty = requested
  if (weight > cap) {
    qty = sharesWithin(equity * cap, price, fractional)
    const numbers: RuleNumbers = { value: weight * 100, limit: settings.maxPositionPct, unit: "percent" }
    const detail = `position ${pct(weight * 100)} of equity ${usd(equity)} is above ${pct(settings.maxPositionPct)}`
    if (qty <= 0) {
      notes.rejections.push(rejection(account, symbol, "max-position-pct", `${detail}, which buys no share at ${usd(price)}`, numbers))
      return undefined
    }
    notes.clamps.push({ account, symbol, rule: "max-position-pct", requested, allowed: qty, detail: `${detail}: ${requested} → ${qty} shares at ${usd(price)}`, numbers })
  }
  return target.direction === "LONG" ? qty : -qty
}

/** What limits an opening: the rule, the shares it allows, and its numbers for the requested size. */
interface Cap {
  readonly rule: AccountLimits.RuleName
  readonly allows: number
  readonly numbers: RuleNumbers
  /** Written only when the cap cuts: most openings pass every cap, and writing the texts was ~85 % of the work. */
  readonly detail: () => string
}

/**
 * How many of `opening` shares (moving `symbol` from `base` away from zero, on `side`) the account's rules allow
 * over `book`; every rule that cuts it is a clamp, and a cut to nothing a rejection naming the rule that did.
 */
export const allowedOpening = (input: {
  readonly account: AccountId
  readonly settings: AccountSettings
  readonly book: AccountLimits.Book
  readonly priceOf: AccountLimits.PriceOf
  readonly symbol: Ticker
  readonly side: "buy" | "sell"
  readonly base: number
  readonly opening: number
  readonly price: number
  readonly notes: Notes
}): number => {
  const { account, book, notes, opening, price, settings, symbol } = input
  const equity = book.equity
  const held = book.holdings.get(symbol) ?? 0
  const fractional = fractionalSide(settings, input.side)
  const fits = (room: number) => sharesWithin(room, price, fractional)
  const grossOthers = AccountLimits.grossExposure(book, input.priceOf) - Math.abs(held) * price
  const grossRoom = (settings.maxGrossExposurePct / 100) * equity - grossOthers - Math.abs(input.base) * price
  const positions = AccountLimits.openPositions(book) - (Math.abs(held) > AccountLimits.EPS ? 1 : 0)
  const costPerShare = AccountLimits.costPrice({ side: input.side, type: "market" }, price)
  const spendable = AccountLimits.spendable(book, settings)
  const value = opening * price
  const caps: ReadonlyArray<Cap> = [
    {
      rule: "max-order-value",
      allows: fits(settings.maxOrderValue),
      numbers: { value, limit: settings.maxOrderValue, unit: "usd" },
      detail: () => `${opening} × ${usd(price)} = ${usd(value)} exceeds the ${usd(settings.maxOrderValue)} order limit`
    },
    {
      rule: "max-gross-exposure-pct",
      allows: fits(Math.max(0, grossRoom)),
      numbers: { value: ((grossOthers + Math.abs(input.base + (input.side === "buy" ? opening : -opening)) * price) / equity) * 100, limit: settings.maxGrossExposurePct, unit: "percent" },
      detail: () => `gross exposure would exceed ${pct(settings.maxGrossExposurePct)} of equity ${usd(equity)} (${usd(Math.max(0, grossRoom))} of room)`
    },
    {
      rule: "max-open-positions",
      allows: Math.abs(input.base) <= AccountLimits.EPS && positions + 1 > settings.maxOpenPositions ? 0 : opening,
      numbers: { value: positions + 1, limit: settings.maxOpenPositions, unit: "positions" },
      detail: () => `${symbol} would be position ${positions + 1}; at most ${settings.maxOpenPositions} may be open`
    },
    {
      rule: "buying-power",
      allows: sharesWithin(spendable, costPerShare, fractional),
      numbers: { value: opening * costPerShare, limit: Math.max(0, spendable), unit: "usd" },
      detail: () => `${opening} × ${usd(costPerShare)} (price + ${AccountLimits.MARKET_COLLAR * 100}% collar) exceeds the ${usd(Math.max(0, spendable))} ${settings.allowMargin ? "buying power" : "cash (no margin)"} left`
    }
  ]
  let qty = opening
  for (const cap of caps) {
    if (cap.allows >= qty) continue
    const allowed = Math.max(0, cap.allows)
    if (allowed <= 0) {
      notes.rejections.push(rejection(account, symbol, cap.rule, cap.detail(), cap.numbers))
      return 0
    }
    notes.clamps.push({ account, symbol, rule: cap.rule, requested: qty, allowed, detail: `${cap.detail()}; ${qty} → ${allowed} shares`, numbers: cap.numbers })
    qty = allowed
  }
  if (!(equity > 0)) {
    notes.rejections.push(rejection(account, symbol, "no-equity", `equity is ${usd(equity)}: nothing may add risk`, { value: equity, limit: 0, unit: "usd" }))
    return 0
  }
  if (qty * price < settings.minOrderValue - AccountLimits.EPS) {
    notes.rejections.push(rejection(account, symbol, "min-order-value", `${qty} × ${usd(price)} = ${usd(qty * price)} is below the ${usd(settings.minOrderValue)} minimum order (dust)`, { value: qty * price, limit: settings.minOrderValue, unit: "usd" }))
    return 0
  }
  return qty
}
