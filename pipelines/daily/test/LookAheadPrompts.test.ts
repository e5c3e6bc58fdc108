import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Ref } from "effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { AccountId, momentAt, type RunId, type RunSchedule } from "@council/domain"
import { RunStore, Runner } from "@council/engine"
import { MarketData } from "@council/market"
import { LlmBudget, Models } from "@council/llm"
import { AnthropicMessages, Ask, LlmCouncil, OpenAiChat } from "@council/llm/live"
import { Notifier } from "@council/notify"
import { Backtest, DailyPipeline, newRunParams } from "@council/daily"
import { type FakeProvider, type FakeRequest, startFake } from "../../../packages/llm/test/FakeProvider.ts"
import { profiles } from "./Fixtures.ts"
import { DAY, decisionTime, localExchange, PREV, poisoned } from "./PoisonedBars.ts"

const MODELS: ReadonlyArray<readonly [string, Models.ProviderId, string]> = [
  ["CHATGPT", "openai", "gpt-5.4"],
  ["GEMINI", "gemini", "gemini-3.1-pro-preview"],
  ["CLAUDE", "anthropic", "claude-sonnet-4-6"],
  ["GROQ", "groq", "openai/gpt-oss-120b"],
  ["DEEPSEEK", "deepseek", "deepseek-v4-flash"],
  ["CHAIRMAN", "anthropic", "claude-opus-4-7"]
]

/** Each role's model on the real adapters, every base URL the fake provider's. */
const roleModels = (fake: FakeProvider) =>
  Effect.forEach(MODELS, ([role, provider, id]) =>
    Effect.gen(function*() {
      const spec: Models.ModelSpec = { provider, id, maxOutputTokens: 2000, reasoningEffort: Models.defaultEffort(provider, id) }
      const options = { baseUrl: fake.url, apiKey: Redacted.make(`sk-lookahead-${role}-0000`), model: id, maxOutputTokens: 2000, reasoningEffort: spec.reasoningEffort }
      const lm = provider === "anthropic" ? yield* AnthropicMessages.make(options) : yield* OpenAiChat.make({ ...options, provider })
      return [role, Ask.roleModel(spec, lm)] as const
    })).pipe(Effect.provide(FetchHttpClient.layer))

const council = (fake: FakeProvider) =>
  Layer.unwrap(Effect.map(roleModels(fake), (models) => {
    const seats = models.filter(([role]) => role !== "CHAIRMAN").map(([pm, model]): LlmCouncil.Seat => ({ _tag: "Llm", pm: AccountId.make(pm), model }))
    const chairman = models.find(([role]) => role === "CHAIRMAN")![1]
    return Layer.merge(LlmCouncil.layerPms(seats), LlmCouncil.layerChairman(chairman)).pipe(Layer.provide(LlmBudget.layerUnlimited))
  }))

/** A prompt as a provider received it: who asked what, and every message's text. */
interface Prompt {
  readonly model: string
  readonly kind: FakeRequest["kind"]
  readonly text: string
}

const promptsOf = (requests: ReadonlyArray<FakeRequest>): ReadonlyArray<Prompt> =>
  requests.map((r) => ({ model: r.model, kind: r.kind, text: r.text }))
    .sort((a, b) => `${a.kind} ${a.model} ${a.text}`.localeCompare(`${b.kind} ${b.model} ${b.text}`))

/**
 * PREV then DAY under `schedule` on a fresh local exchange, with LLM PMs and chairman asking `fake`: as two runs
 * of `run daily` (`live`), or as one backtest over both sessions (`backtest`). Returns the prompts DAY's run sent.
 */
const dayPrompts = (fake: FakeProvider, schedule: RunSchedule, poison: number, how: "live" | "backtest") => {
  const time = decisionTime(schedule)
  const market = MarketData.layerTest(poisoned(poison, schedule))
  return Effect.gen(function*() {
    const present = yield* Ref.make(momentAt(PREV, time))
    const exchange = localExchange(present, market)
    const params = { accounts: profiles, broker: "local-exchange", data: "test", pms: "live" }
    const before = fake.requests.length
    let dayStart = -1
    yield* Effect.gen(function*() {
      if (how === "live") {
        for (const day of [PREV, DAY]) {
          const at = momentAt(day, time)
          yield* Ref.set(present, at)
          if (day === DAY) dayStart = fake.requests.length
          const { run } = yield* Runner.start(DailyPipeline, {
            tradingDay: day,
            asOf: day,
            mode: "record",
            dryRun: false,
            codeVersion: "test",
            params: newRunParams(params, { schedule, moment: at }),
            runId: `${day}-live` as RunId
          })
          assert.strictEqual(run.status, "completed")
        }
      } else {
        yield* Backtest.runBacktest({
          sessions: [PREV, DAY],
          params,
          codeVersion: "test",
          schedule,
          moments: (day) => ({ run: momentAt(day, time), afterClose: momentAt(day, "16:15") }),
          enterMoment: (at) => Ref.set(present, at),
          onProgress: (p) => Effect.sync(() => (p.day === PREV ? dayStart = fake.requests.length : undefined)),
          pms: "live"
        })
      }
    }).pipe(Effect.provide(exchange))
    assert.isAbove(dayStart, before)
    return promptsOf(fake.requests.slice(dayStart))
  }).pipe(Effect.provide(Layer.mergeAll(market, council(fake), LlmBudget.layerUnlimited, Notifier.layerTest, RunStore.layerMemory)))
}

let fake: FakeProvider
beforeAll(async () => {
  fake = await startFake()
})
afterAll(() => fake.close())

const kinds = (prompts: ReadonlyArray<Prompt>) => prompts.map((p) => p.kind)

describe("no look-ahead in prompts: the PMs', the reviewers' and the chairman's prompts for a day hold nothing after the run's moment", () => {
  for (const schedule of ["close", "after-close"] as const) {
    it.effect(`under ${schedule}: nothing the schedule may not know, nothing that depends on it; a backtest's prompts for the day are the live run's`, () =>
      Effect.gen(function*() {
        const first = yield* dayPrompts(fake, schedule, 31337, "live")
        const second = yield* dayPrompts(fake, schedule, 27182, "live")
        // five pitches, five reviews (each PM ranks the other four), one chairman
        assert.deepStrictEqual(kinds(first).filter((k) => k === "pitch").length, 5)
        assert.deepStrictEqual(kinds(first).filter((k) => k === "review").length, 5)
        assert.deepStrictEqual(kinds(first).filter((k) => k === "chairman").length, 1)
        const everything = first.map((p) => p.text).join("\n")
        assert.notInclude(everything, "31337")
        // the brief's last value is the day's open under close, its close after it
        const spyOpen = poisoned(0, schedule)["SPY"]!.find((b) => b.date === DAY)!
        const last = schedule === "close" ? spyOpen.open : spyOpen.close
        const pitch = first.find((p) => p.kind === "pitch")!.text
        assert.match(pitch, new RegExp(`\\nSPY \\| ${last.toFixed(2).replace(".", "\\.")} \\|`))
        assert.include(pitch, schedule === "close" ? `As of 15:45 New York time on ${DAY}, during the session` : `As of the close of ${DAY}.`)
        // what the run may not know changes nothing it was asked
        assert.deepStrictEqual(first, second)
        // the backtest's prompts for the day are the live run's, word for word
        const backtest = yield* dayPrompts(fake, schedule, 27182, "backtest")
        assert.deepStrictEqual(backtest, first)
      }), 60_000)
  }
})
