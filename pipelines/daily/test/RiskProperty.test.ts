import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option, Schema } from "effect"
import {
  AccountId,
  type AccountSettings,
  type AccountSnapshot,
  defaultAccountSettings,
  type Order,
  type OrderIntent,
  type Ticker,
  TradingDay
} from "@council/domain"
import { type Broker, BrokerError, SafetyBroker } from "@council/broker"
import { RiskRules } from "@council/daily"
import { intent, toOrder } from "../../../packages/broker/test/BrokerDouble.ts"

// An oracle written from the rules' definitions (docs/DEPLOYMENT.md, AccountSettings), not from the gate's code: the
// gate's plan and the safety broker are both checked against it.

const UNIVERSE = ["SPY", "TLT", "GLD", "QQQ", "XLE"] as const
const COLLAR = 0.03
const TOLERANCE = 1e-6

const int = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))
const price = Schema.Finite.check(Schema.isBetween({ minimum: 0.5, maximum: 900 }))

const Settings = Schema.Struct({
  maxOrderValue: int(0, 60_000),
  maxPositionPct: int(0, 100),
  maxGrossExposurePct: int(0, 200),
  allowShorting: Schema.Boolean,
  allowMargin: Schema.Boolean,
  maxOpenPositions: int(0, 6),
  minOrderValue: int(0, 3_000),
  fractional: Schema.Boolean
})

const Symbol = Schema.Literals(UNIVERSE)
const Prices = Schema.Struct({ SPY: price, TLT: price, GLD: price, QQQ: price, XLE: price })
const World = {
  settings: Settings,
  prices: Prices,
  equity: int(1_000, 1_000_000),
  buyingPowerPct: int(0, 200),
  positions: Schema.Array(Schema.Struct({ symbol: Symbol, qty: int(-400, 400) })).check(Schema.isMaxLength(5)),
  pending: Schema.Array(Schema.Struct({ symbol: Symbol, qty: int(1, 200) })).check(Schema.isMaxLength(2))
}
type World = { readonly [K in keyof typeof World]: (typeof World)[K]["Type"] }

const Targets = Schema.Array(Schema.Struct({
  symbol: Symbol,
  conviction: Schema.Literals([-2, -1, 1, 2]),
  riskProfile: Schema.Literals(["TIGHT", "BASE", "WIDE"])
})).check(Schema.isMaxLength(4))

const day = TradingDay.make("2026-06-08")
const CLAUDE = AccountId.make("CLAUDE")

const settingsOf = (world: World): AccountSettings => ({ ...defaultAccountSettings, ...world.settings })

/** The account the world describes: positions (first mention of a symbol wins), cash the rest of equity. */
const accountOf = (world: World): AccountSnapshot => {
  const seen = new Set<string>()
  const positions = world.positions.filter((p) => p.qty !== 0 && !seen.has(p.symbol) && seen.add(p.symbol)).map((p) => {
    const at = world.prices[p.symbol]
    return { symbol: p.symbol as Ticker, qty: p.qty, side: p.qty > 0 ? "long" as const : "short" as const, avgEntryPrice: at, marketValue: p.qty * at, currentPrice: at, unrealizedPl: 0 }
  })
  const cash = world.equity - positions.reduce((n, p) => n + p.marketValue, 0)
  return { account: CLAUDE, cash, equity: world.equity, buyingPower: (world.equity * world.buyingPowerPct) / 100, longMarketValue: 0, shortMarketValue: 0, positions }
}

/** Open market buys on symbols the account does not hold. */
const openOf = (world: World, account: AccountSnapshot): ReadonlyArray<Order> =>
  world.pending
    .filter((p) => !account.positions.some((q) => q.symbol === p.symbol))
    .map((p, n) => toOrder(intent({ side: "buy", qty: p.qty, symbol: p.symbol as Ticker, clientOrderId: `pending-${n}` }), n))

/** What the rules see: every holding (positions and open orders), cash, what open orders hold of it. */
interface Model {
  readonly settings: AccountSettings
  readonly equity: number
  readonly cash: number
  readonly buyingPower: number
  readonly holdings: Map<string, number>
  committed: number
  spentSinceRead: number
  readonly price: (symbol: string) => number
}

const modelOf = (world: World, account: AccountSnapshot, open: ReadonlyArray<Order>): Model => {
  const holdings = new Map<string, number>(account.positions.map((p) => [p.symbol, p.qty]))
  for (const o of open) holdings.set(o.symbol, (holdings.get(o.symbol) ?? 0) + o.qty)
  return {
    settings: settingsOf(world),
    equity: account.equity,
    cash: account.cash,
    buyingPower: account.buyingPower,
    holdings,
    committed: open.reduce((n, o) => n + o.qty * world.prices[o.symbol as (typeof UNIVERSE)[number]] * (1 + COLLAR), 0),
    spentSinceRead: 0,
    price: (symbol) => (world.prices as Record<string, number>)[symbol]!
  }
}

