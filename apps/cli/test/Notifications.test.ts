import { assert, beforeAll, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"
import { slackHomes } from "./SlackHome.ts"

/** The run's result with its run id made neutral, so two runs of the same day compare equal. */
const neutral = (text: string) => text.replace(/\d{4}-\d{2}-\d{2}-[0-9a-f]{8}/g, "<run>")

describe("notifications", () => {
  const slackHome = slackHomes()
  let baseline: Awaited<ReturnType<typeof cliInProcess>>
  beforeAll(async () => {
    baseline = await cliInProcess(tempHome(), ["run", "daily"])
  }, 60_000)

  it("a Slack that fails every request changes neither the run's outcome, its exit code nor its output", async () => {
    const { slack: failing } = await slackHome.receiver(500, "rollup_error")
    const run = await cliInProcess(tempHome(), ["run", "daily"], { SLACK_WEBHOOK_URL: failing.url })
    assert.strictEqual(baseline.code, 0, baseline.stderr)
    assert.strictEqual(run.code, baseline.code, run.stderr)
    assert.strictEqual(neutral(run.stdout), neutral(baseline.stdout))
    assert.isAbove(failing.texts.length, 0, "Slack was asked")
    assert.match(run.stderr, /slack \(127\.0\.0\.1:\d+\): HTTP 500 rollup_error/)
    assert.notInclude(run.stdout + run.stderr, "notARealSecret42")
    // the console got every message all the same
    assert.match(run.stderr, /^INFO Run started 2026-06-08/m)
    assert.match(run.stderr, /^INFO Run summary 2026-06-08 · 6 accounts/m)
  }, 60_000)

  it("a working Slack gets every message of the run, several to a request", async () => {
    const { slack, env } = await slackHome.receiver(200, "ok")
    const run = await cliInProcess(tempHome(), ["run", "daily", "--dry-run"], env)
    assert.strictEqual(run.code, 0, run.stderr)
    const all = slack.texts.join("\n")
    assert.match(all, /^:information_source: \*INFO\* · \*Run started 2026-06-08 \(dry run\)\*/m)
    for (const account of ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"]) {
      assert.match(all, new RegExp(`^\\*${account}\\* · .* \\*Decision `, "m"))
      assert.match(all, new RegExp(`^\\*${account}\\* · .* \\*Execution dry-run`, "m"))
    }
    assert.match(all, /\*Run summary 2026-06-08 \(dry run\) · 6 accounts, 0 orders\*/)
    const messages = all.split("\n").filter((line) => /^(\*[A-Z]+\* · )?:[a-z_]+: \*(INFO|WARN|ERROR)\*/.test(line)).length
    assert.strictEqual(messages, 14)
    assert.isBelow(slack.texts.length, messages, "waiting messages go out together")
  }, 60_000)

  it("a run stopped at its approval gate tells the operator what it would send and how to decide", async () => {
    const { slack, env } = await slackHome.receiver(200, "ok")
    const stopped = await cliInProcess(tempHome(), ["run", "daily", "--at", "15:45", "--require-approval"], env)
    assert.strictEqual(stopped.code, 0, stopped.stderr)
    const runId = /^run (\S+) · awaiting approval · it would send (\d+) orders?/m.exec(stopped.stdout)
    assert.isNotNull(runId, stopped.stdout)
    const all = slack.texts.join("\n")
    assert.match(all, new RegExp(`:warning: \\*WARN\\* · \\*Awaiting approval 2026-06-08 · ${runId![2]} orders?`))
    assert.include(all, `approve: pnpm pipeline approve ${runId![1]} · reject: pnpm pipeline approve ${runId![1]} --reject`)
    // one line per order it would send, each naming its account
    const orderLines = all.split("\n").filter((line) => /^(CHATGPT|GEMINI|CLAUDE|GROQ|DEEPSEEK|COUNCIL) (BUY|SELL) /.test(line))
    assert.strictEqual(orderLines.length, Number(runId![2]))
    assert.notMatch(all, /Run summary/, "nothing ran to its end")
  }, 60_000)

  it("a fork is a run of its own: it says whose fork it is when it starts, and sends its summary", async () => {
    const { slack, env } = await slackHome.receiver(200, "ok")
    const home = tempHome()
    const parent = await cliInProcess(home, ["run", "daily", "--dry-run"])
    const parentId = /^run (\S+) /m.exec(parent.stdout)?.[1]
    assert.isDefined(parentId, parent.stdout)
    const fork = await cliInProcess(home, ["replay", parentId!, "--from", "RiskApproval"], env)
    assert.strictEqual(fork.code, 0, fork.stderr)
    const all = slack.texts.join("\n")
    assert.match(all, /\*Run started 2026-06-08 \(dry run\)\*/)
    assert.include(all, `fork of ${parentId}`)
    assert.match(all, /\*Run summary 2026-06-08 \(dry run\) · 6 accounts, 0 orders\*/)
  }, 60_000)

  it("the day's table and summary give each account's equity as the run found it, and the P&L since the previous run", async () => {
    const home = tempHome()
    const first = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04"])
    assert.strictEqual(first.code, 0, first.stderr)
    const second = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"])
    assert.strictEqual(second.code, 0, second.stderr)
    const money = (text: string) => Number(text.replace(/[$,]/g, ""))
    const tableEquity = (stdout: string) =>
      new Map([...stdout.matchAll(/^([A-Z]+) +succeeded +\d+ +\d+ +(\$[\d,.]+) /gm)].map((m) => [m[1]!, money(m[2]!)]))
    const before = tableEquity(first.stdout)
    const after = tableEquity(second.stdout)
    assert.strictEqual(after.size, 6, second.stdout)
    assert.deepStrictEqual([...before.values()], [100_000, 100_000, 100_000, 100_000, 100_000, 100_000])
    assert.isTrue([...after.values()].some((equity) => equity !== 100_000), "the first day's orders filled and moved some equity")
    for (const [account, equity] of after) {
      const line = new RegExp(`${account} \\d+ orders? · equity (\\$[\\d,.]+) · day P&L ([+−]?)(\\$[\\d,.]+)`).exec(second.stderr)
      assert.isNotNull(line, `${account} in the summary: ${second.stderr}`)
      assert.strictEqual(money(line![1]!), equity)
      // a P&L that rounds to zero cents carries no sign; any other does
      assert.strictEqual(line![2] === "", line![3] === "$0.00", line![0])
      const pnl = (line![2] === "−" ? -1 : 1) * money(line![3]!)
      assert.closeTo(pnl, equity - before.get(account)!, 0.005)
    }
  }, 60_000)
})
