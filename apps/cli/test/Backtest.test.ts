import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync, renameSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Effect, Layer } from "effect"
import { RunStore } from "@council/engine"
import { Database, SqlRunStore } from "@council/store"
import { bin, cliAsync, tempHome, unstamped } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"
import { liveEnv, startFake } from "../../../packages/llm/test/FakeProvider.ts"

const KEYS = {
  OPENAI_API_KEY: "sk-bt-openai-4be1d9c0",
  GEMINI_API_KEY: "gm-bt-gemini-77c2a1f3",
  ANTHROPIC_API_KEY: "ant-bt-anthropic-90ffe7b2",
  GROQ_API_KEY: "gsk-bt-groq-31aa5d8e",
  DEEPSEEK_API_KEY: "ds-bt-deepseek-5e0c6b14"
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g
const BOOK = /bt-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}-[0-9a-f]{6}/g

/** Every run of a backtest database with its stages' outputs (the exchange's random order ids masked). */
const contents = (file: string) =>
  Effect.gen(function*() {
    const store = yield* RunStore
    const runs = yield* store.listRuns({ limit: 10_000 })
    const out: Array<string> = []
    for (const run of [...runs].reverse()) {
      out.push(`${run.id} ${run.status}`)
      for (const c of yield* store.getCheckpoints(run.id)) out.push(`  ${c.stage} ${JSON.stringify(c.output).replace(UUID, "<id>").replace(BOOK, "<book>")}`)
    }
    return out
  }).pipe(Effect.provide(SqlRunStore.layer.pipe(Layer.provide(Database.layerSqlite(file)))), Effect.runPromise)

const dbOf = (home: string) => {
  const files = readdirSync(join(home, "backtests")).filter((f) => f.endsWith(".db"))
  assert.strictEqual(files.length, 1, files.join(", "))
  return join(home, "backtests", files[0]!)
}

