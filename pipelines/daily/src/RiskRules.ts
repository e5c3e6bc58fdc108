/**
 * The risk gate's plan for one account: deterministic, no LLM. From the account (positions, open orders, equity,
 * buying power), its targets (a PM's pitch or the council's trades) and the snapshot's prices it decides, per
 * symbol, what to cancel, close, reduce, open and protect — every rejection and clamp with its rule and numbers.
 *
 * **Steps**
 * 1. Desired holdings (`Sizing.desiredHolding`): |conviction| × 10 % of equity, at most `maxPositionPct`;
 *    shorts only when allowed. A held symbol no target names is closed; a target without a price is left alone.
 * 2. Closes and reductions first; a reduction smaller than `minOrderValue` is dust, skipped. A flip (long → short,
 *    short → long) is the close alone: the opening is made by the first run that finds the position flat (rule
 *    `flip-opens-when-flat`), since a broker takes no opening on the other side while the position is held or its
 *    close still works (Alpaca: "insufficient qty available for order"; the local exchange alike).
 * 3. Openings, highest conviction first, each held to the account's rules (`Sizing.allowedOpening`): order value,
 *    gross exposure, open positions, buying power, minimum value. Reductions of *other* symbols are not counted as
 *    freed room (they may fill after the openings), so whatever order the broker sees them in, each passes.
 * 4. Protection: a position that stays (unchanged, reduced, or the part held before an addition) gets an OCO
 *    exit unless its exits already cover it exactly; a new entry carries its own under `after-close`, and gets
 *    one from the next run under `close`.
 * 5. Cancels: pending entries on every symbol the plan evaluates (stale), and the exits of any symbol whose
 *    position changes or whose exits no longer fit.
 * 6. Orders an earlier run of the same day placed (a fork's parent's, by their client order ids) and still open
 *    themselves are not part of the account the plan starts from: the day is planned as its first run planned it,
 *    an order the plan makes again is left at the broker (Execution adopts it by its id), and one it no longer makes
 *    is canceled. Without this a fork would cancel its parent's orders as stale and then report them "already at
 *    the broker". A bracket of the day whose entry filled is not set aside: its legs are the position's exits (a
 *    plan from the filled position does not make the bracket again, and would otherwise swap its legs for an OCO).
 *
 * Orders by schedule and their client order ids are `risk/Orders.ts`; exit prices `risk/Ticks.ts`.
 */
import { AccountLimits } from "@council/broker"
import { type AccountSnapshot, type CancelIntent, type Clamp, LEGACY_SCHEDULE, type Order, type OrderIntent, type Rejection, type RunSchedule, type Ticker, type TradingDay } from "@council/domain"
import type { AccountProfile } from "./DailyParams.ts"
import { classify, coversExactly, type ExitGroup, isOpen } from "./risk/OpenOrders.ts"
import { orderMaker, plannedOn } from "./risk/Orders.ts"
import { allowedOpening, desiredHolding, type Notes, type Target, tradable } from "./risk/Sizing.ts"
import { exitPrices } from "./risk/Ticks.ts"

export { clientOrderId } from "./risk/Orders.ts"
export { roundToTick, tickOf } from "./risk/Ticks.ts"
export { MAX_CONVICTION, type Target, tradable, WEIGHT_PER_CONVICTION } from "./risk/Sizing.ts"

export interface AccountPlan {
  readonly cancels: ReadonlyArray<CancelIntent>
  readonly intents: ReadonlyArray<OrderIntent>
  readonly rejections: ReadonlyArray<Rejection>
  readonly clamps: ReadonlyArray<Clamp>
}

export interface PlanInput {
  readonly day: TradingDay
  readonly config: AccountProfile
  readonly account: AccountSnapshot
  /** Open orders at the broker, top level with their legs. */
  readonly open?: ReadonlyArray<Order>
  readonly targets: ReadonlyArray<Target>
  /** The snapshot's price of a symbol. */
  readonly priceOf: (symbol: Ticker) => number | undefined
  readonly source: string
  readonly schedule?: RunSchedule
  /** Name the bracket of a leg the plan cancels (`CancelIntent.group`; runs recording `refusedCancels: group`). */
  readonly groups?: boolean
}

