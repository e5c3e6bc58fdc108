import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Redacted, Stream } from "effect"
import { LanguageModel } from "effect/ai"
import { TestClock } from "effect/testing"
import { FetchHttpClient } from "effect/http"
import { AccountId, type RunId, TradingDay } from "@council/domain"
import { RunContext } from "@council/engine"
import { Database } from "@council/store"
import { LlmBudget, makeMemory, Prices, SpendBook, type SpendEntry, SpendLedger } from "@council/llm"
import { Ask, OpenAiChat, PitchPrompt } from "@council/llm/live"
import { earlyClosing } from "../../io/test/LocalServer.ts"
import { answerWith, fakeProvider, until, validAnswer } from "./FakeProvider.ts"
import { path, snapshotOf } from "./snapshots.ts"

const prices: Prices.PriceTable = {
  asOf: "2026-11-23",
  currency: "USD",
  models: { "openai:gpt-5.4": { input: 2.5, cachedInput: 0.25, output: 15 } }
}
const snapshot = snapshotOf({ GLD: path(60, 180, 0.001), SPY: path(60, 500, 0.002), TLT: path(60, 90, -0.001) })
const call = { actor: "CLAUDE", purpose: "pitch" as const, model: "openai:gpt-5.4", inputTokens: 1000, maxOutputTokens: 1000 }
// worst case of `call`: 1000 × 2.5 + 1000 × 15 per million = $0.0175

const entry = (at: string, costUsd: number, runId = "earlier"): SpendEntry =>
  ({ runId, stage: "PmPitches", actor: "GEMINI", purpose: "pitch", model: "openai:gpt-5.4", costUsd, estimated: false, at })

const budgetWith = (limits: { perRunUsd: number | null; perMonthUsd: number | null }, entries: Array<SpendEntry> = []) =>
  LlmBudget.layer(prices, limits).pipe(Layer.provide(Layer.succeed(SpendLedger, makeMemory(entries))))

const inRun = RunContext.layerTest({ tradingDay: TradingDay.make("2026-06-08"), runId: "run-1" as RunId, stage: "PmPitches" })

