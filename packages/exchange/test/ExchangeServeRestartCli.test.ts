import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { AlpacaWire } from "@council/broker/Alpaca"
import { send } from "./ExchangeServerHarness.ts"
import { cliIn, freshHome, startServerIn, stop } from "./ServeProcess.ts"

// its own COUNCIL_HOME: where a restart starts depends on every account of the ledger
const env = freshHome()
const cli = cliIn(env)
const startServer = startServerIn(env)

const KeyList = Schema.Array(Schema.Struct({ account: Schema.String, keyId: Schema.String, secretKey: Schema.String }))
const DAY = "2026-06-01"
const NEXT = "2026-06-02"

describe("pnpm pipeline exchange serve, restarted", () => {
  it.effect("without --date it resumes where the accounts are, not at the data's last session: close-all then the next day's run are served", () =>
    Effect.gen(function*() {
      const keys = yield* Schema.decodeUnknownEffect(KeyList)(JSON.parse((yield* cli(["exchange", "keys", "--json"])).stdout))
      const claude = keys.find((k) => k.account === "CLAUDE")!
      const auth = { keyId: claude.keyId, secret: claude.secretKey }
      const clockAt = (url: string) =>
        Effect.flatMap(send(url, "GET", "/v2/clock", { keys: auth }), (r) => Schema.decodeUnknownEffect(AlpacaWire.WireClock)(r.json))

      // a day traded at the server's default moment (no session header, as Alpaca's SDKs send)
      const first = yield* startServer(["--port", "0", "--date", DAY])
      assert.strictEqual((yield* clockAt(first.url)).timestamp, `${DAY}T15:45:00-04:00`)
      const order = { symbol: "SPY", qty: "2", side: "buy", type: "market", time_in_force: "day" }
      const placed = yield* send(first.url, "POST", "/v2/orders", { keys: auth, body: JSON.stringify(order) })
      assert.strictEqual(placed.status, 200, placed.text)
      const { id } = yield* Schema.decodeUnknownEffect(AlpacaWire.WireOrder)(placed.json)
      assert.strictEqual((yield* stop(first.child)).code, 0)

      // restarted with no --date: at that day's 15:45, and says why
      const again = yield* startServer(["--port", "0"])
      assert.include(again.banner, `at ${DAY}T15:45:00-04:00 (where the ledger's accounts are`)
      const clock = yield* clockAt(again.url)
      assert.deepStrictEqual([clock.timestamp, clock.is_open], [`${DAY}T15:45:00-04:00`, true])
      // the operator's close-all (no header) stays on that day, so the next day's run is not refused
      const closeAll = yield* send(again.url, "DELETE", "/v2/positions?cancel_orders=false", { keys: auth })
      assert.strictEqual(closeAll.status, 207, closeAll.text)
      const nextDay = { "X-Council-Session": `${NEXT}T15:45:00-04:00` }
      const next = yield* send(again.url, "POST", "/v2/orders", {
        keys: auth,
        headers: nextDay,
        body: JSON.stringify({ ...order, qty: "1" })
      })
      assert.strictEqual(next.status, 200, next.text)
      // the first day's order filled at that day's close, not later
      const filled = yield* Schema.decodeUnknownEffect(AlpacaWire.WireOrder)(
        (yield* send(again.url, "GET", `/v2/orders/${id}`, { keys: auth, headers: nextDay })).json
      )
      assert.strictEqual(filled.status, "filled")
      assert.strictEqual(new Date(filled.filled_at ?? "").toISOString(), `${DAY}T20:00:00.000Z`)
      assert.strictEqual((yield* stop(again.child)).code, 0)

      // a --date given is kept, as before
      const given = yield* startServer(["--port", "0", "--date", NEXT, "--at", "10:00"])
      assert.notInclude(given.banner, "where the ledger's accounts are")
      assert.strictEqual((yield* clockAt(given.url)).timestamp, `${NEXT}T10:00:00-04:00`)
    }), 90_000)
})
