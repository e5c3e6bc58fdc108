/**
 * A retry's carried close after a partial fill: CLAUDE held 10 SPY and had a market sell of 10 working when the day's
 * first run planned (cancel that sell, close the 10) and failed; since then the sell sold 4 (partial fills on the
 * local exchange, partialFillPct 40). The retry sends the carried plan: the cancel stops the sell's rest, and under
 * `carriedCloses: held` the close is sent for the 6 held then (recorded reads of the positions and of the order under
 * the close's id), same client order id; runs recorded before it sent the 10 of the snapshot, which the exchange
 * refuses as an oversell. Also: the retry resumed once its close went out (adopted, whatever it sold since), and a
 * position gone before the retry (nothing sent).
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

const carriedPlan = (cancels: ReadonlyArray<string>): CarriedPlan => ({
  account: CLAUDE,
  from: `${day}-first`,
  cancels: cancels.map((orderId) => ({ account: CLAUDE, orderId, symbol: SPY, reason: "flip: the sell is replaced by the close" })),
  intents: [close],
  rejections: [],
  clamps: []
})

const layers = Layer.mergeAll(market, recording, exchangeWithFaults(new Set(), { slippageBps: 0, partialFillPct: 40 }, market), Notifier.layerTest)

/** The retry's Execution of `plan` (`carriedCloses` recorded or not), with CLAUDE's positions and open orders after it. */
const execute = (plan: CarriedPlan, carriedCloses: "held" | undefined) =>
  Effect.gen(function*() {
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
  })

const retry = (carriedCloses: "held" | undefined) =>
  Effect.flatMap(partlySold, (orderId) => execute(carriedPlan([orderId]), carriedCloses)).pipe(Effect.provide(layers))

/** Reads of the positions and of orders by client order id the recorder holds. */
const reads = (keys: ReadonlyArray<string>) =>
  keys.filter((k) => k.startsWith("broker.getPositions") || k.startsWith("broker.getOrderByClientId")).map((k) => k.split("(")[0]!.split(" ")[0]!)

describe("a retry's carried close after a partial fill", () => {
  it.effect("carriedCloses: held — the close goes out for the 6 held after the cancel, same client order id: the one open order, for every share held", () =>
    Effect.gen(function*() {
      const { keys, open, positions, report } = yield* retry("held")
      assert.strictEqual(report.status, "succeeded", report.message)
      assert.deepStrictEqual(report.orders.map((o) => [o.clientOrderId, o.side, o.qty]), [[close.clientOrderId, "sell", 6]])
      assert.deepStrictEqual(reads(keys), ["broker.getPositions", "broker.getOrderByClientId"])
      assert.deepStrictEqual(positions.map((p) => [p.symbol, p.qty]), [[SPY, 6]])
      assert.deepStrictEqual(open.map((o) => [o.clientOrderId, o.side, o.qty]), [[close.clientOrderId, "sell", 6]])
    }))

  it.effect("runs recorded before it — the close keeps the snapshot's 10: refused as an oversell, 6 left held; no positions read", () =>
    Effect.gen(function*() {
      const { keys, open, positions, report } = yield* retry(undefined)
      assert.strictEqual(report.status, "failed")
      assert.deepStrictEqual(report.failures.map((f) => [f.reason, f.error]), [["InsufficientQty", "insufficient qty available for order (requested: 10, available: 6)"]])
      assert.deepStrictEqual(reads(keys), [])
      assert.deepStrictEqual(positions.map((p) => [p.symbol, p.qty]), [[SPY, 6]])
      assert.deepStrictEqual(open, [])
    }))

  it.effect("the retry resumed after its close went out and sold 2 of the 6: the close keeps the order's 6, adopted, not refused as another order under its id", () =>
    Effect.gen(function*() {
      const orderId = yield* partlySold
      const plan = carriedPlan([orderId])
      yield* execute(plan, "held")
      yield* moveTo("2026-06-09", "15:00")
      const resumed = yield* execute(plan, "held")
      assert.deepStrictEqual(resumed.positions.map((p) => [p.symbol, p.qty]), [[SPY, 4]])
      assert.strictEqual(resumed.report.status, "succeeded", resumed.report.message)
      assert.deepStrictEqual(resumed.report.adopted.map((o) => [o.clientOrderId, o.qty, o.filledQty]), [[close.clientOrderId, 6, 2]])
      assert.deepStrictEqual(resumed.report.orders, [])
      // each execution read the positions, and the order under the close's id (its quantity changed): none, then the 6
      assert.deepStrictEqual(reads(resumed.keys), ["broker.getPositions", "broker.getOrderByClientId", "broker.getPositions", "broker.getOrderByClientId"])
    }).pipe(Effect.provide(layers)))

  it.effect("the position gone before the retry (the sell filled whole, no cancel carried): nothing of SPY is sent, no short opened", () =>
    Effect.gen(function*() {
      yield* partlySold
      yield* moveTo("2026-06-09", "16:15")
      const { open, positions, report } = yield* execute(carriedPlan([]), "held")
      assert.deepStrictEqual(positions, [])
      assert.strictEqual(report.status, "failed")
      assert.deepStrictEqual(report.failures.map((f) => f.error), [
        `not sent: SPY's carried close of 10 (${close.clientOrderId}) finds no position now, so its position moved after the risk gate read it; nothing of SPY is sent today (a retry re-sends the same plan), the next day's run plans from the new position`
      ])
      assert.deepStrictEqual(open, [])
    }).pipe(Effect.provide(layers)))
})
