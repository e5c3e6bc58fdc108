import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { AccountId } from "@council/domain"
import { LlmBudget, Models, type Prices, SpendLedger } from "@council/llm"
import { AnthropicMessages, Ask, OpenAiChat, PitchPrompt } from "@council/llm/live"
import { unfence } from "../src/ProviderHttp.ts"
import { answerWith, type FakeProvider, fakeProvider, type FakeRequest, validAnswer } from "./FakeProvider.ts"
import { path, snapshotOf } from "./snapshots.ts"

const KEY = "sk-test-quirks-5d1e8b"
const snapshot = snapshotOf({ GLD: path(60, 180, 0.001), SPY: path(60, 500, 0.002), TLT: path(60, 90, -0.001) })
const question = PitchPrompt.pitchQuestion(AccountId.make("GEMINI"), { snapshot, account: null })

const prices: Prices.PriceTable = {
  asOf: "2026-11-23",
  currency: "USD",
  models: {
    "openai:gpt-5.4": { input: 2.5, cachedInput: 0.25, output: 15 },
    "gemini:gemini-3.1-pro-preview": { input: 2, cachedInput: 0.2, output: 12 },
    "anthropic:claude-sonnet-4-6": { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
    "deepseek:deepseek-v4-flash": { input: 0.14, cachedInput: 0.0028, output: 0.28 }
  }
}
const env = Layer.mergeAll(
  FetchHttpClient.layer,
  LlmBudget.layer(prices, { perRunUsd: null, perMonthUsd: null }).pipe(Layer.provide(SpendLedger.layerMemory))
)

/** A model on `fake` whose retries wait a millisecond (the waits themselves are the retry schedule's tests). */
const modelOf = (fake: FakeProvider, provider: Models.ProviderId, id: string) =>
  Effect.gen(function*() {
    const spec: Models.ModelSpec = { provider, id, maxOutputTokens: 500, reasoningEffort: Models.defaultEffort(provider, id) }
    const options = { baseUrl: fake.url, apiKey: Redacted.make(KEY), model: id, maxOutputTokens: 500, reasoningEffort: spec.reasoningEffort }
    const lm = provider === "anthropic" ? yield* AnthropicMessages.make(options) : yield* OpenAiChat.make({ ...options, provider })
    return Ask.roleModel(spec, lm, {
      timeout: "30 seconds",
      deadline: "2 minutes",
      retry: { times: 3, base: "1 millis", cap: "1 millis", maxRetryAfter: "60 seconds" }
    })
  })

const pitchText = (r: FakeRequest) => JSON.stringify(validAnswer(r))

describe("answers wrapped in prose", () => {
  it.live("a JSON object fenced among prose is the answer: no corrective turn is paid for", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => answerWith(r, `Here is my pitch for today:\n\`\`\`json\n${pitchText(r)}\n\`\`\`\nLet me know if you need more.`))
      const answer = yield* Ask.ask(yield* modelOf(fake, "gemini", "gemini-3.1-pro-preview"), question)
      assert.strictEqual(answer.value?.symbol, "GLD")
      assert.strictEqual(fake.requests.length, 1)
      assert.match(answer.exchanges[0]!.answer ?? "", /^Here is my pitch/)
    }).pipe(Effect.provide(env)))

  it.live("a bare JSON object between sentences is the answer (Anthropic too)", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => answerWith(r, `Sure. ${pitchText(r)} Hope this helps.`))
      const answer = yield* Ask.ask(yield* modelOf(fake, "anthropic", "claude-sonnet-4-6"), question)
      assert.strictEqual(answer.value?.direction, "LONG")
      assert.strictEqual(fake.requests.length, 1)
    }).pipe(Effect.provide(env)))

  it("two JSON objects, or none, are left as written for the schema to refuse", () => {
    const a = '{"symbol":"SPY"}'
    const b = '{"symbol":"GLD"}'
    assert.strictEqual(unfence(`first:\n\`\`\`json\n${a}\n\`\`\`\nor:\n\`\`\`json\n${b}\n\`\`\``), `first:\n\`\`\`json\n${a}\n\`\`\`\nor:\n\`\`\`json\n${b}\n\`\`\``)
    assert.strictEqual(unfence(`${a} or ${b}`), `${a} or ${b}`)
    assert.strictEqual(unfence("I cannot give a pitch today."), "I cannot give a pitch today.")
    assert.strictEqual(unfence(`  ${a}\n`), `  ${a}\n`)
    assert.strictEqual(unfence("```json\n" + a + "\n```"), a)
  })
})

describe("a 2xx whose body is an error", () => {
  it.live("a quota error in a 200 is not retried and not billed: one request, the PM abstains saying so", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider(() => ({
        body: { error: { message: "You exceeded your current quota, please check your plan and billing details.", type: "insufficient_quota", code: "insufficient_quota" } }
      }))
      const answer = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question)
      assert.isUndefined(answer.value)
      assert.strictEqual(answer.failure?.reason, "QuotaExhausted")
      assert.include(answer.failure?.message ?? "", "openai answered 200 with an error (insufficient_quota: You exceeded your current quota")
      assert.strictEqual(fake.requests.length, 1)
      assert.strictEqual(answer.exchanges[0]!.costUsd, 0)
      assert.isFalse(answer.exchanges[0]!.costEstimated)
    }).pipe(Effect.provide(env)))

  it.live("Gemini's rate limit in a 200 is waited out and retried; only the answer is charged", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) =>
        r.nth === 0
          ? { body: [{ error: { code: 429, message: "Resource has been exhausted (e.g. check quota).", status: "RESOURCE_EXHAUSTED" } }] }
          : undefined
      )
      const answer = yield* Ask.ask(yield* modelOf(fake, "gemini", "gemini-3.1-pro-preview"), question)
      assert.strictEqual(answer.value?.symbol, "GLD")
      assert.strictEqual(fake.requests.length, 2)
      const exchange = answer.exchanges[0]!
      assert.deepStrictEqual(exchange.retries.map((r) => r.split(":")[0]), ["RateLimited"])
      assert.isFalse(exchange.costEstimated)
      // the fake's usage: 1,000 in (200 cached), 100 out, at gemini-3.1-pro-preview's 2 / 0.2 / 12 per million
      assert.closeTo(exchange.costUsd, (800 * 2 + 200 * 0.2 + 100 * 12) / 1e6, 1e-12)
    }).pipe(Effect.provide(env)))
})

