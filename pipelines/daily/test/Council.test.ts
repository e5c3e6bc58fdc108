import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as LanguageModel from "effect/ai/LanguageModel"
import { AccountId, PM_NAMES } from "@council/domain"
import { RunStore } from "@council/engine"
import { AuditTrail, Chairman, LlmBudget, type Models, type PortfolioManagers } from "@council/llm"
import { Ask, LlmCouncil, PitchPrompt } from "@council/llm/live"
import { CouncilSynthesis, FetchData, PeerReview, PmPitches } from "@council/daily"
import { market, recorded, recording, runContext } from "./Fixtures.ts"

/** A marker per PM that never names it (anonymization replaces PM names, not these). */
const MARK: Readonly<Record<string, string>> = { CHATGPT: "zeta", GEMINI: "kappa", CLAUDE: "sigma", GROQ: "omega", DEEPSEEK: "delta" }
/** The reviewers' shared taste: pitches with these markers, best first. */
const TASTE = ["sigma", "kappa", "zeta", "omega", "delta"]

type Answerer = (prompt: string) => string

/** A `LanguageModel` that answers with `answer(prompt)` and logs every prompt it was given. */
const scripted = (answer: Answerer, log: Array<string>) =>
  LanguageModel.make({
    generateText: (options) =>
      Effect.sync(() => {
        const prompt = options.prompt.content
          .map((m) => (typeof m.content === "string" ? m.content : m.content.map((p) => ("text" in p ? p.text : "")).join("")))
          .join("\n")
        log.push(prompt)
        return [
          { type: "text" as const, text: answer(prompt) },
          { type: "finish" as const, reason: "stop" as const, usage: { inputTokens: { total: 900 }, outputTokens: { total: 90 } } }
        ]
      }),
    streamText: () => Stream.die("not streamed")
  })

const universeOf = (prompt: string) => /Universe: (.*)/.exec(prompt)![1]!.split(", ")
const whoAsked = (prompt: string) => /You are ([A-Z]+)\./.exec(prompt)?.[1] ?? "CHAIRMAN"

/** Pitches LONG the first symbol with the PM's marker; ranks by TASTE; decides LONG on the first symbol. */
const answers: Answerer = (prompt) => {
  if (prompt.includes("Pitch your trade")) {
    return JSON.stringify({
      symbol: universeOf(prompt)[0],
      direction: "LONG",
      conviction: 1,
      thesis: [`marker ${MARK[whoAsked(prompt)]}`],
      riskProfile: "BASE",
      horizon: "1W",
      invalidation: "none"
    })
  }
  if (prompt.includes("Rank pitches")) {
    // a thesis point comes quoted, as a JSON string
    const shown = [...prompt.matchAll(/Pitch ([A-Z]+): [^\n]*\n {2}- ([^\n]*)/g)].map((m) => ({ label: m[1]!, mark: (JSON.parse(m[2]!) as string).replace("marker ", "") }))
    const rank = (mark: string) => (TASTE.includes(mark) ? TASTE.indexOf(mark) : TASTE.length)
    const ranking = [...shown].sort((a, b) => rank(a.mark) - rank(b.mark)).map((s) => s.label)
    return JSON.stringify({ ranking, rationale: "taste" })
  }
  return JSON.stringify({
    trades: [{ symbol: universeOf(prompt)[0], direction: "LONG", conviction: 2, riskProfile: "TIGHT", horizon: "2W" }],
    rationale: "The peers agree.",
    dissent: [{ pm: "GEMINI", disagreement: "prefers bonds" }],
    monitoring: ["a close below the 20-session low"]
  })
}

const spec = (id: string): Models.ModelSpec => ({ provider: "openai", id, maxOutputTokens: 500, reasoningEffort: null })

interface Council {
  readonly logs: Record<string, Array<string>>
  readonly layer: Layer.Layer<PortfolioManagers | Chairman>
}

/** A `LanguageModel` still thinking an hour later. */
const thinking = LanguageModel.make({
  generateText: () => Effect.andThen(Effect.sleep("1 hour"), Effect.die("answered after an hour")),
  streamText: () => Stream.die("not streamed")
})

/**
 * Five LLM seats and an LLM chairman over scripted models; `override` replaces some answerers, and the `slow`
 * PMs never answer (`thinking`).
 */