describe("LlmBudget", () => {
  it.effect("refuses a call whose worst case could cross the run budget, naming the budget, the spend and the call", () =>
    Effect.gen(function*() {
      const budget = yield* LlmBudget
      const first = yield* budget.reserve(call)
      assert.closeTo(first.worstCaseUsd, 0.0175, 1e-12)
      const error = yield* Effect.flip(budget.reserve({ ...call, maxOutputTokens: 2000 }))
      assert.strictEqual(error._tag, "LlmBudgetExceeded")
      assert.strictEqual(error.message, "LLM budget COUNCIL_LLM_BUDGET_USD=0.03 would be exceeded: $0 spent in this run (+$0.0175 in flight), and CLAUDE's pitch call to openai:gpt-5.4 could cost up to $0.0325; the call was not made and no orders are placed")
      const settled = yield* budget.settle(first, { input: 1000, cachedInput: 0, cacheWrite: 0, output: 100, reasoning: 0 })
      assert.closeTo(settled.costUsd, 0.004, 1e-12)
      yield* budget.reserve(call)
    }).pipe(Effect.provide(Layer.mergeAll(budgetWith({ perRunUsd: 0.03, perMonthUsd: null }), inRun))))

  it.effect("a call that uses no more than it reserved for cannot cross the limit, its input written to a prompt cache included", () => {
    // Anthropic bills a prompt-cache write at 1.25 × the input price: the system prompt of every first call of a day
    const entries: Array<SpendEntry> = []
    const claude = { ...call, model: "anthropic:claude-sonnet-4-6" }
    const cached = LlmBudget.layer(
      { ...prices, models: { "anthropic:claude-sonnet-4-6": { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 } } },
      // room for 1000 tokens in and 1000 out at the input price, not at the cache-write price
      { perRunUsd: 0.0185, perMonthUsd: null }
    ).pipe(Layer.provide(Layer.succeed(SpendLedger, makeMemory(entries))))
    return Effect.gen(function*() {
      const budget = yield* LlmBudget
      const reserved = yield* Effect.result(budget.reserve(claude))
      // the provider answers with its whole input written to the cache and the output cap used up
      if (reserved._tag === "Success") {
        yield* budget.settle(reserved.success, { input: 1000, cachedInput: 0, cacheWrite: 1000, output: 1000, reasoning: 0 })
      }
      const spent = entries.reduce((sum, e) => sum + e.costUsd, 0)
      assert.isAtMost(spent, 0.0185, `spent $${spent} under a $0.0185 limit`)
      assert.strictEqual(reserved._tag, "Failure", "a call that could cost $0.01875 is refused under $0.0185")
    }).pipe(Effect.provide(Layer.mergeAll(cached, inRun)))
  })

  it.effect("calls that have all settled leave nothing in flight: a refusal then names no \"+$0.00000 in flight\"", () =>
    Effect.gen(function*() {
      const budget = yield* LlmBudget
      const reservations = []
      for (const inputTokens of [1234, 5678, 91011, 1213]) reservations.push(yield* budget.reserve({ ...call, inputTokens }))
      for (const reservation of reservations) yield* budget.settle(reservation, { input: 1000, cachedInput: 0, cacheWrite: 0, output: 100, reasoning: 0 })
      const error = yield* Effect.flip(budget.reserve({ ...call, maxOutputTokens: 100_000 }))
      assert.strictEqual(error._tag, "LlmBudgetExceeded")
      if (error._tag === "LlmBudgetExceeded") assert.strictEqual(error.inFlightUsd, 0)
      assert.notInclude(error.message, "in flight")
    }).pipe(Effect.provide(Layer.mergeAll(budgetWith({ perRunUsd: null, perMonthUsd: 1 }), inRun))))

  it.effect("sums the calendar month (UTC) from the ledger, earlier runs included", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-20T12:00:00Z"))
      const budget = yield* LlmBudget
      const error = yield* Effect.flip(budget.reserve(call))
      assert.strictEqual(error._tag, "LlmBudgetExceeded")
      if (error._tag === "LlmBudgetExceeded") {
        assert.strictEqual(error.budget, "COUNCIL_LLM_BUDGET_USD_MONTH")
        assert.closeTo(error.spentUsd, 0.99, 1e-12)
      }
    }).pipe(Effect.provide(Layer.mergeAll(
      budgetWith({ perRunUsd: null, perMonthUsd: 1 }, [
        entry("2026-10-31T23:59:59.999Z", 5),
        entry("2026-11-01T00:00:00.000Z", 0.5),
        entry("2026-11-19T09:00:00.000Z", 0.49),
        entry("2026-12-01T00:00:00.000Z", 5)
      ]),
      inRun
    ))))

  it.effect("charges the worst case when usage is unknown, and records every call in the ledger", () =>
    Effect.gen(function*() {
      const entries: Array<SpendEntry> = []
      const budget = yield* LlmBudget.pipe(Effect.provide(LlmBudget.layer(prices, { perRunUsd: 1, perMonthUsd: 1 }).pipe(
        Layer.provide(Layer.succeed(SpendLedger, makeMemory(entries)))
      )))
      const reservation = yield* budget.reserve(call)
      const settled = yield* budget.settle(reservation, null)
      assert.deepStrictEqual(settled, { costUsd: 0.0175, estimated: true })
      assert.deepStrictEqual(entries.map((e) => [e.runId, e.stage, e.actor, e.costUsd, e.estimated]), [["run-1", "PmPitches", "CLAUDE", 0.0175, true]])
    }).pipe(Effect.provide(inRun)))

  it.effect("the call that would cross the budget is never sent (counted at the provider)", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider()
      const lm = yield* OpenAiChat.make({ provider: "openai", baseUrl: fake.url, apiKey: Redacted.make("sk-budget-test"), model: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: null })
      const model = Ask.roleModel({ provider: "openai", id: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: null }, lm)
      const question = (pm: string) => PitchPrompt.pitchQuestion(AccountId.make(pm), { snapshot, account: null })
      const first = yield* Ask.ask(model, question("CHATGPT"))
      assert.strictEqual(first.value?.symbol, "GLD")
      assert.strictEqual(fake.requests.length, 1)
      const refused = yield* Effect.flip(Ask.ask(model, question("GEMINI")))
      assert.strictEqual(refused._tag, "LlmBudgetExceeded")
      assert.strictEqual(fake.requests.length, 1)
    }).pipe(Effect.provide(Layer.mergeAll(FetchHttpClient.layer, budgetWith({ perRunUsd: 0.018, perMonthUsd: null }), inRun))))

  it.effect("concurrent calls reserve atomically: they cannot jointly overrun; one that fits only once those under way settle waits for them", () =>
    Effect.gen(function*() {
      const budget = yield* LlmBudget
      const fibers = yield* Effect.forEach([1, 2, 3, 4], () => Effect.forkChild(Effect.result(budget.reserve(call))))
      yield* until(() => fibers.filter((f) => f.pollUnsafe() !== undefined).length >= 2)
      const reserved = fibers.flatMap((f) => {
        const exit = f.pollUnsafe()
        return exit !== undefined && Exit.isSuccess(exit) && exit.value._tag === "Success" ? [exit.value.success] : []
      })
      assert.strictEqual(reserved.length, 2)
      assert.strictEqual(fibers.filter((f) => f.pollUnsafe() === undefined).length, 2, "the other two wait")
      // one call answers for $0.004: a third fits ($0.004 + 2 × $0.0175 ≤ $0.04), the fourth waits on
      yield* budget.settle(reserved[0]!, { input: 1000, cachedInput: 0, cacheWrite: 0, output: 100, reasoning: 0 })
      yield* until(() => fibers.filter((f) => f.pollUnsafe() !== undefined).length >= 3)
      yield* Effect.yieldNow
      assert.strictEqual(fibers.filter((f) => f.pollUnsafe() === undefined).length, 1)
      // nothing under way can make room any more once all settle at their worst case: the fourth is refused
      for (const f of fibers) {
        const exit = f.pollUnsafe()
        if (exit !== undefined && Exit.isSuccess(exit) && exit.value._tag === "Success" && exit.value.success !== reserved[0]) {
          yield* budget.settle(exit.value.success, null)
        }
      }
      const last = yield* Fiber.join(fibers.find((f) => f.pollUnsafe() === undefined)!)
      assert.strictEqual(last._tag, "Failure")
    }).pipe(Effect.provide(Layer.mergeAll(budgetWith({ perRunUsd: 0.04, perMonthUsd: null }), inRun))))

  it.effect("retries that each wait for the other's call to settle do not wait for each other: the last to wait is refused, the other goes on", () =>
    Effect.gen(function*() {
      const budget = yield* LlmBudget
      // two calls under way whose first requests may have been billed (timed out): each retry needs one more worst case
      const a = yield* budget.reserve(call)
      const b = yield* budget.reserve(call)
      const retryA = yield* Effect.forkChild(Effect.result(budget.reserveRetry(a)))
      yield* Effect.yieldNow
      // B's retry could only fit once A's call settles, and A's call waits for room for its own retry
      const retryB = yield* Effect.forkChild(Effect.result(budget.reserveRetry(b)))
      yield* until(() => retryA.pollUnsafe() !== undefined || retryB.pollUnsafe() !== undefined)
      const ended = [retryA, retryB].filter((f) => f.pollUnsafe() !== undefined)
      assert.strictEqual(ended.length, 1, "one retry is refused at once")
      const refused = yield* Fiber.join(ended[0]!)
      assert.strictEqual(refused._tag, "Failure")
      // the refused call settles (its unsent retry costs nothing): the other fits and goes on
      yield* budget.settle(ended[0] === retryA ? a : b, { input: 1000, cachedInput: 0, cacheWrite: 0, output: 100, reasoning: 0 })
      const other = yield* Fiber.join(ended[0] === retryA ? retryB : retryA)
      assert.strictEqual(other._tag, "Success")
    }).pipe(Effect.provide(Layer.mergeAll(budgetWith({ perRunUsd: 0.045, perMonthUsd: null }), inRun))))

  it.effect("five PMs asking at once within a budget their worst cases together exceed all get their answers", () => {
    const entries: Array<SpendEntry> = []
    return Effect.gen(function*() {
      const fake = yield* fakeProvider(() => undefined)
      const lm = yield* OpenAiChat.make({ provider: "openai", baseUrl: fake.url, apiKey: Redacted.make("sk-budget-test"), model: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: null })
      const model = Ask.roleModel({ provider: "openai", id: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: null }, lm)
      const pms = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK"] as const
      const questions = pms.map((pm) => PitchPrompt.pitchQuestion(AccountId.make(pm), { snapshot, account: null }))
      // the worst case of one pitch, as the budget reserves it
      const worstCase = (yield* Effect.gen(function*() {
        const budget = yield* LlmBudget
        return (yield* budget.reserve({ actor: "x", purpose: "pitch", model: "openai:gpt-5.4", inputTokens: Prices.estimateTokens(questions[0]!.system + questions[0]!.user), maxOutputTokens: 500 })).worstCaseUsd
      }).pipe(Effect.provide(budgetWith({ perRunUsd: null, perMonthUsd: null }))))
      // room for three worst cases at once, not five; the five answers ($0.00355 each) fit with room to spare
      const limit = 3 * worstCase
      assert.isBelow(5 * 0.00355, limit)
      const answers = yield* Effect.forEach(questions, (q) => Ask.ask(model, q), { concurrency: "unbounded" }).pipe(
        Effect.provide(budgetWith({ perRunUsd: limit, perMonthUsd: null }, entries))
      )
      assert.deepStrictEqual(answers.map((a) => a.failure?.message), [undefined, undefined, undefined, undefined, undefined])
      assert.strictEqual(fake.requests.length, 5)
      assert.closeTo(entries.reduce((sum, e) => sum + e.costUsd, 0), 5 * 0.00355, 1e-12)
    }).pipe(Effect.provide(Layer.mergeAll(FetchHttpClient.layer, inRun)))
  })

  it.effect("a deadline that interrupts a call still settles its reservation", () => {
    const entries: Array<SpendEntry> = []
    return Effect.gen(function*() {
      const fake = yield* fakeProvider(() => ({ body: {}, delayMs: 60_000 }))
      const lm = yield* OpenAiChat.make({ provider: "openai", baseUrl: fake.url, apiKey: Redacted.make("sk-budget-test"), model: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: null })
      const model = Ask.roleModel({ provider: "openai", id: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: null }, lm, { timeout: "10 minutes", deadline: "20 seconds" })
      const fiber = yield* Effect.forkChild(Ask.ask(model, PitchPrompt.pitchQuestion(AccountId.make("GROQ"), { snapshot, account: null })))
      yield* until(() => fake.requests.length >= 1)
      yield* TestClock.adjust("21 seconds")
      const answer = yield* Fiber.join(fiber)
      assert.strictEqual(answer.failure?.message, "no valid answer within 20s")
      assert.strictEqual(answer.exchanges.length, 1)
      assert.isTrue(answer.exchanges[0]!.costEstimated)
      assert.deepStrictEqual(entries.map((e) => [e.actor, e.estimated, e.costUsd]), [["GROQ", true, answer.exchanges[0]!.costUsd]])
    }).pipe(Effect.provide(Layer.mergeAll(FetchHttpClient.layer, budgetWith({ perRunUsd: 1, perMonthUsd: null }, entries), inRun)))
  })
  it.effect("an answer window that closes while an answer's cost is being written still charges what it cost", () => {
    const entries: Array<SpendEntry> = []
    const memory = makeMemory(entries)
    let revising = false
    // a store slow to write (another process holds the database's lock)
    const slowStore = SpendLedger.of({
      ...memory,
      revise: (id, cost) => Effect.andThen(Effect.sync(() => (revising = true)), Effect.andThen(Effect.sleep("30 seconds"), memory.revise(id, cost)))
    })
    return Effect.gen(function*() {
      const fake = yield* fakeProvider(() => undefined)
      const lm = yield* OpenAiChat.make({ provider: "openai", baseUrl: fake.url, apiKey: Redacted.make("sk-budget-test"), model: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: null })
      const model = Ask.roleModel({ provider: "openai", id: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: null }, lm, { timeout: "10 minutes", deadline: "20 seconds" })
      const fiber = yield* Effect.forkChild(Ask.ask(model, PitchPrompt.pitchQuestion(AccountId.make("GROQ"), { snapshot, account: null })))
      // the answer came (usage: 800 uncached + 200 cached in, 100 out = $0.00355); its cost is being written
      yield* until(() => revising)
      yield* TestClock.adjust("21 seconds")
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      assert.strictEqual(entries.length, 1)
      assert.isFalse(entries[0]!.estimated, "charged the worst case, not what the answer cost")
      assert.closeTo(entries[0]!.costUsd, 0.00355, 1e-12)
    }).pipe(Effect.provide(Layer.mergeAll(
      FetchHttpClient.layer,
      LlmBudget.layer(prices, { perRunUsd: 1, perMonthUsd: null }).pipe(Layer.provide(Layer.succeed(SpendLedger, slowStore))),
      inRun
    )))
  })
  it.effect("a call interrupted (Ctrl-C) as its reservation is written sends nothing and is charged nothing; one interrupted once sent stays charged", () =>
    Effect.gen(function*() {
      for (const when of ["reserved", "sent"] as const) {
        const entries: Array<SpendEntry> = []
        const memory = makeMemory(entries)
        let sent = 0
        const interruptSelf = Effect.withFiber((fiber) => Effect.sync(() => fiber.interruptUnsafe()))
        // the interruption reaches the asking fiber the moment the ledger holds the reservation, or the request
        const ledger = SpendLedger.of({
          ...memory,
          record: (entry) => Effect.tap(memory.record(entry), () => (when === "reserved" ? interruptSelf : Effect.void))
        })
        const lm = yield* LanguageModel.make({
          generateText: () => Effect.andThen(Effect.sync(() => sent++), when === "sent" ? Effect.andThen(interruptSelf, Effect.never) : Effect.never),
          streamText: () => Stream.never
        })
        const model = Ask.roleModel({ provider: "openai", id: "gpt-5.4", maxOutputTokens: 1000, reasoningEffort: null }, lm)
        const budget = yield* LlmBudget.pipe(Effect.provide(LlmBudget.layer(prices, { perRunUsd: 1, perMonthUsd: null }).pipe(Layer.provide(Layer.succeed(SpendLedger, ledger)))))
        const exit = yield* Effect.exit(Ask.ask(model, PitchPrompt.pitchQuestion(AccountId.make("GROQ"), { snapshot, account: null })).pipe(
          Effect.provideService(LlmBudget, budget)
        ))
        assert.isTrue(Exit.hasInterrupts(exit), when)
        assert.strictEqual(entries.length, 1, when)
        if (when === "reserved") {
          assert.strictEqual(sent, 0)
          assert.deepStrictEqual([entries[0]!.costUsd, entries[0]!.estimated], [0, false], "a request never sent was charged")
        } else {
          // sent and never answered: the provider may have billed it, so its worst case, said to be an estimate
          assert.strictEqual(sent, 1)
          assert.isTrue(entries[0]!.estimated)
          assert.isAbove(entries[0]!.costUsd, 0)
        }
        // nothing is left under way in the process either
        const refused = yield* Effect.flip(budget.reserve({ ...call, maxOutputTokens: 1_000_000 }))
        if (refused._tag !== "LlmBudgetExceeded") return assert.fail(`refused with ${refused._tag}`)
        assert.strictEqual(refused.inFlightUsd, 0, when)
      }
    }).pipe(Effect.provide(inRun)))

  it.effect("a call that dies still settles its reservation: nothing stays under way", () => {
    const entries: Array<SpendEntry> = []
    return Effect.gen(function*() {
      const budget = yield* LlmBudget
      const lm = yield* LanguageModel.make({
        generateText: () => Effect.die(new Error("adapter bug")),
        streamText: () => Stream.die(new Error("adapter bug"))
      })
      const model = Ask.roleModel({ provider: "openai", id: "gpt-5.4", maxOutputTokens: 1000, reasoningEffort: null }, lm)
      const died = yield* Effect.exit(Ask.ask(model, PitchPrompt.pitchQuestion(AccountId.make("GROQ"), { snapshot, account: null })))
      assert.isTrue(Exit.hasDies(died))
      // the dead call stays charged its worst case, as spent: none of it is still under way
      assert.strictEqual(entries.length, 1)
      const refused = yield* Effect.flip(budget.reserve({ ...call, maxOutputTokens: 1_000_000 }))
      if (refused._tag !== "LlmBudgetExceeded") return assert.fail(`refused with ${refused._tag}`)
      assert.strictEqual(refused.inFlightUsd, 0)
      assert.closeTo(refused.spentUsd, entries[0]!.costUsd, 1e-12)
    }).pipe(Effect.provide(Layer.mergeAll(budgetWith({ perRunUsd: 1, perMonthUsd: null }, entries), inRun)))
  })
})

