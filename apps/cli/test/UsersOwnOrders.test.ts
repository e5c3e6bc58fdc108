/**
 * Orders Council's pipeline never places but a user may hold on an account it trades — a notional buy ("$1,000 of
 * SPY") and a trailing stop — as the CLI shows them: the dollars of a notional order (its `qty` is 0 until it fills)
 * and the shares it bought once filled; a trailing stop's trail. Placed over Alpaca's wire on `exchange serve`, read
 * through the Alpaca adapter.
 */
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { cliOk } from "./InProcess.ts"
import { accountsConfig, serveExchange, type ServedExchange } from "./ExchangeProcess.ts"

const send = async (served: ServedExchange, method: string, path: string, body: unknown) => {
  const keys = served.keys.find((k) => k.account === "COUNCIL")!
  const answer = await fetch(`${served.url}${path}`, {
    method,
    headers: { "APCA-API-KEY-ID": keys.keyId, "APCA-API-SECRET-KEY": keys.secretKey, "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  assert.strictEqual(answer.status, 200, await answer.clone().text())
  return answer.json() as Promise<{ readonly id: string }>
}

describe("a user's own notional orders and trailing stops in the CLI", () => {
  it("orders shows a notional order's dollars, then the shares it bought; a trailing stop's trail; cancel names them so", async () => {
    const served = await serveExchange(tempHome(), ["--date", "2026-06-05"])
    try {
      const home = tempHome()
      const env = { TRADING_ACCOUNTS_CONFIG: accountsConfig(served, ["COUNCIL"]) }
      const run = (args: ReadonlyArray<string>) => cliOk(home, args, env)
      await send(served, "POST", "/v2/orders", { symbol: "SPY", notional: "1000", side: "buy", type: "market", time_in_force: "day", client_order_id: "my-dollars" })
      const trailing = await send(served, "POST", "/v2/orders", {
        symbol: "QQQ", qty: "3", side: "buy", type: "trailing_stop", trail_percent: "5", time_in_force: "gtc", client_order_id: "my-trail"
      })

      const open = await run(["orders", "--account", "COUNCIL", "--status", "all"])
      assert.match(open, /^COUNCIL\s+2026-06-05\s+SPY\s+buy\s+\$1,000\.00\s+market\s+simple\s+\S+\s+-\s+my-dollars/m, open)
      assert.match(open, /^COUNCIL\s+2026-06-05\s+QQQ\s+buy\s+3\s+trailing_stop 5 %\s+simple\s+new\s+-\s+my-trail/m, open)

      // the next session: the notional buy filled at 06-05's close, its shares set then
      await send(served, "POST", "/council/session", { date: "2026-06-08" })
      const filled = await run(["orders", "--account", "COUNCIL", "--status", "all"])
      const [listed] = JSON.parse(await run(["orders", "--account", "COUNCIL", "--status", "all", "--json"])) as ReadonlyArray<{
        readonly orders: ReadonlyArray<{ readonly clientOrderId: string; readonly filledQty: number; readonly notional?: number }>
      }>
      const dollars = listed!.orders.find((o) => o.clientOrderId === "my-dollars")!
      assert.strictEqual(dollars.notional, 1000)
      assert.isAbove(dollars.filledQty, 0)
      assert.isFalse(Number.isInteger(dollars.filledQty), "a notional buy's shares are fractional")
      assert.match(filled, new RegExp(`^COUNCIL\\s+2026-06-05\\s+SPY\\s+buy\\s+\\$1,000\\.00 → ${dollars.filledQty.toFixed(4)} sh\\s+market\\s+simple\\s+filled\\s`, "m"), filled)

      const canceled = await run(["cancel", "--account", "COUNCIL", trailing.id])
      assert.include(canceled, "buy 3 QQQ trailing_stop 5 %")
    } finally {
      await served.stop()
    }
  })
})
