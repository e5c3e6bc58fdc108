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
 *    exit unless its exits already cover it exactly (exits covering part of it are canceled and one OCO of every
 *    share that stays placed); a new entry carries its own under `after-close`, and gets one from the next run
 *    under `close`. An account without a pitch holds instead (`risk/Holding.ts`): it adds an exit for the uncovered
 *    rest and cancels nothing.
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

export { type HoldingInput, protectHeld } from "./risk/Holding.ts"
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
  /** State each order's `positionIntent` (runs recording `positionIntent: sent`). */
  readonly positionIntents?: boolean
}

const sign = (n: number) => (Math.abs(n) <= AccountLimits.EPS ? 0 : Math.sign(n))

/** The targets in the order openings get the account's room: highest |conviction| first, then by symbol. */
const byConviction = (targets: ReadonlyArray<Target>) =>
  [...targets].sort((a, b) => Math.abs(b.conviction) - Math.abs(a.conviction) || a.symbol.localeCompare(b.symbol))

/** What the steps of one account's plan share: its inputs, and what the steps have decided so far. */
interface Planning {
  readonly input: PlanInput
  readonly id: AccountProfile["id"]
  readonly settings: AccountProfile["settings"]
  readonly orders: ReturnType<typeof orderMaker>
  readonly notes: Notes
  readonly intents: Array<OrderIntent>
  readonly cancels: Array<CancelIntent>
  readonly exits: ReadonlyArray<ExitGroup>
  /** Held quantities (signed) of the positions that are not flat. */
  readonly positions: ReadonlyMap<string, number>
  /** One target per symbol, highest conviction first. */
  readonly targets: ReadonlyMap<string, Target>
  /** The symbols whose target has no price: left as they are. */
  readonly untouched: Set<string>
  /** The signed holding wanted per symbol (step 1), as the later steps settle it. */
  readonly desired: Map<string, number>
  /** The holding after the closes and reductions (step 2), before openings. */
  readonly base: Map<string, number>
  /** The symbols a flip closes today (they open on a later run). */
  readonly flipped: Set<string>
}

const exitsOf = (plan: Planning, symbol: string) => plan.exits.filter((e) => e.symbol === symbol)
const canceled = (plan: Planning, orderId: string) => plan.cancels.some((c) => c.orderId === orderId)

const cancel = (plan: Planning, symbol: string, member: ExitGroup["member"], reason: string, group?: string) =>
  plan.cancels.push({ account: plan.id, orderId: member.id, symbol, reason, ...(plan.input.groups && group !== undefined ? { group } : {}) })

/** 1. The holding each target wants (`desiredHolding`); a target without a price leaves its symbol untouched. */
const desiredHoldings = (plan: Planning) => {
  const { input, id, settings, notes } = plan
  for (const target of plan.targets.values()) {
    const price = input.priceOf(target.symbol)
    if (price === undefined || !(price > 0)) {
      notes.rejections.push({ account: id, symbol: target.symbol, rule: "no-price", detail: `no price for ${target.symbol} in the snapshot of ${input.day}; ${target.symbol} is left as it is` })
      plan.untouched.add(target.symbol)
      continue
    }
    const holding = desiredHolding({ account: id, settings, equity: input.account.equity, target, price, source: input.source, notes })
    if (holding !== undefined) plan.desired.set(target.symbol, holding)
  }
}

/** 2. Closes (a flip is its close alone) and reductions, dust skipped; the symbol's exits are canceled. */
const closesAndReductions = (plan: Planning, symbols: ReadonlyArray<string>, priceOf: AccountLimits.PriceOf) => {
  const { id, settings, orders, notes, input: { source } } = plan
  for (const symbol of symbols) {
    const q = plan.positions.get(symbol) ?? 0
    const t = plan.desired.get(symbol) ?? 0
    plan.base.set(symbol, q)
    if (q === t || q === 0) continue
    const ticker = symbol as Ticker
    if (sign(t) === sign(q) && Math.abs(t) > Math.abs(q)) continue
    if (sign(t) !== sign(q)) {
      plan.intents.push(orders.reduce("close", ticker, q > 0 ? "sell" : "buy", Math.abs(q), `close ${q} ${symbol}: ${source} ${t === 0 ? "no longer holds it" : "turns it around"}`))
      plan.base.set(symbol, 0)
      if (t !== 0) plan.flipped.add(symbol)
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
        plan.desired.set(symbol, q)
        continue
      }
      plan.intents.push(orders.reduce("reduce", ticker, q > 0 ? "sell" : "buy", delta, `reduce ${symbol} from ${q} to ${t} shares: ${source}`))
      plan.base.set(symbol, t)
    }
    for (const exit of exitsOf(plan, symbol)) cancel(plan, symbol, exit.member, `exit ${exit.side} ${exit.qty} ${symbol}: its position changes today`, exit.group)
  }
}