describe("LlmBudget: every request a provider may have billed is charged", () => {
  const openAi = (url: string) =>
    Effect.map(
      OpenAiChat.make({ provider: "openai", baseUrl: url, apiKey: Redacted.make("sk-budget-test"), model: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: null }),
      (lm) =>
        Ask.roleModel({ provider: "openai", id: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: null }, lm, {
          retry: { times: 2, base: "1 millis", cap: "1 millis", maxRetryAfter: "1 second" }
        })
    )
  const pitch = PitchPrompt.pitchQuestion(AccountId.make("CHATGPT"), { snapshot, account: null })

  it.effect("a call under way is already in the ledger at its worst case: a process killed mid-call leaves it charged", () => {
    const entries: Array<SpendEntry> = []
    return Effect.gen(function*() {
      const budget = yield* LlmBudget
      yield* budget.reserve(call)
      // the process dies here, before the call settles: the next process reads the ledger
      assert.deepStrictEqual(entries.map((e) => [e.runId, e.actor, e.costUsd, e.estimated]), [["run-1", "CLAUDE", 0.0175, true]])
      const next = yield* LlmBudget.pipe(Effect.provide(budgetWith({ perRunUsd: 0.03, perMonthUsd: null }, entries)))
      const refused = yield* Effect.flip(next.reserve(call))
      assert.strictEqual(refused._tag, "LlmBudgetExceeded")
      assert.include(refused.message, "$0.0175 spent in this run")
    }).pipe(Effect.provide(Layer.mergeAll(budgetWith({ perRunUsd: 0.03, perMonthUsd: null }, entries), inRun)))
  })

  it.effect("two processes sharing the ledger see each other's calls under way: together they cannot overrun the month", () => {
    const entries: Array<SpendEntry> = []
    const shared = budgetWith({ perRunUsd: null, perMonthUsd: 0.035 }, entries)
    return Effect.gen(function*() {
      const [daily, backtest] = [yield* LlmBudget.pipe(Effect.provide(shared)), yield* LlmBudget.pipe(Effect.provide(shared))]
      // the backtest asks and settles one call (so it has read the month), then the day's run starts a call
      yield* backtest.settle(yield* backtest.reserve(call), { input: 1000, cachedInput: 0, cacheWrite: 0, output: 100, reasoning: 0 })
      yield* daily.reserve(call)
      // $0.004 spent, $0.0175 under way in the other process: another $0.0175 would cross $0.035
      const refused = yield* Effect.flip(backtest.reserve(call))
      assert.strictEqual(refused._tag, "LlmBudgetExceeded")
      assert.include(refused.message, "$0.0215 spent in this month")
    }).pipe(Effect.provide(inRun))
  })

  it.effect("a backtest's runs are budgeted per book: the same run id in another backtest has spent nothing yet", () => {
    const entries: Array<SpendEntry> = [{ ...entry("2026-06-08T15:00:00.000Z", 0.02, "2026-06-08-bt"), book: "bt-a", tradingDay: "2026-06-08" }]
    const inBacktestRun = RunContext.layerTest({ tradingDay: TradingDay.make("2026-06-08"), runId: "2026-06-08-bt" as RunId, stage: "PmPitches" })
    return Effect.gen(function*() {
      const budget = yield* LlmBudget
      const again = yield* Effect.flip(budget.reserve(call).pipe(Effect.provideService(SpendBook, "bt-a")))
      assert.strictEqual(again._tag, "LlmBudgetExceeded")
      const other = yield* budget.reserve(call).pipe(Effect.provideService(SpendBook, "bt-b"))
      assert.deepStrictEqual([other.book, entries[1]?.book, entries[1]?.tradingDay, entries[1]?.runId], ["bt-b", "bt-b", "2026-06-08", "2026-06-08-bt"])
    }).pipe(Effect.provide(Layer.mergeAll(budgetWith({ perRunUsd: 0.03, perMonthUsd: null }, entries), inBacktestRun)))
  })

  it.live("a request dropped after it was sent and then retried is charged at its worst case, beside the answer's usage", () => {
    const entries: Array<SpendEntry> = []
    return Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => (r.nth === 0 ? { body: {}, drop: true } : undefined))
      const answer = yield* Ask.ask(yield* openAi(fake.url), pitch)
      assert.strictEqual(answer.value?.symbol, "GLD")
      assert.strictEqual(fake.requests.length, 2)
      const [exchange] = answer.exchanges
      assert.strictEqual(exchange!.attempts, 2)
      // the answer's usage ($0.00355: 800 uncached + 200 cached in, 100 out) plus the dropped request's worst case:
      // at least a token per byte of its messages and all 500 output tokens; at most three per byte (its schema and
      // the providers' framing allowed for, not a multiple of the prompt)
      const bytes = Buffer.byteLength(exchange!.messages.map((m) => m.content).join("\n"), "utf8")
      assert.isTrue(exchange!.costEstimated)
      assert.isAbove(exchange!.costUsd, 0.00355 + (bytes * 2.5 + 500 * 15) / 1e6)
      assert.isAtMost(exchange!.costUsd, 0.00355 + (3 * bytes * 2.5 + 500 * 15) / 1e6)
      assert.deepStrictEqual(entries.map((e) => [e.actor, e.costUsd, e.estimated]), [["CHATGPT", exchange!.costUsd, true]])
    }).pipe(Effect.provide(Layer.mergeAll(FetchHttpClient.layer, budgetWith({ perRunUsd: 1, perMonthUsd: null }, entries), inRun)))
  })

  it.live("a request on a kept-alive connection the provider dropped as it went out is sent again, its retry reserved once", () => {
    const entries: Array<SpendEntry> = []
    return Effect.gen(function*() {
      const fake = yield* fakeProvider()
      const proxy = yield* Effect.acquireRelease(Effect.promise(() => earlyClosing(fake.url)), (p) => Effect.promise(p.close))
      const model = yield* openAi(proxy.url)
      const first = yield* Ask.ask(model, pitch)
      // a pause: the first request's connection is back in the client's pool, idle
      yield* Effect.sleep("20 millis")
      proxy.closeNextReuse()
      const second = yield* Ask.ask(model, pitch)
      assert.strictEqual(second.value?.symbol, "GLD")
      assert.strictEqual(proxy.closed(), 1)
      // the dropped request never reached the provider; the client cannot tell, so it is charged at its worst case
      assert.strictEqual(fake.requests.length, 2)
      assert.deepStrictEqual([first.exchanges[0]!.attempts, second.exchanges[0]!.attempts], [1, 2])
      assert.isFalse(first.exchanges[0]!.costEstimated)
      assert.isTrue(second.exchanges[0]!.costEstimated)
      assert.isAbove(second.exchanges[0]!.costUsd, first.exchanges[0]!.costUsd + 500 * 15 / 1e6)
      assert.deepStrictEqual(entries.map((e) => e.costUsd), [first.exchanges[0]!.costUsd, second.exchanges[0]!.costUsd])
    }).pipe(Effect.provide(Layer.mergeAll(FetchHttpClient.layer, budgetWith({ perRunUsd: 1, perMonthUsd: null }, entries), inRun)))
  })

  it.live("the retry of a request the provider may have billed is not sent when its worst case does not fit the budget", () => {
    const entries: Array<SpendEntry> = []
    return Effect.gen(function*() {
      const fake = yield* fakeProvider(() => ({ body: {}, drop: true }))
      const refused = yield* Effect.flip(Ask.ask(yield* openAi(fake.url), pitch))
      assert.strictEqual(refused._tag, "LlmBudgetExceeded")
      assert.strictEqual(fake.requests.length, 1, "the retry was not sent")
      // the dropped request stays charged at its worst case
      assert.strictEqual(entries.length, 1)
      assert.isTrue(entries[0]!.estimated)
      assert.isAbove(entries[0]!.costUsd, 500 * 15 / 1e6)
    }).pipe(Effect.provide(Layer.mergeAll(FetchHttpClient.layer, budgetWith({ perRunUsd: 0.018, perMonthUsd: null }, entries), inRun)))
  })

  it.live("rate-limited requests are not billed: their retries need no reservation and cost nothing", () => {
    const entries: Array<SpendEntry> = []
    return Effect.gen(function*() {
      const fake = yield* fakeProvider((r) =>
        r.nth === 0 ? { status: 429, body: { error: { message: "slow down", type: "rate_limit_exceeded" } }, headers: { "retry-after-ms": "1" } } : undefined
      )
      const answer = yield* Ask.ask(yield* openAi(fake.url), pitch)
      assert.strictEqual(answer.value?.symbol, "GLD")
      assert.strictEqual(fake.requests.length, 2)
      assert.closeTo(answer.exchanges[0]!.costUsd, 0.00355, 1e-12)
      assert.isFalse(answer.exchanges[0]!.costEstimated)
      assert.deepStrictEqual(entries.map((e) => [e.costUsd, e.estimated]), [[answer.exchanges[0]!.costUsd, false]])
    }).pipe(Effect.provide(Layer.mergeAll(FetchHttpClient.layer, budgetWith({ perRunUsd: 0.018, perMonthUsd: null }, entries), inRun)))
  })

  it.live("the limit holds when a prompt tokenizes at one token per byte (a digit-dense table, digits split one by one)", () =>
    Effect.gen(function*() {
      // the provider's tokenizer at its most expensive: every byte of what it was sent a token (system, messages and
      // the schema), every allowed output token used; it bills that
      const billed: Array<number> = []
      const fake = yield* fakeProvider((r) => {
        const input = Buffer.byteLength(`${r.text}\n${JSON.stringify(r.schema ?? {})}`, "utf8")
        billed.push((input * 2.5 + 500 * 15) / 1e6)
        return answerWith(r, JSON.stringify(validAnswer(r)), { input, cached: 0, output: 500, reasoning: 0 })
      })
      const askWithin = (perRunUsd: number) => {
        const entries: Array<SpendEntry> = []
        return Effect.exit(Effect.flatMap(openAi(fake.url), (model) => Ask.ask(model, pitch))).pipe(
          Effect.map((exit) => ({ exit, spent: entries.reduce((sum, e) => sum + e.costUsd, 0) })),
          Effect.provide(Layer.mergeAll(FetchHttpClient.layer, budgetWith({ perRunUsd, perMonthUsd: null }, entries), inRun))
        )
      }
      // what the call costs at that provider, asked within a large budget
      const first = yield* askWithin(1)
      assert.isTrue(Exit.isSuccess(first.exit))
      const bill = billed[0]!
      assert.closeTo(first.spent, bill, 1e-12)
      // a limit just under that bill: the call is not made (its reservation could not be a ceiling otherwise)
      const under = yield* askWithin(bill * 0.98)
      assert.isAtMost(under.spent, bill * 0.98)
      assert.isTrue(Exit.isFailure(under.exit))
      assert.strictEqual(fake.requests.length, 1, "the call that could cross the limit was sent")
      // a limit with room for the bill: the call is made, and charged no more than the limit
      const room = yield* askWithin(bill * 1.5)
      assert.isTrue(Exit.isSuccess(room.exit))
      assert.closeTo(room.spent, bill, 1e-12)
      assert.strictEqual(fake.requests.length, 2)
    }))
})

