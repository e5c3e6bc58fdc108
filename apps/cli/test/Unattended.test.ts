import { spawn } from "node:child_process"
import { appendFileSync, cpSync } from "node:fs"
import type { Server } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { errorWith, liveEnv, startFake } from "../../../packages/llm/test/FakeProvider.ts"
import { bin, tempHome, unstamped } from "./CliHarness.ts"
import { holdDayLease } from "./DayLease.ts"
import { cliInProcess, cliOk } from "./InProcess.ts"
import { slackHomes } from "./SlackHome.ts"

/** `run daily --date day --require-approval`, which ends awaiting an approval: the run's id. */
const awaitingApproval = async (home: string, day: string, env: Record<string, string>) => {
  const run = await cliOk(home, ["run", "daily", "--date", day, "--require-approval"], env)
  const id = /^run (\S+) · awaiting approval/m.exec(run)?.[1]
  assert.isDefined(id, run)
  return id!
}

/** What an operator who reads only Slack learns of a timer's runs. */
describe("an unattended deployment, as its operator sees it", () => {
  const slackHome = slackHomes()

  it("a run refused before it starts (the cutoff passed: a timer at the wrong New York time) is told to Slack, not only to the log", async () => {
    const { slack, env } = await slackHome.receiver()
    const late = await cliInProcess(tempHome(), ["run", "daily", "--date", "2026-06-05", "--at", "15:51"], env)
    assert.strictEqual(late.code, 1, late.stderr)
    assert.match(late.stderr, /^error: it is 2026-06-05 15:51 New York time: the market-on-close cutoff/m)
    const all = slack.texts.join("\n")
    assert.match(all, /^:rotating_light: \*ERROR\* · \*Failed: run daily --date 2026-06-05\*$/m)
    assert.match(all, /the market-on-close cutoff \(15:50, 10 minutes before the 16:00 close\) has passed, so nothing is sent/)
  }, 60_000)

  it("a run that goes ahead long before the close (a UTC cron entry after a DST switch) is told to Slack as a warning", async () => {
    const { slack, env } = await slackHome.receiver()
    const early = await cliInProcess(tempHome(), ["run", "daily", "--date", "2025-11-03", "--at", "14:45"], env)
    assert.strictEqual(early.code, 0, early.stderr)
    const all = slack.texts.join("\n")
    assert.match(all, /^:warning: \*WARN\* · \*Run off its schedule's time\*\nwarning: it is 2025-11-03 14:45 New York time, 75 minutes before the 16:00 close/m)
  }, 60_000)

  it("a daily timer over the bundled bars, behind the clock, is told there is nothing new to trade (the first run runs as before)", async () => {
    const { home, env, slack } = await slackHome.home()
    const first = await cliInProcess(home, ["run", "daily"], env)
    assert.strictEqual(first.code, 0, first.stderr)
    const day = first.stderr.match(/^Starting run \S+ · daily · trading day (\d{4}-\d{2}-\d{2})$/m)![1]!
    // the machine's clock is past the bundled data's last session (it ends in 2026)
    assert.isTrue(day < new Date().toISOString().slice(0, 10), day)
    assert.notInclude(first.stderr, "behind the clock")
    slack.texts.length = 0
    const again = await cliInProcess(home, ["run", "daily"], env)
    assert.strictEqual(again.code, 0, again.stderr)
    assert.include(again.stderr, `Trading day ${day} already ran as`)
    const said = new RegExp(`the bundled bars end ${day}, before the session by the clock \\(\\d{4}-\\d{2}-\\d{2}\\): ${day} already ran, nothing new to trade`)
    assert.match(again.stderr, said)
    assert.match(slack.texts.join("\n"), said)
    assert.match(slack.texts.join("\n"), /\*WARN\* · \*Market data behind the clock\*/)
    // a day the command names is that day: nothing said of the clock
    const named = await cliInProcess(home, ["run", "daily", "--date", day], env)
    assert.strictEqual(named.code, 0, named.stderr)
    assert.notInclude(named.stderr, "behind the clock")
  }, 120_000)

  it("a dry run long before the close (a preview) warns on stderr only: it sends nothing, so Slack is not told it is off schedule", async () => {
    const { slack, env } = await slackHome.receiver()
    const preview = await cliInProcess(tempHome(), ["run", "daily", "--date", "2025-11-03", "--at", "10:00", "--dry-run"], env)
    assert.strictEqual(preview.code, 0, preview.stderr)
    assert.match(preview.stderr, /^warning: it is 2025-11-03 10:00 New York time, 360 minutes before the 16:00 close/m)
    assert.notMatch(slack.texts.join("\n"), /off its schedule/)
  }, 60_000)

  it("a market data feed that does not answer (HTTP 500) fails the run (exit 1) and is told to Slack: not a usage error about --date", async () => {
    const { slack } = await slackHome.receiver()
    const feed: Server = testServer((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" })
      res.end(JSON.stringify({ message: "internal server error" }))
    })
    await new Promise<void>((done) => feed.listen(0, "127.0.0.1", done))
    slackHome.closeAfter({ close: () => new Promise<void>((done) => feed.close(() => done())) })
    const env = {
      SLACK_WEBHOOK_URL: slack.url,
      COUNCIL_DATA: "alpaca",
      COUNCIL_DATA_URL: `http://127.0.0.1:${(feed.address() as AddressInfo).port}`,
      ALPACA_PERSONAL_KEY_ID: "AKFEEDKEY0001",
      ALPACA_PERSONAL_SECRET_KEY: "feed-secret-never-shown",
      COUNCIL_BARS_CACHE: "off"
    }
    for (const args of [["run", "daily", "--date", "2026-06-05"], ["run", "daily"]]) {
      const down = await cliInProcess(tempHome(), args, env)
      assert.strictEqual(down.code, 1, down.stderr)
      assert.match(down.stderr, /^error: alpaca: HTTP 500 for GET \/v2\/stocks\/bars .*: internal server error$/m)
      assert.notMatch(down.stderr, /--date 2026-06-05:|feed-secret-never-shown|\n\s+at /)
    }
    const all = slack.texts.join("\n")
    assert.match(all, /^:rotating_light: \*ERROR\* · \*Failed: run daily --date 2026-06-05\*\nalpaca: HTTP 500 for GET/m)
    assert.match(all, /^:rotating_light: \*ERROR\* · \*Failed: run daily\*\nalpaca: HTTP 500 for GET/m)
    assert.notInclude(all, "feed-secret-never-shown")
  }, 60_000)

  it("market data that cannot be loaded (a corrupt bars file, a bars directory that is not one) is told to Slack, not only to the log", async () => {
    const { slack } = await slackHome.receiver()
    const corrupt = join(tempHome(), "bars")
    cpSync(new URL("../../../data/bars/daily", import.meta.url).pathname, corrupt, { recursive: true })
    appendFileSync(join(corrupt, "SPY.csv"), "2026-06-09,1,2\n")
    const notADirectory = join(corrupt, "SPY.csv")
    for (const [dir, line] of [[corrupt, /SPY\.csv: line \d+ has 3 fields, expected 6/], [notADirectory, /cannot read the bars directory .*ENOTDIR/]] as const) {
      const broken = await cliInProcess(tempHome(), ["run", "daily", "--date", "2026-06-05"], {
        SLACK_WEBHOOK_URL: slack.url,
        COUNCIL_BARS_DIR: dir,
        COUNCIL_BARS_CACHE: "off"
      })
      assert.strictEqual(broken.code, 2, broken.stderr)
      // bad input: one line on stderr; Slack is told apart from it
      assert.strictEqual(broken.stderr.trim().split("\n").length, 1, broken.stderr)
      assert.match(broken.stderr, line)
      const told = slack.texts.join("\n")
      assert.match(told, /^:rotating_light: \*ERROR\* · \*Failed: run daily --date 2026-06-05\*\nCOUNCIL_BARS_DIR: /m)
      assert.match(told, line)
      slack.texts.length = 0
    }
  }, 60_000)

  it("SIGTERM before the run starts (a feed slow to answer) ends the command as interrupted (exit 130) and is told to Slack", async () => {
    const { slack } = await slackHome.receiver()
    let asked: () => void = () => {}
    const waiting = new Promise<void>((resolve) => (asked = resolve))
    // a feed that never answers: the command is still choosing its day when the signal comes
    const feed: Server = testServer(() => asked())
    await new Promise<void>((done) => feed.listen(0, "127.0.0.1", done))
    slackHome.closeAfter({ close: () => new Promise<void>((done) => (feed.closeAllConnections(), feed.close(() => done()))) })
    const child = spawn(process.execPath, [bin, "run", "daily"], {
      env: {
        PATH: process.env["PATH"] ?? "",
        HOME: process.env["HOME"] ?? "",
        COUNCIL_HOME: tempHome(),
        SLACK_WEBHOOK_URL: slack.url,
        COUNCIL_DATA: "alpaca",
        COUNCIL_DATA_URL: `http://127.0.0.1:${(feed.address() as AddressInfo).port}`,
        ALPACA_PERSONAL_KEY_ID: "AKFEEDKEY0001",
        ALPACA_PERSONAL_SECRET_KEY: "feed-secret-never-shown"
      }
    })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
    await waiting
    child.kill("SIGTERM")
    assert.strictEqual(await exited, 130, stderr)
    assert.match(unstamped(stderr), /^error: interrupted outside its run's stages \(none was stopped part-way\); run it again to go on: pnpm pipeline run daily$/m)
    assert.match(slack.texts.join("\n"), /^:rotating_light: \*ERROR\* · \*Failed: run daily\*\ninterrupted outside its run's stages/m)
  }, 60_000)

  it("a usage error is not sent to Slack: nothing was attempted", async () => {
    const { slack, env } = await slackHome.receiver()
    const bad = await cliInProcess(tempHome(), ["run", "daily", "--date", "2026-06-05", "--at", "25:99"], env)
    assert.strictEqual(bad.code, 2, bad.stderr)
    assert.deepStrictEqual(slack.texts, [])
  }, 60_000)

  it("after days without a run (the machine was off), the next run names the missed sessions and gives its P&L since the last run", async () => {
    const { home, env, slack } = await slackHome.home()
    // Monday, then nothing until Friday: Tuesday to Thursday are missed; Wednesday's run waited for an approval that never came
    const monday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-01"], env)
    assert.strictEqual(monday.code, 0, monday.stderr)
    const waiting = await awaitingApproval(home, "2026-06-03", env)
    const friday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
    assert.strictEqual(friday.code, 0, friday.stderr)
    const mondayRun = /^run (\S+) · completed/m.exec(monday.stdout)?.[1]
    const warning = /^WARN 3 sessions without a completed run before 2026-06-05 — (.*)$/m.exec(friday.stderr)
    assert.isNotNull(warning, friday.stderr)
    assert.include(warning![1]!, `the last completed run is of 2026-06-01 (${mondayRun})`)
    assert.include(warning![1]!, `2026-06-02: no run | 2026-06-03: run ${waiting} was never approved | 2026-06-04: no run`)
    assert.match(friday.stderr, /^INFO Run summary 2026-06-05 .* COUNCIL \d+ orders? · equity \$[\d,.]+ · P&L since 2026-06-01 (?:[+−]\$[\d,.]+|\$0\.00)/m)
    assert.notMatch(friday.stderr, /day P&L/)
    assert.match(slack.texts.join("\n"), /\*WARN\* · \*3 sessions without a completed run before 2026-06-05\*/)
    // the next session follows the last run: no warning, a day's P&L again
    const monday2 = await cliInProcess(home, ["run", "daily", "--date", "2026-06-08"], env)
    assert.strictEqual(monday2.code, 0, monday2.stderr)
    assert.notMatch(monday2.stderr, /without a completed run/)
    assert.match(monday2.stderr, /COUNCIL \d+ orders? · equity \$[\d,.]+ · day P&L (?:[+−]\$[\d,.]+|\$0\.00)/)
  }, 120_000)

  it("a long series of previews (dry runs) since the last completed run does not hide it: the P&L still runs from it", async () => {
    const home = tempHome()
    const thursday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04"])
    assert.strictEqual(thursday.code, 0, thursday.stderr)
    const preview = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--dry-run"])
    assert.strictEqual(preview.code, 0, preview.stderr)
    const db = new DatabaseSync(join(home, "council.db"))
    const dry = db.prepare("SELECT id FROM runs WHERE dry_run = 1").all() as Array<{ id: string }>
    assert.strictEqual(dry.length, 1)
    // sixty more previews, each started later than the last (copies of the one run: the same parameters)
    const copy = db.prepare(`INSERT INTO runs (id, pipeline, trading_day, as_of, mode, dry_run, code_version, parent_run_id, fork_from,
      status, started_at, finished_at, error, params_hash, origin)
      SELECT ?, pipeline, trading_day, as_of, mode, dry_run, code_version, parent_run_id, fork_from, status, ?, finished_at, error,
      params_hash, origin FROM runs WHERE id = ?`)
    const { latest } = db.prepare("SELECT max(started_at) AS latest FROM runs").get() as { latest: string }
    for (let i = 1; i <= 60; i++) copy.run(`${dry[0]!.id}-${i}`, new Date(Date.parse(latest) + i * 1000).toISOString(), dry[0]!.id)
    db.close()
    const friday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"])
    assert.strictEqual(friday.code, 0, friday.stderr)
    assert.match(friday.stderr, /^INFO Run summary 2026-06-05 .* COUNCIL \d+ orders? · equity \$[\d,.]+ · day P&L (?:[+−]\$[\d,.]+|\$0\.00)/m)
  }, 120_000)

  it("a run refused at the day's lock (another process runs the day) does not tell the missed sessions: the holder does", async () => {
    const { home, env, slack } = await slackHome.home()
    const monday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-01"], env)
    assert.strictEqual(monday.code, 0, monday.stderr)
    const holder = holdDayLease(home, "2026-06-05")
    try {
      const refused = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
      assert.strictEqual(refused.code, 2, refused.stderr)
      assert.match(refused.stderr, /is being run by run daily 2026-06-05/)
      assert.notMatch(refused.stderr + slack.texts.join("\n"), /without a completed run/)
    } finally {
      await holder.release()
    }
    const friday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
    assert.strictEqual(friday.code, 0, friday.stderr)
    assert.strictEqual(slack.texts.filter((t) => /3 sessions without a completed run before 2026-06-05/.test(t)).length, 1, slack.texts.join("\n"))
  }, 120_000)

  it("after a session whose run was rejected, nothing is missed, but the P&L is since the last completed run, not a day's", async () => {
    const { home, env, slack } = await slackHome.home()
    const monday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-01"], env)
    assert.strictEqual(monday.code, 0, monday.stderr)
    const waiting = await awaitingApproval(home, "2026-06-02", env)
    const rejected = await cliInProcess(home, ["approve", waiting, "--reject"], env)
    assert.strictEqual(rejected.code, 0, rejected.stderr)
    const wednesday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-03"], env)
    assert.strictEqual(wednesday.code, 0, wednesday.stderr)
    assert.notMatch(wednesday.stderr, /without a completed run/)
    assert.match(wednesday.stderr, /^INFO Run summary 2026-06-03 .* CHATGPT \d+ orders? · equity \$[\d,.]+ · P&L since 2026-06-01 (?:[+−]\$[\d,.]+|\$0\.00)/m)
    assert.notMatch(wednesday.stderr, /day P&L/)
    assert.notMatch(slack.texts.join("\n"), /day P&L/)
  }, 120_000)

  it("every LLM provider refusing its key (revoked) makes every PM abstain: COUNCIL holds its book instead of selling it", async () => {
    const revoked = await startFake((r) => errorWith(r, 401, "invalid_api_key", "Incorrect API key provided"))
    slackHome.closeAfter(revoked)
    const home = tempHome()
    const before = await cliInProcess(home, ["run", "daily", "--date", "2025-10-27"])
    assert.strictEqual(before.code, 0, before.stderr)
    assert.match(before.stdout, /^COUNCIL +succeeded +1 /m, "COUNCIL took a position on the first day")
    const keys = { OPENAI_API_KEY: "sk-revoked-1", GEMINI_API_KEY: "gm-revoked-2", ANTHROPIC_API_KEY: "ant-revoked-3", GROQ_API_KEY: "gsk-revoked-4", DEEPSEEK_API_KEY: "ds-revoked-5" }
    const outage = await cliInProcess(home, ["run", "daily", "--date", "2025-10-28"], liveEnv(revoked, keys))
    assert.strictEqual(outage.code, 0, outage.stderr)
    assert.match(outage.stderr, /PmPitches .*abstained: CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK/)
    // each account holds its first day's position and gives it the protective exit it lacked (one order, no trade)
    for (const account of ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"]) {
      assert.match(outage.stdout, new RegExp(`^${account} +succeeded +1 +0 `, "m"), outage.stdout)
    }
    // no "Decision FLAT" (which sells a book) over a hold: the council decided nothing
    assert.match(
      outage.stderr,
      /^\[COUNCIL\] WARN Decision none · 1 order — SELL \d+ [A-Z]+ limit [\d.]+ gtc · take profit [\d.]+ · stop loss [\d.]+ \| nothing new traded: no-pitches — no PM pitched \(every one abstained\); COUNCIL holds \(1 unprotected position given its exit\)$/m
    )
    assert.notMatch(outage.stderr, /^\[COUNCIL\] .*(FLAT|stays flat)/m)
    const positions = await cliInProcess(home, ["positions", "--account", "COUNCIL"])
    assert.strictEqual(positions.code, 0, positions.stderr)
    assert.match(positions.stdout, /^COUNCIL +[A-Z]+ +long /m, positions.stdout)
  }, 120_000)

  it("the leaderboard says when sessions of its window have no snapshot, as its returns then span several sessions", async () => {
    const home = tempHome()
    for (const date of ["2026-06-01", "2026-06-05", "2026-06-08"]) {
      const run = await cliInProcess(home, ["run", "daily", "--date", date])
      assert.strictEqual(run.code, 0, run.stderr)
    }
    const board = await cliInProcess(home, ["leaderboard"])
    assert.strictEqual(board.code, 0, board.stderr)
    assert.match(board.stdout, /^book live · 2026-06-01 … 2026-06-08 · 3 sessions \(2 daily returns\) /m)
    assert.match(board.stdout, /^note: 3 of the 6 sessions from 2026-06-01 to 2026-06-08 have no snapshot \(no run those days\)/m)
    const json = await cliInProcess(home, ["leaderboard", "--json"])
    assert.strictEqual(json.code, 0, json.stderr)
    const gap = (JSON.parse(json.stdout) as { unrecordedSessions: { missing: number; sessions: number; from: string; to: string; note: string } | null }).unrecordedSessions
    assert.deepInclude(gap, { missing: 3, sessions: 6, from: "2026-06-01", to: "2026-06-08" })
    assert.strictEqual(`note: ${gap!.note}`, board.stdout.trim().split("\n").at(-1))
    const recent = await cliInProcess(home, ["leaderboard", "--from", "2026-06-05"])
    assert.strictEqual(recent.code, 0, recent.stderr)
    assert.notMatch(recent.stdout, /no snapshot/)
    const recentJson = await cliInProcess(home, ["leaderboard", "--from", "2026-06-05", "--json"])
    assert.strictEqual((JSON.parse(recentJson.stdout) as { unrecordedSessions: unknown }).unrecordedSessions, null)
  }, 120_000)
})
