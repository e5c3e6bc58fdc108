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

      // paging: each page after the last id read, to the end; a token the account never had is refused, not read as
      // the first page again (a client paging on would loop, or count the fills twice)
      const ids = (reply: { readonly json: unknown }) => (reply.json as ReadonlyArray<{ readonly id: string }>).map((a) => a.id)
      const everyId = ids(yield* client.get("/v2/account/activities/FILL"))
      const paged: Array<string> = []
      let token = ""
      for (let pages = 0; pages < 5; pages++) {
        const page = ids(yield* client.get(`/v2/account/activities/FILL?page_size=2${token === "" ? "" : `&page_token=${token}`}`))
        if (page.length === 0) break
        paged.push(...page)
        token = page[page.length - 1]!
      }
      assert.deepStrictEqual(paged, everyId)
      const unknown = yield* client.get("/v2/account/activities/FILL?page_size=2&page_token=not-an-activity")
      assert.strictEqual(unknown.status, 422)
      assert.deepStrictEqual(unknown.json, { code: 40010001, message: "invalid page_token not-an-activity: no such activity" })
      // with after, a token before the bound pages from the bound on
      const afterToken = yield* client.get(`/v2/account/activities/FILL?${after}&page_token=${everyId[0]}`)
      assert.deepStrictEqual(ids(afterToken), everyId.slice(1))
    }))
})
