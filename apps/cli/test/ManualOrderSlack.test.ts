/**
 * A manual `order` the safety broker refuses is one line on stderr and exit 1, and Slack hears it too, as it hears a
 * run's refusals: whoever placed the order by hand, the operator who reads Slack learns that it broke an account's
 * rule. An order placed on a paper account is not told (it is the user's own command, printed on stdout); one on a
 * LIVE account is (LiveRehearsal.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { cliInProcess } from "./InProcess.ts"
import { slackHomes } from "./SlackHome.ts"

const limited = JSON.stringify([{ id: "COUNCIL", mode: "PAPER", broker: "local-exchange", settings: { maxOrderValue: 1_000 } }])
const order = (qty: string) => ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", qty]

describe("order refused by the safety broker", () => {
  const slackHome = slackHomes()

  it("is told to Slack with the line stderr carries; a placed order is not", async () => {
    const { home, slack, env } = await slackHome.home()
    const refused = await cliInProcess(home, order("100"), { ...env, TRADING_ACCOUNTS_CONFIG: limited })
    assert.strictEqual(refused.code, 1, refused.stderr)
    const line = /^error: (COUNCIL: buy 100 SPY market day not placed: refused by the safety broker: .* exceeds the \$1,000\.00 order limit \(max-order-value\))$/m
      .exec(refused.stderr)
    assert.isNotNull(line, refused.stderr)
    assert.strictEqual(refused.stderr.trim().split("\n").length, 1, "one line on stderr")
    const told = slack.texts.join("\n")
    assert.match(told, /WARN/)
    assert.match(told, /Manual order refused by the safety broker/)
    assert.include(told, "COUNCIL")
    assert.include(told, "exceeds the $1,000.00 order limit (max-order-value)")

    const before = slack.texts.length
    const placed = await cliInProcess(home, order("1"), { ...env, TRADING_ACCOUNTS_CONFIG: limited })
    assert.strictEqual(placed.code, 0, placed.stderr)
    assert.match(placed.stdout, /^placed: COUNCIL buy 1 SPY market day$/m)
    assert.strictEqual(slack.texts.length, before)
  })
})