describe("SpendLedger.layerSql", () => {
  it.effect("records calls in the store's llm_spend table and sums them by run and by time range", () =>
    Effect.gen(function*() {
      const ledger = yield* SpendLedger
      yield* ledger.record(entry("2026-11-02T10:00:00.000Z", 0.25, "run-a"))
      yield* ledger.record(entry("2026-11-03T10:00:00.000Z", 0.5, "run-b"))
      yield* ledger.record(entry("2026-12-01T00:00:00.000Z", 1, "run-a"))
      assert.strictEqual(yield* ledger.runTotal("run-a"), 1.25)
      assert.strictEqual(yield* ledger.runTotal("nothing"), 0)
      assert.strictEqual(yield* ledger.totalBetween("2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"), 0.75)
    }).pipe(Effect.provide(SpendLedger.layerSql.pipe(Layer.provide(Database.layerSqlite(":memory:"))))))

  it.effect("revises a row once its call's cost is known", () =>
    Effect.gen(function*() {
      const ledger = yield* SpendLedger
      const first = yield* ledger.record(entry("2026-11-02T10:00:00.000Z", 0.25, "run-a"))
      const second = yield* ledger.record(entry("2026-11-02T10:00:01.000Z", 0.5, "run-a"))
      assert.notStrictEqual(first, second)
      yield* ledger.revise(first, { costUsd: 0.01, estimated: false })
      assert.closeTo(yield* ledger.runTotal("run-a"), 0.51, 1e-12)
    }).pipe(Effect.provide(SpendLedger.layerSql.pipe(Layer.provide(Database.layerSqlite(":memory:"))))))
})
