/**
 * The first deterministic risk rules: size from conviction and equity at the snapshot price, shorting only
 * when allowed, the largest position and order value per account. Every rejection and clamp is reported with
 * its rule and numbers.
 */
import {
  type AccountSnapshot,
  type Clamp,
  type Direction,
  type Horizon,
  type OrderIntent,
  type Rejection,
  type RiskProfile,
  type RunSchedule,
  type Ticker,
  type TradingDay
} from "@council/domain"
import { hashOf } from "@council/engine"
import type { AccountProfile } from "./DailyParams.ts"

export interface Target {
  readonly symbol: Ticker
  readonly direction: Exclude<Direction, "FLAT">
  readonly conviction: number
  readonly riskProfile: RiskProfile
  readonly horizon: Horizon
}

export interface AccountPlan {
  readonly intents: ReadonlyArray<OrderIntent>
  readonly rejections: ReadonlyArray<Rejection>
  readonly clamps: ReadonlyArray<Clamp>
}

/** Share of equity per point of |conviction|. */
export const WEIGHT_PER_CONVICTION = 0.1

/** Take-profit and stop-loss distances from the entry price, by risk profile. */
export const EXIT_DISTANCES: Record<RiskProfile, { readonly takeProfit: number; readonly stopLoss: number }> = {
  TIGHT: { takeProfit: 0.03, stopLoss: 0.015 },
  BASE: { takeProfit: 0.06, stopLoss: 0.03 },
  WIDE: { takeProfit: 0.1, stopLoss: 0.05 }
}

const cents = (price: number) => Math.round(price * 100) / 100

const exits = (price: number, direction: Target["direction"], profile: RiskProfile) => {
  const d = EXIT_DISTANCES[profile]
  return direction === "LONG"
    ? { takeProfit: { limitPrice: cents(price * (1 + d.takeProfit)) }, stopLoss: { stopPrice: cents(price * (1 - d.stopLoss)) } }
    : { takeProfit: { limitPrice: cents(price * (1 - d.takeProfit)) }, stopLoss: { stopPrice: cents(price * (1 + d.stopLoss)) } }
}

/** A client order id that is the same every time the same intent is derived for the same day and account. */
export const clientOrderId = (day: TradingDay, intent: Omit<OrderIntent, "clientOrderId">, kind: string): string =>
  `${day}-${intent.account}-${intent.symbol}-${kind}-${hashOf(intent).slice(0, 10)}`

