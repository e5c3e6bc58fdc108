import { assert, describe, it, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { MarketData } from "@council/market"
import { Database } from "@council/store"
import { LocalExchange } from "@council/exchange"
import { ExchangeServer } from "@council/exchange/server"
import { PgServer } from "../../store/test/PgServer.ts"
import { ACCOUNT, bars, D2, D3 } from "./ExchangeFixture.ts"
import { GEMINI, keysOf, send, serverLayer } from "./ExchangeServerHarness.ts"

const order = { symbol: "SPY", qty: "1", side: "buy", type: "market", time_in_force: "day" }

/**
 * A run of D3 through the server (its session header) while the server's moment is D2, then every account read at
 * once without the header, as `pnpm pipeline accounts` and the dashboard read: each sees the accounts where the run
 * left them (none runs at the moment before the clock's read of the accounts' points, a 422).
 */
const readsTogether = Effect.gen(function*() {
  const server = yield* ExchangeServer
  const keys = [yield* keysOf(ACCOUNT), yield* keysOf(GEMINI)]
  // a run of D3 through the server (its session header) while the server's moment is D2
  for (const k of keys) {
    const placed = yield* send(server.url, "POST", "/v2/orders", { keys: k, headers: { "X-Council-Session": D3 }, body: JSON.stringify(order) })
    assert.strictEqual(placed.status, 200, placed.text)
  }
  // then every account read at once without the header (as `pnpm pipeline accounts` and the dashboard read)
  const reads = yield* Effect.forEach(
    keys.flatMap((k) => ["/v2/account", "/v2/positions", "/v2/orders?status=all", "/v2/clock"].map((path) => [k, path] as const)),
    ([k, path]) => send(server.url, "GET", path, { keys: k }),
    { concurrency: "unbounded" }
  )
  assert.deepStrictEqual(reads.map((r) => r.status), reads.map(() => 200), reads.map((r) => r.text).join("\n"))
  const clocks = reads.filter((r) => (r.json as { timestamp?: string }).timestamp !== undefined)
  assert.deepStrictEqual(clocks.map((r) => (r.json as { timestamp: string }).timestamp), [`${D3}T15:45:00-04:00`, `${D3}T15:45:00-04:00`])
  const session = yield* send(server.url, "GET", "/council/session", { keys: keys[0]! })
  assert.deepStrictEqual(session.json, { date: D3, at: `${D3}T15:45:00-04:00` })
  // the header still pins: D2 is before the accounts' own day
  const pinned = yield* send(server.url, "GET", "/v2/account", { keys: keys[0]!, headers: { "X-Council-Session": D2 } })
  assert.strictEqual(pinned.status, 422)
})

describe("exchange serve's one clock", () => {
  it.effect("header-less reads arriving together after a run moved the accounts all see them where the run left them", () =>
    readsTogether.pipe(Effect.provide(serverLayer())))
})

layer(PgServer.layer, { timeout: 60_000 })("exchange serve's one clock on PostgreSQL (an asynchronous database)", (it) => {
  it.effect("header-less reads arriving together after a run all see the accounts where the run left them", () =>
    Effect.gen(function*() {
      const url = yield* PgServer.use((pg) => pg.createDatabase)
      const context = yield* Layer.build(
        ExchangeServer.layer({ port: 0, accounts: [ACCOUNT, GEMINI], date: D2, rateLimit: 10_000 }).pipe(
          Layer.provide(Database.layerPg(url)),
          Layer.provide(MarketData.layerTest(bars)),
          Layer.fresh
        )
      )
      yield* readsTogether.pipe(
        Effect.provideService(ExchangeServer, Context.get(context, ExchangeServer)),
        Effect.provideService(LocalExchange, Context.get(context, LocalExchange))
      )
    }))
})
