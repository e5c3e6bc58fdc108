/**
 * `cancel` as a user reads it: what the broker says of the order after the cancel (not the order as read before it),
 * and every order the cancel took with it — canceling one leg of a bracket cancels the whole group, as Alpaca does,
 * so the line names the entry and the other leg too. Against `exchange serve` (Alpaca's wire on 127.0.0.1).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startFakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess, cliOk } from "./InProcess.ts"
import { accountsConfig, serveExchange, type ServedExchange } from "./ExchangeProcess.ts"
import { restingBracket } from "./BrokerDoubles.ts"

interface OrderJson {
  readonly id: string
  readonly clientOrderId: string
  readonly status: string
  readonly type: string
  readonly legs: ReadonlyArray<OrderJson>
}

/** A bracket placed over Alpaca's wire (the CLI's `order` places simple orders only): buy at $1, exits at $2,000 and $0.50. */
const placeBracket = async (served: ServedExchange, clientOrderId: string): Promise<OrderJson> => {
  const keys = served.keys.find((k) => k.account === "COUNCIL")!
  const answer = await fetch(`${served.url}/v2/orders`, {
    method: "POST",
    headers: { "APCA-API-KEY-ID": keys.keyId, "APCA-API-SECRET-KEY": keys.secretKey, "content-type": "application/json" },
    body: JSON.stringify(restingBracket(clientOrderId))
  })
  const text = await answer.text()
  assert.strictEqual(answer.status, 200, text)
  const body = JSON.parse(text) as { id: string; client_order_id: string; status: string; legs: ReadonlyArray<{ id: string; client_order_id: string; status: string; type: string }> }
  return {
    id: body.id,
    clientOrderId: body.client_order_id,
    status: body.status,
    type: "limit",
    legs: body.legs.map((l) => ({ id: l.id, clientOrderId: l.client_order_id, status: l.status, type: l.type, legs: [] }))
  }
}

