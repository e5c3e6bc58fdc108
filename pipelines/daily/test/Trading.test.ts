import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { AccountId, type CouncilDecision, defaultAccountSettings, type RiskVerdict } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { Notifier, SentNotifications } from "@council/notify"
import { type AccountProfile, Execution, FetchData, RiskApproval } from "@council/daily"
import { afterClose, day, exchange, exchangeWithFaults, market, moveTo, pitch, recording, runContext, ticker } from "./Fixtures.ts"

/** The day before `day` in the fixture bars (every calendar day is a session there). */
const dayBefore = "2026-06-07"
const backToRun = moveTo(afterClose.day, "16:15")


const decision: CouncilDecision = {
  asOf: day,
  trades: [{ symbol: ticker("GLD"), direction: "LONG", conviction: 1, riskProfile: "TIGHT", horizon: "1W" }],
  rationale: "test",
  dissent: [],
  votes: [],
  source: "test"
}

const withSettings = (id: string, settings: Partial<AccountProfile["settings"]>): AccountProfile => ({
  id: AccountId.make(id),
  mode: "PAPER",
  settings: { ...defaultAccountSettings, ...settings }
})

const accounts: ReadonlyArray<AccountProfile> = [
  withSettings("CHATGPT", { maxPositionPct: 15 }),
  withSettings("GEMINI", { allowShorting: false }),
  withSettings("CLAUDE", {}),
  withSettings("GROQ", { maxOrderValue: 5_000 }),
  withSettings("COUNCIL", {})
]

const pitches = [pitch("CHATGPT", "SPY", 2), pitch("GEMINI", "TLT", -1), pitch("GROQ", "SPY", 1)]

const intentsOf = (verdict: RiskVerdict, account: string) => verdict.intents.filter((i) => i.account === account)

describe("RiskApproval", () => {
  it.effect("sizes each account's book from conviction and equity, recording every clamp and rejection", () =>
    Effect.gen(function*() {
      const snapshot = yield* FetchData.run({})
      const spy = snapshot.history.find((h) => h.symbol === "SPY")!.bars.at(-1)!.close
      const verdict = yield* RiskApproval.run({
        FetchData: snapshot,
        PmPitches: { pitches, abstentions: [{ pm: AccountId.make("CLAUDE"), reason: "down" }] },
        CouncilSynthesis: decision
      })
      assert.strictEqual(spy, 759)
      const chatgpt = intentsOf(verdict, "CHATGPT")
      assert.strictEqual(chatgpt.length, 1)
      assert.strictEqual(chatgpt[0]?.qty, 19)
      assert.strictEqual(chatgpt[0]?.orderClass, "bracket")
      assert.deepStrictEqual(chatgpt[0]?.takeProfit, { limitPrice: 804.54 })
      assert.deepStrictEqual(chatgpt[0]?.stopLoss, { stopPrice: 736.23 })
      assert.deepStrictEqual(verdict.clamps.map((c) => [c.account, c.rule, c.requested, c.allowed, c.numbers]), [
        ["CHATGPT", "max-position-pct", 26, 19, { value: 20, limit: 15, unit: "percent" }],
        ["GROQ", "max-order-value", 13, 6, { value: 13 * 759, limit: 5_000, unit: "usd" }]
      ])
      assert.deepStrictEqual(verdict.rejections.map((r) => [r.account, r.rule]), [
        ["GEMINI", "shorting-disabled"],
        ["CLAUDE", "pm-abstained"]
      ])
      assert.deepStrictEqual(intentsOf(verdict, "GEMINI"), [])
      assert.strictEqual(intentsOf(verdict, "GROQ")[0]?.qty, 6)
      assert.strictEqual(intentsOf(verdict, "COUNCIL")[0]?.symbol, "GLD")
      const again = yield* RiskApproval.run({
        FetchData: snapshot,
        PmPitches: { pitches, abstentions: [] },
        CouncilSynthesis: decision
      })
      assert.deepStrictEqual(
        again.intents.map((i) => i.clientOrderId),
        verdict.intents.map((i) => i.clientOrderId)
      )
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext({ accounts }), exchange, Notifier.layerTest))))
})

