import { assert, describe, it } from "@effect/vitest"
import { AccountId, type AccountSettings, type AccountSnapshot, defaultAccountSettings, type Order, type OrderIntent, type Ticker, TradingDay } from "@council/domain"
import { RiskRules } from "@council/daily"
import { position, snapshot } from "../../../packages/broker/test/BrokerDouble.ts"
import { brokerOrder } from "./Fixtures.ts"

const day = TradingDay.make("2026-06-08")
const ticker = (s: string) => s as Ticker
const CLAUDE = AccountId.make("CLAUDE")

/** An account of $100,000 (unless given) whose positions are worth what they say; cash is the rest unless given. */
const account = snapshot

const target = (symbol: string, conviction: number, riskProfile: "TIGHT" | "BASE" | "WIDE" = "BASE"): RiskRules.Target => ({
  symbol: ticker(symbol),
  direction: conviction > 0 ? "LONG" : "SHORT",
  conviction,
  riskProfile,
  horizon: "1W"
})

const prices: Record<string, number> = { SPY: 100, TLT: 100, GLD: 100, QQQ: 100, IWM: 100, XLE: 100, PENNY: 0.5, ODD: 300 }

const plan = (input: {
  readonly settings?: Partial<AccountSettings>
  readonly account?: AccountSnapshot
  readonly targets?: ReadonlyArray<RiskRules.Target>
  readonly open?: ReadonlyArray<Order>
  readonly schedule?: "close" | "after-close"
}) =>
  RiskRules.planAccount({
    day,
    config: { id: CLAUDE, mode: "PAPER", settings: { ...defaultAccountSettings, ...input.settings } },
    account: input.account ?? account(),
    ...(input.open === undefined ? {} : { open: input.open }),
    targets: input.targets ?? [],
    priceOf: (s) => prices[s],
    source: "a test pitch",
    ...(input.schedule === undefined ? {} : { schedule: input.schedule })
  })

const shape = (i: OrderIntent) => [i.side, i.qty, i.symbol, i.type, i.orderClass, i.timeInForce].join(" ")
const rules = (p: ReturnType<typeof plan>) => [...p.rejections.map((r) => `rejected ${r.symbol} ${r.rule}`), ...p.clamps.map((c) => `clamped ${c.symbol} ${c.rule} ${c.requested}→${c.allowed}`)]

const order = brokerOrder

/** A filled bracket's open exit legs on `qty` shares of a long in `symbol`. */
const bracketExits = (symbol: string, qty: number): Order =>
  order({
    id: `bracket-${symbol}`,
    symbol: ticker(symbol),
    side: "buy",
    qty,
    orderClass: "bracket",
    status: "filled",
    filledQty: qty,
    legs: [
      order({ id: `tp-${symbol}`, symbol: ticker(symbol), side: "sell", qty, orderClass: "bracket", status: "new", type: "limit", limitPrice: 106 }),
      order({ id: `sl-${symbol}`, symbol: ticker(symbol), side: "sell", qty, orderClass: "bracket", status: "held", type: "stop", stopPrice: 97 })
    ]
  })

/** Positions at exactly their targets' size (price $100), with exits covering them: the gate leaves them alone. */
const steady = (holdings: ReadonlyArray<readonly [string, number]>) => ({
  account: account(holdings.map(([symbol, qty]) => position(symbol, qty))),
  open: holdings.map(([symbol, qty]) => bracketExits(symbol, qty)),
  targets: holdings.map(([symbol, qty]) => target(symbol, qty / 100))
})