const council = (override: Readonly<Record<string, Answerer>> = {}, slow: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const logs: Record<string, Array<string>> = {}
    const seats: Array<LlmCouncil.Seat> = []
    for (const pm of PM_NAMES) {
      logs[pm] = []
      const lm = slow.includes(pm) ? yield* thinking : yield* scripted(override[pm] ?? answers, logs[pm])
      // a slow seat's every attempt may take 10 minutes: only its question's deadline (or its stage's share) ends it
      const policy: Partial<Ask.CallPolicy> = slow.includes(pm) ? { timeout: "10 minutes" } : {}
      seats.push({ _tag: "Llm", pm: AccountId.make(pm), model: Ask.roleModel(spec(`model-${pm.toLowerCase()}`), lm, policy) })
    }
    logs["CHAIRMAN"] = []
    const chair = Ask.roleModel(spec("model-chair"), yield* scripted(override["CHAIRMAN"] ?? answers, logs["CHAIRMAN"]))
    const layer = Layer.mergeAll(LlmCouncil.layerPms(seats), LlmCouncil.layerChairman(chair)).pipe(Layer.provide(LlmBudget.layerUnlimited))
    return { logs, layer } satisfies Council
  })

type Timing = NonNullable<NonNullable<Parameters<typeof runContext>[0]>["timing"]>

const withRun = (runId: string, timing?: Timing, dryRun = false, reviewers?: "pitched") =>
  Layer.mergeAll(market, recording, runContext({ runId, dryRun, ...(timing === undefined ? {} : { timing }), ...(reviewers === undefined ? {} : { reviewers }) }))

const runDay = (c: Council, runId = "stage-test", timing?: Timing, dryRun = false, reviewers?: "pitched") =>
  Effect.gen(function*() {
    const snapshot = yield* FetchData.run({})
    const book = yield* PmPitches.run({ FetchData: snapshot })
    const review = yield* PeerReview.run({ FetchData: snapshot, PmPitches: book })
    const decision = yield* CouncilSynthesis.run({ FetchData: snapshot, PmPitches: book, PeerReview: review })
    return { snapshot, book, review, decision, recordings: yield* recorded }
  }).pipe(Effect.provide(Layer.mergeAll(withRun(runId, timing, dryRun, reviewers), c.layer)))

