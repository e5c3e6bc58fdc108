/**
 * Text Council does not write — an LLM's thesis, review and rationale, a broker's symbol and message — goes out
 * through every surface as text that does nothing: Slack (no channel-wide mention, no disguised link), the
 * terminal (no escape sequence), the export (the same text back), the dashboard in real Chromium (no element, no
 * script: the words as written), `equity --csv` (no cell a spreadsheet would run). The text comes the real way:
 * answers of a fake provider on 127.0.0.1, and a broker double on 127.0.0.1 speaking Alpaca's wire that refuses
 * every order with it (and holds a position in a "symbol" that is markup, which must show nowhere as markup).
 */
import type { Server } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Browser, Page } from "playwright-core"
import { answerWith, type FakeRequest, liveEnv, startFake, validAnswer } from "../../../packages/llm/test/FakeProvider.ts"
import { runIdOf, tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { slackStandIn } from "../../cli/test/SlackStandIn.ts"
import { collectProblems, KEYS, launchChromium, LLM_DAY, type ServerProcess, startServer } from "./MonitorHome.ts"

/** Markup, Slack mentions and links, terminal escapes and a spreadsheet formula in one line. */
const hostile = (who: string) =>
  `${who} <img src=x onerror="window.__owned='${who}'"><script>window.__owned='${who}'</script> <!channel> <!here> ` +
  `<http://evil.example/${who}|read the filing> @here @channel @everyone \u001b]0;owned\u0007\u001b[2J\u001b[32mAPPROVED\u001b[0m ` +
  `=HYPERLINK("http://evil.example","x")\n*COUNCIL* · :rotating_light: *ERROR* · *Execution failed · ${who} closed every position*`

const THESIS = hostile("thesis")
const RATIONALE = hostile("rationale")
const DISSENT = hostile("dissent")
const REVIEW = hostile("review")
/** A row of `run daily`'s table, as a broker's message would forge it. */
const FORGED_ROW = "COUNCIL   succeeded  9       0       $999,999.00  9 orders placed"
const SYMBOL = `<svg onload="window.__owned='symbol'">@here`

const respond = (r: FakeRequest) => {
  if (r.kind === "pitch") return answerWith(r, JSON.stringify({ ...validAnswer(r), thesis: [THESIS], invalidation: THESIS }))
  if (r.kind === "review") return answerWith(r, JSON.stringify({ ...validAnswer(r), rationale: REVIEW }))
  if (r.kind === "chairman") {
    return answerWith(r, JSON.stringify({ ...validAnswer(r), rationale: RATIONALE, dissent: [{ pm: "CLAUDE", disagreement: DISSENT }] }))
  }
  return undefined
}

/** Alpaca's wire, an empty $100,000 account, except that its one position is of a symbol no exchange lists. */
const hostileBroker = async () => {
  const server: Server = testServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname
    const send = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
    if (req.method !== "GET") return send(403, { code: 40310000, message: `refused\r\n${FORGED_ROW}\n${hostile("broker")}` })
    if (path === "/v2/clock") {
      return send(200, { timestamp: "2026-06-08T15:45:00.000-04:00", is_open: true, next_open: "2026-06-08T09:30:00-04:00", next_close: "2026-06-08T16:00:00-04:00" })
    }
    if (path === "/v2/calendar") {
      const date = new URL(req.url ?? "/", "http://x").searchParams.get("start") ?? "2026-06-08"
      return send(200, [{ date, open: "09:30", close: "16:00", session_open: "0400", session_close: "2000", settlement_date: date }])
    }
    if (path === "/v2/account") return send(200, { status: "ACTIVE", cash: "100000", equity: "100000", buying_power: "100000", long_market_value: "0", short_market_value: "0" })
    if (path === "/v2/positions") {
      return send(200, [{ symbol: SYMBOL, qty: "1", side: "long", avg_entry_price: "1", market_value: "1", cost_basis: "1", unrealized_pl: "0", current_price: "1", asset_class: "us_equity" }])
    }
    if (path === "/v2/orders") return send(200, [])
    return send(403, { code: 40310000, message: hostile("broker") })
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((done) => server.close(() => done())) }
}

const llmHome = tempHome()
const brokerHome = tempHome()
const outputs: Record<string, string> = {}
let slackTexts: Array<string> = []
let llmRunId = ""
let brokerRunId = ""
let servers: Array<ServerProcess> = []
let browser: Browser