describe("the risk gate, one rule at a time (equity $100,000, price $100, conviction 1 = 10 % = 100 shares)", () => {
  it("shorting: refused unless allowed; a long the pitch turns short is closed either way", () => {
    assert.deepStrictEqual(rules(plan({ settings: { allowShorting: false }, targets: [target("SPY", -1)] })), ["rejected SPY shorting-disabled"])
    assert.deepStrictEqual(plan({ settings: { allowShorting: false }, targets: [target("SPY", -1)] }).intents, [])
    assert.deepStrictEqual(plan({ settings: { allowShorting: true }, targets: [target("SPY", -1)] }).intents.map(shape), ["sell 100 SPY market bracket gtc"])
    assert.deepStrictEqual(
      plan({ settings: { allowShorting: false }, account: account([position("SPY", 50)]), targets: [target("SPY", -1)] }).intents.map(shape),
      ["sell 50 SPY market simple day"]
    )
  })

  const boundaries = <A>(name: string, cases: ReadonlyArray<readonly [string, A, number, ReadonlyArray<string>]>, run: (a: A) => ReturnType<typeof plan>) =>
    it(name, () => {
      for (const [label, input, qty, expected] of cases) {
        const result = run(input)
        assert.deepStrictEqual([result.intents.map((i) => i.qty), rules(result)], [qty === 0 ? [] : [qty], expected], label)
      }
    })

  boundaries("max order value: just under clamps, at and over pass", [
    ["$9,999", 9_999, 99, ["clamped SPY max-order-value 100→99"]],
    ["$10,000", 10_000, 100, []],
    ["$10,001", 10_001, 100, []],
    ["$99 (not one share)", 99, 0, ["rejected SPY max-order-value"]]
  ], (maxOrderValue) => plan({ settings: { maxOrderValue }, targets: [target("SPY", 1)] }))

  boundaries("max position % of equity: just under clamps, at and over pass", [
    ["9.99 %", 9.99, 99, ["clamped SPY max-position-pct 100→99"]],
    ["10 %", 10, 100, []],
    ["10.01 %", 10.01, 100, []],
    ["0.09 %", 0.09, 0, ["rejected SPY max-position-pct"]]
  ], (maxPositionPct) => plan({ settings: { maxPositionPct }, targets: [target("SPY", 1)] }))

  boundaries("gross exposure cap (40 % already held): just under clamps, at and over pass", [
    ["49.99 %", 49.99, 99, ["clamped SPY max-gross-exposure-pct 100→99"]],
    ["50 %", 50, 100, []],
    ["50.01 %", 50.01, 100, []],
    ["40 %", 40, 0, ["rejected SPY max-gross-exposure-pct"]]
  ], (maxGrossExposurePct) => plan({ ...steady([["TLT", 200], ["GLD", 200]]), settings: { maxGrossExposurePct }, targets: [...steady([["TLT", 200], ["GLD", 200]]).targets, target("SPY", 1)] }))

  boundaries("buying power without margin (an open limit buy holds $89,700 of the cash; $103 a share with the 3 % collar): just under clamps, at and over pass", [
    ["$10,299 left", 10_299, 99, ["clamped SPY buying-power 100→99"]],
    ["$10,300 left", 10_300, 100, []],
    ["$10,301 left", 10_301, 100, []],
    ["$102 left", 102, 0, ["rejected SPY buying-power"]]
  ], (left) =>
    plan({
      open: [order({ id: "limit-qqq", symbol: ticker("QQQ"), side: "buy", qty: 1, orderClass: "simple", status: "new", type: "limit", limitPrice: 100_000 - left })],
      targets: [target("SPY", 1)]
    }))

  it("buying power with margin: the broker's buying power, not the cash", () => {
    const held = steady([["TLT", 200], ["GLD", 200], ["QQQ", 200], ["IWM", 200], ["XLE", 150]])
    const margined = (allowMargin: boolean) =>
      plan({
        settings: { allowMargin, maxGrossExposurePct: 200 },
        account: account(held.account.positions, { cash: 5_000, buyingPower: 50_000 }),
        open: held.open,
        targets: [...held.targets, target("SPY", 1)]
      })
    assert.deepStrictEqual(rules(margined(false)), ["clamped SPY buying-power 100→48"])
    assert.deepStrictEqual(margined(true).intents.map(shape), ["buy 100 SPY market bracket gtc"])
    assert.deepStrictEqual(rules(margined(true)), [])
  })

  boundaries("open positions (2 held): below the limit opens, at it the new symbol is refused", [
    ["at most 3", 3, 100, []],
    ["at most 2", 2, 0, ["rejected SPY max-open-positions"]],
    ["at most 1", 1, 0, ["rejected SPY max-open-positions"]]
  ], (maxOpenPositions) => plan({ ...steady([["TLT", 100], ["GLD", 100]]), settings: { maxOpenPositions }, targets: [...steady([["TLT", 100], ["GLD", 100]]).targets, target("SPY", 1)] }))

  it("open positions: adding to a held symbol is no new position", () => {
    const result = plan({ settings: { maxOpenPositions: 1 }, account: account([position("SPY", 50)]), targets: [target("SPY", 1)] })
    assert.deepStrictEqual(result.intents.map(shape), ["buy 50 SPY market bracket gtc", "sell 50 SPY limit oco gtc"])
    assert.deepStrictEqual(rules(result), [])
  })

  boundaries("minimum order value: at passes, just over is dust", [
    ["$9,999.99", 9_999.99, 100, []],
    ["$10,000", 10_000, 100, []],
    ["$10,000.01", 10_000.01, 0, ["rejected SPY min-order-value"]]
  ], (minOrderValue) => plan({ settings: { minOrderValue, maxOrderValue: 50_000 }, targets: [target("SPY", 1)] }))

  it("minimum order value: a small resize is dust, a close never is", () => {
    const reduce = (minOrderValue: number) => plan({ settings: { minOrderValue }, account: account([position("SPY", 105)]), targets: [target("SPY", 1)] })
    assert.include(reduce(500).intents.map(shape), "sell 5 SPY market simple day")
    assert.deepStrictEqual(rules(reduce(500)), [])
    assert.deepStrictEqual(rules(reduce(500.01)), ["rejected SPY min-order-value"])
    assert.notInclude(reduce(500.01).intents.map(shape), "sell 5 SPY market simple day")
    assert.deepStrictEqual(plan({ settings: { minOrderValue: 500 }, account: account([position("SPY", 1)]) }).intents.map(shape), ["sell 1 SPY market simple day"])
  })

  it("whole shares unless fractional is enabled; a fractional entry is a simple day order", () => {
    assert.deepStrictEqual(plan({ targets: [target("ODD", 1)] }).intents.map(shape), ["buy 33 ODD market bracket gtc"])
    assert.deepStrictEqual(plan({ settings: { fractional: true }, targets: [target("ODD", 1)] }).intents.map(shape), ["buy 33.3333 ODD market simple day"])
    assert.deepStrictEqual(plan({ settings: { fractional: true }, targets: [target("SPY", 1)] }).intents.map(shape), ["buy 100 SPY market bracket gtc"])
  })
})

