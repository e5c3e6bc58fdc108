import { assert, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { momentAt, Ticker } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { ExchangeServer } from "@council/exchange/server"
import { bracketBuy } from "./BracketOrders.ts"
import { ACCOUNT, D2, D3, intent, QQQ, SPY } from "./ExchangeFixture.ts"
import { adapterOf, GEMINI, serverLayer } from "./ExchangeServerHarness.ts"

layer(serverLayer())("the project's Alpaca adapter against the exchange server", (it) => {
  it.effect("trades at the moment of its X-Council-Session header (a day, or a timestamp) and sees what the in-process broker sees", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const at = (session: string) => adapterOf(ACCOUNT, server.url, session)
      const during = yield* at(D3)
      const remote = yield* at("2026-08-05T16:00:00-04:00")
      const placed = yield* during.placeOrder(
        bracketBuy({ takeProfit: 115, stopLoss: 100 }, { qty: 5, timeInForce: "day", clientOrderId: "adapter-bracket" })
      )
      assert.deepStrictEqual([placed.status, placed.filledAvgPrice, placed.submittedAt], ["new", null, "2026-08-05T19:45:00.000Z"])
      assert.deepStrictEqual(placed.legs.map((l) => [l.type, l.status]), [["limit", "held"], ["stop", "held"]])
      yield* during.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 10, type: "limit", limitPrice: 39, timeInForce: "gtc", clientOrderId: "adapter-limit" }))
      const filled = yield* remote.getOrder(placed.id)
      assert.deepStrictEqual([filled.status, filled.filledAvgPrice, filled.filledAt], ["filled", 107.05, "2026-08-05T20:00:00.000Z"])
      assert.deepStrictEqual(filled.legs.map((l) => [l.type, l.status]), [["limit", "new"], ["stop", "new"]])
      // one clock: the server's now followed the header requests to where they brought the account (D3's close)
      assert.deepStrictEqual(yield* server.session, momentAt(D3, "16:00"))

      const local = LocalExchange.broker(yield* LocalExchange, ACCOUNT)
      assert.deepStrictEqual(yield* remote.getAccount, yield* local.getAccount)
      assert.deepStrictEqual(yield* remote.getPositions, yield* local.getPositions)
      assert.deepStrictEqual(yield* remote.listOrders({ status: "all" }), yield* local.listOrders({ status: "all" }))
      assert.deepStrictEqual(yield* remote.getOrderByClientId("adapter-limit"), yield* local.getOrderByClientId("adapter-limit"))
      assert.isTrue(Option.isNone(yield* remote.getOrderByClientId("nope")))
      const duplicate = yield* Effect.flip(remote.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 1, clientOrderId: "adapter-limit" })))
      assert.strictEqual(duplicate.reason, "DuplicateClientOrderId")
      const broke = yield* Effect.flip(remote.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10_000 })))
      assert.strictEqual(broke.reason, "InsufficientBuyingPower")

      assert.strictEqual(yield* remote.cancelAllOrders, 2)
      const closed = yield* remote.closeAllPositions
      assert.deepStrictEqual(closed.map((o) => [o.symbol, o.side, o.qty, o.status]), [["SPY", "sell", 5, "accepted"]])
      assert.deepStrictEqual((yield* local.getPositions).map((p) => [p.symbol, p.qty]), [["SPY", 5]])
      // the fills, as FILL activities: the bracket's entry (the close is queued for the next open)
      const fills = yield* remote.listFills({})
      assert.deepStrictEqual(fills.map((f) => [f.symbol, f.side, f.qty]), [["SPY", "buy", 5]])
      assert.deepStrictEqual(fills.map(({ clientOrderId: _, ...f }) => f), (yield* local.listFills({})).map(({ clientOrderId: _, ...f }) => f))
      // `after` is exclusive
      assert.deepStrictEqual(yield* remote.listFills({ after: fills[0]!.at }), [])
      const second = new Date(Date.parse(fills[0]!.at) - 1000).toISOString()
      assert.deepStrictEqual(yield* remote.listFills({ after: second }), fills)
      assert.deepStrictEqual(
        [yield* Effect.map(during.getClock, (c) => [c.timestamp, c.isOpen]), yield* Effect.map(remote.getClock, (c) => [c.timestamp, c.isOpen])],
        [["2026-08-05T15:45:00-04:00", true], ["2026-08-05T16:00:00-04:00", false]]
      )
    }))

  it.effect("reads the marks at its header's moment: the prices the accounts are marked at then, as the in-process broker's, stamped with the server's clock", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const at = (session: string) => adapterOf(GEMINI, server.url, session)
      const during = yield* at(D3)
      const after = yield* at("2026-08-05T16:00:00-04:00")
      // by hand from the fixture's bars: on D3 SPY opens at 102 and closes at 107, QQQ at 40; NOPE is no symbol of the data
      assert.deepStrictEqual(yield* during.getMarks!([SPY, QQQ, Ticker.make("NOPE")]), { at: "2026-08-05T19:45:00.000Z", prices: { SPY: 102, QQQ: 40 } })
      assert.deepStrictEqual(yield* after.getMarks!([SPY]), { at: "2026-08-05T20:00:00.000Z", prices: { SPY: 107 } })
      // the in-process broker at the same moment marks at the same prices (its stamp is the price's moment, the open)
      yield* server.setSession(momentAt(D3, "15:45"))
      const local = yield* LocalExchange.broker(yield* LocalExchange, GEMINI).getMarks!([SPY, QQQ])
      assert.deepStrictEqual(local, { at: "2026-08-05T13:30:00.000Z", prices: (yield* during.getMarks!([SPY, QQQ])).prices })
      assert.deepStrictEqual((yield* (yield* at(D2)).getMarks!([SPY])).prices, { SPY: 101 })
    }))
})

