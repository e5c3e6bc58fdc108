import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { Lineup, LlmSettings, Prices } from "@council/llm"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const read = (env: Record<string, string>) =>
  LlmSettings.read.pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))

const KEYS = {
  OPENAI_API_KEY: "k1",
  GEMINI_API_KEY: "k2",
  ANTHROPIC_API_KEY: "k3",
  GROQ_API_KEY: "k4",
  DEEPSEEK_API_KEY: "k5"
}

describe("LlmSettings", () => {
  it.effect("is offline without keys and live with any; defaults come from the reference", () =>
    Effect.gen(function*() {
      const none = yield* read({})
      assert.strictEqual(none.mode, "offline")
      const some = yield* read({ GROQ_API_KEY: "gsk" })
      assert.strictEqual(some.mode, "live")
      assert.strictEqual(Redacted.value(some.keys.groq!), "gsk")
      assert.deepStrictEqual(some.roles.map((r) => [r.role, r.model === "offline" ? "offline" : `${r.model.provider}:${r.model.id}`]), [
        ["CHATGPT", "openai:gpt-5.4"],
        ["GEMINI", "gemini:gemini-3.1-pro-preview"],
        ["CLAUDE", "anthropic:claude-sonnet-4-6"],
        ["GROQ", "groq:openai/gpt-oss-120b"],
        ["DEEPSEEK", "deepseek:deepseek-v4-flash"],
        ["CHAIRMAN", "anthropic:claude-sonnet-4-6"]
      ])
      assert.strictEqual(some.baseUrls.gemini, "https://generativelanguage.googleapis.com/v1beta/openai")
      assert.deepStrictEqual(some.limits, { perRunUsd: null, perMonthUsd: null })
      assert.strictEqual((yield* read({ GROQ_API_KEY: "gsk", COUNCIL_LLM: "offline" })).mode, "offline")
    }))

  it.effect("reads models, limits and effort per role", () =>
    Effect.gen(function*() {
      const s = yield* read({
        COUNCIL_MODEL_CLAUDE: "claude-opus-4-7",
        COUNCIL_CHAIRMAN_MODEL: "openai:gpt-5.5",
        COUNCIL_MODEL_GROQ: "offline",
        COUNCIL_MAX_OUTPUT_TOKENS: "1200",
        COUNCIL_MAX_OUTPUT_TOKENS_CHAIRMAN: "4000",
        COUNCIL_REASONING_EFFORT_CHATGPT: "omit",
        COUNCIL_REASONING_EFFORT_CLAUDE: "high",
        COUNCIL_LLM_BUDGET_USD: "0.5",
        COUNCIL_LLM_BUDGET_USD_MONTH: "20",
        OPENAI_BASE_URL: "http://127.0.0.1:9/v1"
      })
      const role = (name: string) => s.roles.find((r) => r.role === name)!.model
      assert.deepStrictEqual(role("CLAUDE"), { provider: "anthropic", id: "claude-opus-4-7", maxOutputTokens: 1200, reasoningEffort: "high" })
      assert.deepStrictEqual(role("CHAIRMAN"), { provider: "openai", id: "gpt-5.5", maxOutputTokens: 4000, reasoningEffort: "low" })
      assert.deepStrictEqual(role("CHATGPT"), { provider: "openai", id: "gpt-5.4", maxOutputTokens: 1200, reasoningEffort: null })
      assert.strictEqual(role("GROQ"), "offline")
      assert.deepStrictEqual(s.limits, { perRunUsd: 0.5, perMonthUsd: 20 })
      assert.strictEqual(s.baseUrls.openai, "http://127.0.0.1:9/v1")
    }))

  it.effect("sends an effort by default only to models documented to take it: Groq's gpt-oss, not its other models or DeepSeek", () =>
    Effect.gen(function*() {
      const effort = (env: Record<string, string>, role: string) => {
        const model = (Effect.runSync(read({ ...KEYS, ...env })).roles.find((r) => r.role === role)!).model
        return model === "offline" ? "offline" : model.reasoningEffort
      }
      assert.strictEqual(effort({}, "GROQ"), "low")
      assert.strictEqual(effort({ COUNCIL_MODEL_GROQ: "groq:openai/gpt-oss-20b" }, "GROQ"), "low")
      assert.strictEqual(effort({ COUNCIL_MODEL_GROQ: "groq:qwen/qwen3-32b" }, "GROQ"), null)
      assert.strictEqual(effort({ COUNCIL_MODEL_GROQ: "llama-3.3-70b-versatile" }, "GROQ"), null)
      assert.strictEqual(effort({}, "DEEPSEEK"), null)
      // a configured effort is still sent (unchecked: see Lineup's start-up note)
      assert.strictEqual(effort({ COUNCIL_MODEL_GROQ: "groq:qwen/qwen3-32b", COUNCIL_REASONING_EFFORT_GROQ: "none" }, "GROQ"), "none")
    }))

  it.effect("names the variable of a malformed value in one line, never repeating a key or a base URL", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
        [{ COUNCIL_MODEL_CLAUDE: "mistral:large" }, "COUNCIL_MODEL_CLAUDE: unknown provider \"mistral\" (expected one of openai, gemini, anthropic, groq, deepseek, or offline)"],
        // the list above ends "or offline": a user who reads it writes offline:… and is not told offline is unknown
        [{ COUNCIL_MODEL_CLAUDE: "offline:rules" }, "COUNCIL_MODEL_CLAUDE: \"offline\" takes no model id: write offline alone"],
        [{ COUNCIL_LLM: "sometimes" }, "COUNCIL_LLM: expected offline or live, got \"sometimes\""],
        [{ COUNCIL_LLM_BUDGET_USD: "-1" }, "COUNCIL_LLM_BUDGET_USD: expected a number > 0, got \"-1\""],
        [{ COUNCIL_LLM_BUDGET_USD_MONTH: "lots" }, "COUNCIL_LLM_BUDGET_USD_MONTH: expected a number > 0, got \"lots\""],
        [{ COUNCIL_MAX_OUTPUT_TOKENS_GROQ: "1.5" }, "COUNCIL_MAX_OUTPUT_TOKENS_GROQ: expected a whole number ≥ 1, got \"1.5\""],
        [{ COUNCIL_REASONING_EFFORT_GEMINI: "extreme" }, "COUNCIL_REASONING_EFFORT_GEMINI: expected none, minimal, low, medium, high, xhigh, max or omit, got \"extreme\""],
        [{ COUNCIL_CHAIRMAN_MODEL: "  " }, "COUNCIL_CHAIRMAN_MODEL: is set but blank; unset it or give it a value"],
        [{ ANTHROPIC_API_KEY: " \t " }, "ANTHROPIC_API_KEY: is set but blank; unset it or give it a value"],
        [{ OPENAI_BASE_URL: "https://proxy:s3cr3t-pw@127.0.0.1:9/v1" }, "OPENAI_BASE_URL: must not contain user:password@ (the key goes in its own variable)"],
        [{ GROQ_BASE_URL: "ftp://127.0.0.1/groq" }, "GROQ_BASE_URL: must start with http:// or https://"],
        [{ DEEPSEEK_BASE_URL: "deepseek" }, "DEEPSEEK_BASE_URL: is not a URL (expected http(s)://host[:port][/path])"],
        [{ ANTHROPIC_BASE_URL: "http://127.0.0.1:9/?key=s3cr3t-pw" }, "ANTHROPIC_BASE_URL: must not have a query or fragment"]
      ]
      for (const [env, message] of cases) {
        const error = yield* Effect.flip(read(env))
        assert.strictEqual(error.message, message, JSON.stringify(env))
        assert.strictEqual(error.variable, Object.keys(env)[0])
      }
    }))

  it.effect("keeps a base URL as origin and path, and an empty variable as unset", () =>
    Effect.gen(function*() {
      const s = yield* read({ ANTHROPIC_BASE_URL: "HTTP://127.0.0.1:9/anthropic/", OPENAI_API_KEY: "", COUNCIL_LLM_BUDGET_USD: "" })
      assert.strictEqual(s.baseUrls.anthropic, "http://127.0.0.1:9/anthropic")
      assert.strictEqual(s.mode, "offline")
      assert.isNull(s.limits.perRunUsd)
    }))

  it.effect("reads the price table COUNCIL_PRICES names, or fails naming the variable", () =>
    Effect.gen(function*() {
      const table = yield* LlmSettings.prices(yield* read({}))
      assert.isDefined(table.models["anthropic:claude-sonnet-4-6"])
      const missing = yield* Effect.flip(Effect.flatMap(read({ COUNCIL_PRICES: "/nonexistent/prices.json" }), LlmSettings.prices))
      assert.strictEqual(missing.variable, "COUNCIL_PRICES")
      assert.match(missing.message, /^COUNCIL_PRICES: cannot read the price table \/nonexistent\/prices\.json: no such file \(ENOENT\)$/)
    }))

  it.effect("says in words what a malformed price table has wrong, where, never a schema's text", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "council-prices-"))
      try {
        for (const [content, problem] of [
          ["{not json", "not valid JSON"],
          [`{"asOf":"2026-01-02","currency":"EUR","models":{}}`, "currency: expected USD"],
          [`{"asOf":"2026-01-02","currency":"USD","models":{"openai:x":{"input":"1.25","output":10,"cachedInput":0.125}}}`, "models.openai:x.input: expected a number"],
          [`{"asOf":"2026-01-02","currency":"USD"}`, "models: missing"]
        ] as const) {
          const file = join(dir, "prices.json")
          writeFileSync(file, content)
          const error = yield* Effect.flip(Effect.flatMap(read({ COUNCIL_PRICES: file }), LlmSettings.prices))
          assert.strictEqual(error.message, `COUNCIL_PRICES: ${file} is not a price table: ${problem}`)
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }))
})