describe("Execution", () => {
  const verdictFor = Effect.gen(function*() {
    const snapshot = yield* FetchData.run({})
    return yield* RiskApproval.run({ FetchData: snapshot, PmPitches: { pitches, abstentions: [] }, CouncilSynthesis: decision })
  })

  it.effect("places each account's intents (after the close: queued for the next open), reads them back, and never places an intent twice", () =>
    Effect.gen(function*() {
      const verdict = yield* verdictFor
      const report = yield* Execution.run({ RiskApproval: verdict })
      assert.deepStrictEqual(report.accounts.map((a) => [a.account, a.status, a.orders.length]), [
        ["CHATGPT", "succeeded", 1],
        ["GEMINI", "succeeded", 0],
        ["CLAUDE", "succeeded", 0],
        ["GROQ", "succeeded", 1],
        ["COUNCIL", "succeeded", 1]
      ])
      const chatgpt = report.accounts[0]!.orders[0]!
      assert.strictEqual(chatgpt.status, "accepted")
      assert.deepStrictEqual(chatgpt.legs.map((l) => [l.type, l.status]), [["limit", "held"], ["stop", "held"]])
      const again = yield* Execution.run({ RiskApproval: verdict })
      assert.deepStrictEqual(again.accounts.map((a) => a.adopted.map((o) => o.id)), report.accounts.map((a) => a.orders.map((o) => o.id)))
      assert.deepStrictEqual(again.accounts.map((a) => a.orders.length), [0, 0, 0, 0, 0])
      assert.strictEqual(again.accounts[0]!.message, "0 orders placed, 1 already at the broker (earlier run)")
      assert.deepStrictEqual(again.accounts.map((a) => a.canceled), [0, 0, 0, 0, 0])
      const local = yield* LocalExchange
      const orders = yield* local.listOrders(AccountId.make("CHATGPT"), { status: "all" })
      assert.strictEqual(orders.length, 1)
      assert.deepStrictEqual(orders[0]?.legs.map((l) => l.status), ["held", "held"])
      const sent = yield* Ref.get((yield* SentNotifications).messages)
      assert.deepStrictEqual(sent.map((m) => `${m.account} ${m.subject.split(" ")[0]}`), [
        ...["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "COUNCIL"].map((a) => `${a} Decision`),
        ...["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "COUNCIL"].map((a) => `${a} Execution`),
        ...["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "COUNCIL"].map((a) => `${a} Execution`)
      ])
      assert.deepStrictEqual(sent.slice(0, 5).map((m) => m.level), ["WARN", "WARN", "WARN", "WARN", "INFO"])
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext({ accounts }), exchange, Notifier.layerTest))))

  it.effect("cancels the open exits on a symbol it trades again; a resumed execution finds them already gone", () =>
    Effect.gen(function*() {
      yield* moveTo(dayBefore, "15:45")
      yield* Execution.run({ RiskApproval: yield* verdictFor })
      yield* backToRun
      const snapshot = yield* FetchData.run({})
      const smaller = yield* RiskApproval.run({
        FetchData: snapshot,
        PmPitches: { pitches: [pitch("CHATGPT", "SPY", 1), ...pitches.slice(1)], abstentions: [] },
        CouncilSynthesis: decision
      })
      const chatgpt = smaller.cancels.filter((c) => c.account === "CHATGPT")
      assert.strictEqual(chatgpt.length, 1)
      assert.deepStrictEqual(intentsOf(smaller, "CHATGPT").map((i) => [i.side, i.orderClass]), [["sell", "simple"], ["sell", "oco"]])
      const report = yield* Execution.run({ RiskApproval: smaller })
      assert.deepStrictEqual(report.accounts.map((a) => [a.account, a.status, a.canceled]).filter(([a]) => a === "CHATGPT"), [["CHATGPT", "succeeded", 1]])
      const resumed = yield* Execution.run({ RiskApproval: smaller })
      assert.strictEqual(resumed.accounts.find((a) => a.account === "CHATGPT")?.canceled, 0)
      assert.strictEqual(resumed.accounts.find((a) => a.account === "CHATGPT")?.status, "succeeded")
      const local = yield* LocalExchange
      const open = yield* local.listOrders(AccountId.make("CHATGPT"), { status: "open" })
      assert.deepStrictEqual(open.map((o) => [o.orderClass, o.status]), [["simple", "accepted"], ["oco", "new"]])
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext({ accounts }), exchange, Notifier.layerTest))))

  it.effect("a flip sends its close alone (the opening waits for a flat position); a failed close leaves the position as it was", () => {
    const faults = new Set<string>()
    return Effect.gen(function*() {
      const local = yield* LocalExchange
      const CHATGPT = AccountId.make("CHATGPT")
      yield* moveTo(dayBefore, "15:45")
      yield* local.placeOrder(CHATGPT, {
        account: CHATGPT,
        symbol: ticker("SPY"),
        side: "buy",
        qty: 50,
        type: "market",
        timeInForce: "day",
        orderClass: "simple",
        clientOrderId: "held",
        reason: "test"
      })
      yield* backToRun
      const snapshot = yield* FetchData.run({})
      const flip = yield* RiskApproval.run({
        FetchData: snapshot,
        PmPitches: { pitches: [pitch("CHATGPT", "SPY", -1), ...pitches.slice(1)], abstentions: [] },
        CouncilSynthesis: decision
      })
      const [close, ...rest] = intentsOf(flip, "CHATGPT")
      assert.deepStrictEqual([close?.side, close?.qty, rest], ["sell", 50, []])
      assert.deepStrictEqual(flip.rejections.filter((r) => r.account === "CHATGPT").map((r) => r.rule), ["flip-opens-when-flat"])
      faults.add(`placeOrder:${close!.clientOrderId}`)
      const report = yield* Execution.run({ RiskApproval: flip })
      const chatgpt = report.accounts.find((a) => a.account === "CHATGPT")!
      assert.strictEqual(chatgpt.status, "failed")
      assert.deepStrictEqual(chatgpt.orders, [])
      assert.deepStrictEqual(chatgpt.failures.map((f) => f.clientOrderId), [close!.clientOrderId])
      const positions = yield* local.positions(CHATGPT)
      assert.deepStrictEqual(positions.map((p) => [p.symbol, p.qty]), [["SPY", 50]])
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext({ accounts }), exchangeWithFaults(faults), Notifier.layerTest)))
  })

  it.effect("an account the gate could not read is a failed account: nothing sent, the reason shown", () => {
    const faults = new Set(["listOrders:GROQ"])
    return Effect.gen(function*() {
      const verdict = yield* verdictFor
      assert.deepStrictEqual(verdict.rejections.filter((r) => r.rule === "account-unavailable").map((r) => r.account), ["GROQ"])
      const report = yield* Execution.run({ RiskApproval: verdict })
      const groq = report.accounts.find((a) => a.account === "GROQ")!
      assert.deepStrictEqual([groq.status, groq.orders.length], ["failed", 0])
      assert.match(groq.message, /^not evaluated, nothing sent: could not read the account: GET \/v2\/orders: 503 service unavailable/)
      assert.isTrue(report.accounts.filter((a) => a.account !== "GROQ").every((a) => a.status === "succeeded"))
      const dry = yield* Execution.run({ RiskApproval: verdict }).pipe(Effect.provide(runContext({ accounts, dryRun: true })))
      assert.deepStrictEqual(dry.accounts.map((a) => [a.account, a.status]), [
        ["CHATGPT", "dry-run"],
        ["GEMINI", "dry-run"],
        ["CLAUDE", "dry-run"],
        ["GROQ", "failed"],
        ["COUNCIL", "dry-run"]
      ])
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext({ accounts }), exchangeWithFaults(faults), Notifier.layerTest)))
  })

  it.effect("execution is one round trip: it places and records what the broker answered, reading nothing back", () => {
    const faults = new Set<string>()
    return Effect.gen(function*() {
      const verdict = yield* verdictFor
      // every read of the account fails from now on: execution must not need one
      for (const read of ["getAccount", "getOrder", "listOrders", "getPositions"]) faults.add(`${read}:COUNCIL`)
      const report = yield* Execution.run({ RiskApproval: verdict })
      const council = report.accounts.find((a) => a.account === "COUNCIL")!
      assert.deepStrictEqual([council.status, council.orders.map((o) => o.clientOrderId), council.equity, council.readError], [
        "succeeded",
        intentsOf(verdict, "COUNCIL").map((i) => i.clientOrderId),
        null,
        null
      ])
      assert.strictEqual(council.message, "1 order placed")
      const local = yield* LocalExchange
      assert.strictEqual((yield* local.listOrders(AccountId.make("COUNCIL"), { status: "all" })).length, 1)
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext({ accounts }), exchangeWithFaults(faults), Notifier.layerTest)))
  })

  it.effect("sends nothing in a dry run", () =>
    Effect.gen(function*() {
      const report = yield* Execution.run({ RiskApproval: yield* verdictFor })
      assert.isTrue(report.accounts.every((a) => a.status === "dry-run" && a.orders.length === 0))
      const local = yield* LocalExchange
      assert.strictEqual((yield* local.listOrders(AccountId.make("CHATGPT"), { status: "all" })).length, 0)
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext({ accounts, dryRun: true }), exchange, Notifier.layerTest))))

  it.effect("isolates one account's failure from the others", () =>
    Effect.gen(function*() {
      const verdict = yield* verdictFor
      const broken = {
        ...verdict,
        intents: verdict.intents.map((i) => (i.account === "CHATGPT" ? { ...i, qty: 1_000_000 } : i))
      }
      const report = yield* Execution.run({ RiskApproval: broken })
      const chatgpt = report.accounts.find((a) => a.account === "CHATGPT")!
      assert.strictEqual(chatgpt.status, "failed")
      assert.match(chatgpt.failures[0]?.error ?? "", /insufficient buying power/)
      assert.isTrue(report.accounts.filter((a) => a.account !== "CHATGPT").every((a) => a.status === "succeeded"))
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext({ accounts }), exchange, Notifier.layerTest))))
})
