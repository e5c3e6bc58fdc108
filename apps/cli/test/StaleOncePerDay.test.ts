import { assert, describe, it } from "@effect/vitest"
import { cliInProcess } from "./InProcess.ts"
import { slackHomes } from "./SlackHome.ts"

describe("a cron re-running a day the bundled bars already ran", () => {
  const slackHome = slackHomes()

  it("tells Slack that the data is behind the clock once that day; every invocation still says it on stderr", async () => {
    const { home, env, slack } = await slackHome.home()
    const first = await cliInProcess(home, ["run", "daily"], env)
    assert.strictEqual(first.code, 0, first.stderr)
    const behind = (texts: ReadonlyArray<string>) => texts.filter((t) => t.includes("Market data behind the clock")).length
    assert.strictEqual(behind(slack.texts), 0, "the first run of the data's last session runs as before")
    const stderrs: Array<string> = []
    for (let i = 0; i < 3; i++) {
      const again = await cliInProcess(home, ["run", "daily"], env)
      assert.strictEqual(again.code, 0, again.stderr)
      stderrs.push(again.stderr)
    }
    assert.strictEqual(behind(slack.texts), 1, slack.texts.join("\n---\n"))
    for (const stderr of stderrs) assert.match(stderr, /Market data behind the clock/)
    assert.match(stderrs[2]!, /already ran, nothing new to trade/)
  }, 120_000)
})
