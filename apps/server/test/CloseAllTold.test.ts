import { afterAll, assert, describe, it } from "@effect/vitest"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { slackStandIn } from "../../cli/test/SlackStandIn.ts"
import { fetchFresh, type ServerProcess, startServer } from "./MonitorHome.ts"

/**
 * The panic button — `close-all`, from the CLI or the monitor's API (the dashboard's button) — cancels every order and
 * closes every position: the people who watch the accounts on Slack hear it was pressed and what it did, whoever
 * pressed it (it was heard nowhere but the presser's own terminal, or the server's log).
 */

const TOKEN = "close-all-test-token-0123456789"
const open: Array<{ readonly close: () => Promise<void> }> = []
afterAll(async () => {
  for (const server of open) await server.close()
})

/** A home holding positions: 2026-06-05's entries filled at its close, read by a run of 2026-06-08. */
const homeWithPositions = async (env: Record<string, string>) => {
  const home = tempHome()
  for (const day of ["2026-06-05", "2026-06-08"]) {
    const r = await cliInProcess(home, ["run", "daily", "--date", day], env)
    assert.strictEqual(r.code, 0, r.stderr)
  }
  return home
}

/** The positions `positions --json` lists, per account, as "SIDE QTY SYMBOL" of the order that closes each. */
const closingOrders = async (home: string, account: string) => {
  const r = await cliInProcess(home, ["positions", "--account", account, "--json"])
  assert.strictEqual(r.code, 0, r.stderr)
  const rows = JSON.parse(r.stdout) as ReadonlyArray<{ positions: ReadonlyArray<{ symbol: string; side: string; qty: number }> }>
  return rows.flatMap((row) => row.positions.map((p) => `${p.side === "long" ? "SELL" : "BUY"} ${Math.abs(p.qty)} ${p.symbol}`))
}

describe("close-all is told to Slack", () => {
  it("from the CLI: a WARN saying what each account canceled and closed", async () => {
    const slack = await slackStandIn()
    open.push(slack)
    const env = { SLACK_WEBHOOK_URL: slack.url }
    const home = await homeWithPositions(env)
    const held = await closingOrders(home, "GROQ")
    assert.isAbove(held.length, 0, "GROQ holds a position to close")
    slack.texts.length = 0

    const closed = await cliInProcess(home, ["close-all", "--account", "GROQ", "--yes"], env)
    assert.strictEqual(closed.code, 0, closed.stderr)
    assert.strictEqual(slack.texts.length, 1, slack.texts.join("\n---\n"))
    const [head, ...lines] = slack.texts[0]!.split("\n")
    assert.match(head!, new RegExp(`^:warning: \\*WARN\\* · \\*Close-all \\(pnpm pipeline close-all\\): \\d+ orders? canceled, ${held.length} positions? closed\\*$`))
    assert.deepStrictEqual(lines.map((l) => l.replace(/^GROQ: \d+ orders? canceled; /, "")), [`closed ${held.join(", ")}`])
  }, 60_000)

  it("from the monitor's API (the dashboard's button): the same message, naming the API", async () => {
    const slack = await slackStandIn()
    open.push(slack)
    const env = { SLACK_WEBHOOK_URL: slack.url }
    const home = await homeWithPositions(env)
    const held = await closingOrders(home, "DEEPSEEK")
    assert.isAbove(held.length, 0, "DEEPSEEK holds a position to close")
    slack.texts.length = 0
    const server: ServerProcess = await startServer(home, { ...env, COUNCIL_API_TOKEN: TOKEN })
    open.push({ close: async () => void (await server.stop()) })

    const res = await fetchFresh(`${server.url}/api/close-all`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ account: "DEEPSEEK" })
    })
    assert.strictEqual(res.status, 200, await res.clone().text())
    const answer = (await res.json()) as ReadonlyArray<{ account: string; error: string | null }>
    assert.deepStrictEqual(answer.map((a) => [a.account, a.error]), [["DEEPSEEK", null]])
    // the server sends in the background: wait for the message (a second at most: Slack is paced at one request a second)
    for (let i = 0; i < 50 && slack.texts.length === 0; i++) await new Promise((r) => setTimeout(r, 100))
    assert.strictEqual(slack.texts.length, 1, slack.texts.join("\n---\n"))
    const [head, ...lines] = slack.texts[0]!.split("\n")
    assert.match(head!, new RegExp(`^:warning: \\*WARN\\* · \\*Close-all \\(the monitor's API\\): \\d+ orders? canceled, ${held.length} positions? closed\\*$`))
    assert.deepStrictEqual(lines.map((l) => l.replace(/^DEEPSEEK: \d+ orders? canceled; /, "")), [`closed ${held.join(", ")}`])
    assert.notInclude(server.output(), "notARealSecret42")
  }, 60_000)
})
