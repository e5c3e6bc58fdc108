import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Ref, Schema } from "effect"
import { AccountId, momentAt, type CouncilDecision, defaultAccountSettings, type Order, type OrderIntent, type RiskVerdict, type Side } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { Notifier, SentNotifications } from "@council/notify"
import { type AccountProfile, DailyParams, Execution, exitsPlacedAfterFailure, FetchData, newRunParams, RiskApproval } from "@council/daily"
import { afterClose, day, exchangeWithFaults, market, moveTo, pitch, recording, runContext, ticker } from "./Fixtures.ts"

const CLAUDE = AccountId.make("CLAUDE")
const GROQ = AccountId.make("GROQ")
const CHATGPT = AccountId.make("CHATGPT")
const accounts: ReadonlyArray<AccountProfile> = [CHATGPT, CLAUDE, GROQ].map((id) => ({ id, mode: "PAPER", settings: defaultAccountSettings }))

const decision: CouncilDecision = { asOf: day, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }

/** An order placed by hand before the run (a market order that fills, or a protective OCO exit). */
const order = (account: AccountId, symbol: string, side: Side, qty: number, clientOrderId: string, exits?: readonly [number, number]): OrderIntent =>
  exits === undefined
    ? { account, symbol: ticker(symbol), side, qty, type: "market", timeInForce: "day", orderClass: "simple", clientOrderId, reason: "test" }
    : {
      account,
      symbol: ticker(symbol),
      side,
      qty,
      type: "limit",
      timeInForce: "gtc",
      orderClass: "oco",
      limitPrice: exits[0],
      takeProfit: { limitPrice: exits[0] },
      stopLoss: { stopPrice: exits[1] },
      clientOrderId,
      reason: "test"
    }

/** Orders as `[symbol, side, qty, class]`. */
const working = (orders: ReadonlyArray<Order>) => orders.map((o) => [o.symbol, o.side, o.qty, o.orderClass])

/**
 * The soak's case: each account holds a position with its OCO exit working, its PM flips, so the gate cancels the
 * exit and closes the position first — and the close is refused (503). CLAUDE's close alone fails; at GROQ every
 * order fails (the broker refuses placements), so its exit cannot be placed again either; CHATGPT trades normally.
 */
const flipFails = (faults: Set<string>) =>
  Effect.gen(function*() {
    const local = yield* LocalExchange
    yield* moveTo("2026-06-07", "15:45")
    yield* local.placeOrder(CLAUDE, order(CLAUDE, "SPY", "buy", 50, "held-spy"))
    yield* local.placeOrder(GROQ, order(GROQ, "TLT", "sell", 116, "held-tlt"))
    yield* moveTo(afterClose.day, "16:15")
    yield* local.placeOrder(CLAUDE, order(CLAUDE, "SPY", "sell", 50, "exit-spy", [2_000, 100]))
    yield* local.placeOrder(GROQ, order(GROQ, "TLT", "buy", 116, "exit-tlt", [10, 500]))
    const snapshot = yield* FetchData.run({})
    const verdict: RiskVerdict = yield* RiskApproval.run({
      FetchData: snapshot,
      PmPitches: { pitches: [pitch("CHATGPT", "GLD", 1), pitch("CLAUDE", "SPY", -1), pitch("GROQ", "TLT", 1)], abstentions: [] },
      CouncilSynthesis: decision
    })
    for (const [account, symbol] of [[CLAUDE, "SPY"], [GROQ, "TLT"]] as const) {
      assert.deepStrictEqual(verdict.cancels.filter((c) => c.account === account).map((c) => c.symbol), [symbol], account)
      const [close, ...rest] = verdict.intents.filter((i) => i.account === account)
      assert.deepStrictEqual([close?.symbol, close?.orderClass, rest.length], [symbol, "simple", 0], account)
      faults.add(`placeOrder:${close!.clientOrderId}`)
    }
    faults.add(`placeOrder:${GROQ}`)
    const report = yield* Execution.run({ RiskApproval: verdict })
    const sent = yield* Effect.flatMap(SentNotifications, (s) => Ref.get(s.messages))
    const open = (account: AccountId) => local.listOrders(account, { status: "open", limit: 500 })
    return { report, sent, verdict, open }
  })

/** The run's layers: `failedAccounts` recorded or not (a run from before it). */
const layers = (faults: ReadonlySet<string>, failedAccounts: "protected" | "recognized" | undefined) =>
  Layer.mergeAll(
    market,
    recording,
    runContext({ accounts, ...(failedAccounts === undefined ? {} : { failedAccounts }) }),
    exchangeWithFaults(faults),
    Notifier.layerTest
  )