describe("the council on LanguageModel test layers", () => {
  it.effect("every PM gets the same snapshot and instructions; a PM whose answers never validate abstains, saying why", () =>
    Effect.gen(function*() {
      const c = yield* council({ GROQ: (p) => answers(p).replace(/"symbol":"[A-Z]+"/, '"symbol":"TSLA"') })
      const { book, recordings } = yield* runDay(c)
      assert.deepStrictEqual(book.pitches.map((p) => p.pm), ["CHATGPT", "GEMINI", "CLAUDE", "DEEPSEEK"])
      assert.deepStrictEqual(book.pitches.map((p) => p.source), ["openai:model-chatgpt", "openai:model-gemini", "openai:model-claude", "openai:model-deepseek"])
      assert.strictEqual(book.abstentions[0]?.pm, "GROQ")
      assert.match(book.abstentions[0]!.reason, /^InvalidAnswer: invalid answer after a corrective retry: Expected "SPY" \| "GLD" \| "TLT" \| "FLAT"/)
      const firstPrompts = PM_NAMES.map((pm) => c.logs[pm]![0]!)
      const briefs = firstPrompts.map((p) => p.slice(p.indexOf("As of the close"), p.indexOf("Your account")))
      assert.isTrue(briefs.every((b) => b === briefs[0] && b.length > 200))
      assert.isTrue(firstPrompts.every((p) => p.startsWith(PitchPrompt.PITCH_SYSTEM)))
      assert.strictEqual(c.logs["GROQ"]!.filter((p) => p.includes("Pitch your trade")).length, 2)
      const entries = AuditTrail.fromRecordings(recordings)
      assert.deepStrictEqual(
        entries.filter((e) => e.exchange.purpose === "pitch").map((e) => [e.exchange.actor, e.exchange.turn, e.exchange.outcome._tag]),
        [["CHATGPT", 1, "Parsed"], ["GEMINI", 1, "Parsed"], ["CLAUDE", 1, "Parsed"], ["GROQ", 1, "Invalid"], ["GROQ", 2, "Invalid"], ["DEEPSEEK", 1, "Parsed"]]
      )
    }).pipe(Effect.provide(RunStore.layerMemory)))

  it.effect("a reviewer never sees its own pitch; the others come under labels shuffled by the run id; Borda adds up", () =>
    Effect.gen(function*() {
      const c = yield* council()
      const { review } = yield* runDay(c)
      for (const pm of PM_NAMES) {
        const prompt = c.logs[pm]!.find((p) => p.includes("Rank pitches"))!
        assert.notInclude(prompt, `marker ${MARK[pm]}`, `${pm} saw its own pitch`)
        for (const other of PM_NAMES.filter((o) => o !== pm)) assert.include(prompt, `marker ${MARK[other]}`)
        for (const name of PM_NAMES) assert.notInclude(prompt.slice(prompt.indexOf("Your peers' pitches")), name)
        const ballot = review.ballots.find((b) => b.reviewer === pm)!
        assert.notInclude(ballot.shown.map((s): string => s.pm), pm)
        assert.deepStrictEqual(ballot.shown.map((s) => s.label), ["A", "B", "C", "D"])
      }
      assert.deepStrictEqual(review.aggregate.map((s) => [s.pm, s.points, s.ballots]), [
        ["CLAUDE", 12, 4],
        ["GEMINI", 9, 4],
        ["CHATGPT", 6, 4],
        ["GROQ", 3, 4],
        ["DEEPSEEK", 0, 4]
      ])
      const orders = review.ballots.map((b) => b.shown.map((s) => s.pm).join(","))
      assert.isAbove(new Set(orders).size, 1, "every reviewer saw the same order")
      const again = yield* runDay(yield* council())
      assert.deepStrictEqual(again.review, review)
      const other = yield* runDay(yield* council(), "another-run")
      assert.notDeepEqual(other.review.ballots.map((b) => b.shown), review.ballots.map((b) => b.shown))
      assert.deepStrictEqual(other.review.aggregate, review.aggregate)
    }).pipe(Effect.provide(RunStore.layerMemory)))

  it.effect("the chairman decides from the pitches and the peer review; the mechanical vote is stored beside it", () =>
    Effect.gen(function*() {
      const c = yield* council()
      const { decision } = yield* runDay(c)
      assert.strictEqual(decision.source, "openai:model-chair")
      assert.deepStrictEqual(decision.trades.map((t) => [t.direction, t.symbol, t.conviction]), [["LONG", "SPY", 2]])
      assert.deepStrictEqual(decision.dissent, ["GEMINI: prefers bonds"])
      assert.deepStrictEqual(decision.monitoring, ["a close below the 20-session low"])
      assert.deepStrictEqual(decision.mechanical?.trades.map((t) => [t.direction, t.symbol, t.conviction]), [["LONG", "SPY", 2]])
      assert.match(decision.mechanical!.rationale, /^Conviction-weighted vote over 5 pitches/)
      assert.strictEqual(decision.votes.length, 5)
      const prompt = c.logs["CHAIRMAN"]![0]!
      assert.include(prompt, "- CLAUDE: 12 points from 4 ballots")
      assert.notInclude(prompt, "Conviction-weighted")
    }).pipe(Effect.provide(RunStore.layerMemory)))

  it.effect("a chairman with no valid answer leaves the decision to the mechanical vote, and the run says so", () =>
    Effect.gen(function*() {
      const c = yield* council({ CHAIRMAN: () => "I would rather not say." })
      const { decision } = yield* runDay(c)
      assert.strictEqual(decision.source, "offline:conviction-vote")
      assert.match(decision.fallback ?? "", /^the chairman \(openai:model-chair\) gave no usable decision \(InvalidAnswer: .*\); the mechanical vote decides$/)
      assert.deepStrictEqual(decision.trades, decision.mechanical?.trades)
      assert.strictEqual(c.logs["CHAIRMAN"]!.length, 2)
    }).pipe(Effect.provide(RunStore.layerMemory)))

  it.effect("under close at 15:45, a PM still thinking when its stage's share of the 4 minutes runs out abstains; the others trade", () =>
    Effect.gen(function*() {
      const c = yield* council({}, ["GROQ"])
      const fiber = yield* Effect.forkChild(runDay(c, "stage-test", { schedule: "close", asOfTime: "2026-06-08T15:45:00-04:00" }))
      // the pitches' share is 1m 48s and the reviews' 48s: 2m 36s in all, well inside the questions' own 4 minutes
      for (let s = 0; s < 160 && fiber.pollUnsafe() === undefined; s++) yield* TestClock.adjust("1 second")
      assert.isDefined(fiber.pollUnsafe(), "the council still waits for GROQ 2m 40s after the run's moment")
      const { book, review, decision } = yield* Fiber.join(fiber)
      assert.deepStrictEqual(book.pitches.map((p) => p.pm), ["CHATGPT", "GEMINI", "CLAUDE", "DEEPSEEK"])
      assert.deepStrictEqual(book.abstentions, [{
        pm: AccountId.make("GROQ"),
        reason: "Timeout: no valid answer within 1m 48s, the stage's share of the time before the market-on-close cutoff"
      }])
      assert.deepStrictEqual(review.abstentions, [{
        pm: AccountId.make("GROQ"),
        reason: "Timeout: no valid answer within 48s, the stage's share of the time before the market-on-close cutoff"
      }])
      assert.strictEqual(review.ballots.length, 4)
      assert.strictEqual(decision.source, "openai:model-chair")
    }).pipe(Effect.provide(RunStore.layerMemory)))

  for (
    const [when, timing, dryRun] of [
      ["under after-close", { schedule: "after-close", asOfTime: "2026-06-08T16:15:00-04:00" }, false],
      ["in a dry run under close (nothing is sent, no cutoff to meet)", { schedule: "close", asOfTime: "2026-06-08T15:45:00-04:00" }, true]
    ] as const
  ) {
    it.effect(`${when}, the same PM is waited for until its question's own deadline (4 minutes)`, () =>
      Effect.gen(function*() {
        const c = yield* council({}, ["GROQ"])
        const fiber = yield* Effect.forkChild(runDay(c, "stage-test", timing, dryRun))
        for (let s = 0; s < 239; s++) yield* TestClock.adjust("1 second")
        assert.isUndefined(fiber.pollUnsafe(), "the pitches ended before the question's 4 minutes")
        for (let s = 0; s < 500 && fiber.pollUnsafe() === undefined; s++) yield* TestClock.adjust("1 second")
        const { book } = yield* Fiber.join(fiber)
        assert.strictEqual(book.abstentions[0]?.reason, "Timeout: no valid answer within 4m")
      }).pipe(Effect.provide(RunStore.layerMemory)))
  }

  it.effect("one pitch with an offline seat: the stand-in pitches by its rule and reviews without a model", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const lm = yield* scripted(answers, log)
      const seats: Array<LlmCouncil.Seat> = PM_NAMES.map((pm) =>
        pm === "CLAUDE"
          ? { _tag: "Llm", pm: AccountId.make(pm), model: Ask.roleModel(spec("model-claude"), lm) }
          : { _tag: "Offline", pm: AccountId.make(pm), style: "momentum" }
      )
      const layer = Layer.mergeAll(LlmCouncil.layerPms(seats), Chairman.layerOffline).pipe(Layer.provide(LlmBudget.layerUnlimited))
      const { book, review } = yield* runDay({ logs: {}, layer })
      assert.strictEqual(book.pitches.find((p) => p.pm === "CLAUDE")?.source, "openai:model-claude")
      assert.strictEqual(book.pitches.find((p) => p.pm === "GEMINI")?.source, "offline:momentum")
      assert.strictEqual(review.ballots.find((b) => b.reviewer === "GEMINI")?.source, "offline:momentum")
      assert.strictEqual(log.filter((p) => p.includes("Rank pitches")).length, 1)
    }).pipe(Effect.provide(RunStore.layerMemory)))

  it.effect("a PM that abstained from pitching is not asked to review (reviewers: pitched); the chairman is told who did not review and why", () =>
    Effect.gen(function*() {
      const outside: Answerer = (p) => answers(p).replace(/"symbol":"[A-Z]+"/, '"symbol":"TSLA"')
      const c = yield* council({ GROQ: outside })
      const { book, review } = yield* runDay(c, "stage-test", undefined, false, "pitched")
      assert.deepStrictEqual(book.abstentions.map((a) => a.pm), ["GROQ"])
      assert.strictEqual(c.logs["GROQ"]!.filter((p) => p.includes("Rank pitches")).length, 0)
      assert.deepStrictEqual(review.ballots.map((b) => b.reviewer), ["CHATGPT", "GEMINI", "CLAUDE", "DEEPSEEK"])
      assert.deepStrictEqual(review.abstentions, [{ pm: AccountId.make("GROQ"), reason: "not asked: it abstained from pitching today" }])
      assert.include(c.logs["CHAIRMAN"]![0]!, 'Did not review: GROQ ("not asked: it abstained from pitching today").')
      // a run recorded before asked every PM: its replay asks the same questions
      const before = yield* council({ GROQ: outside })
      const old = yield* runDay(before)
      assert.strictEqual(before.logs["GROQ"]!.filter((p) => p.includes("Rank pitches")).length, 1)
      assert.deepStrictEqual(old.review.ballots.map((b) => b.reviewer), ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK"])
    }).pipe(Effect.provide(RunStore.layerMemory)))

  it.effect("under close at 15:45, a PM that timed out pitching does not hold up the review a second time", () =>
    Effect.gen(function*() {
      const c = yield* council({}, ["GROQ"])
      const fiber = yield* Effect.forkChild(runDay(c, "stage-test", { schedule: "close", asOfTime: "2026-06-08T15:45:00-04:00" }, false, "pitched"))
      // the pitches' share is 1m 48s; the review then asks only the four that pitched, who answer at once
      for (let s = 0; s < 110 && fiber.pollUnsafe() === undefined; s++) yield* TestClock.adjust("1 second")
      assert.isDefined(fiber.pollUnsafe(), "the review waited for GROQ again after the pitches' 1m 48s")
      const { review, decision } = yield* Fiber.join(fiber)
      assert.deepStrictEqual(review.abstentions, [{ pm: AccountId.make("GROQ"), reason: "not asked: it abstained from pitching today" }])
      assert.strictEqual(review.ballots.length, 4)
      assert.strictEqual(decision.source, "openai:model-chair")
    }).pipe(Effect.provide(RunStore.layerMemory)))
})
