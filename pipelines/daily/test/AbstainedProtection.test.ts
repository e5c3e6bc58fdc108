import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AccountId, type CouncilDecision, defaultAccountSettings, type OrderIntent, type Pitch, type RunId, type RunSchedule } from "@council/domain"
import { RunContext } from "@council/engine"
import { LocalExchange } from "@council/exchange"
import { Notifier } from "@council/notify"
import { type AccountProfile, Execution, FetchData, RiskApproval } from "@council/daily"
import { day, exchange, market, moveTo, recording, ticker } from "./Fixtures.ts"

// Under `close` a position opened by a market-on-close entry has no exit until a run protects it (README: "the next
// run places the protective OCO exit of every position that lacks one"). A day its PM abstains (or no PM pitches, for
// COUNCIL) must not leave it without one: run by the daily stages against the local exchange.

const CLAUDE = AccountId.make("CLAUDE")
const COUNCIL = AccountId.make("COUNCIL")
const accounts: ReadonlyArray<AccountProfile> = [CLAUDE, COUNCIL].map((id) => ({ id, mode: "PAPER", settings: defaultAccountSettings }))
const noDecision: CouncilDecision = { asOf: day, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }

/** A `close` run at 15:45 of the fixture day; `params` adds the run's recorded choices. */
const closeRun = (params: Record<string, string>) =>
  RunContext.layerTest({
    tradingDay: day,
    runId: "abstained" as RunId,
    dryRun: false,
    params: { accounts, broker: "test", data: "test", pms: "test", schedule: "close" satisfies RunSchedule, asOfTime: `${day}T15:45:00-04:00`, ...params }
  })

/** Yesterday's entry of `qty` SPY (filled at the run day's open), as a market-on-close entry leaves it: no exit. */
const entry = (account: AccountId, qty: number): OrderIntent => ({
  account,
  symbol: ticker("SPY"),
  side: qty > 0 ? "buy" : "sell",
  qty: Math.abs(qty),
  type: "market",
  timeInForce: "day",
  orderClass: "simple",
  clientOrderId: `yesterday-${account}`,
  reason: "test"
})

/** The day's run with CLAUDE abstaining and nobody pitching (COUNCIL holds too): the verdict and the open orders after it. */
const abstainingDay = Effect.suspend(() => dayOf([]))

/** The day's run with `pitches` (CLAUDE abstains when it has none): the verdict and the open orders after it. */
const dayOf = (pitches: ReadonlyArray<Pitch>) => Effect.gen(function*() {
  const local = yield* LocalExchange
  const snapshot = yield* FetchData.run({})
  const abstentions = pitches.some((p) => p.pm === CLAUDE) ? [] : [{ pm: CLAUDE, reason: "provider down" }]
  const verdict = yield* RiskApproval.run({ FetchData: snapshot, PmPitches: { pitches, abstentions }, CouncilSynthesis: noDecision })
  const report = yield* Execution.run({ RiskApproval: verdict })
  const open = (account: AccountId) =>
    Effect.map(local.listOrders(account, { status: "open" }), (orders) => orders.map((o) => [o.orderClass, o.side, o.qty, o.symbol]))
  return { verdict, report, claude: yield* open(CLAUDE), council: yield* open(COUNCIL) }
})

/** CLAUDE's 10 SPY, bought by a market order of the day before (it fills at the day's open). */
const claudeHoldsTen = Effect.flatMap(LocalExchange, (local) =>
  Effect.andThen(moveTo("2026-06-07", "16:15"), local.placeOrder(CLAUDE, entry(CLAUDE, 10))))

/** The tests' services under `close`, with the run's `abstained` choice as recorded (none: a run from before it). */
const closeDay = (params: Record<string, string>) =>
  Effect.provide(Layer.mergeAll(market, recording, closeRun(params), exchange, Notifier.layerTest))

