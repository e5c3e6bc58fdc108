import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { momentAt } from "@council/domain"
import { MarketData } from "@council/market"
import { Database } from "@council/store"
import { LocalExchange } from "@council/exchange"
import { ExchangeServer } from "@council/exchange/server"
import { PgServer } from "../../store/test/PgServer.ts"
import { ACCOUNT, bars, D2 } from "./ExchangeFixture.ts"
import { keysOf, send } from "./ExchangeServerHarness.ts"

layer(PgServer.layer, { timeout: 60_000 })("/stream on PostgreSQL", (it) => {
  it.effect("new, fill and cancel events read from a PostgreSQL ledger (a snapshot per read)", () =>
    Effect.gen(function*() {
      const url = yield* PgServer.use((pg) => pg.createDatabase)
      const context = yield* Layer.build(
        ExchangeServer.layer({ port: 0, accounts: [ACCOUNT], date: D2, rateLimit: 10_000 }).pipe(
          Layer.provide(Database.layerPg(url)),
          Layer.provide(MarketData.layerTest(bars)),
          Layer.fresh
        )
      )
      const server = Context.get(context, ExchangeServer)
      const keys = yield* keysOf(ACCOUNT).pipe(Effect.provideService(LocalExchange, Context.get(context, LocalExchange)))
      const received: Array<Record<string, unknown>> = []
      const waiters: Array<() => void> = []
      const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}/stream`)
      yield* Effect.addFinalizer(() => Effect.sync(() => socket.close()))
      socket.addEventListener("message", (event) => {
        received.push(JSON.parse(Buffer.from(event.data as ArrayBuffer).toString("utf8")) as Record<string, unknown>)
        for (const wake of waiters.splice(0)) wake()
      })
      socket.binaryType = "arraybuffer"
      const upTo = (count: number) =>
        Effect.promise(() =>
          new Promise<ReadonlyArray<Record<string, unknown>>>((resolve) => {
            const check = () => (received.length >= count ? resolve(received.slice(0, count)) : waiters.push(check))
            check()
          })
        )
      yield* Effect.promise(() => new Promise((resolve) => socket.addEventListener("open", resolve)))
      socket.send(JSON.stringify({ action: "authenticate", data: { key_id: keys.keyId, secret_key: keys.secret } }))
      socket.send(JSON.stringify({ action: "listen", data: { streams: ["trade_updates"] } }))
      yield* upTo(2)
      const order = (body: object) => send(server.url, "POST", "/v2/orders", { keys, body: JSON.stringify(body) })
      yield* order({ symbol: "SPY", qty: "6", side: "buy", type: "market", time_in_force: "day", client_order_id: "pg-buy" })
      const resting = yield* order({ symbol: "QQQ", qty: "2", side: "buy", type: "limit", limit_price: "10", time_in_force: "gtc", client_order_id: "pg-limit" })
      yield* send(server.url, "DELETE", `/v2/orders/${(resting.json as { readonly id: string }).id}`, { keys })
      yield* server.setSession(momentAt(D2, "16:00"))
      const events = (yield* upTo(6)).slice(2).map((m) => m.data as Record<string, unknown> & { readonly order: Record<string, unknown> })
      assert.deepStrictEqual(events.map((e) => [e.event, e.order.client_order_id, e.position_qty]), [
        ["new", "pg-buy", undefined],
        ["new", "pg-limit", undefined],
        ["canceled", "pg-limit", undefined],
        ["fill", "pg-buy", "6"]
      ])
    }))
})
