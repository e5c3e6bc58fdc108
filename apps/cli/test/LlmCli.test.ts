import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { hashOf, textHash } from "@council/engine"
import { blobText, storeText } from "./StoredBlobs.ts"
import { answerWith, errorWith, type FakeProvider, type FakeRequest, liveEnv, startFake, validAnswer } from "../../../packages/llm/test/FakeProvider.ts"
import { bin, cliAsync, tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const KEYS = {
  OPENAI_API_KEY: "sk-e2e-openai-4be1d9c0",
  GEMINI_API_KEY: "gm-e2e-gemini-77c2a1f3",
  ANTHROPIC_API_KEY: "ant-e2e-anthropic-90ffe7b2",
  GROQ_API_KEY: "gsk-e2e-groq-31aa5d8e",
  DEEPSEEK_API_KEY: "ds-e2e-deepseek-5e0c6b14"
}

/**
 * Bad answers mixed in: GEMINI pitches outside the universe, DEEPSEEK's first pitch is broken JSON, GROQ's review is
 * refused with its key echoed back, CLAUDE's first request is rate limited.
 */
const respond = (r: FakeRequest) => {
  if (r.model === "claude-sonnet-4-6" && r.nth === 0) return errorWith(r, 429, "rate_limit_error", "slow down", { "retry-after-ms": "20" })
  if (r.kind === "pitch" && r.model.startsWith("gemini")) return answerWith(r, JSON.stringify({ ...validAnswer(r), symbol: "TSLA" }))
  if (r.kind === "pitch" && r.model.startsWith("deepseek") && !r.text.includes("could not be used")) return answerWith(r, '{"symbol": ')
  if (r.kind === "review" && r.model.includes("gpt-oss")) {
    return errorWith(r, 401, "invalid_api_key", `Incorrect API key provided: ${String(r.headers["authorization"])}`)
  }
  return undefined
}

let fake: FakeProvider
beforeAll(async () => {
  fake = await startFake(respond)
})
afterAll(() => fake.close())

const live = () => liveEnv(fake, KEYS)

const assertNoKey = (what: string, text: string) => {
  for (const [name, key] of Object.entries(KEYS)) assert.notInclude(text, key, `${name} found in ${what}`)
}

/** Reads the store directly (no CLI start-up): a run's record and a stage's checkpoint. */
const stored = (home: string, runId: string) => {
  const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
  try {
    const run = db.prepare("SELECT dry_run, params_hash FROM runs WHERE id = ?").get(runId) as { dry_run: number; params_hash: string }
    const checkpoints = db.prepare("SELECT stage, lower(hex(output_hash)) AS output_hash FROM checkpoints WHERE run_id = ?").all(runId) as Array<{ stage: string; output_hash: string }>
    const params = blobText(db, run.params_hash)
    const outputs = new Map(checkpoints.map((c) => [c.stage, blobText(db, c.output_hash)]))
    return {
      dryRun: run.dry_run === 1,
      params: JSON.parse(params) as { swapped?: unknown },
      output: (stage: string) => JSON.parse(outputs.get(stage)!) as Record<string, unknown>
    }
  } finally {
    db.close()
  }
}

describe("pnpm pipeline with live LLMs (a fake provider on 127.0.0.1)", () => {
  const home = tempHome()
  let runId = ""
  const outputs: Array<string> = []
  // the day's live run is a process of its own (its streams are the subject: JSON on stdout, warnings on stderr, no
  // key in either); the commands after it run in this process (their results are)
  const cli = async (args: ReadonlyArray<string>, env: Record<string, string> = live(), at = home, inProcess = true) => {
    const r = await (inProcess ? cliInProcess : cliAsync)(at, args, env)
    outputs.push(r.stdout, r.stderr)
    return r
  }

  it("runs a day live: abstentions where due, a chairman's decision beside the mechanical vote, costs recorded; --json stays JSON, the adapters' warnings go to stderr", async () => {
    const r = await cli(["run", "daily", "--json"], live(), home, false)
    assert.strictEqual(r.code, 0, r.stderr)
    const result = JSON.parse(r.stdout) as { readonly run: { readonly id: string } }
    // a log line reads as the CLI's other stderr lines: (its UTC stamp, which the harness takes off) the level, the
    // message — no second clock time, no fiber number
    assert.match(r.stderr, new RegExp(`^WARN llm CLAUDE anthropic:claude-sonnet-4-6: RateLimited: anthropic answered 429 \\(rate_limit_error: slow down\\) \\(retry after 20ms\\)`, "m"))
    assert.notMatch(r.stderr, /\] (DEBUG|INFO|WARN|ERROR) \(#\d+\)/)
    assert.match(r.stderr, /WARN .*llm GEMINI gemini:gemini-3\.1-pro-preview: InvalidAnswer: Expected "SPY" \| .* at \["symbol"\] runId=\S+ stage=PmPitches$/m)
    assert.match(r.stderr, /WARN .*llm GROQ groq:openai\/gpt-oss-120b: Unauthorized: /)
    assert.match(r.stderr, /LLM live: CHATGPT openai:gpt-5\.4, GEMINI gemini:gemini-3\.1-pro-preview, CLAUDE anthropic:claude-sonnet-4-6, GROQ groq:openai\/gpt-oss-120b, DEEPSEEK deepseek:deepseek-v4-flash · chairman anthropic:claude-sonnet-4-6/)
    assert.match(r.stderr, /✓ PmPitches .*abstained: GEMINI/)
    assert.match(r.stderr, /✓ PeerReview .*did not rank: GEMINI, GROQ/)
    runId = result.run.id
    // GEMINI abstained from pitching: it is not asked (nor paid) to review, and the chairman is told why it did not
    assert.deepStrictEqual(fake.requests.filter((q) => q.kind === "review").map((q) => q.model).sort(), ["claude-sonnet-4-6", "deepseek-v4-flash", "gpt-5.4", "openai/gpt-oss-120b"])
    const review = stored(home, runId).output("PeerReview") as { abstentions: ReadonlyArray<{ pm: string; reason: string }> }
    assert.deepStrictEqual(review.abstentions.map((a) => a.pm), ["GEMINI", "GROQ"])
    assert.strictEqual(review.abstentions[0]!.reason, "not asked: it abstained from pitching today")
    const chairman = fake.requests.find((q) => q.kind === "chairman")!
    assert.match(chairman.text, /Did not review: GEMINI \("not asked: it abstained from pitching today"\); GROQ \("Unauthorized: /)
    const pitches = fake.requests.filter((q) => q.kind === "pitch")
    assert.isTrue(pitches.every((q) => q.text.includes("Your account: equity $100,000.00, cash $100,000.00")))
    const paths = new Set(fake.requests.map((q) => q.path))
    assert.deepStrictEqual([...paths].sort(), ["/deepseek/chat/completions", "/gemini/v1beta/openai/chat/completions", "/groq/openai/v1/chat/completions", "/openai/v1/chat/completions", "/v1/messages"])
    const decision = stored(home, runId).output("CouncilSynthesis")
    assert.strictEqual(decision["source"], "anthropic:claude-sonnet-4-6")
    assert.isUndefined(decision["fallback"])
    assert.isDefined(decision["mechanical"])
    const [summary, json, runs, audit] = await Promise.all([
      cli(["show", runId], {}),
      cli(["show", runId, "--json"], {}),
      cli(["runs"], {}),
      cli(["show", runId, "--llm", "--pm", "GEMINI"], {})
    ])
    assert.match(summary.stdout, /^PmPitches\s+CHATGPT\s+openai:gpt-5\.4\s+1\s+\d+\s+\d+\s+\$0\.0\d+$/m)
    assert.match(summary.stdout, /^LLM total \$0\.\d+ · details: pnpm pipeline show /m)
    const llm = (JSON.parse(json.stdout) as { llm: { costs: ReadonlyArray<{ stage: string }>; totalUsd: number } }).llm
    assert.deepStrictEqual([...new Set(llm.costs.map((c) => c.stage))], ["PmPitches", "PeerReview", "CouncilSynthesis"])
    assert.isAbove(llm.totalUsd, 0)
    assert.match(runs.stdout, new RegExp(`^${runId} .* \\$0\\.\\d+$`, "m"))
    assert.match(audit.stdout, /── PmPitches · GEMINI · pitch turn 2 · gemini:gemini-3\.1-pro-preview/)
    assert.match(audit.stdout, /validation error:\n\s+Expected "SPY" \| .* \| "FLAT"/)
    assert.match(audit.stdout, /"symbol":"TSLA"/)
  })

  /** Replays `id` offline: every stage identical, no request reaching the provider. */
  const assertReplaysOffline = async (id: string) => {
    const before = fake.requests.length
    const r = await cli(["replay", id], {})
    assert.strictEqual(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /every stage identical/)
    assert.strictEqual(fake.requests.length, before)
  }

  it("replays the day identically with zero requests reaching the provider", () => assertReplaysOffline(runId))

  it("forks with one model swapped: a what-if (a dry run though its parent sent orders) that asks only that model for a pitch, records the swap and replays with zero requests", async () => {
    const before = fake.requests.length
    const r = await cli(["replay", runId, "--from", "PmPitches", "--model", "CLAUDE=anthropic:claude-opus-4-7"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.match(r.stderr, /^a fork that swaps a model is a what-if, so it is a dry run \(add --send to send its orders\)$/m)
    assert.match(r.stderr, /^LLM fork: CLAUDE anthropic:claude-sonnet-4-6 → anthropic:claude-opus-4-7$/m)
    assert.match(r.stdout, new RegExp(`^forked run \\S+ from ${runId} at PmPitches \\(dry run\\)$`, "m"))
    const asked = fake.requests.slice(before)
    assert.deepStrictEqual([...new Set(asked.filter((q) => q.kind === "pitch").map((q) => q.model))], ["claude-opus-4-7"])
    assert.isTrue(asked.every((q) => q.kind !== "pitch" || q.model === "claude-opus-4-7"))
    const forkId = /forked run (\S+)/.exec(r.stdout)![1]!
    const record = stored(home, forkId)
    assert.isTrue(record.dryRun)
    assert.deepStrictEqual(record.params.swapped, [{ role: "CLAUDE", from: "anthropic:claude-sonnet-4-6", to: "anthropic:claude-opus-4-7" }])
    const audit = await cli(["show", forkId, "--llm", "--pm", "CHATGPT"], {})
    assert.match(audit.stdout, new RegExp(`PmPitches · CHATGPT · pitch turn 1 · openai:gpt-5\\.4 · reused from ${runId}`))
    await assertReplaysOffline(forkId)
  })

  it("a model-swap fork with --send sends its orders, under the rules of every fork", async () => {
    const r = await cli(["replay", runId, "--from", "PmPitches", "--model", "CHATGPT=openai:gpt-5.5", "--send"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.notMatch(r.stderr, /dry run/)
    const forkId = new RegExp(`^forked run (\\S+) from ${runId} at PmPitches$`, "m").exec(r.stdout)![1]!
    const record = stored(home, forkId)
    assert.isFalse(record.dryRun)
    assert.strictEqual(record.output("Execution")["dryRun"], false)
  })

  it("a budget smaller than one call places no orders and sends nothing (exit 1); a missing key is refused at start-up (exit 2)", async () => {
    const fresh = tempHome()
    const { GEMINI_API_KEY: _, ...noGemini } = live()
    const asked = () => fake.requests.filter((q) => q.kind !== "other").length
    const before = asked()
    const [budget, dry, missing] = await Promise.all([
      cli(["run", "daily"], { ...live(), COUNCIL_LLM_BUDGET_USD: "0.001" }, fresh),
      cli(["run", "daily", "--dry-run"], { ...live(), COUNCIL_LLM_BUDGET_USD: "0.001" }, tempHome()),
      cli(["run", "daily"], noGemini, tempHome())
    ])
    assert.strictEqual(budget.code, 1)
    assert.match(budget.stderr, /LLM budget COUNCIL_LLM_BUDGET_USD=0\.001 would be exceeded: \$0 spent in this run.*could cost up to \$0\.\d+; the call was not made and no orders are placed/)
    assert.match(budget.stderr, /\(resume with: pnpm pipeline run daily --date \d{4}-\d\d-\d\d\)$/m)
    // a dry run is not resumed by `run daily`, which would start the day's real run: it is named to run again, dry
    assert.strictEqual(dry.code, 1)
    assert.match(dry.stderr, /failed in PmPitches: LLM budget .*\(run it again with: pnpm pipeline run daily --date \d{4}-\d\d-\d\d --dry-run\)$/m)
    assert.strictEqual(asked(), before)
    const orders = await cli(["orders", "--status", "all"], {}, fresh)
    assert.strictEqual(orders.stdout.trim(), "no orders")
    assert.strictEqual(missing.code, 2)
    assert.strictEqual(missing.stderr.trim(), "error: GEMINI: GEMINI_API_KEY is not set (COUNCIL_MODEL_GEMINI=gemini:gemini-3.1-pro-preview; set the key, leave GEMINI out with --pms, or COUNCIL_MODEL_GEMINI=offline)")
  })

  it("keeps every key out of the store, an exported bundle and the output", async () => {
    const file = join(home, "bundle.json")
    const r = await cli(["export", runId, "-o", file], {})
    assert.strictEqual(r.code, 0, r.stderr)
    assertNoKey("the exported bundle", readFileSync(file, "utf8"))
    const store = storeText(home)
    assert.include(store, "gpt-oss-120b")
    assert.include(store, "[REDACTED]")
    assertNoKey("the store", store)
    assertNoKey("the output", outputs.join("\n"))
  })

  it("carries the LLM exchanges in an exported bundle under its hashes: another home shows them; an edited answer is refused, nothing written", async () => {
    const file = join(home, "bundle.json")
    const other = join(tempHome(), "home")
    const imported = await cli(["import", file], {}, other)
    assert.strictEqual(imported.code, 0, imported.stderr)
    const audit = await cli(["show", runId, "--llm", "--pm", "CLAUDE"], {}, other)
    assert.match(audit.stdout, /── PmPitches · CLAUDE · pitch turn 1 · anthropic:claude-sonnet-4-6/)

    const sealed = JSON.parse(readFileSync(file, "utf8")) as { recordings: Array<{ stage: string; key: string; value: { value?: { exchanges?: Array<{ answer: string | null }> } } }> }
    const pitch = sealed.recordings.find((r) => r.key.startsWith("pm.pitch(") && r.key.includes("CHATGPT"))!
    const exchange = pitch.value.value!.exchanges![0]!
    exchange.answer = exchange.answer!.replace(/"conviction":\s*\d/, '"conviction":3')
    assert.notStrictEqual(JSON.stringify(sealed), readFileSync(file, "utf8").trim())
    const edited = join(home, "edited.json")
    writeFileSync(edited, JSON.stringify(sealed))
    const fresh = join(tempHome(), "home")
    const refusals = await Promise.all([["import", edited], ["replay", edited], ["replay", edited, "--from", "CouncilSynthesis", "--dry-run"]].map((args) => cli(args, {}, fresh)))
    for (const r of refusals) {
      assert.strictEqual(r.code, 2, r.stderr)
      assert.strictEqual(r.stderr.trim(), `error: ${edited} was changed after export: the recordings of stage PmPitches does not match its hash; refusing it`)
    }
    assert.isFalse(existsSync(fresh), `a refused bundle created ${fresh}`)
  })
})

describe("pnpm pipeline run daily --accounts: only what the traded accounts need is asked", () => {
  /** The requests `fake` received, as `path kind model`, sorted. */
  const asked = (fake: FakeProvider) => fake.requests.map((q) => `${q.path} ${q.kind} ${q.model}`).sort()

  it("without COUNCIL, only the traded PMs' pitches: no other PM, no peer review, no chairman; the other providers' keys are not needed", async () => {
    const fake = await startFake()
    try {
      const home = tempHome()
      const only = await cliInProcess(home, ["run", "daily", "--accounts", "CLAUDE", "--json"], liveEnv(fake, { ANTHROPIC_API_KEY: KEYS.ANTHROPIC_API_KEY }))
      assert.strictEqual(only.code, 0, only.stderr)
      assert.deepStrictEqual(asked(fake), ["/v1/messages pitch claude-sonnet-4-6"])
      assert.include(only.stderr, "only CLAUDE's pitch is asked: no traded account trades the council's decision (COUNCIL is not in --accounts), so CHATGPT, GEMINI, GROQ, DEEPSEEK keep the offline stand-in, the chairman is the mechanical vote and no peer review is asked")
      const runId = (JSON.parse(only.stdout) as { run: { id: string } }).run.id
      const record = stored(home, runId)
      const review = record.output("PeerReview") as { abstentions: ReadonlyArray<{ pm: string; reason: string }> }
      assert.deepStrictEqual(review.abstentions, [{ pm: "CLAUDE", reason: "not asked: no traded account trades the council's decision, the peer review's only use" }])
      assert.match(String(record.output("CouncilSynthesis")["source"]), /^offline:/)
      assert.isTrue((record.output("PmPitches") as { pitches: ReadonlyArray<{ pm: string; source: string }> }).pitches.some((p) => p.pm === "CLAUDE" && p.source === "anthropic:claude-sonnet-4-6"))
      // a fork of that run swapping CLAUDE's model asks that model's pitch, and no review either
      const fork = await cliInProcess(home, ["replay", runId, "--from", "PmPitches", "--model", "CLAUDE=anthropic:claude-opus-4-7"], liveEnv(fake, { ANTHROPIC_API_KEY: KEYS.ANTHROPIC_API_KEY }))
      assert.strictEqual(fork.code, 0, fork.stderr)
      assert.deepStrictEqual(asked(fake), ["/v1/messages pitch claude-opus-4-7", "/v1/messages pitch claude-sonnet-4-6"])
      fake.requests.length = 0

      // CLAUDE and GROQ: both their pitches, still nothing else
      const two = await cliInProcess(tempHome(), ["run", "daily", "--accounts", "CLAUDE,GROQ"], liveEnv(fake, KEYS))
      assert.strictEqual(two.code, 0, two.stderr)
      assert.deepStrictEqual(asked(fake).filter((q) => !q.includes("claude")), ["/groq/openai/v1/chat/completions pitch openai/gpt-oss-120b"])
      assert.deepStrictEqual(asked(fake).filter((q) => q.includes("claude")), ["/v1/messages pitch claude-sonnet-4-6"])

      // --pms naming only PMs whose accounts are not traded asks nothing: refused before anything is written
      const none = await cliInProcess(tempHome(), ["run", "daily", "--accounts", "CLAUDE", "--pms", "GEMINI"], liveEnv(fake, KEYS))
      assert.strictEqual(none.code, 2, none.stderr)
      assert.strictEqual(none.stderr.trim(), "error: --pms GEMINI: no traded account uses its pitch (--accounts CLAUDE; only COUNCIL trades the council's decision, which uses every PM)")
      assert.strictEqual(fake.requests.length, 2)

      // with COUNCIL every PM pitches and reviews, and the chairman decides
      const council = await cliInProcess(tempHome(), ["run", "daily", "--accounts", "COUNCIL,CLAUDE"], liveEnv(fake, KEYS))
      assert.strictEqual(council.code, 0, council.stderr)
      const kinds = fake.requests.slice(2).map((q) => q.kind)
      assert.deepStrictEqual([kinds.filter((k) => k === "pitch").length, kinds.filter((k) => k === "review").length, kinds.filter((k) => k === "chairman").length], [5, 5, 1])
    } finally {
      await fake.close()
    }
  }, 60_000)
})

/** `replay <runId>` in `home` finds every stage identical and sends `fake` nothing. */
const replaysSilently = async (fake: FakeProvider, home: string, runId: string) => {
  const before = fake.requests.length
  const replayed = await cliInProcess(home, ["replay", runId], liveEnv(fake, KEYS))
  assert.strictEqual(replayed.code, 0, replayed.stdout + replayed.stderr)
  assert.strictEqual(fake.requests.length, before, "the replay asked a model")
}

describe("pnpm pipeline replay --from of a run recorded before only the traded accounts' roles were asked", () => {
  it("a fork of a run of PM accounts alone whose lineup recorded every role live asks only the traded PMs' pitches: no chairman, no other PM, no review", async () => {
    const fake = await startFake()
    try {
      const home = tempHome()
      const parent = await cliInProcess(home, ["run", "daily", "--accounts", "CLAUDE", "--dry-run", "--json"], liveEnv(fake, KEYS))
      assert.strictEqual(parent.code, 0, parent.stderr)
      const runId = (JSON.parse(parent.stdout) as { run: { id: string } }).run.id
      const exported = await cliInProcess(home, ["export", runId])
      assert.strictEqual(exported.code, 0, exported.stderr)
      // what an older version recorded for the same accounts: every role on its model, the chairman too
      const bundle = JSON.parse(exported.stdout) as { run: { params: { models: Array<{ role: string; model: string }> } }; hashes: { run: string } }
      const live: Record<string, string> = { CHATGPT: "openai:gpt-5.4", GEMINI: "gemini:gemini-3.1-pro-preview", GROQ: "groq:openai/gpt-oss-120b", DEEPSEEK: "deepseek:deepseek-v4-flash", CHAIRMAN: "anthropic:claude-sonnet-4-6" }
      bundle.run.params.models = bundle.run.params.models.map((m) => ({ ...m, model: live[m.role] ?? m.model }))
      bundle.hashes.run = hashOf(bundle.run)
      const file = join(home, "older.json")
      writeFileSync(file, JSON.stringify(bundle))
      fake.requests.length = 0

      const forkHome = tempHome()
      const fork = await cliInProcess(forkHome, ["replay", file, "--from", "PmPitches", "--dry-run"], liveEnv(fake, KEYS))
      assert.strictEqual(fork.code, 0, fork.stderr)
      assert.deepStrictEqual(fake.requests.map((q) => `${q.kind} ${q.model}`), ["pitch claude-sonnet-4-6"])
      // the fork records the lineup it asked, so it replays from its own recordings
      const forkId = /^forked run (\S+) from /m.exec(fork.stdout)![1]!
      await replaysSilently(fake, forkHome, forkId)
    } finally {
      await fake.close()
    }
  }, 60_000)
})

describe("pnpm pipeline replay --from a later stage of a run recorded before only the traded accounts' roles were asked", () => {
  it("the fork keeps the models whose answers it reuses, so it replays", async () => {
    const fake = await startFake()
    try {
      const home = tempHome()
      // every role asked live (as an older version asked for PM accounts alone), then its accounts made PM accounts
      const parent = await cliInProcess(home, ["run", "daily", "--dry-run", "--json"], liveEnv(fake, KEYS))
      assert.strictEqual(parent.code, 0, parent.stderr)
      const runId = (JSON.parse(parent.stdout) as { run: { id: string } }).run.id
      const exported = await cliInProcess(home, ["export", runId])
      assert.strictEqual(exported.code, 0, exported.stderr)
      const bundle = JSON.parse(exported.stdout) as { run: { params: { accounts: Array<{ id: string }> } }; hashes: { run: string } }
      bundle.run.params.accounts = bundle.run.params.accounts.filter((a) => a.id !== "COUNCIL")
      bundle.hashes.run = hashOf(bundle.run)
      const file = join(home, "older.json")
      writeFileSync(file, JSON.stringify(bundle))
      fake.requests.length = 0

      const forkHome = tempHome()
      const fork = await cliInProcess(forkHome, ["replay", file, "--from", "RiskApproval", "--dry-run"], liveEnv(fake, KEYS))
      assert.strictEqual(fork.code, 0, fork.stderr)
      assert.deepStrictEqual(fake.requests.length, 0)
      const forkId = /^forked run (\S+) from /m.exec(fork.stdout)![1]!
      await replaysSilently(fake, forkHome, forkId)
    } finally {
      await fake.close()
    }
  }, 60_000)
})

describe("pnpm pipeline run daily continuing a run stopped part-way", () => {
  it("asks with the lineup the run started with (--pms CLAUDE), not the command line that continues it, and replays", async () => {
    // CLAUDE's first pitch never answers in time: the process is killed while it waits
    const slow = await startFake((r) =>
      r.kind === "pitch" && r.model.startsWith("claude") && r.nth === 0 ? { ...answerWith(r, JSON.stringify(validAnswer(r))), delayMs: 60_000 } : undefined
    )
    try {
      const home = tempHome()
      const env = { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...liveEnv(slow, KEYS) }
      const child = spawn(process.execPath, [bin, "run", "daily", "--pms", "CLAUDE"], { env, stdio: ["ignore", "ignore", "pipe"] })
      let stderr = ""
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
      const killed = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)))
      for (let i = 0; i < 600 && slow.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
      child.kill("SIGKILL")
      assert.strictEqual(await killed, "SIGKILL", stderr)
      assert.deepStrictEqual(slow.requests.map((q) => `${q.kind} ${q.model}`), ["pitch claude-sonnet-4-6"])

      const resumed = await cliInProcess(home, ["run", "daily", "--json"], liveEnv(slow, KEYS))
      assert.strictEqual(resumed.code, 0, resumed.stderr)
      const runId = (JSON.parse(resumed.stdout) as { run: { id: string } }).run.id
      assert.deepStrictEqual(slow.requests.slice(1).map((q) => `${q.kind} ${q.model}`), ["pitch claude-sonnet-4-6", "review claude-sonnet-4-6", "chairman claude-sonnet-4-6"])
      assert.include(resumed.stderr, `LLM run ${runId} continues with the lineup it started with: live: CHATGPT offline, GEMINI offline, CLAUDE anthropic:claude-sonnet-4-6`)
      await replaysSilently(slow, home, runId)
    } finally {
      await slow.close()
    }
  }, 90_000)
})

describe("pnpm pipeline run daily continuing a run recorded before only the traded accounts' roles were asked", () => {
  it("asks with the models the run recorded, so it replays", async () => {
    const slow = await startFake((r) =>
      r.kind === "pitch" && r.model.startsWith("claude") && r.nth === 0 ? { ...answerWith(r, JSON.stringify(validAnswer(r))), delayMs: 60_000 } : undefined
    )
    try {
      const home = tempHome()
      const env = { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...liveEnv(slow, KEYS) }
      const child = spawn(process.execPath, [bin, "run", "daily"], { env, stdio: ["ignore", "ignore", "pipe"] })
      const killed = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)))
      for (let i = 0; i < 600 && !slow.requests.some((q) => q.model.startsWith("claude")); i++) await new Promise((resolve) => setTimeout(resolve, 50))
      child.kill("SIGKILL")
      assert.strictEqual(await killed, "SIGKILL")
      // every role asked live, its accounts made PM accounts alone: what an older version recorded for them
      const db = new DatabaseSync(join(home, "council.db"))
      try {
        const run = db.prepare("SELECT id, params_hash AS hash FROM runs").get() as { id: string; hash: string }
        const params = JSON.parse(blobText(db, run.hash)) as { accounts: Array<{ id: string }> }
        params.accounts = params.accounts.filter((a) => a.id !== "COUNCIL")
        // stored under its own hash, as the older version would have written it
        const older = JSON.stringify(params)
        db.prepare("INSERT INTO blobs (hash, body, data, base, z) VALUES (unhex(?), ?, NULL, NULL, 0)").run(textHash(older), older)
        db.prepare("UPDATE runs SET params_hash = ? WHERE id = ?").run(textHash(older), run.id)
      } finally {
        db.close()
      }

      const resumed = await cliInProcess(home, ["run", "daily", "--accounts", "CHATGPT,GEMINI,CLAUDE,GROQ,DEEPSEEK", "--json"], liveEnv(slow, KEYS))
      assert.strictEqual(resumed.code, 0, resumed.stderr)
      const runId = (JSON.parse(resumed.stdout) as { run: { id: string } }).run.id
      await replaysSilently(slow, home, runId)
    } finally {
      await slow.close()
    }
  }, 90_000)
})

describe("pnpm pipeline run daily continuing a run whose stage failed after some answers", () => {
  it("takes the answers the failed attempt recorded instead of asking (and paying) again, and replays", async () => {
    // CLAUDE answers last, invalidly, and at length: its corrective turn carries that answer back, so its worst case
    // (about $0.80) no longer fits the budget, while each pitch's (about $0.065) fits beside what the others cost
    // (about $0.011 for the five): PmPitches fails after five pitches, far from either edge
    const fake = await startFake((r) =>
      r.kind === "pitch" && r.model.startsWith("claude") && r.nth === 0
        ? { ...answerWith(r, JSON.stringify({ ...validAnswer(r), conviction: 42, notes: "x".repeat(200_000) })), delayMs: 1500 }
        : undefined
    )
    try {
      const home = tempHome()
      const budget = 0.2
      const failed = await cliInProcess(home, ["run", "daily", "--json"], { ...liveEnv(fake, KEYS), COUNCIL_LLM_BUDGET_USD: String(budget) })
      assert.strictEqual(failed.code, 1, failed.stderr)
      const refused = /LLM budget COUNCIL_LLM_BUDGET_USD=0\.2 would be exceeded: \$([\d.]+) spent in this run, and CLAUDE's pitch call to \S+ could cost up to \$([\d.]+)/
        .exec(failed.stderr)
      assert.isNotNull(refused, failed.stderr)
      // five pitches made (each fit), then the corrective turn refused: the budget is far from either edge — its worst
      // case over twice the budget, the five pitches' cost under a tenth of it
      const [spent, corrective] = [Number(refused![1]), Number(refused![2])]
      assert.isAbove(corrective, 2 * budget)
      assert.isBelow(spent, budget / 10)
      assert.strictEqual(fake.requests.filter((q) => q.kind === "pitch").length, 5)
      const before = fake.requests.length

      const resumed = await cliInProcess(home, ["run", "daily", "--json"], liveEnv(fake, KEYS))
      assert.strictEqual(resumed.code, 0, resumed.stderr)
      const again = fake.requests.slice(before).map((q) => q.kind)
      // only CLAUDE's pitch is asked again; then the five reviews and the chairman
      assert.deepStrictEqual(fake.requests.slice(before).filter((q) => q.kind === "pitch").map((q) => q.model), ["claude-sonnet-4-6"])
      assert.deepStrictEqual([again.filter((k) => k === "review").length, again.filter((k) => k === "chairman").length], [5, 1])
      const runId = (JSON.parse(resumed.stdout) as { run: { id: string } }).run.id
      await replaysSilently(fake, home, runId)
      // the answers taken are this run's own, paid once: only CLAUDE's lost first turn ($0.00396) is not in the record
      const shown = await cliInProcess(home, ["show", runId, "--json"])
      const llm = (JSON.parse(shown.stdout) as { llm: { droppedUsd: number; reusedExchanges: number } }).llm
      assert.strictEqual(llm.reusedExchanges, 0)
      assert.closeTo(llm.droppedUsd, 0.00396, 1e-9)
    } finally {
      await fake.close()
    }
  }, 90_000)
})

describe("pnpm pipeline: what a run was charged for its LLM calls", () => {
  /** The spend ledger's rows of a run: `[stage, actor, cost, estimated]`. */
  const spendOf = (home: string, runId?: string) => {
    const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
    try {
      const rows = db.prepare(`SELECT run_id, stage, actor, cost_usd, estimated FROM llm_spend ORDER BY id`).all() as Array<
        { run_id: string; stage: string; actor: string; cost_usd: number; estimated: number }
      >
      return rows.filter((r) => runId === undefined || r.run_id === runId)
    } finally {
      db.close()
    }
  }

  it("a run killed while a PM's call is under way, then resumed: the dropped attempt's calls stay charged, and show, show --llm and runs count them", async () => {
    // DEEPSEEK's first pitch never answers in time: the process is killed while it waits
    const slow = await startFake((r) =>
      r.kind === "pitch" && r.model.startsWith("deepseek") && r.nth === 0 ? { ...answerWith(r, JSON.stringify(validAnswer(r))), delayMs: 60_000 } : undefined
    )
    try {
      const home = tempHome()
      const env = { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...liveEnv(slow, KEYS) }
      const child = spawn(process.execPath, [bin, "run", "daily"], { env, stdio: ["ignore", "ignore", "pipe"] })
      let stderr = ""
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
      const killed = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)))
      // every pitch asked, the four quick ones answered and settled in the ledger
      for (let i = 0; i < 600; i++) {
        const settled = (() => {
          try {
            return spendOf(home).filter((r) => r.estimated === 0).length
          } catch {
            return 0 // no database, or not migrated yet
          }
        })()
        if (settled >= 4) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      child.kill("SIGKILL")
      assert.strictEqual(await killed, "SIGKILL", stderr)
      const dropped = spendOf(home)
      assert.strictEqual(dropped.length, 5, JSON.stringify(dropped))
      // the killed call is charged its worst case: the provider may have billed it
      assert.deepStrictEqual(dropped.filter((r) => r.estimated === 1).map((r) => [r.stage, r.actor]), [["PmPitches", "DEEPSEEK"]])

      const resumed = await cliInProcess(home, ["run", "daily", "--json"], liveEnv(slow, KEYS))
      assert.strictEqual(resumed.code, 0, resumed.stderr)
      const runId = (JSON.parse(resumed.stdout) as { run: { id: string } }).run.id
      const rows = spendOf(home, runId)
      const charged = rows.reduce((sum, r) => sum + r.cost_usd, 0)
      const droppedUsd = dropped.reduce((sum, r) => sum + r.cost_usd, 0)
      assert.strictEqual(rows.length, spendOf(home).length, "every call was made for this run")
      assert.isAbove(rows.length, dropped.length, "the resumed attempt asked again")
      const [summary, json, audit, runs] = await Promise.all([
        cliInProcess(home, ["show", runId]),
        cliInProcess(home, ["show", runId, "--json"]),
        cliInProcess(home, ["show", runId, "--llm"]),
        cliInProcess(home, ["runs"])
      ])
      const llm = (JSON.parse(json.stdout) as { llm: { totalUsd: number; droppedUsd: number } }).llm
      assert.closeTo(llm.totalUsd, charged, 1e-12)
      assert.closeTo(llm.droppedUsd, droppedUsd, 1e-9)
      const usd = (x: number) => (x < 0.01 ? `$${x.toFixed(5)}` : x < 1 ? `$${x.toFixed(4)}` : `$${x.toFixed(2)}`).replace(/[$.]/g, "\\$&")
      // the killed call's worst case is an estimate: the totals say so (≈) and how much of them it is
      const estimatedUsd = rows.filter((r) => r.estimated === 1).reduce((sum, r) => sum + r.cost_usd, 0)
      assert.isAbove(estimatedUsd, 0)
      assert.closeTo((JSON.parse(json.stdout) as { llm: { estimatedUsd: number } }).llm.estimatedUsd, estimatedUsd, 1e-12)
      const why = `\\(${usd(estimatedUsd)} of it estimated: the worst case of calls whose usage is unknown; ${usd(droppedUsd)} of it by calls of stage attempts that were dropped and retried: their exchanges are not in the record\\)`
      assert.match(summary.stdout, new RegExp(`^LLM total ≈${usd(charged)} ${why} · details: `, "m"))
      assert.match(summary.stdout, /^≈: includes the worst case charged for calls whose usage is unknown/m)
      assert.match(audit.stdout, new RegExp(`exchanges · ≈${usd(charged)} ${why}`))
      assert.match(runs.stdout, new RegExp(`^${runId} .* ≈${usd(charged)}$`, "m"))
    } finally {
      await slow.close()
    }
  }, 90_000)
})