describe("an account whose PM abstains, under close", () => {
  it.effect("its held position with no working exit gets its protective OCO exit; nothing is bought or sold", () =>
    Effect.gen(function*() {
      const local = yield* LocalExchange
      yield* claudeHoldsTen
      yield* local.placeOrder(COUNCIL, entry(COUNCIL, -4))
      yield* moveTo(day, "15:45")
      const { claude, council, report, verdict } = yield* abstainingDay
      assert.deepStrictEqual(claude, [["oco", "sell", 10, "SPY"]])
      assert.deepStrictEqual(council, [["oco", "buy", 4, "SPY"]])
      assert.deepStrictEqual(report.accounts.map((a) => [a.account, a.status, a.failures.length]), [[CLAUDE, "succeeded", 0], [COUNCIL, "succeeded", 0]])
      assert.deepStrictEqual(verdict.intents.map((i) => [i.account, i.orderClass, i.side, i.reason]), [
        [CLAUDE, "oco", "sell", "protect 10 SPY with BASE exits: CLAUDE did not pitch"],
        [COUNCIL, "oco", "buy", "protect 4 SPY with BASE exits: no PM pitched"]
      ])
      assert.deepStrictEqual(verdict.rejections.map((r) => [r.account, r.rule, r.detail]), [
        [CLAUDE, "pm-abstained", "CLAUDE did not pitch; holding (1 unprotected position given its exit)"],
        [COUNCIL, "no-pitches", "no PM pitched (every one abstained); COUNCIL holds (1 unprotected position given its exit)"]
      ])
      assert.deepStrictEqual(verdict.cancels, [])
    }).pipe(closeDay({ abstained: "covered" })))

  it.effect("a position whose exit already works is left as it is under `abstained: protected` (runs recorded before `covered`)", () =>
    Effect.gen(function*() {
      yield* partialExit
      const { claude, verdict } = yield* abstainingDay
      assert.deepStrictEqual(claude, [["oco", "sell", 6, "SPY"]])
      assert.deepStrictEqual(verdict.intents, [])
      assert.strictEqual(verdict.rejections[0]?.detail, "CLAUDE did not pitch; holding")
    }).pipe(closeDay({ abstained: "protected" })))

  it.effect("a position a working order would close (a limit sell of the user's) is left as it is: no exit beside it", () =>
    Effect.gen(function*() {
      const local = yield* LocalExchange
      yield* claudeHoldsTen
      yield* moveTo(day, "09:45")
      yield* local.placeOrder(CLAUDE, { ...entry(CLAUDE, -10), type: "limit", limitPrice: 900, timeInForce: "gtc", clientOrderId: "own-limit-sell" })
      yield* moveTo(day, "15:45")
      const { claude, verdict } = yield* abstainingDay
      assert.deepStrictEqual(claude, [["simple", "sell", 10, "SPY"]])
      assert.deepStrictEqual(verdict.intents, [])
    }).pipe(closeDay({ abstained: "covered" })))

  it.effect("a run recorded before the choice (no `abstained` in its params) holds as it did: nothing placed", () =>
    Effect.gen(function*() {
      yield* claudeHoldsTen
      yield* moveTo(day, "15:45")
      const { claude, verdict } = yield* abstainingDay
      assert.deepStrictEqual(claude, [])
      assert.deepStrictEqual(verdict.intents, [])
    }).pipe(closeDay({})))
})

/** CLAUDE's own OCO exit of 6 of the 10 SPY it holds (left by a reduction that did not fill, or an addition without legs). */
const partialExit = Effect.gen(function*() {
  const local = yield* LocalExchange
  yield* claudeHoldsTen
  yield* moveTo(day, "09:45")
  yield* local.placeOrder(CLAUDE, { ...entry(CLAUDE, -6), type: "limit", limitPrice: 900, timeInForce: "gtc", orderClass: "oco", takeProfit: { limitPrice: 900 }, stopLoss: { stopPrice: 600 }, clientOrderId: "own-exit" })
  yield* moveTo(day, "15:45")
})

const sorted = (orders: ReadonlyArray<ReadonlyArray<string | number>>) => [...orders].sort((a, b) => String(a).localeCompare(String(b)))

describe("a position its working exit covers in part (abstained: covered)", () => {
  it.effect("a holding day adds an exit for the uncovered shares beside the working one; a second run of the day adds nothing", () =>
    Effect.gen(function*() {
      yield* partialExit
      const first = yield* abstainingDay
      assert.deepStrictEqual(sorted(first.claude), [["oco", "sell", 4, "SPY"], ["oco", "sell", 6, "SPY"]])
      assert.deepStrictEqual(first.verdict.intents.map((i) => [i.account, i.orderClass, i.side, i.qty, i.positionIntent ?? null, i.reason]), [
        [CLAUDE, "oco", "sell", 4, null, "protect 4 SPY with BASE exits (6 of 10 covered by working orders): CLAUDE did not pitch"]
      ])
      assert.deepStrictEqual(first.verdict.cancels, [])
      assert.deepStrictEqual(first.report.accounts.map((a) => [a.account, a.status, a.orders.length, a.failures.length]), [[CLAUDE, "succeeded", 1, 0], [COUNCIL, "succeeded", 0, 0]])
      assert.strictEqual(first.verdict.rejections[0]?.detail, "CLAUDE did not pitch; holding (1 partly covered position given an exit for the rest)")
      // the day run again (a retry, a second `run daily`): both exits work, nothing is added or canceled
      const second = yield* abstainingDay
      assert.deepStrictEqual([second.verdict.intents, second.verdict.cancels], [[], []])
      assert.deepStrictEqual(sorted(second.claude), [["oco", "sell", 4, "SPY"], ["oco", "sell", 6, "SPY"]])
    }).pipe(closeDay({ abstained: "covered" })))

  it.effect("a pitched day that keeps the position replaces the partial exit by one covering every held share", () =>
    Effect.gen(function*() {
      yield* partialExit
      const pitch: Pitch = {
        pm: CLAUDE,
        asOf: day,
        symbol: ticker("SPY"),
        direction: "LONG",
        conviction: 1,
        thesis: ["test"],
        riskProfile: "TIGHT",
        horizon: "1W",
        invalidation: "test",
        source: "test"
      }
      const { claude, verdict } = yield* dayOf([pitch])
      assert.deepStrictEqual(verdict.cancels.map((c) => [c.account, c.reason]), [[CLAUDE, "exit sell 6 SPY does not match the 10 shares held"]])
      // conviction 1 wants ~13 shares: 3 more by a market-on-close order (its exit comes from the next run), and the 10 held protected whole
      assert.deepStrictEqual(sorted(claude), [["oco", "sell", 10, "SPY"], ["simple", "buy", 3, "SPY"]])
    }).pipe(closeDay({ abstained: "covered" })))
})