describe("exits priced off the snapshot price, on valid ticks", () => {
  it("rounds to cents from $1 up, to $0.0001 below", () => {
    const cases: ReadonlyArray<readonly [number, number]> = [
      [106.0051, 106.01],
      [106.0049, 106],
      [1, 1],
      [0.99995, 1],
      [0.485049, 0.485],
      [0.80830111, 0.8083],
      [0.00004, 0]
    ]
    for (const [price, rounded] of cases) assert.strictEqual(RiskRules.roundToTick(price), rounded, String(price))
  })

  it("takes each profile's distances from the settings", () => {
    const exits = (symbol: string, conviction: number, profile: "TIGHT" | "BASE" | "WIDE", settings: Partial<AccountSettings> = {}) => {
      const intent = plan({ targets: [target(symbol, conviction, profile)], settings: { maxPositionPct: 100, maxOrderValue: 1e9, ...settings } }).intents[0]!
      return [intent.takeProfit?.limitPrice, intent.stopLoss?.stopPrice]
    }
    assert.deepStrictEqual(exits("SPY", 1, "BASE"), [106, 97])
    assert.deepStrictEqual(exits("SPY", 1, "TIGHT"), [103, 98.5])
    assert.deepStrictEqual(exits("SPY", -1, "WIDE"), [90, 105])
    assert.deepStrictEqual(exits("PENNY", 1, "BASE"), [0.53, 0.485])
    assert.deepStrictEqual(exits("PENNY", -1, "TIGHT"), [0.485, 0.5075])
    assert.deepStrictEqual(exits("SPY", 1, "BASE", { exits: { ...defaultAccountSettings.exits, BASE: { takeProfitPct: 8, stopLossPct: 2.5 } } }), [108, 97.5])
    assert.deepStrictEqual(exits("SPY", 1, "TIGHT", { exits: { ...defaultAccountSettings.exits, TIGHT: { takeProfitPct: 0.001, stopLossPct: 0.001 } } }), [100.01, 99.99])
  })
})

