import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type FakeProvider, liveEnv, startFake } from "../../../packages/llm/test/FakeProvider.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const KEYS = {
  OPENAI_API_KEY: "sk-effort-openai-0c4e",
  GEMINI_API_KEY: "gm-effort-gemini-8a1f",
  ANTHROPIC_API_KEY: "ant-effort-anthropic-2d9b",
  GROQ_API_KEY: "gsk-effort-groq-6e3a",
  DEEPSEEK_API_KEY: "ds-effort-deepseek-1f7c"
}

const priceDirs: Array<string> = []

/** The repository's price table plus a Groq model other than gpt-oss, in a file for COUNCIL_PRICES. */
const qwenPrices = () => {
  const table = JSON.parse(readFileSync(new URL("../../../data/llm-prices.json", import.meta.url), "utf8")) as { models: Record<string, unknown> }
  table.models["groq:qwen/qwen3-32b"] = { input: 0.29, cachedInput: 0.29, output: 0.59 }
  const dir = mkdtempSync(join(tmpdir(), "council-prices-"))
  priceDirs.push(dir)
  const file = join(dir, "prices.json")
  writeFileSync(file, JSON.stringify(table))
  return file
}

let fake: FakeProvider
beforeAll(async () => {
  fake = await startFake()
})
afterAll(() => {
  for (const dir of priceDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  return fake.close()
})

describe("pnpm pipeline verify with reasoning efforts a provider does not take (a fake provider on 127.0.0.1)", () => {
  it("names each role whose effort every call would be refused for (exit 1); the other models pass", async () => {
    // `minimal`: Anthropic's `output_config.effort`, Gemini's and Groq's `reasoning_effort` have no such value
    const env = { ...liveEnv(fake, KEYS), COUNCIL_REASONING_EFFORT: "minimal", COUNCIL_REASONING_EFFORT_CHAIRMAN: "omit" }
    const r = await cliInProcess(tempHome(), ["verify"], env)
    assert.strictEqual(r.code, 1, r.stderr)
    const lines = r.stdout.split("\n")
    assert.include(lines, "✗ LLM CLAUDE          anthropic:claude-sonnet-4-6    reasoning effort minimal is not one anthropic takes (low, medium, high, xhigh, max): set COUNCIL_REASONING_EFFORT_CLAUDE to one of them, or to omit")
    assert.include(lines, "✗ LLM GEMINI          gemini:gemini-3.1-pro-preview  reasoning effort minimal is not one gemini takes (none, low, medium, high): set COUNCIL_REASONING_EFFORT_GEMINI to one of them, or to omit")
    assert.include(lines, "✗ LLM GROQ            groq:openai/gpt-oss-120b       reasoning effort minimal is not one groq's openai/gpt-oss-* models take (low, medium, high): set COUNCIL_REASONING_EFFORT_GROQ to one of them, or to omit")
    assert.isFalse(lines.some((l) => l.startsWith("✗ LLM CHAIRMAN") || l.startsWith("✗ LLM CHATGPT") || l.startsWith("✗ LLM DEEPSEEK")), r.stdout)
    for (const model of ["openai:gpt-5.4", "gemini:gemini-3.1-pro-preview", "groq:openai/gpt-oss-120b", "deepseek:deepseek-v4-flash"]) {
      assert.isTrue(lines.some((l) => l.startsWith("✓ LLM ") && l.includes(` ${model} `)), `${model}:\n${r.stdout}`)
    }
  })

  it("refuses `max` for OpenAI, whose reasoning_effort ends at xhigh; Anthropic takes it", async () => {
    const env = { ...liveEnv(fake, KEYS), COUNCIL_REASONING_EFFORT: "omit", COUNCIL_REASONING_EFFORT_CHATGPT: "max", COUNCIL_REASONING_EFFORT_CLAUDE: "max" }
    const r = await cliInProcess(tempHome(), ["verify"], env)
    assert.strictEqual(r.code, 1, r.stderr)
    const refused = r.stdout.split("\n").filter((l) => l.startsWith("✗"))
    assert.deepStrictEqual(refused, [
      "✗ LLM CHATGPT         openai:gpt-5.4                 reasoning effort max is not one openai takes (none, minimal, low, medium, high, xhigh): set COUNCIL_REASONING_EFFORT_CHATGPT to one of them, or to omit"
    ])
  })

  it("checks per model: Groq's gpt-oss refuses none; an effort for a model whose efforts are not documented (DeepSeek, Groq's others) is said to be unchecked, not refused", async () => {
    const env = { ...liveEnv(fake, KEYS), COUNCIL_REASONING_EFFORT: "omit", COUNCIL_REASONING_EFFORT_GROQ: "none", COUNCIL_REASONING_EFFORT_DEEPSEEK: "high" }
    const r = await cliInProcess(tempHome(), ["verify"], env)
    assert.strictEqual(r.code, 1, r.stderr)
    const lines = r.stdout.split("\n")
    assert.deepStrictEqual(lines.filter((l) => l.startsWith("✗")), [
      "✗ LLM GROQ            groq:openai/gpt-oss-120b       reasoning effort none is not one groq's openai/gpt-oss-* models take (low, medium, high): set COUNCIL_REASONING_EFFORT_GROQ to one of them, or to omit"
    ])
    assert.include(lines, "· LLM DEEPSEEK        deepseek:deepseek-v4-flash     reasoning effort high is sent unchecked (which efforts deepseek:deepseek-v4-flash takes is not documented; a 400 on every call means it takes none: set COUNCIL_REASONING_EFFORT_DEEPSEEK=omit)")
    // a Groq model other than gpt-oss: `none` is not refused (undocumented), only said to be unchecked
    const qwen = await cliInProcess(tempHome(), ["verify"], { ...env, COUNCIL_MODEL_GROQ: "groq:qwen/qwen3-32b", COUNCIL_REASONING_EFFORT_DEEPSEEK: "omit", COUNCIL_PRICES: qwenPrices() })
    assert.strictEqual(qwen.code, 0, qwen.stdout + qwen.stderr)
    assert.include(qwen.stdout.split("\n"), "· LLM GROQ            groq:qwen/qwen3-32b            reasoning effort none is sent unchecked (which efforts groq:qwen/qwen3-32b takes is not documented; a 400 on every call means it takes none: set COUNCIL_REASONING_EFFORT_GROQ=omit)")
  })
})
