/**
 * The LLM council's own overhead: five PMs on the real adapters against the fake provider (127.0.0.1), each
 * answering after 300–1,500 ms (the delays rotate between repetitions). What the stage adds on top of the slowest
 * answer — prompt building, schema, HTTP, validation, recording — is its wall minus that answer's delay.
 *
 *   llm   the pitch stage and the peer-review stage, 1 warm-up + N repetitions (default 7)
 */
import { Effect, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { AccountId, defaultAccountSettings, PM_NAMES, type RunId, TradingDay } from "@council/domain"
import { Recorder, RunContext, RunStore } from "@council/engine"
import { FetchData, PeerReview, PmPitches } from "@council/daily"
import { LlmBudget, Models, Prices, SpendLedger } from "@council/llm"
import { AnthropicMessages, Ask, LlmCouncil, OpenAiChat } from "@council/llm/live"
import { LocalBars } from "@council/market"
import { answerWith, type FakeRequest, startFake, validAnswer } from "../packages/llm/test/FakeProvider.ts"

const DELAYS_MS = [300, 600, 900, 1200, 1500]
const SLOWEST_MS = Math.max(...DELAYS_MS)

const MODELS: Readonly<Record<string, { readonly provider: Models.ProviderId; readonly id: string }>> = {
  CHATGPT: { provider: "openai", id: "gpt-5.4" },
  GEMINI: { provider: "gemini", id: "gemini-3.1-pro-preview" },
  CLAUDE: { provider: "anthropic", id: "claude-sonnet-4-6" },
  GROQ: { provider: "groq", id: "openai/gpt-oss-120b" },
  DEEPSEEK: { provider: "deepseek", id: "deepseek-v4-flash" }
}

const stats = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! }
}

const line = (label: string, overheads: ReadonlyArray<number>, walls: ReadonlyArray<number>) => {
  const o = stats(overheads)
  const w = stats(walls)
  return `  ${label.padEnd(12)} wall − slowest answer: min ${o.min.toFixed(1)} / median ${o.median.toFixed(1)} / max ${o.max.toFixed(1)} ms (target ≤ 50 ms)   ` +
    `wall / slowest: median ${(w.median / SLOWEST_MS).toFixed(3)}`
}

const llm = Effect.gen(function*() {
  const runs = Number(process.env["BENCH_RUNS"] ?? 7)
  let rotation = 0
  const order = PM_NAMES.map((pm) => MODELS[pm]!.id)
  const fake = yield* Effect.acquireRelease(
    Effect.promise(() =>
      startFake((r: FakeRequest) => ({
        ...answerWith(r, JSON.stringify(validAnswer(r))),
        delayMs: DELAYS_MS[(order.indexOf(r.model) + rotation) % DELAYS_MS.length]!
      }))
    ),
    (f) => Effect.promise(f.close)
  )
  const seats = yield* Effect.forEach(PM_NAMES, (pm) =>
    Effect.gen(function*() {
      const { id, provider } = MODELS[pm]!
      const spec: Models.ModelSpec = { provider, id, maxOutputTokens: 2000, reasoningEffort: Models.PROVIDERS[provider].defaultReasoningEffort }
      const options = { baseUrl: fake.url, apiKey: Redacted.make(`bench-${pm}`), model: id, maxOutputTokens: 2000, reasoningEffort: spec.reasoningEffort }
      const lm = provider === "anthropic" ? yield* AnthropicMessages.make(options) : yield* OpenAiChat.make({ ...options, provider })
      return { _tag: "Llm", pm: AccountId.make(pm), model: Ask.roleModel(spec, lm) } satisfies LlmCouncil.Seat
    }))
  const prices = yield* Prices.load(Prices.defaultPricesFile)
  const council = LlmCouncil.layerPms(seats).pipe(
    Layer.provide(LlmBudget.layer(prices, { perRunUsd: null, perMonthUsd: null })),
    Layer.provide(SpendLedger.layerMemory)
  )
  const day = TradingDay.make("2026-06-08")
  const params = { accounts: PM_NAMES.map((id) => ({ id, mode: "PAPER", settings: defaultAccountSettings })), broker: "bench", data: "local", pms: "bench" }
  const context = (runId: string, stage: string) =>
    Layer.mergeAll(
      RunContext.layerTest({ tradingDay: day, runId: runId as RunId, stage, params }),
      Layer.effect(Recorder.Recorder, Recorder.make({ mode: "record", runId: runId as RunId, stage }))
    )
  const snapshot = yield* FetchData.run({}).pipe(Effect.provide(context("bench-fetch", "FetchData")))

  const pitchOverheads: Array<number> = []
  const pitchWalls: Array<number> = []
  const reviewOverheads: Array<number> = []
  const reviewWalls: Array<number> = []
  for (let rep = 0; rep <= runs; rep++) {
    rotation = rep
    const runId = `bench-${rep}`
    const t0 = performance.now()
    const book = yield* PmPitches.run({ FetchData: snapshot }).pipe(Effect.provide(Layer.mergeAll(context(runId, "PmPitches"), council)))
    const pitchWall = performance.now() - t0
    const t1 = performance.now()
    const review = yield* PeerReview.run({ FetchData: snapshot, PmPitches: book }).pipe(Effect.provide(Layer.mergeAll(context(runId, "PeerReview"), council)))
    const reviewWall = performance.now() - t1
    if (book.pitches.length !== 5 || review.ballots.length !== 5) {
      return yield* Effect.die(`expected 5 pitches and 5 ballots, got ${book.pitches.length} and ${review.ballots.length}`)
    }
    if (rep === 0) continue
    pitchWalls.push(pitchWall)
    pitchOverheads.push(pitchWall - SLOWEST_MS)
    reviewWalls.push(reviewWall)
    reviewOverheads.push(reviewWall - SLOWEST_MS)
  }
  console.log(`llm: 5 PMs on the real adapters (4 OpenAI-compatible, 1 Anthropic) against the fake provider, answers after ${DELAYS_MS.join("/")} ms, ${runs} runs after a warm-up`)
  console.log(line("pitches", pitchOverheads, pitchWalls))
  console.log(line("peer review", reviewOverheads, reviewWalls))
  console.log(`  requests served: ${fake.requests.length}`)
}).pipe(
  Effect.scoped,
  Effect.provide(Layer.mergeAll(FetchHttpClient.layer, LocalBars.layer(), RunStore.layerMemory))
)

export const benchmarks = { llm } as const