describe("reducing, closing, flipping, protecting", () => {
  it("flips in two runs: the close, then (flat) the opening", () => {
    const flip = plan({ account: account([position("SPY", 50)]), targets: [target("SPY", -1)] })
    assert.deepStrictEqual(flip.intents.map(shape), ["sell 50 SPY market simple day"])
    assert.deepStrictEqual(rules(flip), ["rejected SPY flip-opens-when-flat"])
    assert.deepStrictEqual(plan({ targets: [target("SPY", -1)] }).intents.map(shape), ["sell 100 SPY market bracket gtc"])
  })

  it("reduces and protects what stays; closes what no target names", () => {
    const result = plan({ account: account([position("SPY", 200), position("GLD", 30)]), targets: [target("SPY", 1)], open: [bracketExits("SPY", 200)] })
    assert.deepStrictEqual(result.intents.map(shape), ["sell 30 GLD market simple day", "sell 100 SPY market simple day", "sell 100 SPY limit oco gtc"])
    assert.deepStrictEqual(result.cancels.map((c) => [c.symbol, c.orderId]), [["SPY", "tp-SPY"]])
  })

  it("adds to a position with a bracket for the new shares and keeps exits that cover the old ones", () => {
    const kept = plan({ account: account([position("SPY", 50)]), targets: [target("SPY", 1)], open: [bracketExits("SPY", 50)] })
    assert.deepStrictEqual(kept.intents.map(shape), ["buy 50 SPY market bracket gtc"])
    assert.deepStrictEqual(kept.cancels, [])
    const unprotected = plan({ account: account([position("SPY", 50)]), targets: [target("SPY", 1)] })
    assert.deepStrictEqual(unprotected.intents.map(shape), ["buy 50 SPY market bracket gtc", "sell 50 SPY limit oco gtc"])
  })

  it("protects an unchanged position that lacks exits, leaves one whose exits fit, replaces exits that do not", () => {
    assert.deepStrictEqual(plan({ account: account([position("SPY", 100)]), targets: [target("SPY", 1)] }).intents.map(shape), ["sell 100 SPY limit oco gtc"])
    const fitting = plan({ account: account([position("SPY", 100)]), targets: [target("SPY", 1)], open: [bracketExits("SPY", 100)] })
    assert.deepStrictEqual([fitting.intents, fitting.cancels], [[], []])
    const stale = plan({ account: account([position("SPY", 100)]), targets: [target("SPY", 1)], open: [bracketExits("SPY", 60)] })
    assert.deepStrictEqual(stale.intents.map(shape), ["sell 100 SPY limit oco gtc"])
    assert.deepStrictEqual(stale.cancels.map((c) => c.orderId), ["tp-SPY"])
  })

  it("cancels stale entries on the symbols it plans and orphaned exits; keeps and counts entries elsewhere", () => {
    const pendingQqq = order({ id: "pending-qqq", symbol: ticker("QQQ"), side: "buy", qty: 920, orderClass: "simple", status: "accepted" })
    const pendingSpy = order({ id: "pending-spy", symbol: ticker("SPY"), side: "buy", qty: 10, orderClass: "simple", status: "accepted" })
    const result = plan({ targets: [target("SPY", 1)], open: [pendingQqq, pendingSpy, bracketExits("GLD", 10)] })
    assert.deepStrictEqual(result.cancels.map((c) => c.orderId), ["pending-spy", "tp-GLD"])
    // the QQQ buy stays and counts: $92,000 of exposure and $94,760 of cash committed
    assert.deepStrictEqual(result.intents.map(shape), ["buy 50 SPY market bracket gtc"])
    assert.deepStrictEqual(rules(result), ["clamped SPY max-gross-exposure-pct 100→80", "clamped SPY buying-power 80→50"])
  })

  it("under the close schedule: market-on-close orders without legs; the next run protects the filled entry", () => {
    assert.deepStrictEqual(plan({ schedule: "close", targets: [target("SPY", 1)] }).intents.map(shape), ["buy 100 SPY market simple cls"])
    assert.deepStrictEqual(plan({ schedule: "close", account: account([position("SPY", 50)]), targets: [target("SPY", -1)] }).intents.map(shape), [
      "sell 50 SPY market simple cls"
    ])
    assert.deepStrictEqual(plan({ schedule: "close", account: account([position("SPY", 100)]), targets: [target("SPY", 1)] }).intents.map(shape), ["sell 100 SPY limit oco gtc"])
  })

  it("a second plan of the day (a fork) keeps the orders the first placed when it makes them again, cancels only those it changes", () => {
    const input = { schedule: "close" as const, account: account([position("SPY", 50)]), targets: [target("SPY", 1), target("TLT", 1)] }
    const first = plan(input)
    assert.deepStrictEqual(first.intents.map(shape), ["buy 50 SPY market simple cls", "buy 100 TLT market simple cls", "sell 50 SPY limit oco gtc"])
    // the first plan's orders, open at the broker (the closes fill only at the day's close), and yesterday's TLT entry
    const atBroker = first.intents.map((i, n) =>
      order({
        id: `broker-${n}`,
        clientOrderId: i.clientOrderId,
        symbol: i.symbol,
        side: i.side,
        qty: i.qty,
        type: i.type,
        timeInForce: i.timeInForce,
        orderClass: i.orderClass,
        status: "new",
        submittedAt: "2026-06-08T19:45:00.000Z",
        legs: i.orderClass === "oco" ? [order({ id: `broker-${n}-stop`, symbol: i.symbol, side: i.side, qty: i.qty, orderClass: "oco", status: "new", type: "stop" })] : []
      })
    )
    const yesterdays = order({ id: "pending-tlt", clientOrderId: "2026-06-05-CLAUDE-TLT-open-0123456789", symbol: ticker("TLT"), side: "buy", qty: 5, orderClass: "simple", status: "new" })
    const again = plan({ ...input, open: [...atBroker, yesterdays] })
    assert.deepStrictEqual(again.intents, first.intents)
    assert.deepStrictEqual(again.cancels.map((c) => c.orderId), ["pending-tlt"])
    assert.deepStrictEqual(rules(again), rules(first))

    const changed = plan({ ...input, targets: [target("SPY", 1), target("TLT", 2)], open: atBroker })
    assert.deepStrictEqual(changed.intents.map(shape), ["buy 200 TLT market simple cls", "buy 50 SPY market simple cls", "sell 50 SPY limit oco gtc"])
    assert.deepStrictEqual(changed.intents.filter((i) => i.symbol === "SPY"), first.intents.filter((i) => i.symbol === "SPY"))
    assert.deepStrictEqual(changed.cancels.map((c) => [c.orderId, c.reason]), [["broker-1", "buy 100 TLT from an earlier run of 2026-06-08 that this plan no longer makes"]])
  })

  it("a plan of the day after its bracket filled keeps the bracket's legs as the position's exits (no cancel, no new OCO)", () => {
    const first = plan({ targets: [target("TLT", 1)] })
    assert.deepStrictEqual(first.intents.map(shape), ["buy 100 TLT market bracket gtc"])
    const entry = first.intents[0]!
    // the entry filled at the next open; a resume or fork of the day plans from the filled position
    const filled = { ...bracketExits("TLT", 100), clientOrderId: entry.clientOrderId }
    const again = plan({ account: account([position("TLT", 100)]), targets: [target("TLT", 1)], open: [filled] })
    assert.deepStrictEqual(again.intents, [])
    assert.deepStrictEqual(again.cancels, [])
  })

  it("derives the same client order ids every time, different ones for different orders", () => {
    const ids = () => plan({ account: account([position("SPY", 50), position("GLD", 10)]), targets: [target("SPY", 1), target("TLT", 1)] }).intents.map((i) => i.clientOrderId)
    assert.deepStrictEqual(ids(), ids())
    assert.strictEqual(new Set(ids()).size, 4)
    for (const id of ids()) assert.match(id, /^2026-06-08-CLAUDE-(GLD|SPY|TLT)-(close|add|protect|open)-[0-9a-f]{10}$/)
  })
})

