import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { momentAt } from "@council/domain"
import { ExchangeServer } from "@council/exchange/server"
import { D2, D4 } from "./ExchangeFixture.ts"
import { clientOf, GEMINI, serverLayer } from "./ExchangeServerHarness.ts"

/** The exchange server filling 40 % of an order's shares an execution: 10 shares fill 4 + 4 + 2. */
export const partialFillServer = () => serverLayer({ exchange: { partialFillPct: 40 } })

/**
 * On `partialFillServer`: GEMINI buys 10 SPY at market (gtc) through the wire after D2's close, then the session
 * moves to after D4's close, by which the order filled in three executions: 4 shares at D3's open, 4 at its close,
 * the last 2 at D4's close. Returns GEMINI's wire client and the order's id.
 */
export const threeExecutions = Effect.gen(function*() {
  const server = yield* ExchangeServer
  const client = yield* clientOf(GEMINI)
  yield* server.setSession(momentAt(D2, "16:15"))
  const placed = yield* client.post("/v2/orders", { symbol: "SPY", qty: "10", side: "buy", type: "market", time_in_force: "gtc" })
  assert.strictEqual(placed.status, 200)
  yield* server.setSession(momentAt(D4, "16:15"))
  return { client, orderId: (placed.json as { readonly id: string }).id }
})
