/**
 * `pnpm bench llm`: the LLM council's own overhead. Five PMs on the real adapters (4 OpenAI-compatible, 1
 * Anthropic) against the fake provider on 127.0.0.1, each answering after 300–1,500 ms (the delays rotate between
 * repetitions, so every PM is the slowest once).
 *
 * - The pitch stage (`PmPitches.run`) and the peer-review stage (`PeerReview.run`), each against the floor of a
 *   bare `fetch` client posting the same five request bodies at once (captured in the warm-up) under the same
 *   delays: what the stage adds — prompt building, JSON Schemas, the adapters, validation, recording — is its wall
 *   minus the floor, paired per repetition.
 * - Wall minus the slowest answer (1,500 ms) is the measure (target ≤ 50 ms); the floor's own excess over
 *   that delay is HTTP on this machine.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { AccountId, defaultAccountSettings, PM_NAMES, type RunId, TradingDay } from "@council/domain"
import { Recorder, RunContext, RunStore } from "@council/engine"
import { FetchData, PeerReview, PmPitches } from "@council/daily"
import { LlmBudget, Models, Prices, SpendLedger } from "@council/llm"
import { AnthropicMessages, Ask, LlmCouncil, OpenAiChat } from "@council/llm/live"
import { LocalBars } from "@council/market"
import { answerWith, type FakeProvider, type FakeRequest, startFake, validAnswer } from "../packages/llm/test/FakeProvider.ts"
import { ms } from "./ExchangeClients.ts"
import { against, line, ratios, show, summarize } from "./Stats.ts"

const DELAYS_MS = [300, 600, 900, 1200, 1500]
const SLOWEST_MS = Math.max(...DELAYS_MS)
const DAY = TradingDay.make("2026-06-08")

const MODELS: Readonly<Record<string, { readonly provider: Models.ProviderId; readonly id: string }>> = {
  CHATGPT: { provider: "openai", id: "gpt-5.4" },
  GEMINI: { provider: "gemini", id: "gemini-3.1-pro-preview" },
  CLAUDE: { provider: "anthropic", id: "claude-sonnet-4-6" },
  GROQ: { provider: "groq", id: "openai/gpt-oss-120b" },
  DEEPSEEK: { provider: "deepseek", id: "deepseek-v4-flash" }
}

/** The five LLM seats on the adapters, every base URL pointed at the fake provider. */
const seats = (fake: FakeProvider) =>
  Effect.forEach(PM_NAMES, (pm) =>
    Effect.gen(function*() {
      const { id, provider } = MODELS[pm]!
      const spec: Models.ModelSpec = { provider, id, maxOutputTokens: 2000, reasoningEffort: Models.defaultEffort(provider, id) }
      const options = { baseUrl: fake.url, apiKey: Redacted.make(`bench-${pm}`), model: id, maxOutputTokens: 2000, reasoningEffort: spec.reasoningEffort }
      const lm = provider === "anthropic" ? yield* AnthropicMessages.make(options) : yield* OpenAiChat.make({ ...options, provider })
      return { _tag: "Llm", pm: AccountId.make(pm), model: Ask.roleModel(spec, lm) } satisfies LlmCouncil.Seat
    }))

