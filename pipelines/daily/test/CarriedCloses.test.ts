/**
 * A retry's carried close after a partial fill: CLAUDE held 10 SPY and had a market sell of 10 working when the day's
 * first run planned (cancel that sell, close the 10) and failed; since then the sell sold 4 (partial fills on the
 * local exchange, partialFillPct 40). The retry sends the carried plan: the cancel stops the sell's rest, and under
 * `carriedCloses: held` the close is sent for the 6 held then (one recorded read of the positions), same client order
 * id; runs recorded before it sent the 10 of the snapshot, which the exchange refuses as an oversell.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AccountId, defaultAccountSettings, type OrderIntent, type RiskVerdict } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { Notifier } from "@council/notify"
import { type AccountProfile, type CarriedPlan, Execution } from "@council/daily"
import { bars, day, exchangeWithFaults, moveTo, recordedKeys, recording, runContext, ticker } from "./Fixtures.ts"
import { MarketData } from "@council/market"

const CLAUDE = AccountId.make("CLAUDE")
const accounts: ReadonlyArray<AccountProfile> = [{ id: CLAUDE, mode: "PAPER", settings: defaultAccountSettings }]
const SPY = ticker("SPY")

const market = MarketData.layerTest({
  SPY: bars(262, (i) => 500 + i, "2026-06-10"),
  TLT: bars(262, (i) => 100 - i * 0.05, "2026-06-10"),
  GLD: bars(262, (i) => 300 + Math.sin(i / 5) * 10, "2026-06-10")
})

const sell = (qty: number, clientOrderId: string): OrderIntent =>
  ({ account: CLAUDE, symbol: SPY, side: "sell", qty, type: "market", timeInForce: "gtc", orderClass: "simple", clientOrderId, reason: "test" })

/** The close the day's first run planned from its snapshot (10 held), with a close's client order id of the day. */
const close: OrderIntent = { ...sell(10, `${day}-CLAUDE-SPY-close-0123456789`), timeInForce: "day", reason: "close 10 SPY" }

/** 10 SPY bought (4 + 4 + 2), then a sell of 10 of which 4 filled at the open of the run's day; the run at 15:00. */
const partlySold = Effect.gen(function*() {
  const local = yield* LocalExchange
  yield* moveTo("2026-06-03", "16:15")
  yield* local.placeOrder(CLAUDE, { ...sell(10, "bought"), side: "buy" })
  yield* moveTo("2026-06-07", "16:15")
  const working = yield* local.placeOrder(CLAUDE, sell(10, "selling"))
  yield* moveTo(day, "15:00")
  const order = yield* local.getOrder(CLAUDE, working.id)
  assert.deepStrictEqual([order.status, order.filledQty], ["partially_filled", 4])
  return working.id
})

const carriedPlan = (orderId: string): CarriedPlan => ({
  account: CLAUDE,
  from: `${day}-first`,
  cancels: [{ account: CLAUDE, orderId, symbol: SPY, reason: "flip: the sell is replaced by the close" }],
  intents: [close],
  rejections: [],
  clamps: []
})

const retry = (carriedCloses: "held" | undefined) =>
  Effect.gen(function*() {
    const orderId = yield* partlySold
    const plan = carriedPlan(orderId)
    const verdict: RiskVerdict = { asOf: day, cancels: plan.cancels, intents: plan.intents, rejections: [], clamps: [] }
    const report = yield* Effect.provide(
      Execution.run({ RiskApproval: verdict }),
      runContext({ accounts, carried: [plan], ...(carriedCloses === undefined ? {} : { carriedCloses }) })
    )
    const keys = yield* recordedKeys
    const local = yield* LocalExchange
    const positions = yield* local.positions(CLAUDE)
    const open = yield* local.listOrders(CLAUDE, { status: "open", limit: 500 })
    return { report: report.accounts.find((a) => a.account === CLAUDE)!, keys, positions, open }
  }).pipe(Effect.provide(Layer.mergeAll(market, recording, exchangeWithFaults(new Set(), { slippageBps: 0, partialFillPct: 40 }, market), Notifier.layerTest)))

describe("a retry's carried close after a partial fill", () => {
  it.effect("carriedCloses: held — the close goes out for the 6 held after the cancel, same client order id: the one open order, for every share held", () =>
    Effect.gen(function*() {
      const { keys, open, positions, report } = yield* retry("held")
      assert.strictEqual(report.status, "succeeded", report.message)
      assert.deepStrictEqual(report.orders.map((o) => [o.clientOrderId, o.side, o.qty]), [[close.clientOrderId, "sell", 6]])
      assert.deepStrictEqual(keys.filter((k) => k.startsWith("broker.getPositions")).length, 1)
      assert.deepStrictEqual(positions.map((p) => [p.symbol, p.qty]), [[SPY, 6]])
      assert.deepStrictEqual(open.map((o) => [o.clientOrderId, o.side, o.qty]), [[close.clientOrderId, "sell", 6]])
    }))

  it.effect("runs recorded before it — the close keeps the snapshot's 10: refused as an oversell, 6 left held; no positions read", () =>
    Effect.gen(function*() {
      const { keys, open, positions, report } = yield* retry(undefined)
      assert.strictEqual(report.status, "failed")
      assert.deepStrictEqual(report.failures.map((f) => [f.reason, f.error]), [["InsufficientQty", "insufficient qty available for order (requested: 10, available: 6)"]])
      assert.deepStrictEqual(keys.filter((k) => k.startsWith("broker.getPositions")), [])
      assert.deepStrictEqual(positions.map((p) => [p.symbol, p.qty]), [[SPY, 6]])
      assert.deepStrictEqual(open, [])
    }))
})