describe("Lineup.fromSettings", () => {
  const prices = Prices.load(Prices.defaultPricesFile)

  it.effect("in live mode refuses a PM without its key, naming the PM and the variable", () =>
    Effect.gen(function*() {
      const settings = yield* read({ OPENAI_API_KEY: "k1", ANTHROPIC_API_KEY: "k3" })
      const error = yield* Effect.flip(Lineup.fromSettings(settings, yield* prices, undefined))
      assert.strictEqual(
        error.message,
        "GEMINI: GEMINI_API_KEY is not set (COUNCIL_MODEL_GEMINI=gemini:gemini-3.1-pro-preview; set the key, leave GEMINI out with --pms, or COUNCIL_MODEL_GEMINI=offline)"
      )
    }))

  it.effect("--pms keeps the others on their offline stand-ins and says so", () =>
    Effect.gen(function*() {
      const settings = yield* read({ OPENAI_API_KEY: "k1", ANTHROPIC_API_KEY: "k3" })
      const lineup = yield* Lineup.fromSettings(settings, yield* prices, ["CHATGPT", "CLAUDE"])
      assert.deepStrictEqual(Lineup.recordedModels(lineup), [
        { role: "CHATGPT", model: "openai:gpt-5.4" },
        { role: "GEMINI", model: "offline:mean-reversion" },
        { role: "CLAUDE", model: "anthropic:claude-sonnet-4-6" },
        { role: "GROQ", model: "offline:low-volatility" },
        { role: "DEEPSEEK", model: "offline:contrarian" },
        { role: "CHAIRMAN", model: "anthropic:claude-sonnet-4-6" }
      ])
      assert.deepStrictEqual(lineup.notes, ["GEMINI, GROQ, DEEPSEEK keep the offline stand-in (not selected with --pms)"])
      const unknown = yield* Effect.flip(Lineup.fromSettings(settings, yield* prices, ["CHATGPT", "HAL"]))
      assert.match(unknown.message, /^--pms: unknown PM HAL/)
    }))

  it.effect("refuses an effort a model documents it does not take (gpt-oss: none); says at start-up an effort sent unchecked (DeepSeek)", () =>
    Effect.gen(function*() {
      const none = yield* read({ ...KEYS, COUNCIL_REASONING_EFFORT_GROQ: "none" })
      const error = yield* Effect.flip(Lineup.fromSettings(none, yield* prices, undefined))
      assert.strictEqual(error.message, "GROQ: groq:openai/gpt-oss-120b: reasoning effort none is not one groq's openai/gpt-oss-* models take (low, medium, high); set COUNCIL_REASONING_EFFORT_GROQ to one of them, or to omit")
      const deepseek = yield* read({ ...KEYS, COUNCIL_REASONING_EFFORT_DEEPSEEK: "high" })
      const lineup = yield* Lineup.fromSettings(deepseek, yield* prices, undefined)
      assert.deepStrictEqual(lineup.notes, [
        "DEEPSEEK: reasoning effort high is sent unchecked (which efforts deepseek:deepseek-v4-flash takes is not documented; a 400 on every call means it takes none: set COUNCIL_REASONING_EFFORT_DEEPSEEK=omit)"
      ])
    }))

  it.effect("refuses a live model with no price, and a chairman without its key", () =>
    Effect.gen(function*() {
      const unpriced = yield* read({ ...KEYS, COUNCIL_MODEL_GROQ: "groq:llama-9-huge" })
      const error = yield* Effect.flip(Lineup.fromSettings(unpriced, yield* prices, undefined))
      assert.match(error.message, /^GROQ: groq:llama-9-huge has no price in .*llm-prices\.json/)
      const noChair = yield* read({ OPENAI_API_KEY: "k1" })
      const chair = yield* Effect.flip(Lineup.fromSettings(noChair, yield* prices, ["CHATGPT"]))
      assert.match(chair.message, /^CHAIRMAN: ANTHROPIC_API_KEY is not set .*COUNCIL_CHAIRMAN_MODEL=offline/)
    }))

  it.effect("a swapped model takes the role's configured effort only when the same effort rule covers it (Groq's gpt-oss → Qwen: not low)", () =>
    Effect.gen(function*() {
      const table = yield* prices
      const withQwen: Prices.PriceTable = { ...table, models: { ...table.models, "groq:qwen/qwen3-32b": { input: 0.29, cachedInput: 0.29, output: 0.59 }, "groq:openai/gpt-oss-20b": { input: 0.075, cachedInput: 0.0375, output: 0.3 } } }
      const effortOf = (lineup: Lineup.Lineup, role: string) => {
        const model = lineup.places.find((p) => p.role === role)!.model
        return model === "offline" ? "offline" : model.reasoningEffort
      }
      const settings = yield* read(KEYS)
      const again = Lineup.fromRecord(Lineup.recordedModels(yield* Lineup.fromSettings(settings, withQwen, undefined)))
      const qwen = yield* Lineup.swap(again, ["GROQ=groq:qwen/qwen3-32b"], settings, withQwen)
      assert.strictEqual(effortOf(qwen.lineup, "GROQ"), null)
      // a configured effort carries to another model its rule covers
      const high = yield* read({ ...KEYS, COUNCIL_REASONING_EFFORT_GROQ: "high", COUNCIL_REASONING_EFFORT_CHATGPT: "minimal" })
      assert.strictEqual(effortOf((yield* Lineup.swap(again, ["GROQ=groq:openai/gpt-oss-20b"], high, withQwen)).lineup, "GROQ"), "high")
      assert.strictEqual(effortOf((yield* Lineup.swap(again, ["CHATGPT=openai:gpt-5.4-mini"], high, { ...withQwen, models: { ...withQwen.models, "openai:gpt-5.4-mini": { input: 0.25, cachedInput: 0.025, output: 2 } } })).lineup, "CHATGPT"), "minimal")
    }))

  it.effect("a recorded lineup comes back as it was, and a swap records what changed", () =>
    Effect.gen(function*() {
      const settings = yield* read(KEYS)
      const lineup = yield* Lineup.fromSettings(settings, yield* prices, undefined)
      const again = Lineup.fromRecord(Lineup.recordedModels(lineup))
      assert.deepStrictEqual(Lineup.recordedModels(again), Lineup.recordedModels(lineup))
      const { swapped } = yield* Lineup.swap(again, ["claude=anthropic:claude-opus-4-7"], settings, yield* prices)
      assert.deepStrictEqual(swapped, [{ role: "CLAUDE", from: "anthropic:claude-sonnet-4-6", to: "anthropic:claude-opus-4-7" }])
      const bad = yield* Effect.flip(Lineup.swap(again, ["CLAUDE=anthropic:claude-unpriced"], settings, yield* prices))
      assert.match(bad.message, /^CLAUDE: anthropic:claude-unpriced has no price/)
      const { ANTHROPIC_API_KEY: _, ...noAnthropic } = KEYS
      const keyless = yield* Effect.flip(Lineup.swap(again, ["CHATGPT=anthropic:claude-opus-4-7"], yield* read(noAnthropic), yield* prices))
      assert.strictEqual(keyless.message, "--model CHATGPT=anthropic:claude-opus-4-7: ANTHROPIC_API_KEY is not set (the swapped model is asked live)")
      const offline = yield* Lineup.swap(again, ["CLAUDE=offline"], yield* read(noAnthropic), yield* prices)
      assert.deepStrictEqual(offline.swapped, [{ role: "CLAUDE", from: "anthropic:claude-sonnet-4-6", to: "offline:trend" }])
    }))

  it.effect("a swap's bare model id keeps the role's provider, also for a role its parent ran offline", () =>
    Effect.gen(function*() {
      const settings = yield* read(KEYS)
      const offlineParent = Lineup.fromRecord([])
      const { swapped } = yield* Lineup.swap(offlineParent, ["CLAUDE=claude-opus-4-7", "GEMINI=gemini-3.1-pro-preview"], settings, yield* prices)
      assert.deepStrictEqual(swapped, [
        { role: "CLAUDE", from: "offline:trend", to: "anthropic:claude-opus-4-7" },
        { role: "GEMINI", from: "offline:mean-reversion", to: "gemini:gemini-3.1-pro-preview" }
      ])
      const liveParent = Lineup.fromRecord([{ role: "CLAUDE", model: "openai:gpt-5.4" }])
      const kept = yield* Lineup.swap(liveParent, ["CLAUDE=gpt-5.4-mini"], settings, yield* prices)
      assert.deepStrictEqual(kept.swapped, [{ role: "CLAUDE", from: "openai:gpt-5.4", to: "openai:gpt-5.4-mini" }])
    }))
})