type Shape = Pick<OrderIntent, "symbol" | "side" | "qty" | "type" | "orderClass" | "limitPrice">

/** Every rule `order` breaks on `model`, by the rules' definitions. */
const broken = (m: Model, order: Shape): ReadonlyArray<string> => {
  const s = m.settings
  const before = m.holdings.get(order.symbol) ?? 0
  const signed = order.side === "buy" ? order.qty : -order.qty
  const after = before + signed
  const p = m.price(order.symbol)
  if (order.orderClass === "oco") {
    const closes = order.side === "sell" ? before > 0 : before < 0
    return closes && order.qty <= Math.abs(before) + TOLERANCE ? [] : ["exit-exceeds-position"]
  }
  const reducesOnly = Math.abs(after) <= Math.abs(before) + TOLERANCE && Math.sign(after) * Math.sign(before) >= 0
  if (reducesOnly) return Math.abs(after) > TOLERANCE && order.qty * p < s.minOrderValue - TOLERANCE ? ["min-order-value"] : []
  const opening = Math.sign(signed) === Math.sign(before) || before === 0 ? order.qty : order.qty - Math.abs(before)
  const out: Array<string> = []
  if (!(m.equity > 0)) out.push("no-equity")
  if (after < -TOLERANCE && !s.allowShorting) out.push("shorting-disabled")
  if (!s.fractional && !Number.isInteger(order.qty)) out.push("fractional-disabled")
  if (after < -TOLERANCE && !Number.isInteger(order.qty)) out.push("fractional-short")
  if (order.qty * p < s.minOrderValue - TOLERANCE) out.push("min-order-value")
  if (opening * p > s.maxOrderValue + TOLERANCE) out.push("max-order-value")
  if (Math.abs(after) * p > (s.maxPositionPct / 100) * m.equity + TOLERANCE) out.push("max-position-pct")
  let gross = Math.abs(after) * p
  for (const [symbol, qty] of m.holdings) if (symbol !== order.symbol) gross += Math.abs(qty) * m.price(symbol)
  if (gross > (s.maxGrossExposurePct / 100) * m.equity + TOLERANCE) out.push("max-gross-exposure-pct")
  const held = [...m.holdings.entries()].filter(([symbol, qty]) => symbol !== order.symbol && Math.abs(qty) > TOLERANCE).length
  if (Math.abs(before) <= TOLERANCE && held + 1 > s.maxOpenPositions) out.push("max-open-positions")
  const perShare = order.type === "limit" && order.limitPrice !== undefined
    ? order.side === "buy" ? order.limitPrice : Math.max(order.limitPrice, p * (1 + COLLAR))
    : p * (1 + COLLAR)
  const spendable = s.allowMargin ? m.buyingPower - m.spentSinceRead : Math.min(m.buyingPower - m.spentSinceRead, m.cash - m.committed)
  if (opening * perShare > spendable + TOLERANCE) out.push("buying-power")
  return out
}

/** `order` taken: the holding moves, its opening part's cost is committed. */
const take = (m: Model, order: Shape) => {
  if (order.orderClass === "oco") return
  const before = m.holdings.get(order.symbol) ?? 0
  const signed = order.side === "buy" ? order.qty : -order.qty
  const opening = Math.sign(signed) === Math.sign(before) || before === 0 ? order.qty : Math.max(0, order.qty - Math.abs(before))
  const cost = opening * m.price(order.symbol) * (1 + COLLAR)
  m.committed += cost
  m.spentSinceRead += cost
  m.holdings.set(order.symbol, before + signed)
}

const planOf = (world: World, targets: (typeof Targets)["Type"]) => {
  const account = accountOf(world)
  const open = openOf(world, account)
  const plan = RiskRules.planAccount({
    day,
    config: { id: CLAUDE, mode: "PAPER", settings: settingsOf(world) },
    account,
    open,
    targets: targets.map((t) => ({ ...t, symbol: t.symbol as Ticker, direction: t.conviction > 0 ? "LONG" : "SHORT", horizon: "1W" })),
    priceOf: (symbol) => (world.prices as Record<string, number>)[symbol],
    source: "a generated pitch"
  })
  const kept = open.filter((o) => !plan.cancels.some((c) => c.orderId === o.id))
  return { account, open: kept, plan }
}

/**
 * The plan's orders in the order that is worst for the rules: every opening before any reduction of another
 * symbol (a symbol's own close still comes before its opening). The broker may see them in any order.
 */
const worstOrder = (intents: ReadonlyArray<OrderIntent>) => {
  const opensMore = (i: OrderIntent) => i.orderClass !== "oco" && (i.clientOrderId.includes("-open-") || i.clientOrderId.includes("-add-"))
  const flips = new Set(intents.filter(opensMore).map((i) => i.symbol))
  return [
    ...intents.filter((i) => i.clientOrderId.includes("-close-") && flips.has(i.symbol)),
    ...intents.filter(opensMore),
    ...intents.filter((i) => !opensMore(i) && !(i.clientOrderId.includes("-close-") && flips.has(i.symbol)))
  ]
}