describe("the gate with a user's open notional order on the account", () => {
  /** A user's own waiting notional order (`qty`: the shares filled so far, none yet), as the Alpaca adapter reads it. */
  const notional = (symbol: string, side: "buy" | "sell", dollars: number) =>
    order({ id: `users-own-${symbol}`, symbol: ticker(symbol), side, qty: 0, notional: dollars, orderClass: "simple", status: "accepted", timeInForce: "day" })

  it("holds an opening to the cash a waiting notional buy leaves, priced or not", () => {
    // "$90,000 of NOPRICE" (a symbol with no price in the snapshot, not held): its dollars are spoken for all the same
    const unpriced = plan({ settings: { maxPositionPct: 50, maxOrderValue: 50_000 }, targets: [target("SPY", 2)], open: [notional("NOPRICE", "buy", 90_000)] })
    assert.deepStrictEqual(unpriced.intents.map(shape), ["buy 70 SPY market bracket gtc"])
    assert.deepStrictEqual(rules(unpriced), ["clamped SPY buying-power 200→70"])
    // a priced one not in today's targets is not canceled: its shares count against the gross exposure too
    const priced = plan({ settings: { maxPositionPct: 50, maxOrderValue: 50_000, maxGrossExposurePct: 100 }, targets: [target("SPY", 2)], open: [notional("IWM", "buy", 90_000)] })
    assert.deepStrictEqual(priced.cancels, [])
    assert.deepStrictEqual(rules(priced), ["clamped SPY max-gross-exposure-pct 200→100", "clamped SPY buying-power 100→70"])
  })

})
