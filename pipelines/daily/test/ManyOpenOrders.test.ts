/**
 * An account with more open orders than one listing answers (500): the risk gate, Execution's read after a failure
 * and Reconcile read every page, and fail closed when a page cannot be read. On the local exchange: CLAUDE holds
 * 50 SPY under its OCO exit, placed before 500 resting GLD buys (a second apart), so the newest 500 do not hold it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { AccountId, type CouncilDecision, defaultAccountSettings, momentAt, type OrderIntent, type RiskVerdict, type RunId, secondsOf, TradingDay } from "@council/domain"
import { Recorder, type Recording } from "@council/engine"
import { LocalExchange } from "@council/exchange"
import { Notifier } from "@council/notify"
import { type AccountProfile, ACCOUNT_UNAVAILABLE, Execution, FetchData, RiskApproval } from "@council/daily"
import { liveBook, TradeLedger } from "@council/tracking"
import { CLAUDE as RECONCILED, reconcileEnv, runReconcile } from "./ReconcileRun.ts"
import { afterClose, day, exchangeWithFaults, market, moveTo, pitch, Present, recorded, recording, runContext, ticker } from "./Fixtures.ts"

const CLAUDE = AccountId.make("CLAUDE")
const CHATGPT = AccountId.make("CHATGPT")
const accounts: ReadonlyArray<AccountProfile> = [CHATGPT, CLAUDE].map((id) => ({ id, mode: "PAPER", settings: defaultAccountSettings }))
const decision: CouncilDecision = { asOf: day, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }

const simple = (clientOrderId: string, fields: Partial<OrderIntent>): OrderIntent => ({
  account: CLAUDE,
  symbol: ticker("SPY"),
  side: "buy",
  qty: 1,
  type: "market",
  timeInForce: "day",
  orderClass: "simple",
  clientOrderId,
  reason: "test",
  ...fields
})

/** CLAUDE's 50 SPY, its exit (the oldest open order), then 500 GLD buys at $1 a second apart after it. */
const manyOrders = Effect.gen(function*() {
  const local = yield* LocalExchange
  yield* moveTo("2026-06-07", "15:45")
  yield* local.placeOrder(CLAUDE, simple("held-spy", { qty: 50 }))
  yield* moveTo(afterClose.day, "16:15")
  yield* local.placeOrder(CLAUDE, simple("exit-spy", {
    side: "sell",
    qty: 50,
    type: "limit",
    timeInForce: "gtc",
    orderClass: "oco",
    limitPrice: 2_000,
    takeProfit: { limitPrice: 2_000 },
    stopLoss: { stopPrice: 100 }
  }))
  const present = yield* Present
  const start = secondsOf("16:15")!
  for (let n = 1; n <= 500; n++) {
    yield* Ref.set(present, { day: afterClose.day, seconds: start + n })
    yield* local.placeOrder(CLAUDE, simple(`rest-${n}`, { symbol: ticker("GLD"), type: "limit", timeInForce: "gtc", limitPrice: 1 }))
  }
  const open = yield* local.listOrders(CLAUDE, { status: "open", limit: 500 })
  // one listing answers the newest 500: the GLD buys, not the exit
  assert.deepStrictEqual([open.length, open.some((o) => o.symbol === "SPY")], [500, false])
})

/** The gate's verdict with CLAUDE abstaining (it holds: its held shares are protected, `abstained: covered`). */
const gate = Effect.gen(function*() {
  const snapshot = yield* FetchData.run({})
  return yield* RiskApproval.run({ FetchData: snapshot, PmPitches: { pitches: [pitch("CHATGPT", "GLD", 1)], abstentions: [] }, CouncilSynthesis: decision })
})

const layers = (faults: ReadonlySet<string>) =>
  Layer.mergeAll(market, recording, runContext({ accounts, abstained: "covered", failedAccounts: "protected" }), exchangeWithFaults(faults), Notifier.layerTest)

const claudeListings = (recordings: ReadonlyArray<Recording>) =>
  recordings.map((r) => r.key).filter((k) => k.startsWith("broker.listOrders") && k.includes("CLAUDE"))