/** 3. Openings and additions, highest conviction first, each held to the account's rules over the book so far. */
const openings = (plan: Planning, start: AccountLimits.Book, priceOf: AccountLimits.PriceOf) => {
  const { id, settings, orders, notes, input } = plan
  let book = start
  for (const target of plan.targets.values()) {
    const symbol = target.symbol
    const t = plan.desired.get(symbol)
    const from = plan.base.get(symbol) ?? 0
    if (t === undefined || Math.abs(t) <= Math.abs(from) + AccountLimits.EPS) continue
    if (plan.flipped.has(symbol)) {
      const q = plan.positions.get(symbol) ?? 0
      notes.rejections.push({
        account: id,
        symbol,
        rule: "flip-opens-when-flat",
        detail: `${input.source} turns ${symbol} from ${q} to ${t} shares: today closes the ${q}; the ${target.direction} position opens on the first run that finds ${symbol} flat (no broker takes the opening while the close works)`
      })
      plan.desired.set(symbol, 0)
      continue
    }
    const price = input.priceOf(symbol)!
    const side = t > 0 ? "buy" : "sell"
    const qty = allowedOpening({ account: id, settings, book, priceOf, symbol, side, base: from, opening: tradable(Math.abs(t) - Math.abs(from), settings.fractional), price, notes })
    if (qty <= 0) {
      plan.desired.set(symbol, from)
      continue
    }
    const kind = from === 0 ? "open" : "add"
    const what = kind === "open"
      ? `open ${target.direction} ${symbol}: ${input.source}, conviction ${target.conviction}, ${target.riskProfile} exits`
      : `add ${qty} to ${from} ${symbol}: ${input.source}, conviction ${target.conviction}`
    plan.intents.push(orders.entry(kind, symbol, side, qty, exitPrices(price, target.direction, settings.exits[target.riskProfile]), what))
    const holdings = new Map(book.holdings)
    holdings.set(symbol, from)
    book = AccountLimits.apply({ ...book, holdings }, { symbol, side, qty, type: "market", orderClass: "simple" }, priceOf)
  }
}

/** 4. An OCO exit for the shares that stay, unless the exits working cover them exactly. */
const protection = (plan: Planning, symbols: ReadonlyArray<string>) => {
  const { settings, orders, input } = plan
  for (const symbol of symbols) {
    const q = plan.positions.get(symbol) ?? 0
    const stays = sign(plan.desired.get(symbol) ?? 0) === sign(q) ? plan.base.get(symbol) ?? 0 : 0
    const target = plan.targets.get(symbol)
    const price = input.priceOf(symbol as Ticker)
    if (stays === 0 || target === undefined || price === undefined) continue
    const current = exitsOf(plan, symbol).filter((e) => !canceled(plan, e.member.id))
    const qty = tradable(Math.abs(stays), false)
    if (coversExactly(current, sign(stays) * qty)) continue
    for (const exit of current) cancel(plan, symbol, exit.member, `exit ${exit.side} ${exit.qty} ${symbol} does not match the ${stays} shares held`, exit.group)
    if (qty === 0) continue
    plan.intents.push(orders.protect(symbol as Ticker, stays > 0 ? "sell" : "buy", qty, exitPrices(price, target.direction, settings.exits[target.riskProfile]), `protect ${qty} ${symbol} with ${target.riskProfile} exits`))
  }
}

/** 5. Exits left on a symbol no longer held. */
const strayExits = (plan: Planning) => {
  for (const exit of plan.exits) {
    const flat = (plan.positions.get(exit.symbol) ?? 0) === 0 && !plan.untouched.has(exit.symbol)
    if (flat && !canceled(plan, exit.member.id)) cancel(plan, exit.symbol, exit.member, `exit ${exit.side} ${exit.qty} ${exit.symbol} with no position`, exit.group)
  }
}

/** 6. Orders an earlier run of this day placed: kept when this plan makes them again, else canceled. */
const earlierRuns = (plan: Planning, earlierToday: ReadonlyArray<Order>) => {
  const planned = new Set(plan.intents.map((i) => i.clientOrderId))
  for (const order of earlierToday) {
    if (!planned.has(order.clientOrderId)) {
      cancel(plan, order.symbol, order, `${order.side} ${order.qty} ${order.symbol} from an earlier run of ${plan.input.day} that this plan no longer makes`)
    }
  }
}

export const planAccount = (input: PlanInput): AccountPlan => {
  const { account, config, day } = input
  const id = config.id
  const open = input.open ?? []
  const ofToday = (o: Order) => isOpen(o) && plannedOn(day, id, o.clientOrderId)
  const { exits, pending } = classify(open.filter((o) => !ofToday(o)))
  const targets = new Map<string, Target>()
  for (const target of byConviction(input.targets)) if (!targets.has(target.symbol)) targets.set(target.symbol, target)
  const plan: Planning = {
    input,
    id,
    settings: config.settings,
    orders: orderMaker(day, id, input.schedule ?? LEGACY_SCHEDULE, input.positionIntents ?? false),
    notes: { rejections: [], clamps: [] },
    intents: [],
    cancels: [],
    exits,
    positions: new Map(account.positions.filter((p) => sign(p.qty) !== 0).map((p) => [p.symbol as string, p.qty])),
    targets,
    untouched: new Set(),
    desired: new Map(),
    base: new Map(),
    flipped: new Set()
  }
  desiredHoldings(plan)
  const evaluated = new Set([...plan.positions.keys(), ...targets.keys()].filter((s) => !plan.untouched.has(s)))
  for (const { member, order } of pending) {
    if (evaluated.has(order.symbol)) cancel(plan, order.symbol, member, `stale ${order.type} ${order.side} ${order.symbol} from before today's plan`)
  }
  const kept = open.filter((o) => !ofToday(o) && !canceled(plan, o.id))
  const book = AccountLimits.bookOf(account, kept, (s) => input.priceOf(s as Ticker))
  const priceOf = AccountLimits.priceIn(book, (s) => input.priceOf(s as Ticker))
  const symbols = [...evaluated].sort()
  closesAndReductions(plan, symbols, priceOf)
  openings(plan, book, priceOf)
  protection(plan, symbols)
  strayExits(plan)
  earlierRuns(plan, open.filter(ofToday))
  return { cancels: plan.cancels, intents: plan.intents, rejections: plan.notes.rejections, clamps: plan.notes.clamps }
}