beforeAll(async () => {
  const [fake, slack, broker] = await Promise.all([startFake(respond), slackStandIn(), hostileBroker()])
  try {
    const llmRun = await cliInProcess(llmHome, ["run", "daily", "--date", LLM_DAY], { ...liveEnv(fake, KEYS), SLACK_WEBHOOK_URL: slack.url })
    assert.strictEqual(llmRun.code, 0, llmRun.stderr)
    llmRunId = runIdOf(llmRun.stdout)
    const accounts = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"]
      .map((id) => ({ id, mode: "PAPER", credentials: { keyId: `PK${id}`, secretKey: `sk-${id}` }, baseUrl: broker.url }))
    const brokerRun = await cliInProcess(brokerHome, ["run", "daily"], { TRADING_ACCOUNTS_CONFIG: JSON.stringify(accounts), SLACK_WEBHOOK_URL: slack.url })
    brokerRunId = runIdOf(brokerRun.stdout + brokerRun.stderr)
    outputs["run daily (LLM)"] = llmRun.stdout + llmRun.stderr
    outputs["run daily (broker)"] = brokerRun.stdout + brokerRun.stderr
    for (const [home, args] of [[llmHome, ["show", llmRunId, "--llm"]], [llmHome, ["show", llmRunId]], [llmHome, ["runs"]], [brokerHome, ["show", brokerRunId]], [brokerHome, ["runs"]]] as const) {
      const shown = await cliInProcess(home, args)
      outputs[args.join(" ")] = shown.stdout + shown.stderr
    }
    slackTexts = slack.texts
  } finally {
    await Promise.all([fake.close(), slack.close(), broker.close()])
  }
  ;[servers, browser] = await Promise.all([Promise.all([startServer(llmHome), startServer(brokerHome)]), launchChromium()])
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all(servers.map((s) => s.stop()))
})

describe("hostile text from the providers and a broker", () => {
  it("reaches Slack as text: no channel-wide mention, no disguised link, no markup", () => {
    const all = slackTexts.join("\n")
    assert.include(all, "thesis &lt;img src=x")
    assert.include(all, "rationale &lt;img src=x")
    assert.notInclude(all, "<!")
    assert.notInclude(all, "<http")
    assert.notInclude(all, "<img")
    assert.notMatch(all, /@(here|channel|everyone)\b/i)
    assert.include(all, "@\u2060here")
    // a line of the text cannot pass for the head of a message of ours: the text's line breaks are not Slack's
    for (const line of all.split("\n")) assert.notMatch(line, /^\*[A-Z]+\* · :rotating_light: \*ERROR\* · \*Execution failed · \w+ closed/, line)
    assert.include(all, "=HYPERLINK(\"http://evil.example\",\"x\") / *COUNCIL* · :rotating_light:")
    assert.include(all, "POST /v2/orders: 403 refused COUNCIL succeeded 9 0 $999,999.00 9 orders placed broker &lt;img src=x")
    // a terminal escape in a message is written out, as on the console, not sent as a control character
    assert.notMatch(all, /[\u0000-\u0008\u000b-\u001f\u007f]/)
    assert.include(all, "\\u001b]0;owned")
  })

  it("reaches the terminal with no escape sequence: every one written out as \\u001b", () => {
    for (const [command, output] of Object.entries(outputs)) {
      assert.notInclude(output, "\u001b]", command)
      assert.notInclude(output, "\u001b[2J", command)
      assert.notInclude(output, "\u0007", command)
    }
    assert.include(outputs[`show ${llmRunId} --llm`], "\\u001b]0;owned\\u0007")
    // nor a line break: a broker's message cannot add a row of its own to run daily's table
    for (const [command, output] of Object.entries(outputs)) {
      assert.deepStrictEqual(output.split("\n").filter((l) => /^COUNCIL\s+succeeded\s+9\b|^\*COUNCIL\*/.test(l)), [], command)
    }
  })

  it("comes back from export as it came in", async () => {
    const exported = await cliInProcess(llmHome, ["export", llmRunId])
    assert.strictEqual(exported.code, 0, exported.stderr)
    const text = JSON.stringify(JSON.parse(exported.stdout))
    for (const original of [THESIS, RATIONALE, DISSENT, REVIEW]) assert.include(text, JSON.stringify(original).slice(1, -1))
  })

  it("reaches the dashboard as the words written: no element, no script, nothing blocked", async () => {
    const check = async (server: ServerProcess, runId: string, expected: ReadonlyArray<string>) => {
      const problems: Array<string> = []
      const page: Page = await browser.newPage()
      collectProblems(page, problems)
      await page.goto(`${server.url}/#/runs/${runId}`)
      await page.waitForSelector("#stages")
      const text = (await page.textContent("main")) ?? ""
      for (const words of expected) assert.include(text, words)
      assert.isUndefined(await page.evaluate(() => (globalThis as { __owned?: string }).__owned))
      assert.strictEqual(await page.locator("main img, main script, main svg[onload], main [onerror]").count(), 0)
      assert.deepStrictEqual(problems, [])
      await page.close()
    }
    await check(servers[0]!, llmRunId, [THESIS.replace(/[\u0000-\u001f]/g, "").slice(0, 40), RATIONALE.slice(0, 60), "window.__owned='dissent'"])
    await check(servers[1]!, brokerRunId, ["POST /v2/orders: 403 refused", "broker <img src=x onerror=\"window.__owned='broker'\">"])
  })

  it("never reaches equity --csv: every cell is a name, a date, a time or a number", async () => {
    for (const home of [llmHome, brokerHome]) {
      const csv = await cliInProcess(home, ["equity", "--csv"])
      assert.strictEqual(csv.code, 0, csv.stderr)
      for (const cell of csv.stdout.trim().split("\n").slice(1).flatMap((l) => l.split(","))) {
        assert.match(cell, /^([A-Z][A-Z0-9_]*|\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?|-?\d+(\.\d+)?|)$/, cell)
      }
    }
  })
})
