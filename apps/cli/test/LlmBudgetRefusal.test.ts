import { assert, describe, it } from "@effect/vitest"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { answerWith, liveEnv, startFake, validAnswer } from "../../../packages/llm/test/FakeProvider.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const KEYS = {
  OPENAI_API_KEY: "sk-e2e-openai-0d6c2f19",
  GEMINI_API_KEY: "gm-e2e-gemini-a4e81b07",
  ANTHROPIC_API_KEY: "ant-e2e-anthropic-5b93c6de",
  GROQ_API_KEY: "gsk-e2e-groq-e2f04a71",
  DEEPSEEK_API_KEY: "ds-e2e-deepseek-9c17d3a5"
}

const repoPrices = JSON.parse(readFileSync(join(import.meta.dirname, "../../../data/llm-prices.json"), "utf8")) as {
  models: Record<string, { output: number }>
}

/** The price table with CLAUDE's model so dear that one call's worst case is over any budget of the test. */
const dearClaude = (home: string): string => {
  const file = join(home, "prices.json")
  const models = { ...repoPrices.models, "anthropic:claude-sonnet-4-6": { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 100_000 } }
  writeFileSync(file, JSON.stringify({ ...repoPrices, models }))
  return file
}

const spendOf = (home: string) => {
  const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
  try {
    return db.prepare("SELECT actor, purpose, cost_usd, estimated FROM llm_spend ORDER BY id").all() as Array<
      { actor: string; purpose: string; cost_usd: number; estimated: number }
    >
  } finally {
    db.close()
  }
}

describe("pnpm pipeline run daily when the budget refuses one PM while the others' calls are under way", () => {
  it("the calls under way end and are recorded at what they cost; the continued run asks only the refused PM", async () => {
    // every PM but CLAUDE answers after a moment: CLAUDE's call is refused before they do
    const fake = await startFake((r) =>
      r.kind === "pitch" && !r.model.startsWith("claude") ? { ...answerWith(r, JSON.stringify(validAnswer(r))), delayMs: 400 } : undefined
    )
    try {
      const home = tempHome()
      const failed = await cliInProcess(home, ["run", "daily", "--json"], {
        ...liveEnv(fake, KEYS),
        COUNCIL_LLM_BUDGET_USD: "1",
        COUNCIL_PRICES: dearClaude(home)
      })
      assert.strictEqual(failed.code, 1, failed.stderr)
      assert.match(failed.stderr, /LLM budget COUNCIL_LLM_BUDGET_USD=1 would be exceeded: .* CLAUDE's pitch call/)
      assert.notInclude(fake.requests.map((q) => q.model), "claude-sonnet-4-6")
      // each charged what its answer's usage says, none a worst case: the fake reports 1,000 in (200 cached) and 100 out
      const charged = spendOf(home).filter((row) => row.cost_usd > 0)
      assert.deepStrictEqual(charged.map((row) => row.actor).sort(), ["CHATGPT", "DEEPSEEK", "GEMINI", "GROQ"])
      assert.deepStrictEqual(charged.map((row) => row.estimated), [0, 0, 0, 0])
      const openai = charged.find((row) => row.actor === "CHATGPT")!
      assert.closeTo(openai.cost_usd, (800 * 2.5 + 200 * 0.25 + 100 * 15) / 1e6, 1e-12)
      const before = fake.requests.length

      const resumed = await cliInProcess(home, ["run", "daily", "--json"], liveEnv(fake, KEYS))
      assert.strictEqual(resumed.code, 0, resumed.stderr)
      const pitches = fake.requests.slice(before).filter((q) => q.kind === "pitch").map((q) => q.model)
      assert.deepStrictEqual(pitches, ["claude-sonnet-4-6"])
      // over both runs each PM's pitch was asked (and paid for) once
      assert.strictEqual(fake.requests.filter((q) => q.kind === "pitch").length, 5)
    } finally {
      await fake.close()
    }
  }, 90_000)
})

describe("pnpm pipeline backtest --pms live whose budget runs out in a session, resumed", () => {
  it("the session's run takes the answers its failed attempt recorded: each question is paid for once", async () => {
    const fake = await startFake((r) =>
      r.kind === "pitch" && !r.model.startsWith("claude") ? { ...answerWith(r, JSON.stringify(validAnswer(r))), delayMs: 400 } : undefined
    )
    try {
      const home = tempHome()
      const range = ["--from", "2026-05-04", "--to", "2026-05-04", "--pms", "live", "--json"]
      const failed = await cliInProcess(home, ["backtest", ...range], {
        ...liveEnv(fake, KEYS),
        COUNCIL_LLM_BUDGET_USD_MONTH: "1",
        COUNCIL_PRICES: dearClaude(home)
      })
      assert.strictEqual(failed.code, 1, failed.stderr)
      assert.match(failed.stderr, /LLM budget COUNCIL_LLM_BUDGET_USD_MONTH=1 would be exceeded: .* CLAUDE's pitch call/)
      const id = /backtest --resume (bt-[\w-]+)/.exec(failed.stderr)?.[1]
      assert.isDefined(id, failed.stderr)
      const before = fake.requests.length

      const resumed = await cliInProcess(home, ["backtest", "--resume", id!, "--json"], { ...liveEnv(fake, KEYS), COUNCIL_LLM_BUDGET_USD_MONTH: "1" })
      assert.strictEqual(resumed.code, 0, resumed.stderr)
      const pitches = fake.requests.slice(before).filter((q) => q.kind === "pitch").map((q) => q.model)
      assert.deepStrictEqual(pitches, ["claude-sonnet-4-6"])
      assert.strictEqual(fake.requests.filter((q) => q.kind === "pitch").length, 5)
      assert.strictEqual(spendOf(home).filter((row) => row.purpose === "pitch" && row.cost_usd > 0).length, 5)
    } finally {
      await fake.close()
    }
  }, 90_000)
})
