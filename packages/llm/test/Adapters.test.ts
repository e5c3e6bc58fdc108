import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Layer, Logger, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { FetchHttpClient } from "effect/http"
import { AccountId } from "@council/domain"
import { LlmBudget, Models, type Prices, SpendLedger } from "@council/llm"
import { AnthropicMessages, Ask, OpenAiChat, PitchPrompt, ProviderErrors } from "@council/llm/live"
import * as AiError from "effect/ai/AiError"
import { floodServer } from "../../io/test/FloodServer.ts"
import { answerWith, errorWith, type FakeProvider, fakeProvider, type FakeRequest, until, validAnswer } from "./FakeProvider.ts"
import { path, snapshotOf } from "./snapshots.ts"

const KEY = "sk-test-adapters-7f3a9c"
const snapshot = snapshotOf({ GLD: path(60, 180, 0.001), SPY: path(60, 500, 0.002), TLT: path(60, 90, -0.001) })
/** Every log line (logfmt) written while `effect` runs. */
const captureLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) => {
  const lines: Array<string> = []
  return effect.pipe(
    Effect.provide(Logger.layer([Logger.map(Logger.formatLogFmt, (line) => void lines.push(line))])),
    Effect.map((value) => ({ value, lines }))
  )
}

const question = PitchPrompt.pitchQuestion(AccountId.make("CLAUDE"), { snapshot, account: null })

const prices: Prices.PriceTable = {
  asOf: "2026-11-23",
  currency: "USD",
  models: {
    "openai:gpt-5.4": { input: 2.5, cachedInput: 0.25, output: 15 },
    "anthropic:claude-sonnet-4-6": { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
    "deepseek:deepseek-v4-flash": { input: 0.14, cachedInput: 0.0028, output: 0.28 }
  }
}

const budget = LlmBudget.layer(prices, { perRunUsd: null, perMonthUsd: null }).pipe(Layer.provide(SpendLedger.layerMemory))
const env = Layer.mergeAll(FetchHttpClient.layer, budget)

/** The per-call timeout of `modelOf`'s models unless a test gives its own. */
const CALL_TIMEOUT: Duration.Input = "10 seconds"

const modelOf = (fake: FakeProvider, provider: Models.ProviderId, id: string, timeout: Duration.Input = CALL_TIMEOUT, key = KEY) =>
  Effect.gen(function*() {
    const spec: Models.ModelSpec = { provider, id, maxOutputTokens: 500, reasoningEffort: Models.defaultEffort(provider, id) }
    const options = { baseUrl: fake.url, apiKey: Redacted.make(key), model: id, maxOutputTokens: 500, reasoningEffort: spec.reasoningEffort }
    const lm = provider === "anthropic" ? yield* AnthropicMessages.make(options) : yield* OpenAiChat.make({ ...options, provider })
    return Ask.roleModel(spec, lm, { timeout, deadline: "10 minutes" })
  })

/** `effect` forked on the test clock, and every sleep it has asked for (milliseconds, in order). */
interface Watched<A, E> {
  readonly fiber: Fiber.Fiber<A, E>
  readonly sleeps: ReadonlyArray<number>
}

/**
 * Forks `effect` with the test clock wrapped so that each sleep it asks for is recorded: its per-call timeouts, its
 * deadline and the waits before its retries. The test then moves the clock only once the question sleeps before a
 * retry (`advanceUntil`), never while a round trip is in flight, whose per-call timeout runs on the same clock.
 */
const forkWatched = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  TestClock.testClockWith((clock) => {
    const sleeps: Array<number> = []
    const watched: Clock.Clock = Object.assign(Object.create(clock) as Clock.Clock, {
      sleep: (duration: Duration.Duration) =>
        Effect.andThen(Effect.sync(() => void sleeps.push(Duration.toMillis(duration))), clock.sleep(duration))
    })
    return Effect.map(
      Effect.forkChild(Effect.provideService(effect, Clock.Clock, watched)),
      (fiber): Watched<A, E> => ({ fiber, sleeps })
    )
  })

/** The waits before retries among `sleeps`: every sleep shorter than the per-call timeout (its deadline is longer still). */
const retryWaits = (watched: Watched<unknown, unknown>, callTimeout: Duration.Input = CALL_TIMEOUT) =>
  watched.sleeps.filter((ms) => ms < Duration.toMillis(Duration.fromInputUnsafe(callTimeout)))

/**
 * Until `condition` holds, waits (in real time) for the watched question to sleep before its next retry and moves
 * the test clock by exactly that wait; returns how far the clock moved. The clock never moves while a request is
 * in flight, so no per-call timeout fires however slowly the machine answers (it did under load, when the clock
 * was moved in steps while the first round trip was still on its way).
 */
const advanceUntil = (condition: () => boolean, watched: Watched<unknown, unknown>, callTimeout?: Duration.Input) =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    let woken = 0
    for (;;) {
      yield* until(() => condition() || retryWaits(watched, callTimeout).length > woken, 60_000)
      if (condition()) break
      yield* TestClock.adjust(retryWaits(watched, callTimeout)[woken]!)
      woken++
    }
    return (yield* Clock.currentTimeMillis) - started
  })

