import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { momentAt } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import * as TradingHandlers from "../src/server/TradingHandlers.ts"
import { D4 } from "./ExchangeFixture.ts"
import { GEMINI } from "./ExchangeServerHarness.ts"
import { partialFillServer, threeExecutions } from "./PartialFillExecutions.ts"

/** A reply's body as the server writes it. */
const wire = (reply: { readonly body?: unknown }): unknown => JSON.parse(JSON.stringify(reply.body))

layer(partialFillServer())("FILL activities read the account's fills once", (it) => {
  it.effect("a page, with and without after: one read of the account's fills each, the same activities as the server's", () =>
    Effect.gen(function*() {
      // three executions: 4 + 4 + 2 shares (D3's open and close, D4's close)
      const { client } = yield* threeExecutions
      const exchange = yield* LocalExchange
      const holder = (yield* exchange.keys).find((k) => k.account === GEMINI)!
      let reads = 0
      const counted: typeof exchange = {
        ...exchange,
        fills: (id, session) => Effect.andThen(Effect.sync(() => reads++), exchange.fills(id, session)),
        listFills: (id, query) => Effect.andThen(Effect.sync(() => reads++), exchange.listFills(id, query))
      }
      const handlers = TradingHandlers.make({ exchange: counted, resolveSymbol: () => Effect.succeed(undefined) })
      const call = (query: string) =>
        handlers.listFillActivities({ params: [], query: new URLSearchParams(query), body: "", account: holder, now: momentAt(D4, "16:15") })

      const all = yield* call("")
      assert.strictEqual(reads, 1)
      const listed = wire(all) as ReadonlyArray<{ readonly transaction_time: string; readonly cum_qty: string }>
      assert.deepStrictEqual(listed.map((a) => a.cum_qty), ["4", "8", "10"])
      assert.deepStrictEqual(wire(all), (yield* client.get("/v2/account/activities/FILL")).json)

      // after the first execution: the later two, still counting the first one's shares
      reads = 0
      const after = `after=${encodeURIComponent(listed[0]!.transaction_time)}`
      const later = yield* call(after)
      assert.strictEqual(reads, 1)
      assert.deepStrictEqual((wire(later) as ReadonlyArray<{ readonly cum_qty: string }>).map((a) => a.cum_qty), ["8", "10"])
      assert.deepStrictEqual(wire(later), (yield* client.get(`/v2/account/activities/FILL?${after}`)).json)

      // a bad bound is refused as before, naming it
      const bad = yield* client.get("/v2/account/activities/FILL?after=yesterday")
      assert.strictEqual(bad.status, 422)
      assert.include(bad.text, "invalid after: yesterday")
    }))
})