describe("an account with more than 500 open orders", () => {
  it.effect("the gate reads every page: its exit past the newest 500 covers SPY, so a holding day adds none; a replay answers every page from the recording", () => {
    const faults = new Set<string>()
    return Effect.gen(function*() {
      yield* manyOrders
      const verdict = yield* gate
      assert.deepStrictEqual(verdict.intents.filter((i) => i.account === CLAUDE), [])
      assert.strictEqual(verdict.rejections.find((r) => r.account === CLAUDE)?.rule, "pm-abstained")
      // the first request as runs always recorded it; the second page read on from the first's oldest order
      const recordings = yield* recorded
      const listings = claudeListings(recordings)
      assert.strictEqual(listings.length, 2)
      assert.strictEqual(listings[0], `broker.listOrders({"account":"CLAUDE","status":"open"})#1`)
      assert.match(listings[1]!, /^broker\.listOrders\(\{"account":"CLAUDE","status":"open","until":"2026-06-08T20:15:01\.001Z"\}\)#1$/)
      // replayed: the same verdict, nothing asked of the exchange
      const replayer = yield* Recorder.make({ mode: "replay", runId: "stage-test" as RunId, stage: "test", recordings })
      faults.add(`listOrders:${CLAUDE}`)
      faults.add(`getAccount:${CLAUDE}`)
      const again = yield* gate.pipe(Effect.provideService(Recorder.Recorder, replayer))
      assert.deepStrictEqual(again, verdict)
    }).pipe(Effect.provide(layers(faults)))
  })

  it.effect("the gate fails closed when a further page cannot be read: the account is not evaluated, nothing planned", () => {
    const faults = new Set<string>()
    return Effect.gen(function*() {
      yield* manyOrders
      faults.add(`listOrdersPage:${CLAUDE}`)
      const verdict = yield* gate
      assert.deepStrictEqual(verdict.intents.filter((i) => i.account === CLAUDE), [])
      const rejection = verdict.rejections.find((r) => r.account === CLAUDE)
      assert.strictEqual(rejection?.rule, ACCOUNT_UNAVAILABLE)
      assert.match(rejection?.detail ?? "", /GET \/v2\/orders: 503/)
    }).pipe(Effect.provide(layers(faults)))
  })

  it.effect("after a failed execution, the positions' read sees the exit past the newest 500: SPY is covered, no second exit is tried", () => {
    const faults = new Set<string>()
    return Effect.gen(function*() {
      yield* manyOrders
      const local = yield* LocalExchange
      // CLAUDE's plan: one GLD buy, refused (503)
      const buy = simple(`${day}-CLAUDE-GLD-open-0123456789`, { symbol: ticker("GLD") })
      faults.add(`placeOrder:${buy.clientOrderId}`)
      const verdict: RiskVerdict = { asOf: day, cancels: [], intents: [buy], rejections: [], clamps: [] }
      const report = yield* Execution.run({ RiskApproval: verdict })
      const claude = report.accounts.find((a) => a.account === CLAUDE)!
      assert.strictEqual(claude.status, "failed")
      assert.deepStrictEqual(claude.orders, [])
      assert.notMatch(claude.message, /SPY/)
      const spy = yield* local.listOrders(CLAUDE, { status: "open", symbols: [ticker("SPY")], limit: 500 })
      assert.deepStrictEqual(spy.map((o) => o.clientOrderId), ["exit-spy"])
    }).pipe(Effect.provide(layers(faults)))
  })
})

describe("Reconcile of an account with more than 500 open orders", () => {
  it.effect("reads every page of them: an order open since before the cursor, past the newest 500, is listed, not fetched on its own", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(momentAt("2024-03-01", "16:30"))
      return yield* Effect.gen(function*() {
        const local = yield* LocalExchange
        const start = secondsOf("16:30")!
        for (let n = 0; n <= 500; n++) {
          yield* Ref.set(session, { day: "2024-03-01", seconds: start + n })
          yield* local.placeOrder(RECONCILED, simple(`rest-${n}`, { account: RECONCILED, type: "limit", timeInForce: "gtc", limitPrice: 1 }))
        }
        yield* runReconcile(TradingDay.make("2024-03-01"), "r0", "record")
        yield* Ref.set(session, momentAt("2024-03-04", "16:30"))
        const { report, recordings } = yield* runReconcile(TradingDay.make("2024-03-04"), "r1", "record")
        assert.deepStrictEqual(report.accounts.map((a) => [a.account, a.status]), [["COUNCIL", "recorded"], ["CLAUDE", "recorded"]])
        const claude = recordings.map((r) => r.key).filter((k) => k.includes(`"account":"CLAUDE"`))
        // the open orders in two pages; none read one by one
        assert.deepStrictEqual(claude.filter((k) => k.startsWith(`broker.listOrders({"account":"CLAUDE","status":"open"`)).length, 2)
        assert.deepStrictEqual(claude.filter((k) => k.startsWith("broker.getOrder")), [])
        const open = yield* TradeLedger.use((l) => l.orders({ book: liveBook, status: "open", limit: 1000 }))
        assert.strictEqual(open.filter((o) => o.account === RECONCILED).length, 501)
      }).pipe(Effect.provide(reconcileEnv(session)))
    }))
})