describe("the corrective turn names what is wrong", () => {
  it.live("a conviction that is not an integer (JSON mode): the model is told an integer is expected, not `<filter>`", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => (r.nth === 0 ? answerWith(r, JSON.stringify({ ...validAnswer(r), conviction: 1.5 })) : undefined))
      const answer = yield* Ask.ask(yield* modelOf(fake, "deepseek", "deepseek-v4-flash"), question)
      assert.strictEqual(answer.value?.conviction, 1)
      const correction = fake.requests[1]!.text
      assert.include(correction, "Expected an integer")
      assert.include(correction, '["conviction"]')
      assert.notInclude(correction, "<filter>")
      assert.deepStrictEqual(answer.exchanges.map((e) => e.outcome._tag), ["Invalid", "Parsed"])
      const first = answer.exchanges[0]!.outcome
      assert.include(first._tag === "Invalid" ? first.error : "", "Expected an integer")
    }).pipe(Effect.provide(env)))
})

describe("usage as each provider counts it", () => {
  it.live("Gemini's thinking, counted in total_tokens but not in completion_tokens, is charged as output", () =>
    Effect.gen(function*() {
      // what Gemini's OpenAI endpoint answers: 1,000 in, 100 written, 900 thought (total 2,000)
      const fake = yield* fakeProvider((r) => {
        const reply = answerWith(r, pitchText(r))
        const body = reply.body as Record<string, unknown>
        return { ...reply, body: { ...body, usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 2000 } } }
      })
      const answer = yield* Ask.ask(yield* modelOf(fake, "gemini", "gemini-3.1-pro-preview"), question)
      const exchange = answer.exchanges[0]!
      assert.deepStrictEqual(exchange.usage, { input: 1000, cachedInput: 0, cacheWrite: 0, output: 1000, reasoning: 900 })
      assert.closeTo(exchange.costUsd, (1000 * 2 + 1000 * 12) / 1e6, 1e-12)
    }).pipe(Effect.provide(env)))

  it.live("OpenAI's completion_tokens already holds its reasoning: nothing is counted twice", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider()
      const answer = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question)
      // the fake's OpenAI usage: 1,000 in (200 cached), 100 out of which 40 reasoning, total 1,100
      assert.deepStrictEqual(answer.exchanges[0]!.usage, { input: 1000, cachedInput: 200, cacheWrite: 0, output: 100, reasoning: 40 })
    }).pipe(Effect.provide(env)))
})

describe("an HTML page in place of the provider's JSON (a proxy's, a load balancer's, Cloudflare's)", () => {
  const nginx = (echo: string) =>
    `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<!-- upstream sent Authorization: Bearer ${echo} -->\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
  const models: ReadonlyArray<readonly [Models.ProviderId, string, string]> = [
    ["openai", "gpt-5.4", "OpenAI"],
    ["gemini", "gemini-3.1-pro-preview", "Gemini"],
    ["anthropic", "claude-sonnet-4-6", "Anthropic"],
    ["groq", "openai/gpt-oss-120b", "Groq"],
    ["deepseek", "deepseek-v4-flash", "DeepSeek"]
  ]
  for (const [provider, id, name] of models) {
    it.live(`${provider}: a 502 page is said as its status and title, no markup, no key`, () =>
      Effect.gen(function*() {
        const fake = yield* fakeProvider(() => ({ status: 502, body: nginx(KEY), headers: { "content-type": "text/html" } }))
        const answer = yield* Ask.ask(yield* modelOf(fake, provider, id), question)
        assert.isUndefined(answer.value)
        assert.strictEqual(answer.failure?.reason, "ServerError")
        const said = [answer.failure?.message ?? "", ...answer.exchanges.flatMap((e) => e.retries)].join("\n")
        assert.include(answer.failure?.message ?? "", `${provider} answered 502 Bad Gateway (an HTML page, not ${name}'s JSON)`)
        assert.notMatch(said, /[<>]|nginx|center/)
        assert.notInclude(said, KEY)
        assert.isAbove(fake.requests.length, 1) // a 5xx is retried as sent
      }).pipe(Effect.provide(env)))
  }

  it.live("a 200 whose body is a page (a captive portal's) is said by its title, not as markup", () =>
    Effect.gen(function*() {
      const portal = `<!DOCTYPE html><html><head><title>Hotel Wi-Fi &amp; sign in, key ${KEY}</title></head><body><form action="/login?key=${KEY}"></form></body></html>`
      const fake = yield* fakeProvider(() => ({ status: 200, body: portal, headers: { "content-type": "text/html" } }))
      const answer = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question)
      assert.strictEqual(answer.failure?.reason, "ServerError")
      assert.match(answer.failure?.message ?? "", /openai answered 200 Hotel Wi-Fi & sign in, key \S+ \(an HTML page, not OpenAI's JSON\)$/)
      assert.notMatch(answer.failure?.message ?? "", /[<>]|form|login/)
      assert.notInclude(answer.failure?.message ?? "", KEY)
    }).pipe(Effect.provide(env)))
})
