import { assert, describe, it } from "@effect/vitest"
import { existsSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import { cliInProcess } from "./InProcess.ts"
import { slackHomes } from "./SlackHome.ts"

/** Alpaca's market data on 127.0.0.1 with no bar at all: every `/v2/stocks/bars` page is empty (a feed gone stale). */
const emptyFeed = () =>
  new Promise<{ readonly url: string; readonly close: () => Promise<void> }>((resolve) => {
    const server = testServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ bars: {}, next_page_token: null }))
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      }))
  })

describe("a market data feed with no recent bars on an unattended morning", () => {
  const slack = slackHomes()

  it("run daily says so in one line (exit 2, nothing written) and Slack hears it too", async () => {
    const { home, slack: receiver, env } = await slack.home()
    const feed = slack.closeAfter(await emptyFeed())
    const run = await cliInProcess(home, ["run", "daily"], {
      ...env,
      COUNCIL_DATA: "alpaca",
      COUNCIL_DATA_URL: feed.url,
      ALPACA_PERSONAL_KEY_ID: "PKPERSONAL0000000000",
      ALPACA_PERSONAL_SECRET_KEY: "personalSecretpersonalSecretpersonal0000"
    })
    assert.strictEqual(run.code, 2, run.stderr)
    const line = run.stderr.trim().split("\n").at(-1) ?? ""
    assert.match(line, /^error: alpaca has no bars between \d{4}-\d\d-\d\d and \d{4}-\d\d-\d\d \(asked as of \d{4}-\d\d-\d\d\)$/)
    assert.isFalse(existsSync(`${home}/council.db`), "nothing written")
    // the timer's operator reads Slack: the feed gave nothing, day after day, and Slack heard nothing
    assert.deepStrictEqual(receiver.texts, [`:rotating_light: *ERROR* · *Failed: run daily*\n${line.slice("error: ".length)}`])
  }, 60_000)
})
