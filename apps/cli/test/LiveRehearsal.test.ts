import { assert, describe, it } from "@effect/vitest"
import { fetchFresh, startServer } from "../../server/test/MonitorHome.ts"
import { tempHome } from "./CliHarness.ts"
import { serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess } from "./InProcess.ts"
import { slackStandIn } from "./SlackStandIn.ts"

/**
 * An operator moves one account LIVE and keeps the others on paper, rehearsing against `exchange serve` on
 * 127.0.0.1 (a LIVE configuration on a local host keeps its paper keys): what the operator reads must tell the
 * real-money account's orders from the paper ones.
 */
const rehearsal = (served: Awaited<ReturnType<typeof serveExchange>>, live: Record<string, unknown>) =>
  JSON.stringify(
    served.keys.filter((k) => k.account === "CLAUDE" || k.account === "GEMINI").map((k) => ({
      id: k.account,
      mode: "PAPER",
      credentials: { keyId: k.keyId, secretKey: k.secretKey },
      baseUrl: served.url,
      ...(k.account === "CLAUDE" ? { mode: "LIVE", liveConfirmed: true, ...live } : {})
    }))
  )

interface Rehearsal {
  readonly home: string
  readonly env: Record<string, string>
  readonly slack: Awaited<ReturnType<typeof slackStandIn>>
  readonly served: Awaited<ReturnType<typeof serveExchange>>
}

/**
 * `test` given a fresh home with `exchange serve` on it, a Slack stand-in, and the rehearsal's environment (CLAUDE
 * LIVE with `live`, GEMINI on paper, the opt-in set); the server and the stand-in are stopped after it.
 */