const sign = (n: number) => (Math.abs(n) <= AccountLimits.EPS ? 0 : Math.sign(n))

/** The targets in the order openings get the account's room: highest |conviction| first, then by symbol. */
const byConviction = (targets: ReadonlyArray<Target>) =>
  [...targets].sort((a, b) => Math.abs(b.conviction) - Math.abs(a.conviction) || a.symbol.localeCompare(b.symbol))

export const planAccount = (input: PlanInput): AccountPlan => {
  const { account, config, day, source } = input
  const id = config.id
  const settings = config.settings
  const orders = orderMaker(day, id, input.schedule ?? LEGACY_SCHEDULE)
  const notes: Notes = { rejections: [], clamps: [] }
  const intents: Array<OrderIntent> = []
  const cancels: Array<CancelIntent> = []
  const open = input.open ?? []
  const ofToday = (o: Order) => isOpen(o) && plannedOn(day, id, o.clientOrderId)
  const earlierToday = open.filter(ofToday)
  const { exits, pending } = classify(open.filter((o) => !ofToday(o)))
  const positions = new Map(account.positions.filter((p) => sign(p.qty) !== 0).map((p) => [p.symbol as string, p.qty]))
  const targets = new Map<string, Target>()
  for (const target of byConviction(input.targets)) if (!targets.has(target.symbol)) targets.set(target.symbol, target)

  // 1. desired holdings
  const untouched = new Set<string>()
  const desired = new Map<string, number>()
  for (const target of targets.values()) {
    const price = input.priceOf(target.symbol)
    if (price === undefined || !(price > 0)) {
      notes.rejections.push({ account: id, symbol: target.symbol, rule: "no-price", detail: `no price for ${target.symbol} in the snapshot of ${day}; ${target.symbol} is left as it is` })
      untouched.add(target.symbol)
      continue
    }
    const holding = desiredHolding({ account: id, settings, equity: account.equity, target, price, source, notes })
    if (holding !== undefined) desired.set(target.symbol, holding)
  }
  const evaluated = new Set([...positions.keys(), ...targets.keys()].filter((s) => !untouched.has(s)))
  const exitsOf = (symbol: string) => exits.filter((e) => e.symbol === symbol)
  const cancel = (symbol: string, member: ExitGroup["member"], reason: string, group?: string) =>
    cancels.push({ account: id, orderId: member.id, symbol, reason, ...(input.groups && group !== undefined ? { group } : {}) })
  for (const { member, order } of pending) {
    if (evaluated.has(order.symbol)) cancel(order.symbol, member, `stale ${order.type} ${order.side} ${order.symbol} from before today's plan`)
  }
  const kept = open.filter((o) => !ofToday(o) && !cancels.some((c) => c.orderId === o.id))
  let book = AccountLimits.bookOf(account, kept, (s) => input.priceOf(s as Ticker))
  const priceOf = AccountLimits.priceIn(book, (s) => input.priceOf(s as Ticker))

  // 2. closes and reductions
  const symbols = [...evaluated].sort()
  const base = new Map<string, number>()
  const flipped = new Set<string>()
  for (const symbol of symbols) {
    const q = positions.get(symbol) ?? 0
    const t = desired.get(symbol) ?? 0
    base.set(symbol, q)
    if (q === t || q === 0) continue
    const ticker = symbol as Ticker
    if (sign(t) === sign(q) && Math.abs(t) > Math.abs(q)) continue
    if (sign(t) !== sign(q)) {
      intents.push(orders.reduce("close", ticker, q > 0 ? "sell" : "buy", Math.abs(q), `close ${q} ${symbol}: ${source} ${t === 0 ? "no longer holds it" : "turns it around"}`))
      base.set(symbol, 0)
      if (t !== 0) flipped.add(symbol)
    } else {
      const price = priceOf(symbol) ?? 0
      const delta = Math.abs(q) - Math.abs(t)
      const value = delta * price
      if (value < settings.minOrderValue - AccountLimits.EPS) {
        notes.rejections.push({
          account: id,
          symbol,
          rule: "min-order-value",
          detail: `reducing ${symbol} by ${delta} is ${AccountLimits.dollars(value)}, below the ${AccountLimits.dollars(settings.minOrderValue)} minimum order (dust); kept at ${q}`,
          numbers: { value, limit: settings.minOrderValue, unit: "usd" }
        })
        desired.set(symbol, q)
        continue
      }
      intents.push(orders.reduce("reduce", ticker, q > 0 ? "sell" : "buy", delta, `reduce ${symbol} from ${q} to ${t} shares: ${source}`))
      base.set(symbol, t)
    }
    for (const exit of exitsOf(symbol)) cancel(symbol, exit.member, `exit ${exit.side} ${exit.qty} ${symbol}: its position changes today`, exit.group)
  }

  // 3. openings, highest conviction first
  for (const target of targets.values()) {
    const symbol = target.symbol
    const t = desired.get(symbol)
    const from = base.get(symbol) ?? 0
    if (t === undefined || Math.abs(t) <= Math.abs(from) + AccountLimits.EPS) continue
    if (flipped.has(symbol)) {
      const q = positions.get(symbol) ?? 0
      notes.rejections.push({
        account: id,
        symbol,
        rule: "flip-opens-when-flat",
        detail: `${source} turns ${symbol} from ${q} to ${t} shares: today closes the ${q}; the ${target.direction} position opens on the first run that finds ${symbol} flat (no broker takes the opening while the close works)`
      })
      desired.set(symbol, 0)
      continue
    }
    const price = input.priceOf(symbol)!
    const side = t > 0 ? "buy" : "sell"
    const qty = allowedOpening({ account: id, settings, book, priceOf, symbol, side, base: from, opening: tradable(Math.abs(t) - Math.abs(from), settings.fractional), price, notes })
    if (qty <= 0) {
      desired.set(symbol, from)
      continue
    }
    const kind = from === 0 ? "open" : "add"
    const what = kind === "open"
      ? `open ${target.direction} ${symbol}: ${source}, conviction ${target.conviction}, ${target.riskProfile} exits`
      : `add ${qty} to ${from} ${symbol}: ${source}, conviction ${target.conviction}`
    intents.push(orders.entry(kind, symbol, side, qty, exitPrices(price, target.direction, settings.exits[target.riskProfile]), what))
    const holdings = new Map(book.holdings)
    holdings.set(symbol, from)
    book = AccountLimits.apply({ ...book, holdings }, { symbol, side, qty, type: "market", orderClass: "simple" }, priceOf)
  }

  // 4. protection of the shares that stay
  for (const symbol of symbols) {
    const q = positions.get(symbol) ?? 0
    const stays = sign(desired.get(symbol) ?? 0) === sign(q) ? base.get(symbol) ?? 0 : 0
    const target = targets.get(symbol)
    const price = input.priceOf(symbol as Ticker)
    if (stays === 0 || target === undefined || price === undefined) continue
    const current = exitsOf(symbol).filter((e) => !cancels.some((c) => c.orderId === e.member.id))
    const qty = tradable(Math.abs(stays), false)
    if (coversExactly(current, sign(stays) * qty)) continue
    for (const exit of current) cancel(symbol, exit.member, `exit ${exit.side} ${exit.qty} ${symbol} does not match the ${stays} shares held`, exit.group)
    if (qty === 0) continue
    intents.push(orders.protect(symbol as Ticker, stays > 0 ? "sell" : "buy", qty, exitPrices(price, target.direction, settings.exits[target.riskProfile]), `protect ${qty} ${symbol} with ${target.riskProfile} exits`))
  }

  // 5. exits left on a symbol no longer held
  for (const exit of exits) {
    const flat = (positions.get(exit.symbol) ?? 0) === 0 && !untouched.has(exit.symbol)
    if (flat && !cancels.some((c) => c.orderId === exit.member.id)) cancel(exit.symbol, exit.member, `exit ${exit.side} ${exit.qty} ${exit.symbol} with no position`, exit.group)
  }

  // 6. orders an earlier run of this day placed: kept when this plan makes them again, else canceled
  const planned = new Set(intents.map((i) => i.clientOrderId))
  for (const order of earlierToday) {
    if (!planned.has(order.clientOrderId)) {
      cancel(order.symbol, order, `${order.side} ${order.qty} ${order.symbol} from an earlier run of ${day} that this plan no longer makes`)
    }
  }
  return { cancels, intents, rejections: notes.rejections, clamps: notes.clamps }
}
