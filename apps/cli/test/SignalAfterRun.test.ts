import { assert, describe, it } from "@effect/vitest"
import type { ServerResponse } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { spawnCli, tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

/** A Slack webhook on 127.0.0.1 that keeps each message's text and never answers the first one holding `held`. */
const slackHolding = (held: string) =>
  new Promise<{ url: string; texts: Array<string>; arrived: Promise<void>; close: () => Promise<void> }>((resolve) => {
    const texts: Array<string> = []
    const open: Array<ServerResponse> = []
    let arrived: () => void = () => undefined
    const arrival = new Promise<void>((r) => (arrived = r))
    const server = testServer((req, res) => {
      let data = ""
      req.on("data", (chunk: Buffer) => (data += chunk.toString("utf8"))).on("end", () => {
        const text = (JSON.parse(data) as { text: string }).text
        texts.push(text)
        if (open.length === 0 && text.includes(held)) {
          open.push(res)
          return arrived()
        }
        res.writeHead(200, { "content-type": "text/plain" }).end("ok")
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0TEST/B0TEST/notARealSecret42`,
        texts,
        arrived: arrival,
        close: () => new Promise((done) => (server.closeAllConnections(), server.close(() => done())))
      }))
  })

describe("a signal once the day's run has completed", () => {
  it("stops nothing: the day's outcome and exit code stand, and Slack hears no failure", async () => {
    const slack = await slackHolding("Run summary")
    try {
      const { child, output, exited } = spawnCli(tempHome(), ["run", "daily"], { SLACK_WEBHOOK_URL: slack.url })
      // the summary is told once the run has completed: its message at Slack means the command is finishing
      await slack.arrived
      child.kill("SIGTERM")
      const { code } = await exited
      const { stdout, stderr } = output

      assert.strictEqual(code, 0, stderr)
      assert.match(stderr, /^SIGTERM: the day's run has completed; finishing its report and messages/m)
      assert.notMatch(stderr, /^error: /m)
      assert.match(stdout, /^run \S+ · completed · /m)
      assert.isFalse(slack.texts.some((t) => t.includes("Failed")), slack.texts.join("\n---\n"))
    } finally {
      await slack.close()
    }
  })

  it("SIGKILL while its messages go out: the day's next invocation tells its summary again, once", async () => {
    const slack = await slackHolding("Run summary")
    const home = tempHome()
    const env = { SLACK_WEBHOOK_URL: slack.url }
    try {
      const { child, output, exited } = spawnCli(home, ["run", "daily"], env)
      await slack.arrived
      child.kill("SIGKILL")
      assert.strictEqual((await exited).signal, "SIGKILL")
      const summaries = () => slack.texts.filter((t) => t.includes("Run summary")).length
      assert.strictEqual(summaries(), 1)

      const again = await cliInProcess(home, ["run", "daily"], env)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.match(again.stderr, /^Trading day 2026-06-08 already ran as (\S+); nothing is placed again\.$/m)
      const runId = /already ran as (\S+);/.exec(again.stderr)![1]!
      assert.match(again.stderr, new RegExp(`^run ${runId} completed, but its process ended before its messages were all sent: its summary is sent again$`, "m"))
      assert.strictEqual(summaries(), 2)
      assert.include(slack.texts.at(-1) ?? "", `run ${runId}`)

      const third = await cliInProcess(home, ["run", "daily"], env)
      assert.strictEqual(third.code, 0, third.stderr)
      assert.notMatch(third.stderr, /sent again/)
      assert.strictEqual(summaries(), 2)
      assert.strictEqual(output.stdout, "")
    } finally {
      await slack.close()
    }
  })
})