describe("pnpm pipeline backtest", () => {
  it("runs a short backtest in a database of its own, registered as a ledger book; nothing in the main run store", async () => {
    const home = tempHome()
    const result = await cliInProcess(home, ["backtest", "--from", "2026-05-04", "--to", "2026-05-08", "--accounts", "COUNCIL,CLAUDE", "--json"])
    assert.strictEqual(result.code, 0, result.stderr)
    const outcome = JSON.parse(result.stdout) as { id: string; status: string; sessions: number; started: number; database: string; report: string }
    assert.deepStrictEqual([outcome.status, outcome.sessions, outcome.started], ["completed", 5, 5])
    assert.strictEqual(outcome.database, join(home, "backtests", `${outcome.id}.db`))
    assert.strictEqual(outcome.report, join(home, "backtests", `${outcome.id}.report.html`))
    assert.match(readFileSync(outcome.report, "utf8"), /<html[\s\S]*<\/html>/)
    assert.strictEqual((JSON.parse(readFileSync(join(home, "backtests", `${outcome.id}.report.json`), "utf8")) as { book: { id: string } }).book.id, outcome.id)
    assert.match(result.stderr, /\] 5\/5 100\.0 % · [\d.]+ sessions\/s · ETA 0s · 2026-05-08/)

    const runs = await contents(outcome.database)
    assert.strictEqual(runs.filter((line) => line.endsWith(" completed")).length, 5)
    assert.isTrue(runs.some((line) => line.includes("Execution") && line.includes("\"account\":\"CLAUDE\"")))
    assert.strictEqual((await cliInProcess(home, ["runs"])).stdout.trim(), "no runs yet — start one with: pnpm pipeline run daily")

    const books = await cliInProcess(home, ["backtests", "--json"])
    assert.strictEqual(books.code, 0, books.stderr)
    const listed = (JSON.parse(books.stdout) as ReadonlyArray<{ id: string; status: string; from: string; to: string }>)
    assert.deepStrictEqual(listed.map((b) => [b.id, b.status, b.from, b.to]), [[outcome.id, "completed", "2026-05-04", "2026-05-08"]])
    const board = await cliInProcess(home, ["leaderboard", "--backtest", "latest"])
    assert.strictEqual(board.code, 0, board.stderr)
    // every session of both accounts reached the book: the last one by the closing reconciliation
    const csv = (await cliInProcess(home, ["equity", "--backtest", outcome.id, "--csv"])).stdout.trim().split("\n").slice(1)
    assert.sameMembers(csv.map((row) => row.split(",").slice(0, 2).join(" ")), ["CLAUDE", "COUNCIL"].flatMap((a) =>
      ["2026-05-04", "2026-05-05", "2026-05-06", "2026-05-07", "2026-05-08"].map((d) => `${a} ${d}`)))

    const again = await cliInProcess(home, ["backtest", "--resume", outcome.id, "--json"])
    assert.strictEqual(again.code, 0, again.stderr)
    assert.deepStrictEqual((JSON.parse(again.stdout) as { skipped: number; started: number }).skipped, 5)
  }, 60_000)

  it("leaderboard --backtest reads the mechanical vote's shadow account from the backtest's own runs", async () => {
    const home = tempHome()
    const result = await cliInProcess(home, ["backtest", "--from", "2026-04-01", "--to", "2026-05-01", "--accounts", "COUNCIL,CLAUDE", "--json"])
    assert.strictEqual(result.code, 0, result.stderr)
    const board = await cliInProcess(home, ["leaderboard", "--backtest", "latest", "--json"])
    assert.strictEqual(board.code, 0, board.stderr)
    const report = JSON.parse(board.stdout) as { contest: { baselines: { rows: ReadonlyArray<{ account: string; metrics: { sessions: number } }> } } }
    const mechanical = report.contest.baselines.rows.find((r) => r.account === "MECHANICAL")
    assert.isDefined(mechanical, board.stdout.slice(0, 400))
    assert.isAtLeast(mechanical!.metrics.sessions, 20)
    // the home's own run store holds no run: the votes came from the backtest's database
    assert.strictEqual((await cliInProcess(home, ["runs"])).stdout.trim(), "no runs yet — start one with: pnpm pipeline run daily")
    // a ledger without the backtest's database (a PostgreSQL dump restored without COUNCIL_HOME/backtests): said
    const id = (JSON.parse(result.stdout) as { id: string }).id
    const file = join(home, "backtests", `${id}.db`)
    renameSync(file, `${file}.away`)
    const without = await cliInProcess(home, ["leaderboard", "--backtest", "latest", "--json"])
    assert.strictEqual(without.code, 0, without.stderr)
    const bare = JSON.parse(without.stdout) as typeof report & { contest: { note: string } }
    assert.isUndefined(bare.contest.baselines.rows.find((r) => r.account === "MECHANICAL"))
    assert.include(bare.contest.note, "MECHANICAL: — (no recorded mechanical vote)")
    assert.strictEqual(without.stderr.split(`backtest ${id}: its database ${file} is missing, so its leaderboard has no mechanical vote`).length, 2, without.stderr)
  }, 60_000)

  it("the same backtest twice gives the same leaderboard, RANDOM and attribution included, under two ids", async () => {
    const home = tempHome()
    const command = ["backtest", "--from", "2026-03-02", "--to", "2026-05-01", "--accounts", "COUNCIL,CLAUDE,CHATGPT", "--json"]
    const ids: Array<string> = []
    const boards: Array<string> = []
    for (let i = 0; i < 2; i++) {
      const result = await cliInProcess(home, command)
      assert.strictEqual(result.code, 0, result.stderr)
      const id = (JSON.parse(result.stdout) as { id: string }).id
      ids.push(id)
      const board = await cliInProcess(home, ["leaderboard", "--backtest", id, "--json"])
      assert.strictEqual(board.code, 0, board.stderr)
      boards.push(board.stdout.replaceAll(id, "<book>"))
    }
    assert.notStrictEqual(ids[0], ids[1])
    const random = (JSON.parse(boards[0]!) as { contest: { baselines: { rows: ReadonlyArray<{ account: string; metrics: { turnover: number } }> } } })
      .contest.baselines.rows.find((r) => r.account === "RANDOM")
    assert.isAbove(random?.metrics.turnover ?? 0, 0, "RANDOM never traded: its seed would not show")
    assert.strictEqual(boards[1], boards[0])
  }, 120_000)

  it("a range typed from a weekend to a weekend is the backtest of its sessions: the same RANDOM as the range typed from its first session to its last", async () => {
    const home = tempHome()
    const randomOf = async (from: string, to: string) => {
      const result = await cliInProcess(home, ["backtest", "--from", from, "--to", to, "--accounts", "COUNCIL,CLAUDE,CHATGPT", "--json"])
      assert.strictEqual(result.code, 0, result.stderr)
      const id = (JSON.parse(result.stdout) as { id: string }).id
      const board = await cliInProcess(home, ["leaderboard", "--backtest", id, "--json"])
      assert.strictEqual(board.code, 0, board.stderr)
      const parsed = JSON.parse(board.stdout) as { contest: { baselines: { rows: ReadonlyArray<{ account: string; metrics: { turnover: number } }> } } }
      return parsed.contest.baselines.rows.find((r) => r.account === "RANDOM")
    }
    // 2026-02-28 is a Saturday, 2026-05-03 a Sunday: the sessions are 2026-03-02 … 2026-05-01 either way
    const typed = await randomOf("2026-02-28", "2026-05-03")
    const sessions = await randomOf("2026-03-02", "2026-05-01")
    assert.isAbove(sessions?.metrics.turnover ?? 0, 0, "RANDOM never traded: its seed would not show")
    assert.deepStrictEqual(typed, sessions)
  }, 120_000)

  it("a live backtest's prompts for a day are those `run daily` sends for it: pitches, reviews (the same anonymous order) and the chairman's", async () => {
    const fake = await startFake()
    try {
      const prompts = (from: number) => fake.requests.slice(from).map((r) => `${r.model} ${r.kind}\n${r.text}`).sort()
      const env = { ...liveEnv(fake, KEYS), COUNCIL_LLM_BUDGET_USD_MONTH: "100" }
      const run = await cliInProcess(tempHome(), ["run", "daily", "--date", "2026-05-04", "--accounts", "COUNCIL"], env)
      assert.strictEqual(run.code, 0, run.stderr)
      const live = prompts(0)
      const asked = fake.requests.length
      const backtest = await cliInProcess(tempHome(), ["backtest", "--from", "2026-05-04", "--to", "2026-05-04", "--accounts", "COUNCIL", "--pms", "live", "--json"], env)
      assert.strictEqual(backtest.code, 0, backtest.stderr)
      assert.deepStrictEqual(live.map((p) => p.split("\n")[0]!.split(" ")[1]).filter((k) => k === "review").length, 5)
      assert.deepStrictEqual(prompts(asked), live)
    } finally {
      await fake.close()
    }
  })

  it("live PMs (a fake provider on 127.0.0.1), then --pms replay: the same decisions, no request, no key", async () => {
    const fake = await startFake()
    try {
      const home = tempHome()
      const range = ["--from", "2026-05-04", "--to", "2026-05-06", "--accounts", "COUNCIL,CLAUDE", "--json"]
      // live PMs need a monthly limit: without one nothing is asked, nothing written
      const unbounded = await cliInProcess(home, ["backtest", ...range, "--pms", "live"], liveEnv(fake, KEYS))
      assert.strictEqual(unbounded.code, 2, unbounded.stderr)
      assert.strictEqual(unbounded.stderr.trim(), "error: --pms live: set COUNCIL_LLM_BUDGET_USD_MONTH first (3 sessions, each a run that asks every PM and the chairman; only the monthly limit bounds them all)")
      assert.strictEqual(fake.requests.length, 0)
      assert.isFalse(existsSync(join(home, "backtests")))
      const live = await cliInProcess(home, ["backtest", ...range, "--pms", "live"], { ...liveEnv(fake, KEYS), COUNCIL_LLM_BUDGET_USD_MONTH: "100" })
      assert.strictEqual(live.code, 0, live.stderr)
      const asked = fake.requests.length
      assert.isAbove(asked, 3 * 5, "every PM was asked on every session")
      const replayed = await cliInProcess(home, ["backtest", ...range, "--pms", "replay"])
      assert.strictEqual(replayed.code, 0, replayed.stderr)
      assert.strictEqual(fake.requests.length, asked, "a replay asks no model")
      assert.deepStrictEqual((JSON.parse(replayed.stdout) as { unanswered: object }).unanswered, {}, "every question found its recorded answer")
      const [first, second] = readdirSync(join(home, "backtests")).filter((f) => f.endsWith(".db")).map((f) => join(home, "backtests", f))
      const decisions = async (file: string) => (await contents(file)).filter((line) => /^ {2}(PmPitches|PeerReview|CouncilSynthesis|Execution) /.test(line))
      assert.deepStrictEqual(await decisions(second!), await decisions(first!))
      assert.isTrue((await decisions(first!)).some((line) => line.includes("openai:") || line.includes("anthropic:")), "the decisions are the models'")
      // what the live PMs cost lands in that backtest's book (and only there): its leaderboard's LLM cost and net P&L
      const liveId = (JSON.parse(live.stdout) as { id: string }).id
      const replayId = (JSON.parse(replayed.stdout) as { id: string }).id
      interface Board {
        llmCostRecorded: boolean
        leaderboard: { rows: ReadonlyArray<{ account: string; metrics: { llmCost: number | null; pnl: number; pnlNetOfCost: number | null } }> }
      }
      const boardOf = async (id: string) => JSON.parse((await cliInProcess(home, ["leaderboard", "--backtest", id, "--json"])).stdout) as Board
      const [paid, free] = [await boardOf(liveId), await boardOf(replayId)]
      assert.isTrue(paid.llmCostRecorded)
      const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
      const spent = (actor?: string) =>
        (db.prepare(`SELECT SUM(cost_usd) AS c FROM llm_spend WHERE book = ? AND trading_day < '2026-05-06' ${actor === undefined ? "" : "AND actor = ?"}`)
          .get(...[liveId, ...(actor === undefined ? [] : [actor])]) as { c: number }).c
      const council = paid.leaderboard.rows.find((r) => r.account === "COUNCIL")!.metrics
      const claude = paid.leaderboard.rows.find((r) => r.account === "CLAUDE")!.metrics
      assert.isAbove(spent(), 0)
      assert.closeTo(council.llmCost!, spent(), 1e-9)
      assert.closeTo(claude.llmCost!, spent("CLAUDE"), 1e-9)
      assert.closeTo(council.pnlNetOfCost!, council.pnl - spent(), 1e-9)
      db.close()
      assert.isFalse(free.llmCostRecorded, "a replay asks no model and pays nothing")
      // a call charged its worst case (its usage unknown: it timed out) marks the costs it is part of as estimates
      const table = async () => (await cliInProcess(home, ["leaderboard", "--backtest", liveId])).stdout
      assert.notInclude(await table(), "≈")
      const writable = new DatabaseSync(join(home, "council.db"))
      writable.prepare("UPDATE llm_spend SET estimated = 1 WHERE id = (SELECT MIN(id) FROM llm_spend WHERE book = ? AND actor = 'CLAUDE' AND trading_day = '2026-05-04')").run(liveId)
      writable.close()
      const marked = await table()
      assert.match(marked, /^\S+\s+CLAUDE .* ≈\$0\.\d+ +≈[−]?\$[\d,.]+ +\d+$/m)
      assert.match(marked, /^\S+\s+COUNCIL .* ≈\$0\.\d+ +≈[−]?\$[\d,.]+ +\d+$/m)
      assert.match(marked, /^≈: includes the worst case charged for calls whose usage is unknown/m)
      assert.deepStrictEqual((JSON.parse((await cliInProcess(home, ["leaderboard", "--backtest", liveId, "--json"])).stdout) as { llmCostEstimated: Array<string> }).llmCostEstimated.sort(), ["CLAUDE", "COUNCIL"])

      // sessions nobody recorded are replayed with the whole council abstaining: the user is told which
      const wider = await cliInProcess(home, ["backtest", "--from", "2026-05-04", "--to", "2026-05-08", "--accounts", "COUNCIL", "--pms", "replay", "--json"])
      assert.strictEqual(wider.code, 0, wider.stderr)
      const note = "--pms replay: 2 of 5 sessions have no recorded LLM answers (2026-05-07, 2026-05-08): there every PM abstains, so the council makes no trade"
      assert.include(wider.stderr.split("\n"), note)
      const widerOutcome = JSON.parse(wider.stdout) as { unrecorded: ReadonlyArray<string>; unanswered: Record<string, number> }
      assert.deepStrictEqual(widerOutcome.unrecorded, ["2026-05-07", "2026-05-08"])
      // without CLAUDE's account its pitch asks another question than the recorded one: it abstains every session
      assert.isAtLeast(widerOutcome.unanswered["CLAUDE"] ?? 0, 5, JSON.stringify(widerOutcome.unanswered))
      assert.isAtLeast(widerOutcome.unanswered["CHAIRMAN"] ?? 0, 1, JSON.stringify(widerOutcome.unanswered))
      // that replay recorded its misses: another replay does not take them for answers
      const again = await cliInProcess(home, ["backtest", "--from", "2026-05-04", "--to", "2026-05-08", "--accounts", "COUNCIL", "--pms", "replay", "--json"])
      assert.strictEqual(again.code, 0, again.stderr)
      assert.include(again.stderr.split("\n"), note)
      assert.deepStrictEqual(JSON.parse(again.stdout).unrecorded, widerOutcome.unrecorded)
      assert.deepStrictEqual(JSON.parse(again.stdout).unanswered, widerOutcome.unanswered)
      assert.strictEqual(fake.requests.length, asked, "still no request")
    } finally {
      await fake.close()
    }
  }, 60_000)

  it("live PMs for PM accounts only (no COUNCIL): each session asks those PMs' pitches and nothing else", async () => {
    const fake = await startFake()
    try {
      const range = ["--from", "2026-05-04", "--to", "2026-05-05", "--accounts", "CLAUDE", "--pms", "live", "--json"]
      const unbounded = await cliInProcess(tempHome(), ["backtest", ...range], liveEnv(fake, KEYS))
      assert.strictEqual(unbounded.stderr.trim(), "error: --pms live: set COUNCIL_LLM_BUDGET_USD_MONTH first (2 sessions, each a run that asks its accounts' PMs; only the monthly limit bounds them all)")
      const home = tempHome()
      const live = await cliInProcess(home, ["backtest", ...range], { ...liveEnv(fake, { ANTHROPIC_API_KEY: KEYS.ANTHROPIC_API_KEY }), COUNCIL_LLM_BUDGET_USD_MONTH: "100" })
      assert.strictEqual(live.code, 0, live.stderr)
      assert.deepStrictEqual(fake.requests.map((q) => `${q.path} ${q.kind} ${q.model}`), ["/v1/messages pitch claude-sonnet-4-6", "/v1/messages pitch claude-sonnet-4-6"])
      const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
      const spend = db.prepare("SELECT actor, trading_day FROM llm_spend ORDER BY trading_day").all() as Array<{ actor: string; trading_day: string }>
      db.close()
      assert.deepStrictEqual(spend.map((r) => [r.actor, r.trading_day]), [["CLAUDE", "2026-05-04"], ["CLAUDE", "2026-05-05"]])
    } finally {
      await fake.close()
    }
  }, 60_000)

  it("--pms replay after a live backtest of a PM account alone: the council's recorded decisions replay all the same", async () => {
    const fake = await startFake()
    try {
      const home = tempHome()
      const env = { ...liveEnv(fake, KEYS), COUNCIL_LLM_BUDGET_USD_MONTH: "100" }
      const days = ["--from", "2026-05-04", "--to", "2026-05-05"]
      const both = [...days, "--accounts", "COUNCIL,CLAUDE", "--json"]
      const live = await cliInProcess(home, ["backtest", ...both, "--pms", "live"], env)
      assert.strictEqual(live.code, 0, live.stderr)
      // a later backtest of CLAUDE's account alone asks (and records) CLAUDE's pitches only
      const claude = await cliInProcess(home, ["backtest", ...days, "--accounts", "CLAUDE", "--pms", "live", "--json"], env)
      assert.strictEqual(claude.code, 0, claude.stderr)
      const asked = fake.requests.length
      const replayed = await cliInProcess(home, ["backtest", ...both, "--pms", "replay"])
      assert.strictEqual(replayed.code, 0, replayed.stderr)
      assert.strictEqual(fake.requests.length, asked, "a replay asks no model")
      assert.deepStrictEqual((JSON.parse(replayed.stdout) as { unanswered: object }).unanswered, {}, "every question found its recorded answer")
      const fileOf = (r: { stdout: string }) => join(home, "backtests", `${(JSON.parse(r.stdout) as { id: string }).id}.db`)
      const decisions = async (file: string) =>
        (await contents(file)).filter((line) => /^ {2}(PmPitches|PeerReview|CouncilSynthesis|Execution) /.test(line))
      assert.deepStrictEqual(await decisions(fileOf(replayed)), await decisions(fileOf(live)))
    } finally {
      await fake.close()
    }
  }, 60_000)

  it("live PMs over the LLM budget: nothing is asked, the backtest stops saying which limit to raise, and --resume under a raised one finishes it", async () => {
    const fake = await startFake()
    try {
      const home = tempHome()
      const range = ["--from", "2026-05-04", "--to", "2026-05-05", "--accounts", "COUNCIL", "--pms", "live"]
      const refused = await cliInProcess(home, ["backtest", ...range], { ...liveEnv(fake, KEYS), COUNCIL_LLM_BUDGET_USD: "0.001", COUNCIL_LLM_BUDGET_USD_MONTH: "100" })
      assert.strictEqual(refused.code, 1, refused.stderr)
      assert.strictEqual(fake.requests.length, 0, "no call was made")
      const id = /\(raise COUNCIL_LLM_BUDGET_USD, then continue it with: pnpm pipeline backtest --resume (\S+)\)$/.exec(refused.stderr.trim())?.[1]
      assert.isDefined(id, refused.stderr)
      assert.match(refused.stderr, /LLM budget COUNCIL_LLM_BUDGET_USD=0\.001 would be exceeded: \$0 spent in this run/)
      const resumed = await cliInProcess(home, ["backtest", "--resume", id!, "--json"], { ...liveEnv(fake, KEYS), COUNCIL_LLM_BUDGET_USD: "5", COUNCIL_LLM_BUDGET_USD_MONTH: "100" })
      assert.strictEqual(resumed.code, 0, resumed.stderr)
      const outcome = JSON.parse(resumed.stdout) as { status: string; resumed: number; started: number }
      assert.deepStrictEqual([outcome.status, outcome.resumed, outcome.started], ["completed", 1, 1])
      assert.isAbove(fake.requests.length, 2 * 5)
    } finally {
      await fake.close()
    }
  }, 60_000)

  it("--resume of a live backtest asks the lineup it started with, not the one today's settings name", async () => {
    const fake = await startFake()
    try {
      const home = tempHome()
      const range = ["--from", "2026-05-04", "--to", "2026-05-05", "--accounts", "CLAUDE", "--pms", "live"]
      const claude = { ...liveEnv(fake, { ANTHROPIC_API_KEY: KEYS.ANTHROPIC_API_KEY }), COUNCIL_LLM_BUDGET_USD_MONTH: "100" }
      // the first session stops at the budget before any call: the backtest stops, started with claude-sonnet-4-6
      const stopped = await cliInProcess(home, ["backtest", ...range], { ...claude, COUNCIL_LLM_BUDGET_USD: "0.001" })
      assert.strictEqual(stopped.code, 1, stopped.stderr)
      const id = /continue it with: pnpm pipeline backtest --resume (\S+)\)$/.exec(stopped.stderr.trim())![1]!
      const resumed = await cliInProcess(home, ["backtest", "--resume", id, "--json"], { ...claude, COUNCIL_MODEL_CLAUDE: "anthropic:claude-haiku-4-5" })
      assert.strictEqual(resumed.code, 0, resumed.stderr)
      assert.include(resumed.stderr, `LLM backtest ${id} continues with the lineup it started with: live: CHATGPT offline, GEMINI offline, CLAUDE anthropic:claude-sonnet-4-6, GROQ offline, DEEPSEEK offline · chairman offline · no peer review asked\n`)
      assert.deepStrictEqual(fake.requests.map((q) => `${q.kind} ${q.model}`), ["pitch claude-sonnet-4-6", "pitch claude-sonnet-4-6"])
      const models = await Effect.runPromise(
        RunStore.use((s) => s.listRuns({ limit: 10 })).pipe(Effect.provide(SqlRunStore.layer.pipe(Layer.provide(Database.layerSqlite(dbOf(home))))))
      )
      assert.deepStrictEqual(
        models.map((r) => (r.params as { models: ReadonlyArray<{ role: string; model: string }> }).models.find((m) => m.role === "CLAUDE")?.model),
        ["anthropic:claude-sonnet-4-6", "anthropic:claude-sonnet-4-6"]
      )
    } finally {
      await fake.close()
    }
  }, 60_000)

  it("Ctrl-C (SIGINT) stops it as interrupted, exit 130, and says how to continue", async () => {
    const home = tempHome()
    const child = spawn(process.execPath, [bin, "backtest", "--from", "2026-01-02", "--to", "2026-04-30", "--accounts", "COUNCIL", "--json"], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    let stderr = ""
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (!stderr.includes(" sessions/s ") && (stderr += d).includes(" sessions/s ")) child.kill("SIGINT")
      else stderr += d
    })
    assert.strictEqual(await exited, 130, stderr)
    const id = /continue it with: pnpm pipeline backtest --resume (\S+)/.exec(stderr)?.[1]
    assert.isDefined(id, stderr)
    // the error line, and --json's error document, name the backtest and how to continue it (not a bare "interrupted")
    const line = `backtest ${id} interrupted; continue it with: pnpm pipeline backtest --resume ${id}`
    assert.strictEqual(unstamped(stderr).trim().split("\n").at(-1), `error: ${line}`)
    assert.deepStrictEqual(JSON.parse(stdout), { error: { exitCode: 130, message: line } })
    const listed = JSON.parse((await cliInProcess(home, ["backtests", "--json"])).stdout) as ReadonlyArray<
      { id: string; status: string; from: string; to: string; sessions: number; firstSession: string; lastSession: string }
    >
    assert.deepStrictEqual(listed.map((b) => [b.id, b.status, b.from, b.to]), [[id, "interrupted", "2026-01-02", "2026-04-30"]])
    // the table says what was asked and how far it got: the sessions recorded, of the range's 82
    const [book] = listed
    assert.strictEqual(book!.firstSession, "2026-01-02")
    assert.isBelow(book!.sessions, 82)
    assert.isTrue(book!.lastSession < "2026-04-30", book!.lastSession)
    const row = (await cliInProcess(home, ["backtests"])).stdout.split("\n").find((l) => l.startsWith(id!))
    assert.match(row ?? "", new RegExp(`^${id}\\s+interrupted\\s+2026-01-02 … 2026-04-30\\s+2026-01-02 … ${book!.lastSession}\\s+${book!.sessions} of 82\\s+1\\s`))
    // its leaderboard says so above its figures, as its report does: they cover the sessions recorded, not the range
    const board = await cliInProcess(home, ["leaderboard", "--backtest", id!])
    assert.strictEqual(board.code, 0, board.stderr)
    assert.strictEqual(
      board.stdout.split("\n")[0],
      `note: backtest ${id} is interrupted: ${book!.sessions} of 82 sessions recorded (2026-01-02 … ${book!.lastSession}) of 2026-01-02 … 2026-04-30; every figure below covers those alone; continue it with: pnpm pipeline backtest --resume ${id}`
    )
    // `--resume latest` continues the newest backtest, as `--backtest latest` names it
    const resumed = await cliInProcess(home, ["backtest", "--resume", "latest", "--json"])
    assert.strictEqual(resumed.code, 0, resumed.stderr)
    assert.deepStrictEqual((({ id, status, sessions }) => ({ id, status, sessions }))(JSON.parse(resumed.stdout) as { id: string; status: string; sessions: number }), { id: id!, status: "completed", sessions: 82 })
    assert.match((await cliInProcess(home, ["leaderboard", "--backtest", id!])).stdout, new RegExp(`^book ${id} · 2026-01-02 … 2026-04-30 · 82 sessions`))
    // resumed once more, nothing is left to run: its sessions ran before (not "skipped", as if left out)
    const again = await cliInProcess(home, ["backtest", "--resume", id!])
    assert.strictEqual(again.code, 0, again.stderr)
    assert.match(again.stdout, /^BACKTEST\s+STATUS\s+RANGE\s+SESSIONS\s+RAN\s+ALREADY RUN\s+PMS\s/)
    assert.match(again.stdout, new RegExp(`\n${id}\\s+completed\\s+2026-01-02 … 2026-04-30\\s+82\\s+0\\s+82\\s+offline\\s`))
  }, 60_000)

  it("--resume of a backtest another process is still running is refused naming that process (exit 2), which runs on", async () => {
    const home = tempHome()
    const child = spawn(process.execPath, [bin, "backtest", "--from", "2025-01-02", "--to", "2026-04-30", "--accounts", "COUNCIL"], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    let stderr = ""
    const running = new Promise<string>((resolve) =>
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d
        if (stderr.includes(" sessions/s ")) resolve(/backtest (\S+) started/.exec(stderr)![1]!)
      }))
    const id = await running
    const second = await cliInProcess(home, ["backtest", "--resume", id])
    assert.strictEqual(second.code, 2, second.stderr)
    assert.match(second.stderr.trim(), new RegExp(`^error: backtest --resume ${id}: backtest:${id} is being run by backtest ${id} \\(pid ${child.pid} on .+\\); try again when it is done$`))
    child.kill("SIGINT")
    assert.strictEqual(await exited, 130, stderr)
    assert.notInclude(stderr, "failed", "the first process was not disturbed")
  }, 60_000)

  it("a range past the data's last session says where the data ends, and backtests lists what it recorded", async () => {
    const home = tempHome()
    const r = await cliInProcess(home, ["backtest", "--from", "2026-06-03", "--to", "2026-12-31", "--accounts", "COUNCIL"])
    assert.strictEqual(r.code, 0, r.stderr)
    const id = /^backtest (\S+) started: 4 sessions 2026-06-03 … 2026-12-31 \(the data ends 2026-06-08\), database /m.exec(unstamped(r.stderr))?.[1]
    assert.isDefined(id, r.stderr)
    const listed = await cliInProcess(home, ["backtests"])
    assert.match(listed.stdout, new RegExp(`\n${id}\\s+completed\\s+2026-06-03 … 2026-12-31\\s+2026-06-03 … 2026-06-08\\s+4 of 4\\s+1\\s`))
  }, 60_000)

  it("says its exit codes in --help", async () => {
    const help = await cliInProcess(undefined, ["backtest", "--help"])
    assert.strictEqual(help.code, 0)
    assert.match(help.stdout, /Exit codes: 0 every session ran/)
    assert.match(help.stdout, /--resume/)
  })

  it("killed with SIGKILL mid-backtest, --resume finishes it with the same result as an uninterrupted backtest, with the fill model it was started with", async () => {
    const range = ["--from", "2026-03-02", "--to", "2026-04-10", "--accounts", "COUNCIL,GEMINI,GROQ"]
    // started with a slippage of 60 bps; resumed in a shell that no longer sets it (the default is 5)
    const started = { COUNCIL_SLIPPAGE_BPS: "60" }
    const reference = tempHome()
    const uninterrupted = cliAsync(reference, ["backtest", ...range, "--json"], started)

    const home = tempHome()
    const child = spawn(process.execPath, [bin, "backtest", ...range], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...started },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    const killed = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)))
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d
      // the first progress line: one session done, the next under way
      if (stderr.includes(" sessions/s ")) child.kill("SIGKILL")
    })
    assert.strictEqual(await killed, "SIGKILL", stderr)
    assert.isTrue(existsSync(dbOf(home)))
    const listed = JSON.parse((await cliInProcess(home, ["backtests", "--json"])).stdout) as ReadonlyArray<{ id: string; status: string }>
    assert.strictEqual(listed[0]?.status, "running")

    const resumed = await cliInProcess(home, ["backtest", "--resume", listed[0]!.id, "--json"])
    assert.strictEqual(resumed.code, 0, resumed.stderr)
    const outcome = JSON.parse(resumed.stdout) as { status: string; sessions: number; started: number; resumed: number; skipped: number }
    assert.strictEqual(outcome.status, "completed")
    assert.isAtLeast(outcome.skipped, 1)
    assert.strictEqual(outcome.skipped + outcome.resumed + outcome.started, outcome.sessions)
    assert.include(resumed.stderr, `backtest ${listed[0]!.id}: resumed with the fill model it was started with (slippage 60 bps, commission $0/share (least $0), fills 100 %), not today's settings (slippage 5 bps,`)
    const full = await uninterrupted
    assert.strictEqual(full.code, 0, full.stderr)
    assert.deepStrictEqual(await contents(dbOf(home)), await contents(dbOf(reference)))
    // the baselines fill as the accounts did: the report (written under 60 bps) and a leaderboard read today agree
    const report = JSON.parse(readFileSync((JSON.parse(full.stdout) as { report: string }).report.replace(/\.html$/, ".json"), "utf8")) as { leaderboard: { contest: { baselines: unknown } } }
    const today = JSON.parse((await cliInProcess(reference, ["leaderboard", "--backtest", "latest", "--json"])).stdout) as typeof report.leaderboard
    assert.deepStrictEqual(today.contest.baselines, report.leaderboard.contest.baselines)
    // and the ledger books the Reconcile stage wrote in the main databases hold the same equity series
    const csv = async (at: string) => (await cliInProcess(at, ["equity", "--backtest", "latest", "--csv"])).stdout
    const series = await csv(home)
    assert.isAbove(series.trim().split("\n").length, 20)
    assert.strictEqual(series, await csv(reference))
    const after = JSON.parse((await cliInProcess(home, ["backtests", "--json"])).stdout) as ReadonlyArray<{ status: string }>
    assert.strictEqual(after[0]?.status, "completed")
  }, 120_000)
})