describe("cancel", () => {
  it("says what the broker reports after the cancel, and names every order of the group it canceled", async () => {
    const served = await serveExchange(tempHome(), ["--date", "2026-06-05"])
    try {
      const home = tempHome()
      const env = { TRADING_ACCOUNTS_CONFIG: accountsConfig(served, ["COUNCIL"]) }
      const run = (args: ReadonlyArray<string>) => cliOk(home, args, env)

      // a simple order: --json's `canceled` is the order as the broker reports it now
      await run(["order", "--account", "COUNCIL", "--symbol", "TLT", "--side", "buy", "--qty", "5", "--type", "limit", "--limit-price", "1", "--tif", "gtc"])
      const [listed] = JSON.parse(await run(["orders", "--account", "COUNCIL", "--symbol", "TLT", "--json"])) as ReadonlyArray<{ orders: ReadonlyArray<OrderJson> }>
      const tlt = listed!.orders[0]!
      assert.strictEqual(tlt.status, "new")
      const simple = JSON.parse(await run(["cancel", "--account", "COUNCIL", tlt.id, "--json"])) as { canceled: OrderJson; alsoCanceled: ReadonlyArray<OrderJson>; unconfirmed: ReadonlyArray<unknown> }
      assert.strictEqual(simple.canceled.id, tlt.id)
      assert.strictEqual(simple.canceled.status, "canceled")
      assert.deepStrictEqual(simple.alsoCanceled, [])
      assert.deepStrictEqual(simple.unconfirmed, [])

      // one leg of a bracket by its id: the entry and the other leg go with it, and --json lists them, canceled
      const first = await placeBracket(served, "bracket-one")
      const stopLeg = first.legs.find((l) => l.type === "stop")!
      const takeProfit = first.legs.find((l) => l.type === "limit")!
      const leg = JSON.parse(await run(["cancel", "--account", "COUNCIL", stopLeg.id, "--json"])) as { canceled: OrderJson; alsoCanceled: ReadonlyArray<OrderJson> }
      assert.deepStrictEqual([leg.canceled.id, leg.canceled.status], [stopLeg.id, "canceled"])
      assert.deepStrictEqual(
        leg.alsoCanceled.map((o) => [o.id, o.status]).sort(),
        [[first.id, "canceled"], [takeProfit.id, "canceled"]].sort()
      )

      // the same as a table: every canceled order named, by id and client order id
      const second = await placeBracket(served, "bracket-two")
      const text = await run(["cancel", "--account", "COUNCIL", second.legs.find((l) => l.type === "limit")!.clientOrderId])
      for (const o of [second, ...second.legs]) {
        assert.include(text, ` · order ${o.id} · client order id ${o.clientOrderId} · canceled\n`)
      }
      assert.include(text, `\n  buy 10 SPY limit $1.00 · order ${second.id} · client order id bracket-two · canceled\n`)
      assert.match(text, /^cancel accepted: COUNCIL sell 10 SPY limit \$2,000\.00 gtc, with the rest of its bracket \(2 more orders\)\n/)
    } finally {
      await served.stop()
    }
  })

  it("names the group of a leg whose entry is older than the symbol's newest 500 orders, and shows stop prices", async () => {
    const served = await serveExchange(tempHome(), ["--date", "2026-06-05", "--rate-limit", "10000"])
    try {
      const home = tempHome()
      const env = { TRADING_ACCOUNTS_CONFIG: accountsConfig(served, ["COUNCIL"]) }
      const bracket = await placeBracket(served, "old-bracket")
      // 500 SPY orders after it: the bracket is not among the symbol's newest 500 any more
      const keys = served.keys.find((k) => k.account === "COUNCIL")!
      const headers = { "APCA-API-KEY-ID": keys.keyId, "APCA-API-SECRET-KEY": keys.secretKey, "content-type": "application/json" }
      for (let batch = 0; batch < 50; batch++) {
        await Promise.all(Array.from({ length: 10 }, async (_, i) => {
          const body = JSON.stringify({ symbol: "SPY", qty: "1", side: "buy", type: "limit", limit_price: "1", time_in_force: "gtc", client_order_id: `later-${batch}-${i}` })
          const r = await fetch(`${served.url}/v2/orders`, { method: "POST", headers, body })
          assert.strictEqual(r.status, 200, await r.text())
        }))
      }
      const stopLeg = bracket.legs.find((l) => l.type === "stop")!
      const takeProfit = bracket.legs.find((l) => l.type === "limit")!
      const r = await cliInProcess(home, ["cancel", "--account", "COUNCIL", stopLeg.id], env)
      assert.strictEqual(r.code, 0, r.stderr)
      assert.match(r.stdout, /^cancel accepted: COUNCIL sell 10 SPY stop \$0\.50 gtc, with the rest of its bracket \(2 more orders\)\n/)
      assert.include(r.stdout, `\n  sell 10 SPY stop $0.50 · order ${stopLeg.id} · client order id ${stopLeg.clientOrderId} · canceled\n`)
      for (const o of [bracket, takeProfit]) assert.include(r.stdout, ` · order ${o.id} · client order id ${o.clientOrderId} · canceled\n`)
    } finally {
      await served.stop()
    }
  }, 120_000)

  it.effect("an order the broker does not answer for after the cancel is shown as read before it, saying so", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKCANCELREAD", secretKey: "cancel-read-secret" })
      const placed = yield* Effect.promise(() =>
        fetch(`${fake.url}/v2/orders`, {
          method: "POST",
          headers: { "APCA-API-KEY-ID": fake.keyId, "APCA-API-SECRET-KEY": fake.secretKey, "content-type": "application/json" },
          body: JSON.stringify({ symbol: "TLT", qty: "5", side: "buy", type: "limit", limit_price: "1", time_in_force: "gtc", client_order_id: "tlt-at-one" })
        }).then((r) => r.json() as Promise<{ id: string }>)
      )
      // the cancel goes through; the reads of the order after it are refused (the adapter's, which waits for the
      // cancel to take effect and lets it stand as taken, then the command's)
      fake.inject("GET", `/v2/orders/${placed.id}`, { _tag: "Status", status: 403, body: JSON.stringify({ code: 40310000, message: "forbidden for now" }) }, 2)
      const env = { COUNCIL_ACCOUNTS: "COUNCIL", ALPACA_COUNCIL_KEY_ID: fake.keyId, ALPACA_COUNCIL_SECRET_KEY: fake.secretKey, ALPACA_COUNCIL_BASE_URL: fake.url }
      const r = yield* Effect.promise(() => cliInProcess(tempHome(), ["cancel", "--account", "COUNCIL", "tlt-at-one", "--json"], env))
      assert.strictEqual(r.code, 0, r.stderr)
      assert.strictEqual(fake.orders.get(placed.id)?.status, "canceled")
      const answer = JSON.parse(r.stdout) as { canceled: OrderJson; unconfirmed: ReadonlyArray<{ id: string; error: string }> }
      assert.deepStrictEqual([answer.canceled.id, answer.canceled.status], [placed.id, "new"])
      assert.deepStrictEqual(answer.unconfirmed.map((u) => u.id), [placed.id])
      assert.include(answer.unconfirmed[0]!.error, "forbidden for now")
    }).pipe(Effect.scoped), 60_000)

  it.effect("a failing listing of the symbol's orders does not stop the cancel: it only names the group", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKCANCELLIST", secretKey: "cancel-list-secret" })
      const placed = yield* Effect.promise(() =>
        fetch(`${fake.url}/v2/orders`, {
          method: "POST",
          headers: { "APCA-API-KEY-ID": fake.keyId, "APCA-API-SECRET-KEY": fake.secretKey, "content-type": "application/json" },
          body: JSON.stringify({ symbol: "TLT", qty: "5", side: "buy", type: "limit", limit_price: "1", time_in_force: "gtc", client_order_id: "tlt-unlisted" })
        }).then((r) => r.json() as Promise<{ id: string }>)
      )
      // the read of the order by its client order id answers; the listing that names its group is refused
      fake.inject("GET", "/v2/orders", { _tag: "Status", status: 403, body: JSON.stringify({ code: 40310000, message: "listing forbidden for now" }) })
      const env = { COUNCIL_ACCOUNTS: "COUNCIL", ALPACA_COUNCIL_KEY_ID: fake.keyId, ALPACA_COUNCIL_SECRET_KEY: fake.secretKey, ALPACA_COUNCIL_BASE_URL: fake.url }
      const r = yield* Effect.promise(() => cliInProcess(tempHome(), ["cancel", "--account", "COUNCIL", "tlt-unlisted", "--json"], env))
      assert.strictEqual(r.code, 0, r.stderr)
      assert.strictEqual(fake.orders.get(placed.id)?.status, "canceled")
      const answer = JSON.parse(r.stdout) as { canceled: OrderJson; groupUnlisted?: string }
      assert.deepStrictEqual([answer.canceled.id, answer.canceled.status], [placed.id, "canceled"])
      assert.include(answer.groupUnlisted ?? "", "listing forbidden for now")
    }).pipe(Effect.scoped), 60_000)
})
