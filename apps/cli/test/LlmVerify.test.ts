import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { answerWith, defaultUsage, type FakeProvider, type FakeRequest, liveEnv, startFake } from "../../../packages/llm/test/FakeProvider.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const KEYS = {
  OPENAI_API_KEY: "sk-verify-openai-4be1d9c0",
  GEMINI_API_KEY: "gm-verify-gemini-77c2a1f3",
  ANTHROPIC_API_KEY: "ant-verify-anthropic-90ffe7b2",
  GROQ_API_KEY: "gsk-verify-groq-31aa5d8e",
  DEEPSEEK_API_KEY: "ds-verify-deepseek-5e0c6b14"
}

/** An OpenAI answer that refuses (`message.refusal`, no content), with its usage. */
const refusing = (r: FakeRequest) => ({
  body: {
    id: "chatcmpl-fake",
    object: "chat.completion",
    model: r.model,
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: null, refusal: "I can't help with trading decisions." } }],
    usage: { prompt_tokens: defaultUsage.input, completion_tokens: 12, total_tokens: defaultUsage.input + 12 }
  }
})

/**
 * The trial's providers: gpt-5.4 refuses, GEMINI answers broken JSON, DEEPSEEK answers in prose (a 2xx the old
 * connectivity check took for ✓); CLAUDE and GROQ answer as asked.
 */
const respond = (r: FakeRequest) => {
  if (r.model === "gpt-5.4") return refusing(r)
  if (r.model.startsWith("gemini")) return answerWith(r, '{"symbol": ')
  if (r.model.startsWith("deepseek")) return answerWith(r, "OK")
  return undefined
}

