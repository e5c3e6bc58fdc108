import { assert, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { AlpacaWire } from "@council/broker/Alpaca"
import { momentAt } from "@council/domain"
import { ExchangeServer } from "@council/exchange/server"
import { D2, D3 } from "./ExchangeFixture.ts"
import { clientOf, serverLayer } from "./ExchangeServerHarness.ts"

// `POST /v2/orders` as any Alpaca client sends it, at 15:45 of D2 (SPY: open 101, high 103, low 100, close 102;
// D3: open 102, low 101). A `day` limit expires at D2's close, so D2's close is the one price it can meet.

const wireOrder = (body: unknown) => Schema.decodeUnknownSync(AlpacaWire.WireOrder)(body)
const limitBuy = (limitPrice: string, timeInForce: "day" | "gtc", clientOrderId: string) =>
  ({ symbol: "SPY", qty: "1", side: "buy", type: "limit", time_in_force: timeInForce, limit_price: limitPrice, client_order_id: clientOrderId })

layer(serverLayer())("a limit order sent through the REST API late in a session", (it) => {
  it.effect("day: filled at the close when the close crosses it, expired at that close otherwise; gtc: works from the next session", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const client = yield* clientOf()
      yield* server.setSession(momentAt(D2, "15:45"))
      for (const body of [limitBuy("102.50", "day", "day-crossed"), limitBuy("101", "day", "day-touched"), limitBuy("102.50", "gtc", "gtc-late")]) {
        const placed = yield* client.post("/v2/orders", body)
        assert.deepStrictEqual([placed.status, wireOrder(placed.json).status], [200, "new"], placed.text)
      }
      const read = (id: string) =>
        Effect.map(client.get(`/v2/orders:by_client_order_id?client_order_id=${id}`), (r) => {
          const o = wireOrder(r.json)
          return [o.status, o.filled_avg_price ?? null, o.filled_at ?? o.expired_at ?? null]
        })
      yield* server.setSession(momentAt(D2, "16:00"))
      assert.deepStrictEqual(yield* read("day-crossed"), ["filled", "102", "2026-08-04T20:00:00.000Z"])
      assert.deepStrictEqual(yield* read("day-touched"), ["expired", null, "2026-08-04T20:00:00.000Z"])
      assert.deepStrictEqual(yield* read("gtc-late"), ["new", null, null])
      // D3 opens at 102, under the gtc limit: filled at its open; the expired day order stays expired (D3's low is 101)
      yield* server.setSession(momentAt(D3, "16:00"))
      assert.deepStrictEqual(yield* read("gtc-late"), ["filled", "102", "2026-08-05T13:30:00.000Z"])
      assert.deepStrictEqual(yield* read("day-touched"), ["expired", null, "2026-08-04T20:00:00.000Z"])
    }))
})
