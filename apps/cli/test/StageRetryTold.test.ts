import { assert, describe, it } from "@effect/vitest"
import { request } from "node:http"
import type { AddressInfo } from "node:net"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import { runIdOf, tempHome } from "./CliHarness.ts"
import { serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess } from "./InProcess.ts"
import { slackHomes } from "./SlackHome.ts"

/**
 * Alpaca's market data on 127.0.0.1: `exchange serve`'s bars, passed through, and `GET /v1/corporate-actions`
 * answered by this stand-in — 404 for the first `failures` requests (the feed's answer when the endpoint is not
 * there), then an empty list (no split or dividend).
 */
const feedWithActions = (target: string, failures: number) =>
  new Promise<{ readonly url: string; readonly asked: () => number; readonly close: () => Promise<void> }>((resolve) => {
    let asked = 0
    const upstream = new URL(target)
    const server = testServer((req, res) => {
      if ((req.url ?? "").startsWith("/v1/corporate-actions")) {
        asked += 1
        res.writeHead(asked <= failures ? 404 : 200, { "content-type": "application/json" })
        return res.end(JSON.stringify(asked <= failures ? { code: 40410000, message: "endpoint not found" } : { corporate_actions: {}, next_page_token: null }))
      }
      const sent = request(new URL(req.url ?? "/", upstream), { method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      sent.on("error", (e) => res.destroy(e))
      req.pipe(sent)
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        asked: () => asked,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })

describe("a stage that fails an attempt: one message on the operator's phone per failed day, none for a hiccup", () => {
  const slack = slackHomes()

  const dataEnv = async (failures: number) => {
    const served = await serveExchange(tempHome())
    slack.closeAfter({ close: served.stop })
    const feed = slack.closeAfter(await feedWithActions(served.url, failures))
    const personal = served.keys.find((k) => k.account === "COUNCIL")!
    return {
      feed,
      env: {
        COUNCIL_DATA: "alpaca",
        COUNCIL_DATA_URL: feed.url,
        ALPACA_PERSONAL_KEY_ID: personal.keyId,
        ALPACA_PERSONAL_SECRET_KEY: personal.secretKey
      }
    }
  }

  it("FetchData failing all three attempts: Slack hears the day failed, once, with how to resume — not each attempt", async () => {
    const { home, slack: receiver, env: slackEnv } = await slack.home()
    const { env, feed } = await dataEnv(99)
    const run = await cliInProcess(home, ["run", "daily", "--date", "2026-06-01"], { ...env, ...slackEnv })
    assert.strictEqual(run.code, 1, run.stderr)
    assert.strictEqual(feed.asked(), 3, "FetchData is tried three times")
    assert.strictEqual(run.stderr.split("✗ FetchData").length, 4, "each failed attempt is on stderr")
    const failed = receiver.texts.flatMap((t) => t.split("\n").filter((l) => l.includes("Failed")))
    // each attempt was told as an ERROR of its own ("Failed: FetchData (attempt 1)", 2, 3), then the day's failure
    assert.deepStrictEqual(failed, [":rotating_light: *ERROR* · *Failed: run daily --date 2026-06-01*"], receiver.texts.join("\n---\n"))
    const told = receiver.texts.find((t) => t.includes("Failed: run daily"))!
    assert.match(told, new RegExp(`run ${runIdOf(run.stderr)} failed in FetchData: alpaca: HTTP 404 for GET /v1/corporate-actions .*\\(resume with: pnpm pipeline run daily --date 2026-06-01\\)`))
  }, 60_000)

  it("FetchData failing once, then answering: the day completes and Slack hears no failure", async () => {
    const { home, slack: receiver, env: slackEnv } = await slack.home()
    const { env, feed } = await dataEnv(1)
    const run = await cliInProcess(home, ["run", "daily", "--date", "2026-06-01"], { ...env, ...slackEnv })
    assert.strictEqual(run.code, 0, run.stderr)
    assert.strictEqual(feed.asked(), 2)
    assert.match(run.stderr, /✗ FetchData\s+alpaca: HTTP 404/)
    assert.match(run.stdout, /run 2026-06-01-[0-9a-f]{8} · completed/)
    assert.isTrue(receiver.texts.some((t) => t.includes("Run summary 2026-06-01")), receiver.texts.join("\n---\n"))
    assert.isFalse(receiver.texts.some((t) => /Failed|ERROR/.test(t)), receiver.texts.join("\n---\n"))
  }, 60_000)
})