describe("pnpm pipeline verify (a fake provider on 127.0.0.1)", () => {
  let trial: FakeProvider
  let fine: FakeProvider
  beforeAll(async () => {
    ;[trial, fine] = await Promise.all([startFake(respond), startFake()])
  })
  afterAll(() => Promise.all([trial.close(), fine.close()]))

  it("says what it checks, asks each model for a structured pitch: a refusal or a malformed answer is ✗ with the reason; each line says its cost, aligned under a long roles list", async () => {
    const home = tempHome()
    const r = await cliInProcess(home, ["verify"], { ...liveEnv(trial, KEYS), COUNCIL_CHAIRMAN_MODEL: "openai:gpt-5.4" })
    assert.strictEqual(r.code, 1, r.stdout + r.stderr)
    const lines = r.stdout.split("\n").filter((l) => l.includes("LLM"))
    assert.match(lines[0]!, /^LLM check: each model is asked once for a pitch in the JSON Schema every council role answers to .*a refusal, an error or an answer that does not fit the schema is ✗$/)
    assert.strictEqual(trial.requests.length, 5, "one question per model (CHATGPT and the chairman share theirs)")
    assert.isTrue(trial.requests.every((q) => q.kind === "pitch"), "each question carries the pitch schema")
    const row = (mark: string, roles: string, model: string) => lines.find((l) => l.startsWith(`${mark} LLM ${roles} `) && l.includes(` ${model} `))
    assert.match(row("✗", "CHATGPT,CHAIRMAN", "openai:gpt-5.4") ?? "", /\d+ ms {2}\$0\.0\d+ {2}InvalidAnswer: openai refused to answer \(I can't help with trading decisions\.\)$/)
    assert.match(row("✗", "GEMINI", "gemini:gemini-3.1-pro-preview") ?? "", /\d+ ms {2}\$0\.0\d+ {2}InvalidAnswer: /)
    assert.match(row("✗", "DEEPSEEK", "deepseek:deepseek-v4-flash") ?? "", /\d+ ms {2}\$0\.0\d+ {2}InvalidAnswer: /)
    assert.match(row("✓", "CLAUDE", "anthropic:claude-sonnet-4-6") ?? "", /\d+ ms {2}\$0\.0\d+$/)
    assert.match(row("✓", "GROQ", "groq:openai/gpt-oss-120b") ?? "", /\d+ ms {2}\$0\.0\d+$/)
    const checked = lines.filter((l) => /^[✓✗] LLM /.test(l))
    assert.strictEqual(checked.length, 5)
    assert.strictEqual(new Set(checked.map((l) => l.search(/ \S+:\S+ /))).size, 1, `the model column moves:\n${checked.join("\n")}`)
    assert.strictEqual(new Set(checked.map((l) => l.search(/\d+ ms/))).size, 1, `the latency column moves:\n${checked.join("\n")}`)
    assert.match(lines.at(-1)!, /^LLM check spent \$0\.\d+ \(charged to the spend ledger as verify\)$/)
    assert.match(r.stderr, /3 LLM providers failed the check/)
  })

  it("verify's requests are paid for like any call: in the spend ledger (outside any run) and within the monthly budget", async () => {
    const home = tempHome()
    const env = liveEnv(fine, KEYS)
    const before = fine.requests.length
    const verify = await cliInProcess(home, ["verify"], env)
    assert.strictEqual(verify.code, 0, verify.stdout + verify.stderr)
    const probes = fine.requests.length - before
    assert.strictEqual(probes, 5, "one request per model (CLAUDE and the chairman share theirs)")
    const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
    const rows = db.prepare("SELECT run_id, stage, actor, purpose, model, cost_usd, estimated FROM llm_spend ORDER BY id").all() as Array<
      { run_id: string; stage: string; actor: string; purpose: string; model: string; cost_usd: number; estimated: number }
    >
    db.close()
    assert.deepStrictEqual(rows.map((r) => [r.run_id, r.stage, r.purpose, r.estimated]), Array.from({ length: 5 }, () => ["-", "-", "verify", 0]))
    assert.deepStrictEqual(rows.find((r) => r.model === "anthropic:claude-sonnet-4-6")?.actor, "CLAUDE,CHAIRMAN")
    assert.isTrue(rows.every((r) => r.cost_usd > 0), JSON.stringify(rows))
    assert.match(verify.stdout, /^✓ LLM CLAUDE,CHAIRMAN\s+anthropic:claude-sonnet-4-6\s+\d+ ms {2}\$0\.0\d+$/m)
    // what verify spent counts against the month: with the month spent, verify sends nothing and says why
    const spent = rows.reduce((sum, r) => sum + r.cost_usd, 0)
    const after = fine.requests.length
    const refused = await cliInProcess(home, ["verify"], { ...env, COUNCIL_LLM_BUDGET_USD_MONTH: String(spent) })
    assert.strictEqual(refused.code, 1, refused.stdout + refused.stderr)
    assert.strictEqual(fine.requests.length, after, "no probe was sent")
    assert.match(refused.stdout, /^✗ LLM GROQ\s+groq:openai\/gpt-oss-120b\s+\d+ ms {2}\$0 {2}LLM budget COUNCIL_LLM_BUDGET_USD_MONTH=\S+ would be exceeded: \$0\.\d+ spent in this month, .*; the call was not made$/m)
  })

  it("the per-run budget holds each verify to itself: what earlier verifies spent (outside any run, under run id '-') is not this one's", async () => {
    const home = tempHome()
    const env = liveEnv(fine, KEYS)
    const first = await cliInProcess(home, ["verify"], { ...env, COUNCIL_LLM_BUDGET_USD: "1" })
    assert.strictEqual(first.code, 0, first.stdout + first.stderr)
    // earlier verifies (last year's, say) charged $1.50 in all, every row under run id '-' as verify writes them
    const db = new DatabaseSync(join(home, "council.db"))
    db.prepare("INSERT INTO llm_spend (run_id, stage, actor, purpose, model, cost_usd, estimated, at) VALUES ('-', '-', 'GROQ', 'verify', 'groq:openai/gpt-oss-120b', 1.5, 0, '2025-01-15T10:00:00.000Z')").run()
    db.close()
    const before = fine.requests.length
    const again = await cliInProcess(home, ["verify"], { ...env, COUNCIL_LLM_BUDGET_USD: "1" })
    assert.strictEqual(again.code, 0, again.stdout + again.stderr)
    assert.strictEqual(fine.requests.length - before, 5, "each model is asked again")
    assert.notInclude(again.stdout, "would be exceeded")
    // the limit still bounds the verify itself: one that cannot fit a single model's worst case sends nothing
    const tight = await cliInProcess(home, ["verify"], { ...env, COUNCIL_LLM_BUDGET_USD: "0.0001" })
    assert.strictEqual(tight.code, 1, tight.stdout + tight.stderr)
    assert.strictEqual(fine.requests.length - before, 5, "no probe was sent under a limit no call fits")
    assert.match(tight.stdout, /^✗ LLM GROQ\s+groq:openai\/gpt-oss-120b\s+\d+ ms {2}\$0 {2}LLM budget COUNCIL_LLM_BUDGET_USD=0\.0001 would be exceeded: \$0 spent in this verify, .*; the call was not made$/m)
  })
})
