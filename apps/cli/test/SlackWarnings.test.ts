import type { Server } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

describe("a Slack webhook that refuses a request", () => {
  it("is one warning per refused request, however many of the run's messages it carried", async () => {
    let requests = 0
    const server: Server = testServer((req, res) => {
      req.resume()
      req.on("end", () => {
        requests++
        res.writeHead(400, { "content-type": "text/plain" }).end("invalid_payload")
      })
    })
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0TEST/B0TEST/notARealSecret42`
      const run = await cliInProcess(tempHome(), ["run", "daily", "--dry-run", "--accounts", "COUNCIL"], { SLACK_WEBHOOK_URL: url })
      assert.strictEqual(run.code, 0, run.stderr)
      const warnings = run.stderr.split("\n").filter((line) => / not sent: slack \(127\.0\.0\.1:\d+\): HTTP 400 invalid_payload/.test(line))
      assert.isAbove(requests, 0)
      assert.strictEqual(warnings.length, requests, warnings.join("\n"))
      assert.notInclude(run.stdout + run.stderr, "notARealSecret42")
    } finally {
      await new Promise<void>((done) => server.close(() => done()))
    }
  }, 60_000)
})