/** The bare client: posts the captured requests at once and reads every answer; resolves with their statuses. */
const bareRound = (fake: FakeProvider, requests: ReadonlyArray<FakeRequest>) =>
  Effect.promise(() =>
    Promise.all(requests.map((r) =>
      fetch(`${fake.url}${r.path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(r.body) })
        .then(async (res) => {
          await res.json()
          return res.status
        })
    ))
  )

const context = (runId: string, stage: string) => {
  const params = { accounts: PM_NAMES.map((id) => ({ id, mode: "PAPER", settings: defaultAccountSettings })), broker: "bench", data: "local", pms: "bench" }
  return Layer.mergeAll(
    RunContext.layerTest({ tradingDay: DAY, runId: runId as RunId, stage, params }),
    Layer.effect(Recorder.Recorder, Recorder.make({ mode: "record", runId: runId as RunId, stage }))
  )
}

interface Series {
  readonly wall: Array<number>
  readonly floor: Array<number>
}

const report = (label: string, s: Series) => {
  const overSlowest = s.wall.map((w) => w - SLOWEST_MS)
  console.log(`  ${label}`)
  line("    stage", show(s.wall, "ms"))
  line("    bare fetch (floor)", show(s.floor, "ms"))
  line("    stage − bare (paired)", show(s.wall.map((w, i) => w - s.floor[i]!), "ms", 1))
  line("    stage / bare (paired)", show(ratios(s.wall, s.floor), "×", 3))
  line("    stage − slowest answer", `${show(overSlowest, "ms", 1)}   ${against(summarize(overSlowest).median, 50, "≤", "ms")}`)
}

export const llm = (runs: number) =>
  Effect.scoped(Effect.gen(function*() {
    let rotation = 0
    const order = PM_NAMES.map((pm) => MODELS[pm]!.id)
    const fake = yield* Effect.acquireRelease(
      Effect.promise(() =>
        startFake((r) => ({
          ...answerWith(r, JSON.stringify(validAnswer(r))),
          delayMs: DELAYS_MS[(order.indexOf(r.model) + rotation) % DELAYS_MS.length]!
        }))
      ),
      (f) => Effect.promise(f.close)
    )
    const prices = yield* Prices.load(Prices.defaultPricesFile)
    const council = LlmCouncil.layerPms(yield* seats(fake)).pipe(
      Layer.provide(LlmBudget.layer(prices, { perRunUsd: null, perMonthUsd: null })),
      Layer.provide(SpendLedger.layerMemory)
    )
    const snapshot = yield* FetchData.run({}).pipe(Effect.provide(context("bench-fetch", "FetchData")))
    const round = (runId: string) =>
      Effect.gen(function*() {
        let t = performance.now()
        const book = yield* PmPitches.run({ FetchData: snapshot }).pipe(Effect.provide(Layer.mergeAll(context(runId, "PmPitches"), council)))
        const pitches = ms(t)
        t = performance.now()
        const review = yield* PeerReview.run({ FetchData: snapshot, PmPitches: book }).pipe(
          Effect.provide(Layer.mergeAll(context(runId, "PeerReview"), council))
        )
        const reviews = ms(t)
        if (book.pitches.length !== 5 || review.ballots.length !== 5) {
          return yield* Effect.die(`expected 5 pitches and 5 ballots, got ${book.pitches.length} and ${review.ballots.length}`)
        }
        return { pitches, reviews }
      })

    // the warm-up's requests are the bodies the bare client sends
    const before = fake.requests.length
    yield* round("bench-warmup")
    const warmup = fake.requests.slice(before)
    const captured = (kind: FakeRequest["kind"]) => warmup.filter((r) => r.kind === kind)
    const pitchRequests = captured("pitch")
    const reviewRequests = captured("review")
    if (pitchRequests.length !== 5 || reviewRequests.length !== 5) {
      return yield* Effect.die(`the warm-up sent ${pitchRequests.length} pitch and ${reviewRequests.length} review requests, expected 5 each`)
    }

    const pitches: Series = { wall: [], floor: [] }
    const reviews: Series = { wall: [], floor: [] }
    let bareFailed = 0
    for (let r = 0; r < runs; r++) {
      rotation = r + 1
      let t = performance.now()
      bareFailed += (yield* bareRound(fake, pitchRequests)).filter((s) => s !== 200).length
      pitches.floor.push(ms(t))
      t = performance.now()
      bareFailed += (yield* bareRound(fake, reviewRequests)).filter((s) => s !== 200).length
      reviews.floor.push(ms(t))
      const walls = yield* round(`bench-${r}`)
      pitches.wall.push(walls.pitches)
      reviews.wall.push(walls.reviews)
    }
    console.log(`llm: 5 PMs on the real adapters (4 OpenAI-compatible, 1 Anthropic) against the fake provider, answers after ${DELAYS_MS.join("/")} ms, ${runs} runs after a warm-up`)
    report("pitches (PmPitches.run)", pitches)
    report("peer review (PeerReview.run)", reviews)
    line("bare fetch − slowest answer", show([...pitches.floor, ...reviews.floor].map((f) => f - SLOWEST_MS), "ms", 1))
    line("requests served / bare failed", `${fake.requests.length} / ${bareFailed}`)
  }).pipe(Effect.provide(Layer.mergeAll(FetchHttpClient.layer, LocalBars.layer(), RunStore.layerMemory))))
