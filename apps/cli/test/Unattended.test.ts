import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

/** A Slack incoming webhook on 127.0.0.1 that answers 200 and keeps every text. */
const slackStandIn = async () => {
  const texts: Array<string> = []
  const server: Server = createServer((req, res) => {
    let data = ""
    req.on("data", (chunk: Buffer) => (data += chunk.toString("utf8")))
    req.on("end", () => {
      texts.push((JSON.parse(data) as { text: string }).text)
      res.writeHead(200, { "content-type": "text/plain" })
      res.end("ok")
    })
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0TEST/B0TEST/unattended`
  return { url, texts, close: () => new Promise<void>((done) => server.close(() => done())) }
}

/** What an operator who reads only Slack learns of a timer's runs. */
describe("an unattended deployment, as its operator sees it", () => {
  const stands: Array<{ close: () => Promise<void> }> = []
  afterAll(async () => {
    for (const s of stands) await s.close()
  })

  it("a run refused before it starts (the cutoff passed: a timer at the wrong New York time) is told to Slack, not only to the log", async () => {
    const slack = await slackStandIn()
    stands.push(slack)
    const late = await cliInProcess(tempHome(), ["run", "daily", "--date", "2026-06-05", "--at", "15:51"], { SLACK_WEBHOOK_URL: slack.url })
    assert.strictEqual(late.code, 1, late.stderr)
    assert.match(late.stderr, /^error: it is 2026-06-05 15:51 New York time: the market-on-close cutoff/m)
    const all = slack.texts.join("\n")
    assert.match(all, /^:rotating_light: \*ERROR\* · \*Failed: run daily --date 2026-06-05\*$/m)
    assert.match(all, /the market-on-close cutoff \(15:50, 10 minutes before the 16:00 close\) has passed, so nothing is sent/)
  }, 60_000)

  it("a usage error is not sent to Slack: nothing was attempted", async () => {
    const slack = await slackStandIn()
    stands.push(slack)
    const bad = await cliInProcess(tempHome(), ["run", "daily", "--date", "2026-06-05", "--at", "25:99"], { SLACK_WEBHOOK_URL: slack.url })
    assert.strictEqual(bad.code, 2, bad.stderr)
    assert.deepStrictEqual(slack.texts, [])
  }, 60_000)

  it("after days without a run (the machine was off), the next run names the missed sessions and gives its P&L since the last run", async () => {
    const slack = await slackStandIn()
    stands.push(slack)
    const home = tempHome()
    const env = { SLACK_WEBHOOK_URL: slack.url }
    // Monday, then nothing until Friday: Tuesday to Thursday are missed; Wednesday's run waited for an approval that never came
    const monday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-01"], env)
    assert.strictEqual(monday.code, 0, monday.stderr)
    const wednesday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-03", "--require-approval"], env)
    assert.strictEqual(wednesday.code, 0, wednesday.stderr)
    const waiting = /^run (\S+) · awaiting approval/m.exec(wednesday.stdout)?.[1]
    assert.isDefined(waiting, wednesday.stdout)
    const friday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
    assert.strictEqual(friday.code, 0, friday.stderr)
    const mondayRun = /^run (\S+) · completed/m.exec(monday.stdout)?.[1]
    const warning = /^WARN 3 sessions without a completed run before 2026-06-05 — (.*)$/m.exec(friday.stderr)
    assert.isNotNull(warning, friday.stderr)
    assert.include(warning![1]!, `the last completed run is of 2026-06-01 (${mondayRun})`)
    assert.include(warning![1]!, `2026-06-02: no run | 2026-06-03: run ${waiting} was never approved | 2026-06-04: no run`)
    assert.match(friday.stderr, /^INFO Run summary 2026-06-05 .* COUNCIL \d+ orders? · equity \$[\d,.]+ · P&L since 2026-06-01 [+−]\$/m)
    assert.notMatch(friday.stderr, /day P&L/)
    assert.match(slack.texts.join("\n"), /\*WARN\* · \*3 sessions without a completed run before 2026-06-05\*/)
    // the next session follows the last run: no warning, a day's P&L again
    const monday2 = await cliInProcess(home, ["run", "daily", "--date", "2026-06-08"], env)
    assert.strictEqual(monday2.code, 0, monday2.stderr)
    assert.notMatch(monday2.stderr, /without a completed run/)
    assert.match(monday2.stderr, /COUNCIL \d+ orders? · equity \$[\d,.]+ · day P&L [+−]\$/)
  }, 120_000)
})