describe("an account whose execution failed after the gate canceled its exit", () => {
  it.effect("gets an exit again for each position no working order closes, or says it has none; other accounts go on", () => {
    const faults = new Set<string>()
    return Effect.gen(function*() {
      const { report, sent, verdict, open } = yield* flipFails(faults)
      const result = (account: AccountId) => report.accounts.find((a) => a.account === account)!
      assert.strictEqual(result(CHATGPT).status, "succeeded")
      // CLAUDE: the close failed; SPY 50 is given a sell OCO of 50 at BASE distances from the broker's price
      const claude = result(CLAUDE)
      assert.strictEqual(claude.status, "failed")
      assert.deepStrictEqual(working(claude.orders), [["SPY", "sell", 50, "oco"]])
      assert.match(claude.message, /SPY 50 given its exit again \(50 shares, BASE OCO\)$/)
      const exit = claude.orders[0]!
      assert.match(exit.clientOrderId, /^2026-06-08-CLAUDE-SPY-protect-[0-9a-f]{10}$/)
      assert.deepStrictEqual(working(yield* open(CLAUDE)), [["SPY", "sell", 50, "oco"]])
      // a take-profit above the broker's price, a stop below it (SPY closed at 759)
      assert.deepStrictEqual([exit.limitPrice! > 759, exit.legs.map((l) => [l.type, l.stopPrice! < 759])], [true, [["stop", true]]])
      // GROQ: nothing could be placed — said in its message and in Slack, with the position as it stands
      const groq = result(GROQ)
      assert.strictEqual(groq.status, "failed")
      assert.deepStrictEqual(groq.orders, [])
      assert.match(groq.message, /; TLT −116 has no exit: POST \/v2\/orders: 503 service unavailable$/)
      assert.deepStrictEqual(yield* open(GROQ), [])
      const groqMessage = sent.find((m) => m.account === GROQ && m.subject.startsWith("Execution failed"))
      assert.match(groqMessage?.body ?? "", /TLT −116 has no exit: /)
      // the day's execution again (a resume): the exit is working and covers SPY, so nothing is added
      faults.delete(`placeOrder:${GROQ}`)
      const again = yield* Execution.run({ RiskApproval: verdict })
      assert.deepStrictEqual(working(yield* open(CLAUDE)), [["SPY", "sell", 50, "oco"]])
      assert.notMatch(again.accounts.find((a) => a.account === CLAUDE)!.message, /exit again/)
      // GROQ's broker is back: its close is still refused, and TLT −116 gets its buy OCO now
      assert.deepStrictEqual(working(yield* open(GROQ)), [["TLT", "buy", 116, "oco"]])
      // a retry of the day's failed accounts (`run daily` again): the same plan, carried with the cancel of the exit
      // the failure left; the close is taken now, so CLAUDE ends with its close working and no exit holding its shares
      faults.clear()
      const carried: RiskVerdict = {
        ...verdict,
        cancels: [...verdict.cancels, ...[CLAUDE, GROQ].flatMap((account) => exitsPlacedAfterFailure(verdict, report, account))]
      }
      assert.deepStrictEqual(carried.cancels.slice(verdict.cancels.length).map((c) => [c.account, c.orderId]), [[CLAUDE, exit.id]])
      const retry = yield* Execution.run({ RiskApproval: carried }).pipe(Effect.provide(runContext({ accounts, runId: "retry", failedAccounts: "protected" })))
      assert.deepStrictEqual(retry.accounts.find((a) => a.account === CLAUDE)!.status, "succeeded")
      assert.deepStrictEqual(working(yield* open(CLAUDE)), [["SPY", "sell", 50, "simple"]])
    }).pipe(Effect.provide(layers(faults, "protected")))
  })

  /**
   * The run is killed after CLAUDE's exit went out, before Execution's checkpoint: its report (the one with the exit)
   * is lost. The day's run again resumes it — Execution runs again, the broker is back, but the close is refused:
   * the exit holds the shares. Then `run daily` retries the failed account with the plan carried from the resumed
   * run's report (`exitsPlacedAfterFailure`).
   */
  const killedAfterExit = (faults: Set<string>, failedAccounts: "protected" | "recognized") =>
    Effect.gen(function*() {
      const { verdict, open, report: lost } = yield* flipFails(faults)
      const exit = lost.accounts.find((a) => a.account === CLAUDE)!.orders[0]!
      assert.match(exit.clientOrderId, /^2026-06-08-CLAUDE-SPY-protect-/)
      faults.clear()
      const resumed = yield* Execution.run({ RiskApproval: verdict })
      const claude = resumed.accounts.find((a) => a.account === CLAUDE)!
      assert.strictEqual(claude.status, "failed")
      assert.match(claude.failures[0]?.error ?? "", /insufficient qty/i)
      const carried: RiskVerdict = { ...verdict, cancels: [...verdict.cancels, ...exitsPlacedAfterFailure(verdict, resumed, CLAUDE)] }
      const retry = yield* Execution.run({ RiskApproval: carried }).pipe(Effect.provide(runContext({ accounts, runId: "retry", failedAccounts })))
      return { exit, claude, carried, retry, verdict, open }
    })

  it.effect("killed after the failure's exit went out: the resumed run finds that exit working and reports it, so the retry cancels it and its close goes out, once", () => {
    const faults = new Set<string>()
    return Effect.gen(function*() {
      const local = yield* LocalExchange
      const { exit, claude, carried, retry, verdict, open } = yield* killedAfterExit(faults, "recognized")
      // the resumed run places no second exit: it reports the working one
      assert.deepStrictEqual(claude.orders, [])
      assert.deepStrictEqual(claude.earlierExits?.map((o) => o.id), [exit.id])
      assert.match(claude.message, /SPY 50 has the exit an earlier attempt placed \(2026-06-08-CLAUDE-SPY-protect-[0-9a-f]{10}\): a retry cancels it/)
      assert.deepStrictEqual(carried.cancels.slice(verdict.cancels.length).map((c) => [c.account, c.orderId]), [[CLAUDE, exit.id]])
      const result = retry.accounts.find((a) => a.account === CLAUDE)!
      assert.deepStrictEqual([result.status, result.canceled, working(result.orders)], ["succeeded", 1, [["SPY", "sell", 50, "simple"]]])
      // exactly once: one close at the exchange under its client order id, nothing else of CLAUDE's working
      const close = verdict.intents.find((i) => i.account === CLAUDE)!
      const all = yield* local.listOrders(CLAUDE, { status: "all", limit: 500 })
      assert.strictEqual(all.filter((o) => o.clientOrderId === close.clientOrderId).length, 1)
      assert.deepStrictEqual(working(yield* open(CLAUDE)), [["SPY", "sell", 50, "simple"]])
    }).pipe(Effect.provide(layers(faults, "recognized")))
  })

  it.effect("runs recorded with `failedAccounts: protected` reported only the exits they placed: after the kill, the retry's close is refused again", () => {
    const faults = new Set<string>()
    return Effect.gen(function*() {
      const { claude, carried, retry, verdict, open } = yield* killedAfterExit(faults, "protected")
      assert.strictEqual(claude.earlierExits, undefined)
      assert.deepStrictEqual(carried.cancels, verdict.cancels)
      assert.strictEqual(retry.accounts.find((a) => a.account === CLAUDE)!.status, "failed")
      assert.deepStrictEqual(working(yield* open(CLAUDE)), [["SPY", "sell", 50, "oco"]])
    }).pipe(Effect.provide(layers(faults, "protected")))
  })

  it.effect("in runs recorded before `failedAccounts: protected`, the failure leaves the positions as it left them", () => {
    const faults = new Set<string>()
    return Effect.gen(function*() {
      const { report, open } = yield* flipFails(faults)
      for (const account of [CLAUDE, GROQ]) {
        const result = report.accounts.find((a) => a.account === account)!
        assert.deepStrictEqual([result.status, result.orders], ["failed", []], account)
        assert.notMatch(result.message, /exit/)
        assert.deepStrictEqual(yield* open(account), [], account)
      }
    }).pipe(Effect.provide(layers(faults, undefined)))
  })

  it("a new run records `failedAccounts: recognized`; params recorded before decode without it", () => {
    const params = newRunParams({ accounts: [], broker: "local-exchange", data: "fixtures", pms: "offline" }, { schedule: "close", moment: momentAt(day, "15:45") })
    assert.strictEqual(params.failedAccounts, "recognized")
    const { failedAccounts: _, ...before } = params
    assert.isUndefined(Schema.decodeUnknownSync(DailyParams)(before).failedAccounts)
  })
})