const pitchOf = (r: FakeRequest, patch: Record<string, unknown>) => answerWith(r, JSON.stringify({ ...validAnswer(r), ...patch }))

describe("OpenAI-compatible adapter", () => {
  it.effect("asks with a strict json_schema whose symbol is the universe or FLAT, and reads usage and cost", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider()
      const answer = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question)
      assert.strictEqual(answer.value?.symbol, "GLD")
      const request = fake.requests[0]!
      assert.strictEqual(request.path, "/chat/completions")
      assert.strictEqual(request.headers["authorization"], `Bearer ${KEY}`)
      const format = request.body["response_format"] as { type: string; json_schema: { name: string; strict: boolean; schema: { properties: { symbol: { enum: Array<string> } } } } }
      assert.strictEqual(format.type, "json_schema")
      assert.strictEqual(format.json_schema.strict, true)
      assert.strictEqual(format.json_schema.name, "trade_pitch")
      assert.deepStrictEqual(format.json_schema.schema.properties.symbol.enum, ["GLD", "SPY", "TLT", "FLAT"])
      assert.strictEqual(request.body["max_completion_tokens"], 500)
      assert.strictEqual(request.body["reasoning_effort"], "low")
      const exchange = answer.exchanges[0]!
      assert.deepStrictEqual(exchange.usage, { input: 1000, cachedInput: 200, cacheWrite: 0, output: 100, reasoning: 40 })
      assert.closeTo(exchange.costUsd, 0.00355, 1e-12)
      assert.strictEqual(exchange.attempts, 1)
      assert.strictEqual(exchange.outcome._tag, "Parsed")
      assert.deepStrictEqual(exchange.messages.map((m) => m.role), ["system", "user"])
    }).pipe(Effect.provide(env)))

  it.effect("puts the schema in the prompt in JSON mode (DeepSeek)", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider()
      const answer = yield* Ask.ask(yield* modelOf(fake, "deepseek", "deepseek-v4-flash"), question)
      assert.strictEqual(answer.value?.direction, "LONG")
      const request = fake.requests[0]!
      assert.deepStrictEqual(request.body["response_format"], { type: "json_object" })
      assert.strictEqual(request.body["max_tokens"], 500)
      assert.notProperty(request.body, "reasoning_effort")
      assert.include(request.text, "JSON Schema:")
      assert.include(answer.exchanges[0]!.messages[0]!.content, '"enum":["GLD","SPY","TLT","FLAT"]')
    }).pipe(Effect.provide(env)))

  it.effect("unwraps an answer fenced in Markdown and keeps the raw text", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => answerWith(r, "```json\n" + JSON.stringify(validAnswer(r)) + "\n```"))
      const answer = yield* Ask.ask(yield* modelOf(fake, "deepseek", "deepseek-v4-flash"), question)
      assert.strictEqual(answer.value?.symbol, "GLD")
      assert.match(answer.exchanges[0]!.answer ?? "", /^```json/)
    }).pipe(Effect.provide(env)))
})

describe("Anthropic adapter", () => {
  it.effect("sends x-api-key, anthropic-version and output_config.format; maps cache reads", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider()
      const answer = yield* Ask.ask(yield* modelOf(fake, "anthropic", "claude-sonnet-4-6"), question)
      assert.strictEqual(answer.value?.horizon, "1W")
      const request = fake.requests[0]!
      assert.strictEqual(request.path, "/v1/messages")
      assert.strictEqual(request.headers["x-api-key"], KEY)
      assert.strictEqual(request.headers["anthropic-version"], "2023-06-01")
      assert.isUndefined(request.headers["authorization"])
      const format = (request.body["output_config"] as { format: { type: string; schema: { properties: { symbol: { enum: Array<string> } } } } }).format
      assert.strictEqual(format.type, "json_schema")
      assert.deepStrictEqual(format.schema.properties.symbol.enum, ["GLD", "SPY", "TLT", "FLAT"])
      assert.strictEqual((request.body["system"] as Array<{ text: string }>)[0]!.text, PitchPrompt.PITCH_SYSTEM)
      assert.deepStrictEqual((request.body["messages"] as Array<{ role: string }>).map((m) => m.role), ["user"])
      assert.notProperty(request.body, "temperature")
      assert.deepStrictEqual(answer.exchanges[0]!.usage, { input: 1000, cachedInput: 200, cacheWrite: 0, output: 100, reasoning: 0 })
      assert.closeTo(answer.exchanges[0]!.costUsd, 0.00396, 1e-12)
    }).pipe(Effect.provide(env)))
})

describe("failures", () => {
  it.effect("429 with retry-after is retried no sooner than asked (TestClock)", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => (r.nth === 0 ? errorWith(r, 429, "rate_limit_exceeded", "slow down", { "retry-after": "7" }) : undefined))
      const model = yield* modelOf(fake, "openai", "gpt-5.4")
      const asking = yield* forkWatched(Ask.ask(model, question))
      const waited = yield* advanceUntil(() => fake.requests.length >= 2, asking)
      const answer = yield* Fiber.join(asking.fiber)
      assert.isAtLeast(waited, 7000)
      assert.isBelow(waited, 9000)
      assert.strictEqual(answer.value?.symbol, "GLD")
      assert.strictEqual(answer.exchanges[0]!.attempts, 2)
      assert.match(answer.exchanges[0]!.retries[0]!, /^RateLimited: openai answered 429 .*\(retry after 7s\)$/)
    }).pipe(Effect.provide(env)))

  it.effect("retry-after-ms wins over retry-after", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) =>
        r.nth === 0 ? errorWith(r, 429, "rate_limit_exceeded", "slow down", { "retry-after-ms": "3500", "retry-after": "30" }) : undefined
      )
      const asking = yield* forkWatched(Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question))
      const waited = yield* advanceUntil(() => fake.requests.length >= 2, asking)
      yield* Fiber.join(asking.fiber)
      assert.isAtLeast(waited, 3500)
      assert.isBelow(waited, 5000)
    }).pipe(Effect.provide(env)))

  it.effect("an overload's or a 5xx's retry-after is waited for too (529, 503), and one past the longest wait is not retried", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) =>
        r.nth === 0
          ? errorWith(r, 529, "overloaded_error", "Overloaded", { "retry-after": "6" })
          : r.nth === 1
          ? errorWith(r, 503, "api_error", "Service unavailable", { "retry-after-ms": "4500" })
          : undefined
      )
      const asking = yield* forkWatched(Ask.ask(yield* modelOf(fake, "anthropic", "claude-sonnet-4-6"), question))
      const waited = yield* advanceUntil(() => fake.requests.length >= 3, asking)
      const answer = yield* Fiber.join(asking.fiber)
      assert.strictEqual(answer.value?.symbol, "GLD")
      const [first, second] = retryWaits(asking)
      assert.isAtLeast(first!, 6000)
      assert.isAtLeast(second!, 4500)
      assert.isAtLeast(waited, 10_500)
      assert.match(answer.exchanges[0]!.retries[0]!, /^Overloaded: anthropic answered 529 .*\(retry after 6s\)$/)

      const busy = yield* fakeProvider(() => errorWith({ wire: "openai" } as FakeRequest, 503, "server_error", "Overloaded", { "retry-after": "3600" }))
      const refused = yield* Ask.ask(yield* modelOf(busy, "openai", "gpt-5.4"), question)
      assert.strictEqual(busy.requests.length, 1)
      assert.strictEqual(refused.failure?.reason, "Overloaded")
    }).pipe(Effect.provide(env)))

  it.effect("529 overloaded (and Anthropic's 429 overloaded_error) is retried on the provider's schedule", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) =>
        r.nth === 0 ? errorWith(r, 529, "overloaded_error", "Overloaded") : r.nth === 1 ? errorWith(r, 429, "overloaded_error", "Overloaded") : undefined
      )
      const asking = yield* forkWatched(Ask.ask(yield* modelOf(fake, "anthropic", "claude-sonnet-4-6"), question))
      yield* advanceUntil(() => fake.requests.length >= 3, asking)
      const answer = yield* Fiber.join(asking.fiber)
      assert.strictEqual(answer.value?.symbol, "GLD")
      assert.strictEqual(answer.exchanges[0]!.attempts, 3)
      assert.deepStrictEqual(answer.exchanges[0]!.retries.map((r) => r.split(":")[0]), ["Overloaded", "Overloaded"])
    }).pipe(Effect.provide(env)))

  it.effect("401, insufficient quota and 402 are terminal: one request, never retried, key scrubbed", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [number, string, string]> = [
        [401, "invalid_api_key", "Unauthorized"],
        [429, "insufficient_quota", "QuotaExhausted"],
        [402, "insufficient_balance", "QuotaExhausted"]
      ]
      for (const [status, type, reason] of cases) {
        const fake = yield* fakeProvider((r) => errorWith(r, status, type, `Incorrect API key provided: ${KEY}`))
        const answer = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question)
        assert.strictEqual(fake.requests.length, 1, `${status} ${type}`)
        assert.isUndefined(answer.value)
        assert.strictEqual(answer.failure?.reason, reason)
        assert.strictEqual(answer.exchanges.length, 1)
        assert.notInclude(JSON.stringify(answer), KEY)
        assert.include(answer.failure?.message ?? "", "[REDACTED]")
        assert.strictEqual(answer.exchanges[0]!.costUsd, 0)
      }
    }).pipe(Effect.provide(env)))

  it.effect("a redirect is not followed: the key reaches only the base URL's host", () =>
    Effect.gen(function*() {
      const elsewhere = yield* fakeProvider()
      for (const provider of ["anthropic", "openai"] as const) {
        const fake = yield* fakeProvider((r) => ({ status: 307, body: "", headers: { location: `${elsewhere.url}${r.path}` } }))
        const answer = yield* Ask.ask(yield* modelOf(fake, provider, provider === "anthropic" ? "claude-sonnet-4-6" : "gpt-5.4"), question)
        assert.strictEqual(fake.requests.length, 1, provider)
        assert.strictEqual(answer.failure?.reason, "InvalidRequest", provider)
        assert.include(answer.failure?.message ?? "", `${provider} answered 307`)
      }
      assert.deepStrictEqual(elsewhere.requests, [])
    }).pipe(Effect.provide(env)))

  it.effect("a provider's error code or type is said on one bounded line too, however long or multi-line", () =>
    Effect.gen(function*() {
      const code = `invalid_request\n\n${"x".repeat(1 << 20)}`
      const fake = yield* fakeProvider((r) => errorWith(r, 400, code, "bad param"))
      const answer = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question)
      assert.strictEqual(answer.failure?.reason, "InvalidRequest")
      assert.strictEqual(answer.failure?.message, `openai answered 400 (invalid_request ${"x".repeat(44)}: bad param)`)
    }).pipe(Effect.provide(env)))

  it.effect("a connection that fails says why (refused, dropped), not just TransportError", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider()
      const url = fake.url
      yield* Effect.promise(fake.close)
      const spec: Models.ModelSpec = { provider: "openai", id: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: "low" }
      const lm = yield* OpenAiChat.make({ provider: "openai", baseUrl: url, apiKey: Redacted.make(KEY), model: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: "low" })
      const noRetry = { times: 0, base: "1 second", cap: "1 second", maxRetryAfter: "1 second" } as const
      const answer = yield* Ask.ask(Ask.roleModel(spec, lm, { timeout: "10 seconds", deadline: "1 minute", retry: noRetry }), question)
      assert.strictEqual(answer.failure?.reason, "Network")
      assert.match(answer.failure?.message ?? "", /^openai: TransportError \(.*ECONNREFUSED/)
      assert.notInclude(JSON.stringify(answer), KEY)
      // refused before the request went out: the provider cannot have billed it
      assert.deepStrictEqual([answer.exchanges[0]!.costUsd, answer.exchanges[0]!.costEstimated], [0, false])
    }).pipe(Effect.provide(env)))

  it.effect("an answer past 16 MB is not read to its end: the connection is cut, the PM abstains naming the size", () =>
    Effect.gen(function*() {
      const { sent, url } = yield* floodServer
      const spec: Models.ModelSpec = { provider: "openai", id: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: "low" }
      const lm = yield* OpenAiChat.make({ provider: "openai", baseUrl: url, apiKey: Redacted.make(KEY), model: "gpt-5.4", maxOutputTokens: 500, reasoningEffort: "low" })
      const noRetry = { times: 0, base: "1 second", cap: "1 second", maxRetryAfter: "1 second" } as const
      const answer = yield* Ask.ask(Ask.roleModel(spec, lm, { timeout: "10 seconds", deadline: "1 minute", retry: noRetry }), question)
      assert.strictEqual(answer.failure?.reason, "Network")
      assert.strictEqual(answer.failure?.message, "openai: DecodeError (answer larger than 16 MB)")
      assert.strictEqual(sent.length, 1)
      assert.isBelow(sent[0]!, 64 << 20, "the provider was cut off long before its 256 MB")
    }).pipe(Effect.scoped, Effect.provide(env)))

  it.effect("reads an answer's text as fetch does: a leading byte order mark is not part of the JSON", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => {
        const reply = answerWith(r, JSON.stringify(validAnswer(r)))
        return { ...reply, body: `\uFEFF${JSON.stringify(reply.body)}` }
      })
      const answer = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question)
      assert.isUndefined(answer.failure)
      assert.deepStrictEqual(answer.exchanges.map((e) => e.outcome._tag), ["Parsed"])
    }).pipe(Effect.provide(env)))

  it.effect("malformed JSON gets one corrective turn quoting the error, then validates", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => (r.nth === 0 ? answerWith(r, '{"symbol": "GLD", "direction": ') : undefined))
      const answer = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question)
      assert.strictEqual(answer.value?.symbol, "GLD")
      assert.deepStrictEqual(answer.exchanges.map((e) => [e.turn, e.outcome._tag]), [[1, "Invalid"], [2, "Parsed"]])
      const second = fake.requests[1]!
      assert.include(second.text, "Your previous answer could not be used")
      assert.include(second.text, '{"symbol": "GLD", "direction": ')
      assert.deepStrictEqual(answer.exchanges[1]!.messages.map((m) => m.role), ["system", "user", "assistant", "user"])
      assert.closeTo(answer.exchanges[0]!.costUsd, 0.00355, 1e-12)
    }).pipe(Effect.provide(env)))

  it.effect("an answer without text (refused, or all thinking) is corrected without an empty assistant turn, which Anthropic refuses", () =>
    Effect.gen(function*() {
      const empty = (r: FakeRequest) => ({
        body: {
          id: "msg_empty",
          type: "message",
          role: "assistant",
          model: r.model,
          content: [],
          stop_reason: "max_tokens",
          usage: { input_tokens: 900, output_tokens: 500 }
        }
      })
      const fake = yield* fakeProvider((r) => (r.nth === 0 ? empty(r) : undefined))
      const answer = yield* Ask.ask(yield* modelOf(fake, "anthropic", "claude-sonnet-4-6"), question)
      assert.strictEqual(answer.failure, undefined, answer.failure?.message)
      assert.strictEqual(answer.value?.symbol, "GLD")
      assert.deepStrictEqual(answer.exchanges.map((e) => [e.turn, e.outcome._tag]), [[1, "Invalid"], [2, "Parsed"]])
      const second = fake.requests[1]!
      assert.deepStrictEqual((second.body["messages"] as ReadonlyArray<{ role: string }>).map((m) => m.role), ["user", "user"])
      assert.include(second.text, "Your previous answer could not be used")
      assert.deepStrictEqual(answer.exchanges[1]!.messages.map((m) => m.role), ["system", "user", "user"])
    }).pipe(Effect.provide(env)))

  it.effect("a refusal says so, with what the model said, to the model and in the abstention reason (OpenAI and Anthropic)", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) =>
        r.wire === "anthropic"
          ? { body: { id: "msg_r", type: "message", role: "assistant", model: r.model, content: [], stop_reason: "refusal", usage: { input_tokens: 900, output_tokens: 5 } } }
          : {
            body: {
              id: "chatcmpl-r",
              object: "chat.completion",
              model: r.model,
              choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: null, refusal: "I can't help with trading decisions." } }],
              usage: { prompt_tokens: 900, completion_tokens: 8 }
            }
          }
      )
      const openai = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question)
      assert.strictEqual(openai.failure?.message, "invalid answer after a corrective retry: openai refused to answer (I can't help with trading decisions.)")
      assert.include(fake.requests[1]!.text, "Your previous answer could not be used:\nopenai refused to answer (I can't help with trading decisions.)")
      const { value: anthropic, lines } = yield* captureLogs(Ask.ask(yield* modelOf(fake, "anthropic", "claude-sonnet-4-6"), question))
      assert.strictEqual(anthropic.failure?.message, "invalid answer after a corrective retry: anthropic refused to answer (refusal)")
      // each turn's warning says it was a refusal (not the decoding error of the refusal's text)
      assert.deepStrictEqual(lines.map((l) => /message="([^"]*)"/.exec(l)?.[1]), [
        "llm CLAUDE anthropic:claude-sonnet-4-6: InvalidAnswer: anthropic refused to answer (refusal)",
        "llm CLAUDE anthropic:claude-sonnet-4-6: InvalidAnswer: anthropic refused to answer (refusal)"
      ])
      assert.deepStrictEqual(anthropic.exchanges.map((e) => e.outcome._tag === "Invalid" ? e.outcome.error : e.outcome._tag), [
        "anthropic refused to answer (refusal)",
        "anthropic refused to answer (refusal)"
      ])
      // both turns were answered 2xx with usage: charged what they used, not estimated
      assert.isFalse(anthropic.exchanges.some((e) => e.costEstimated))
    }).pipe(Effect.provide(env)))

  it.effect("an answer cut off at the output cap says so, to the model and in the abstention reason", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => {
        const reply = answerWith(r, '{"symbol": "GLD", "direction": "LONG", "thesis": ["Momentum is')
        const body = reply.body as { choices: Array<{ finish_reason: string }> }
        body.choices[0]!.finish_reason = "length"
        return reply
      })
      const answer = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question)
      assert.strictEqual(answer.failure?.reason, "InvalidAnswer")
      assert.match(answer.failure?.message ?? "", /^invalid answer after a corrective retry: cut off at the output limit \(500 tokens\): /)
      assert.include(fake.requests[1]!.text, "Your previous answer could not be used:\ncut off at the output limit (500 tokens): ")
    }).pipe(Effect.provide(env)))

  it.effect("a ticker outside the universe twice: the PM abstains with the reason and both raw answers recorded", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => pitchOf(r, { symbol: "TSLA" }))
      const answer = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question)
      assert.isUndefined(answer.value)
      assert.strictEqual(answer.failure?.reason, "InvalidAnswer")
      assert.include(answer.failure?.message ?? "", 'Expected "GLD" | "SPY" | "TLT" | "FLAT"')
      assert.strictEqual(fake.requests.length, 2)
      assert.include(fake.requests[1]!.text, 'Expected "GLD" | "SPY" | "TLT" | "FLAT"')
      for (const e of answer.exchanges) {
        assert.include(e.answer ?? "", '"symbol":"TSLA"')
        assert.strictEqual(e.outcome._tag, "Invalid")
      }
    }).pipe(Effect.provide(env)))

  it.effect("a missing field and an inconsistent direction are validation errors", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => {
        const { invalidation: _, ...rest } = validAnswer(r)
        return r.nth === 0 ? answerWith(r, JSON.stringify(rest)) : pitchOf(r, { direction: "SHORT", conviction: 2 })
      })
      const answer = yield* Ask.ask(yield* modelOf(fake, "anthropic", "claude-sonnet-4-6"), question)
      const errors = answer.exchanges.map((e) => (e.outcome._tag === "Invalid" ? e.outcome.error : ""))
      assert.match(errors[0]!, /invalidation/)
      assert.match(errors[1]!, /SHORT a negative one/)
      assert.strictEqual(answer.failure?.reason, "InvalidAnswer")
    }).pipe(Effect.provide(env)))

  it.effect("a slow answer past the per-call timeout is a Timeout, not retried, charged at its worst case", () =>
    Effect.gen(function*() {
      const fake = yield* fakeProvider((r) => ({ ...answerWith(r, JSON.stringify(validAnswer(r))), delayMs: 60_000 }))
      const asking = yield* forkWatched(Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4", "30 seconds"), question))
      // the request is in flight and its timeout armed: only then is the clock moved past it
      yield* until(() => fake.requests.length >= 1 && asking.sleeps.includes(30_000), 60_000)
      yield* TestClock.adjust("31 seconds")
      const answer = yield* Fiber.join(asking.fiber)
      assert.strictEqual(answer.failure?.reason, "Timeout")
      assert.strictEqual(answer.failure?.message, "no answer after 30s")
      assert.strictEqual(fake.requests.length, 1)
      const exchange = answer.exchanges[0]!
      assert.isNull(exchange.usage)
      assert.isTrue(exchange.costEstimated)
      assert.isAbove(exchange.costUsd, 500 * 15 / 1e6)
    }).pipe(Effect.provide(env)))

  it.effect("a 2xx body that is not the answer (not JSON, cut short) is asked again as sent, never quoted back to the model; its 2xx without usage is charged its worst case", () =>
    Effect.gen(function*() {
      const broken = ["<html>bad gateway</html>", '{"id":"chatcmpl-x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"{\\"sym']
      const fake = yield* fakeProvider((r) => (r.nth < 2 ? { body: broken[r.nth] } : undefined))
      const asking = yield* forkWatched(Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4"), question))
      yield* advanceUntil(() => fake.requests.length >= 3, asking)
      const answer = yield* Fiber.join(asking.fiber)
      assert.strictEqual(answer.value?.symbol, "GLD")
      // one turn of three requests, each the very same: no assistant message, no correction
      assert.deepStrictEqual(answer.exchanges.map((e) => [e.turn, e.outcome._tag, e.attempts]), [[1, "Parsed", 3]])
      assert.deepStrictEqual(fake.requests.map((r) => r.body), [fake.requests[0]!.body, fake.requests[0]!.body, fake.requests[0]!.body])
      assert.notInclude(JSON.stringify(fake.requests.map((r) => r.body)), "chatcmpl-x")
      // the page is said as one (its status, no markup); the answer cut short as not JSON
      assert.deepStrictEqual(answer.exchanges[0]!.retries, [
        "ServerError: openai answered 200 OK (an HTML page, not OpenAI's JSON)",
        "ServerError: openai answered 200 with an unreadable body: the body is not JSON"
      ])
      assert.isTrue(answer.exchanges[0]!.costEstimated)
      assert.isAbove(answer.exchanges[0]!.costUsd, 2 * 500 * 15 / 1e6)
    }).pipe(Effect.provide(env)))
  it.effect("a short key (a local gateway's `sk-1234`) leaves an answer's numbers and text as sent; an error echoing half of it is scrubbed", () =>
    Effect.gen(function*() {
      const key = "sk-1234"
      const fake = yield* fakeProvider((r) => errorWith(r, 401, "invalid_api_key", "Incorrect API key provided: ****1234"))
      const failed = yield* Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4", "10 seconds", key), question)
      assert.notInclude(failed.failure?.message ?? "", "1234")
      const usage = { input: 51234, cached: 0, output: 1234, reasoning: 0 }
      const fake2 = yield* fakeProvider((r) => answerWith(r, JSON.stringify({ ...validAnswer(r), thesis: ["GLD held 1234 support for 51234 shares traded"] }), usage))
      // (the old scrub broke the body's JSON: the retries it got wait on the test clock, so it is moved on)
      let done = false
      const asking = yield* forkWatched(Ask.ask(yield* modelOf(fake2, "openai", "gpt-5.4", CALL_TIMEOUT, key), question).pipe(Effect.ensuring(Effect.sync(() => void (done = true)))))
      yield* advanceUntil(() => done, asking)
      const answer = yield* Fiber.join(asking.fiber)
      assert.strictEqual(answer.value?.symbol, "GLD")
      assert.deepStrictEqual(answer.value?.thesis, ["GLD held 1234 support for 51234 shares traded"])
      assert.deepStrictEqual(answer.exchanges.map((e) => [e.attempts, e.outcome._tag]), [[1, "Parsed"]])
      assert.deepStrictEqual([answer.exchanges[0]!.usage?.input, answer.exchanges[0]!.usage?.output], [51234, 1234])
    }).pipe(Effect.provide(env)))
  it.effect("a 2xx body that is not an answer (a gateway's page) is kept scrubbed as an error body is: a short key's half echoed in it is not recorded", () =>
    Effect.gen(function*() {
      const key = "sk-1234"
      // a local gateway in front of the provider answers 200 with its own page, which echoes the key cut short
      const fake = yield* fakeProvider(() => ({ body: "<html>gateway: key ****1234 is not allowed for this route</html>" }))
      let done = false
      const asking = yield* forkWatched(Ask.ask(yield* modelOf(fake, "openai", "gpt-5.4", CALL_TIMEOUT, key), question).pipe(Effect.ensuring(Effect.sync(() => void (done = true)))))
      yield* advanceUntil(() => done, asking)
      const answer = yield* Fiber.join(asking.fiber)
      assert.strictEqual(answer.failure?.reason, "ServerError")
      const recorded = answer.exchanges[0]!.answer ?? ""
      assert.include(recorded, "gateway: key ****", "the page is what the exchange records")
      assert.notInclude(recorded, "1234")
    }).pipe(Effect.provide(env)))
})

describe("ProviderErrors", () => {
  const now = Date.parse("2026-11-23T12:00:00Z")
  const failure = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    ({ status, headers, body: typeof body === "string" ? body : JSON.stringify(body) })

  it("reads the wait from retry-after-ms, retry-after (seconds or a date) or Gemini's RetryInfo", () => {
    assert.strictEqual(ProviderErrors.retryAfterMs(failure(429, "", { "retry-after-ms": "1500", "retry-after": "9" }), now), 1500)
    assert.strictEqual(ProviderErrors.retryAfterMs(failure(429, "", { "retry-after": "2.5" }), now), 2500)
    assert.strictEqual(ProviderErrors.retryAfterMs(failure(429, "", { "retry-after": "Mon, 23 Nov 2026 12:00:30 GMT" }), now), 30_000)
    const gemini = [{
      error: {
        code: 429,
        status: "RESOURCE_EXHAUSTED",
        message: "Quota exceeded",
        details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "22s" }]
      }
    }]
    assert.strictEqual(ProviderErrors.retryAfterMs(failure(429, gemini), now), 22_000)
    assert.isUndefined(ProviderErrors.retryAfterMs(failure(429, "busy"), now))
  })

  it("maps statuses and error bodies to typed reasons; only rate limits, overloads, 5xx and the network are retried", () => {
    const cases: ReadonlyArray<readonly [number, unknown, string, boolean]> = [
      [429, { error: { type: "rate_limit_exceeded", message: "slow" } }, "RateLimited", true],
      [429, { error: { code: "insufficient_quota", message: "no credit" } }, "QuotaExhausted", false],
      [429, { type: "error", error: { type: "overloaded_error", message: "busy" } }, "Overloaded", true],
      [402, { error: { message: "Insufficient Balance" } }, "QuotaExhausted", false],
      [401, { error: { message: "bad key" } }, "Unauthorized", false],
      [403, { error: { status: "PERMISSION_DENIED" } }, "Unauthorized", false],
      [529, { type: "error", error: { type: "overloaded_error" } }, "Overloaded", true],
      [503, "Service Unavailable", "Overloaded", true],
      [498, { error: { message: "flex tier at capacity" } }, "Overloaded", true],
      [500, { error: { message: "oops" } }, "ServerError", true],
      [504, "", "ServerError", true],
      [400, { error: { code: "json_validate_failed", failed_generation: "{\"symbol\": 1}" } }, "InvalidAnswer", false],
      [400, { error: { message: "bad param" } }, "InvalidRequest", false],
      [404, { error: { message: "no such model" } }, "InvalidRequest", false]
    ]
    for (const [status, body, reason, retryable] of cases) {
      const error = AiError.make({ module: "t", method: "t", reason: ProviderErrors.reasonOf("openai", failure(status, body), KEY, now) })
      const classified = ProviderErrors.classify(error)
      assert.strictEqual(classified.reason, reason, `${status} ${JSON.stringify(body)}`)
      assert.strictEqual(classified.retryable, retryable, `${status} ${JSON.stringify(body)}`)
    }
  })

  it("says a provider's message on one line of at most 200 characters, however long it is", () => {
    const body = { error: { type: "invalid_request_error", message: `too long\n\n${"z".repeat(1 << 20)}` } }
    const error = AiError.make({ module: "t", method: "t", reason: ProviderErrors.reasonOf("openai", failure(400, body), KEY, now) })
    assert.strictEqual(ProviderErrors.classify(error).message, `openai answered 400 (invalid_request_error: too long ${"z".repeat(191)})`)
  })
})