const rehearsed = async (live: Record<string, unknown>, test: (rehearsal: Rehearsal) => Promise<void>) => {
  const home = tempHome()
  const served = await serveExchange(home)
  const slack = await slackStandIn()
  try {
    const env = { TRADING_ACCOUNTS_CONFIG: rehearsal(served, live), COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY", SLACK_WEBHOOK_URL: slack.url }
    await test({ home, env, slack, served })
  } finally {
    await slack.close()
    await served.stop()
  }
}

describe("one account LIVE beside paper ones, rehearsed on exchange serve", () => {
  it("Slack and the console say which account trades real money: the run's start names it, its execution says LIVE", async () =>
    rehearsed({ settings: { dryRun: false } }, async ({ home, env, slack, served }) => {
      const run = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
      assert.strictEqual(run.code, 0, run.stderr)
      const all = slack.texts.join("\n")
      assert.match(all, /\*Run started 2026-06-05 · LIVE \(real money\): CLAUDE\*/)
      assert.match(all, /^\*CLAUDE\* · :information_source: \*INFO\* · \*LIVE · Execution succeeded · 1 order\*/m)
      assert.match(all, /^\*GEMINI\* · :information_source: \*INFO\* · \*Execution succeeded · 1 order\*/m)
      assert.match(run.stderr, /^.*\[CLAUDE\] INFO LIVE · Execution succeeded · 1 order — 1 order placed \| BUY \d+ USO market → /m)
      assert.notInclude(all + run.stderr + run.stdout, served.keys.find((k) => k.account === "CLAUDE")!.secretKey)
      // the exact replay of the LIVE run answers every call from its recordings: identical, nothing sent again
      const runId = /^run (\S+) · completed/m.exec(run.stdout)?.[1]
      const replay = await cliInProcess(home, ["replay", runId!], env)
      assert.strictEqual(replay.code, 0, replay.stderr)
      assert.match(replay.stdout, /every stage identical/)
    }), 120_000)

  it("a run awaiting approval counts no order of a dry-run account (a LIVE one by default) among those it would send", async () =>
    rehearsed({}, async ({ home, env, slack }) => {
      const run = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--require-approval"], env)
      assert.strictEqual(run.code, 0, run.stderr)
      // CLAUDE buys USO and GEMINI sells UUP short that day; CLAUDE, LIVE without "dryRun": false, sends nothing
      assert.match(run.stdout, /^CLAUDE\s+buy\s+\d+\s+USO\s.*not sent: CLAUDE is a dry-run account$/m)
      assert.match(run.stdout, /^GEMINI\s+sell\s+\d+\s+UUP\s.*entry/m)
      assert.match(run.stdout, /· awaiting approval · it would send 1 order \(1 more not sent: CLAUDE is a dry-run account\)$/m)
      const all = slack.texts.join("\n")
      assert.match(all, /\*Awaiting approval 2026-06-05 · 1 order\*/)
      assert.match(all, /^GEMINI SELL \d+ UUP market/m)
      assert.match(all, /^not sent, CLAUDE is a dry-run account: BUY \d+ USO market/m)
      assert.notMatch(all, /^CLAUDE BUY/m)
    }), 120_000)

  it("a manual order placed on the LIVE account is told to Slack as LIVE; one on a paper account is not told", async () =>
    rehearsed({ settings: { dryRun: false } }, async ({ home, env, slack }) => {
      const order = (account: string) => ["order", "--account", account, "--symbol", "SPY", "--side", "buy", "--qty", "1"]
      const paper = await cliInProcess(home, order("GEMINI"), env)
      assert.strictEqual(paper.code, 0, paper.stderr)
      assert.deepStrictEqual(slack.texts, [])
      const live = await cliInProcess(home, order("CLAUDE"), env)
      assert.strictEqual(live.code, 0, live.stderr)
      assert.match(live.stdout, /^placed: CLAUDE buy 1 SPY market day$/m)
      const told = slack.texts.join("\n")
      assert.match(told, /^\*CLAUDE\* · :information_source: \*INFO\* · \*LIVE · Manual order placed\*\nCLAUDE: buy 1 SPY market day → order \S+ · (new|accepted|filled)/m)
      // the same command again adopts the order: nothing placed, nothing told
      const again = await cliInProcess(home, order("CLAUDE"), env)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.strictEqual(slack.texts.join("\n"), told)
    }), 120_000)

  it("each decision message of the LIVE account starts LIVE ·; a paper account's does not; the recording keeps the plain subject", async () =>
    rehearsed({}, async ({ home, env, slack, served }) => {
      const run = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--require-approval"], env)
      assert.strictEqual(run.code, 0, run.stderr)
      const all = slack.texts.join("\n")
      assert.match(all, /^\*CLAUDE\* · :\w+: \*(INFO|WARN)\* · \*LIVE · Decision /m)
      assert.match(all, /^\*GEMINI\* · :\w+: \*(INFO|WARN)\* · \*Decision /m)
      assert.match(run.stderr, /\[CLAUDE\] (INFO|WARN) LIVE · Decision /)
      assert.notMatch(run.stderr, /\[GEMINI\] (INFO|WARN) LIVE · /)
      assert.notInclude(all + run.stderr + run.stdout, served.keys.find((k) => k.account === "CLAUDE")!.secretKey)
      // the recorded notifier call is keyed by the plain subject: runs recorded before the mark replay as they were
      const runId = /^run (\S+) /m.exec(run.stdout)?.[1]
      const bundle = await cliInProcess(home, ["export", runId!], env)
      assert.strictEqual(bundle.code, 0, bundle.stderr)
      const { recordings } = JSON.parse(bundle.stdout) as { recordings: ReadonlyArray<{ key: unknown }> }
      const keys = JSON.stringify(recordings.map((r) => r.key))
      assert.match(keys, /CLAUDE[^}]*Decision LONG USO/)
      assert.notInclude(keys, "LIVE ·")
    }), 120_000)

  it("a run awaiting approval: an order the LIVE account would send starts LIVE ·, a paper account's does not", async () =>
    rehearsed({ settings: { dryRun: false } }, async ({ home, env, slack }) => {
      const run = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--require-approval"], env)
      assert.strictEqual(run.code, 0, run.stderr)
      const all = slack.texts.join("\n")
      assert.match(all, /\*Awaiting approval 2026-06-05 · 2 orders\*/)
      assert.match(all, /^LIVE · CLAUDE BUY \d+ USO market/m)
      assert.match(all, /^GEMINI SELL \d+ UUP market/m)
      assert.notInclude(all, "LIVE · GEMINI")
    }), 120_000)

  it("the end-of-run summary's line of the LIVE account starts LIVE ·; a paper account's does not", async () =>
    rehearsed({ settings: { dryRun: false } }, async ({ home, env, slack, served }) => {
      const run = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
      assert.strictEqual(run.code, 0, run.stderr)
      // Slack batches the messages that wait: the summary is the last one sent (Slack escapes & as &amp;)
      const all = slack.texts.join("\n")
      const summary = all.slice(all.indexOf("*Run summary 2026-06-05"))
      assert.match(summary, /^\*Run summary 2026-06-05 · 2 accounts, 2 orders\*\nrun \S+\n/)
      assert.match(summary, /^LIVE · CLAUDE 1 order · equity \$[\d,.]+ · day P&amp;L /m)
      assert.match(summary, /^GEMINI 1 order · equity \$[\d,.]+ · day P&amp;L /m)
      assert.notInclude(summary, "LIVE · GEMINI")
      assert.notInclude(slack.texts.join("\n") + run.stderr + run.stdout, served.keys.find((k) => k.account === "CLAUDE")!.secretKey)
    }), 120_000)

  it("close-all from the CLI: the LIVE account's line starts LIVE ·, the paper account's does not", async () =>
    rehearsed({ settings: { dryRun: false } }, async ({ home, env, slack, served }) => {
      const closed = await cliInProcess(home, ["close-all", "--yes"], env)
      assert.strictEqual(closed.code, 0, closed.stderr)
      assert.strictEqual(slack.texts.length, 1, slack.texts.join("\n---\n"))
      const [, ...lines] = slack.texts[0]!.split("\n")
      assert.deepStrictEqual(lines.toSorted(), ["GEMINI: 0 orders canceled; no position", "LIVE · CLAUDE: 0 orders canceled; no position"])
      assert.notInclude(slack.texts[0]! + closed.stderr + closed.stdout, served.keys.find((k) => k.account === "CLAUDE")!.secretKey)
    }), 120_000)

  it("close-all over the monitor's API: the LIVE account's line starts LIVE ·, the paper account's does not", async () =>
    rehearsed({ settings: { dryRun: false } }, async ({ home, env, slack, served }) => {
      const token = "live-marks-close-all-token-4f1e9a"
      const server = await startServer(home, { ...env, COUNCIL_API_TOKEN: token })
      try {
        const res = await fetchFresh(`${server.url}/api/close-all`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: "{}"
        })
        assert.strictEqual(res.status, 200, await res.clone().text())
        // the server sends in the background: wait for the message (Slack is paced at one request a second)
        for (let i = 0; i < 50 && slack.texts.length === 0; i++) await new Promise((r) => setTimeout(r, 100))
        assert.strictEqual(slack.texts.length, 1, slack.texts.join("\n---\n"))
        const [head, ...lines] = slack.texts[0]!.split("\n")
        assert.match(head!, /Close-all \(the monitor's API\)/)
        assert.deepStrictEqual(lines.toSorted(), ["GEMINI: 0 orders canceled; no position", "LIVE · CLAUDE: 0 orders canceled; no position"])
        assert.notInclude(slack.texts[0]! + server.output(), served.keys.find((k) => k.account === "CLAUDE")!.secretKey)
      } finally {
        await server.stop()
      }
    }), 120_000)

  it("a failed run with the LIVE account says LIVE in its Failed: subject; one of the paper account alone does not", async () =>
    rehearsed({ settings: { dryRun: false } }, async ({ home, env, slack, served }) => {
      // past the market-on-close cutoff (15:50): nothing is sent, exit 1, told to Slack
      const late = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--at", "15:55"], env)
      assert.strictEqual(late.code, 1, late.stderr)
      assert.match(slack.texts.join("\n"), /^:rotating_light: \*ERROR\* · \*Failed: run daily --date 2026-06-05 · LIVE \(real money\): CLAUDE\*\n.*cutoff/m)
      assert.match(late.stderr, /ERROR Failed: run daily --date 2026-06-05 · LIVE \(real money\): CLAUDE — /)
      slack.texts.length = 0
      const paper = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--at", "15:55", "--accounts", "GEMINI"], env)
      assert.strictEqual(paper.code, 1, paper.stderr)
      assert.match(slack.texts.join("\n"), /^:rotating_light: \*ERROR\* · \*Failed: run daily --date 2026-06-05\*$/m)
      assert.notInclude(slack.texts.join("\n"), "LIVE")
      assert.notInclude(slack.texts.join("\n") + late.stderr + paper.stderr, served.keys.find((k) => k.account === "CLAUDE")!.secretKey)
      // an approval of the LIVE account's run, past the cutoff: its failure names the run's LIVE account too
      const waiting = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--require-approval"], env)
      assert.strictEqual(waiting.code, 0, waiting.stderr)
      const runId = /^run (\S+) /m.exec(waiting.stdout)?.[1]
      slack.texts.length = 0
      const approved = await cliInProcess(home, ["approve", runId!, "--at", "15:55"], env)
      assert.strictEqual(approved.code, 1, approved.stderr)
      assert.match(slack.texts.join("\n"), new RegExp(`^:rotating_light: \\*ERROR\\* · \\*Failed: approve ${runId} · LIVE \\(real money\\): CLAUDE\\*$`, "m"))
    }), 120_000)

  it("a run off its schedule's time with the LIVE account says LIVE in its warning; one of the paper account alone does not", async () =>
    rehearsed({ settings: { dryRun: false } }, async ({ home, env, slack }) => {
      // 14:45 is 75 minutes before the close: the run trades, and warns
      const paper = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04", "--at", "14:45", "--accounts", "GEMINI"], env)
      assert.strictEqual(paper.code, 0, paper.stderr)
      assert.match(slack.texts.join("\n"), /^:warning: \*WARN\* · \*Run off its schedule's time\*\nwarning: it is 2026-06-04 14:45 New York time/m)
      slack.texts.length = 0
      const early = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--at", "14:45"], env)
      assert.strictEqual(early.code, 0, early.stderr)
      assert.match(slack.texts.join("\n"), /^:warning: \*WARN\* · \*Run off its schedule's time · LIVE \(real money\): CLAUDE\*\nwarning: it is 2026-06-05 14:45 New York time/m)
    }), 120_000)

  it("sessions missed before a run with the LIVE account: the warning says LIVE", async () =>
    rehearsed({ settings: { dryRun: false } }, async ({ home, env, slack }) => {
      const monday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-01"], env)
      assert.strictEqual(monday.code, 0, monday.stderr)
      const friday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
      assert.strictEqual(friday.code, 0, friday.stderr)
      const all = slack.texts.join("\n")
      assert.match(all, /^:warning: \*WARN\* · \*3 sessions without a completed run before 2026-06-05 · LIVE \(real money\): CLAUDE\*\nthe last completed run is of 2026-06-01/m)
      assert.match(friday.stderr, /^WARN 3 sessions without a completed run before 2026-06-05 · LIVE \(real money\): CLAUDE — /m)
    }), 120_000)

  it("market data behind the clock, on a timer's second run with the LIVE account: the warning says LIVE; the paper account's alone does not", async () =>
    rehearsed({ settings: { dryRun: false } }, async ({ home, env, slack }) => {
      // no --date: the data's latest session, run; run again, it already ran and the clock is past the bundled bars
      const first = await cliInProcess(home, ["run", "daily"], env)
      assert.strictEqual(first.code, 0, first.stderr)
      slack.texts.length = 0
      const again = await cliInProcess(home, ["run", "daily"], env)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.match(slack.texts.join("\n"), /^:warning: \*WARN\* · \*Market data behind the clock · LIVE \(real money\): CLAUDE\*\nthe bundled bars end /m)
      assert.match(again.stderr, /^WARN Market data behind the clock · LIVE \(real money\): CLAUDE — the bundled bars end /m)
      // the paper account's runs alone (a run of its own, then again): told on stderr alone (Slack heard it this session)
      const paperFirst = await cliInProcess(home, ["run", "daily", "--accounts", "GEMINI"], env)
      assert.strictEqual(paperFirst.code, 0, paperFirst.stderr)
      const paper = await cliInProcess(home, ["run", "daily", "--accounts", "GEMINI"], env)
      assert.strictEqual(paper.code, 0, paper.stderr)
      assert.match(paper.stderr, /^WARN Market data behind the clock — the bundled bars end /m)
    }), 120_000)
})