const brokerOf = (account: AccountSnapshot, open: ReadonlyArray<Order>) => {
  const taken: Array<OrderIntent> = []
  const broker: Broker = {
    account: CLAUDE,
    getAccount: Effect.succeed(account),
    getPositions: Effect.succeed(account.positions),
    getPosition: () => Effect.succeed(Option.none()),
    listOrders: () => Effect.succeed(open),
    getOrder: () => Effect.die("unused"),
    getOrderByClientId: () => Effect.succeed(Option.none()),
    listFills: () => Effect.succeed([]),
    placeOrder: (i) => Effect.sync(() => (taken.push(i), { ...open[0]!, id: i.clientOrderId, clientOrderId: i.clientOrderId })),
    cancelOrder: () => Effect.void,
    cancelAllOrders: Effect.succeed(0),
    closePosition: () => Effect.die("unused"),
    closeAllPositions: Effect.succeed([]),
    getClock: Effect.die("unused"),
    getCalendar: () => Effect.die("unused")
  }
  return { broker, taken }
}

const pricesOf = (world: World): SafetyBroker.ReferencePrices["Service"] => ({
  of: (symbols) => Effect.succeed(new Map(symbols.map((s) => [s, (world.prices as Record<string, number>)[s]!] as const)))
})

const RUNS = { arbitrary: { runs: 400 } }

describe("the risk gate and the safety broker, on generated accounts, pitches, positions and prices", () => {
  it.prop("no order the gate approves breaks a rule, in whatever order the broker sees them", { ...World, targets: Targets }, ({ targets, ...world }) => {
    const { account, open, plan } = planOf(world, targets)
    const model = modelOf(world, account, open)
    for (const intent of worstOrder(plan.intents)) {
      const before = model.holdings.get(intent.symbol) ?? 0
      const after = before + (intent.side === "buy" ? intent.qty : -intent.qty)
      assert.isFalse(before !== 0 && Math.sign(after) === -Math.sign(before), `${intent.clientOrderId} crosses zero in one order`)
      assert.deepStrictEqual(broken(model, intent), [], `${intent.reason} (${intent.side} ${intent.qty} ${intent.symbol})`)
      take(model, intent)
    }
  }, RUNS)

  it.effect.prop("the safety broker passes every order the gate approves", { ...World, targets: Targets }, ({ targets, ...world }) =>
    Effect.gen(function*() {
      const { account, open, plan } = planOf(world, targets)
      const { broker, taken } = brokerOf(account, open)
      const safe = SafetyBroker.decorate({ id: CLAUDE, mode: "PAPER", settings: settingsOf(world) }, broker, pricesOf(world))
      for (const intent of plan.intents) {
        const exit = yield* Effect.exit(safe.placeOrder(intent))
        assert.isTrue(Exit.isSuccess(exit), `${intent.reason}: ${Exit.isFailure(exit) ? String(exit.cause) : ""}`)
      }
      assert.strictEqual(taken.length, plan.intents.length)
    }), RUNS)

  it.effect.prop(
    "the safety broker refuses exactly the orders that break a rule",
    {
      ...World,
      order: Schema.Struct({
        symbol: Symbol,
        side: Schema.Literals(["buy", "sell"]),
        qty: Schema.Union([int(1, 600), Schema.Finite.check(Schema.isBetween({ minimum: 0.01, maximum: 50 }))]),
        limit: Schema.optionalKey(price)
      })
    },
    ({ order, ...world }) =>
      Effect.gen(function*() {
        const account = accountOf(world)
        const open = openOf(world, account)
        const intent: OrderIntent = {
          account: CLAUDE,
          symbol: order.symbol as Ticker,
          side: order.side,
          qty: order.qty,
          type: order.limit === undefined ? "market" : "limit",
          timeInForce: "day",
          orderClass: "simple",
          ...(order.limit === undefined ? {} : { limitPrice: order.limit }),
          clientOrderId: "generated",
          reason: "generated"
        }
        const expected = broken(modelOf(world, account, open), intent)
        const { broker, taken } = brokerOf(account, open)
        const safe = SafetyBroker.decorate({ id: CLAUDE, mode: "PAPER", settings: settingsOf(world) }, broker, pricesOf(world))
        const exit = yield* Effect.exit(safe.placeOrder(intent))
        if (expected.length === 0) {
          assert.isTrue(Exit.isSuccess(exit), `refused an order that breaks no rule: ${String(Exit.isFailure(exit) ? exit.cause : "")}`)
          assert.strictEqual(taken.length, 1)
        } else {
          assert.isTrue(Exit.isFailure(exit), `passed an order that breaks ${expected.join(", ")}`)
          const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined
          assert.instanceOf(error, BrokerError)
          assert.include(expected, (error as BrokerError).rule)
          assert.strictEqual(taken.length, 0)
        }
      }),
    RUNS
  )
})