export const planAccount = (input: {
  readonly day: TradingDay
  readonly config: AccountProfile
  readonly account: AccountSnapshot
  readonly targets: ReadonlyArray<Target>
  readonly priceOf: (symbol: Ticker) => number | undefined
  readonly source: string
  /** Under `close` market orders are market-on-close (`cls`), entries without brackets, no OCO in the same run. */
  readonly schedule?: RunSchedule
}): AccountPlan => {
  const { config, account, day } = input
  const onClose = input.schedule === "close"
  const id = config.id
  const settings = config.settings
  const intents: Array<OrderIntent> = []
  const rejections: Array<Rejection> = []
  const clamps: Array<Clamp> = []

  const add = (
    kind: string,
    spec: Omit<OrderIntent, "clientOrderId" | "account" | "type" | "timeInForce" | "orderClass"> &
      Partial<Pick<OrderIntent, "orderClass" | "timeInForce" | "type">>
  ) => {
    const body: Omit<OrderIntent, "clientOrderId"> = {
      account: id,
      type: "market",
      timeInForce: spec.orderClass && spec.orderClass !== "simple" ? "gtc" : onClose && spec.type !== "limit" ? "cls" : "day",
      orderClass: "simple",
      ...spec
    }
    intents.push({ ...body, clientOrderId: clientOrderId(day, body, kind) })
  }

  const desired = new Map<Ticker, { qty: number; target: Target; price: number }>()
  for (const target of input.targets) {
    const price = input.priceOf(target.symbol)
    if (price === undefined || !(price > 0)) {
      rejections.push({ account: id, symbol: target.symbol, rule: "no-price", detail: `no close for ${target.symbol} on ${day}` })
      continue
    }
    if (target.direction === "SHORT" && !settings.allowShorting) {
      rejections.push({
        account: id,
        symbol: target.symbol,
        rule: "shorting-disabled",
        detail: `${input.source} wants ${target.symbol} SHORT; ${id} does not allow shorting, so it stays flat there`
      })
      continue
    }
    let weight = Math.min(Math.abs(target.conviction), 2) * WEIGHT_PER_CONVICTION
    const maxWeight = settings.maxPositionPct / 100
    if (weight > maxWeight) {
      clamps.push({
        account: id,
        symbol: target.symbol,
        rule: "max-position-pct",
        requested: weight * 100,
        allowed: settings.maxPositionPct,
        detail: `position ${(weight * 100).toFixed(1)}% of equity clamped to ${settings.maxPositionPct}%`
      })
      weight = maxWeight
    }
    const qty = Math.floor((account.equity * weight) / price)
    if (qty === 0) {
      rejections.push({
        account: id,
        symbol: target.symbol,
        rule: "below-one-share",
        detail: `${(weight * 100).toFixed(1)}% of $${account.equity.toFixed(2)} buys no share at $${price}`
      })
      continue
    }
    desired.set(target.symbol, { qty: target.direction === "LONG" ? qty : -qty, target, price })
  }

  const symbols = [...new Set([...account.positions.map((p) => p.symbol), ...desired.keys()])].sort()
  for (const symbol of symbols) {
    const current = account.positions.find((p) => p.symbol === symbol)?.qty ?? 0
    const want = desired.get(symbol)
    let target = want?.qty ?? 0
    if (current === target) continue
    const price = want?.price ?? input.priceOf(symbol) ?? account.positions.find((p) => p.symbol === symbol)?.currentPrice ?? 0
    const flips = current !== 0 && Math.sign(target) !== Math.sign(current)
    if (flips) {
      add("close", { symbol, side: current > 0 ? "sell" : "buy", qty: Math.abs(current), reason: `close ${symbol}: ${input.source} no longer holds it this way` })
    }
    const base = flips ? 0 : current
    let delta = target - base
    if (delta === 0) continue
    const increasesRisk = Math.abs(target) > Math.abs(base)
    if (increasesRisk && Math.abs(delta) * price > settings.maxOrderValue) {
      const allowed = Math.floor(settings.maxOrderValue / price)
      clamps.push({
        account: id,
        symbol,
        rule: "max-order-value",
        requested: Math.abs(delta),
        allowed,
        detail: `${Math.abs(delta)} × $${price} = $${(Math.abs(delta) * price).toFixed(2)} exceeds $${settings.maxOrderValue}; ${allowed} shares`
      })
      if (allowed === 0) {
        rejections.push({ account: id, symbol, rule: "max-order-value", detail: `one share of ${symbol} exceeds $${settings.maxOrderValue}` })
        continue
      }
      delta = Math.sign(delta) * allowed
      target = base + delta
    }
    const side = delta > 0 ? "buy" : "sell"
    if (base === 0 && want) {
      add("open", {
        symbol,
        side,
        qty: Math.abs(delta),
        ...(onClose ? {} : { orderClass: "bracket" as const, ...exits(price, want.target.direction, want.target.riskProfile) }),
        reason: `open ${want.target.direction} ${symbol}: ${input.source}, conviction ${want.target.conviction}, ${want.target.riskProfile} exits`
      })
    } else {
      add("resize", { symbol, side, qty: Math.abs(delta), reason: `resize ${symbol} from ${base} to ${target} shares: ${input.source}` })
      if (want && target !== 0 && !onClose) {
        add("protect", {
          symbol,
          side: target > 0 ? "sell" : "buy",
          qty: Math.abs(target),
          type: "limit",
          orderClass: "oco",
          ...exits(price, want.target.direction, want.target.riskProfile),
          limitPrice: exits(price, want.target.direction, want.target.riskProfile).takeProfit.limitPrice,
          reason: `protect ${target} ${symbol} with ${want.target.riskProfile} exits`
        })
      }
    }
  }
  return { intents, rejections, clamps }
}
