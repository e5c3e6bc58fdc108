/**
 * The seed's multi-account manager, as a user drives it from the CLI against `exchange serve` (Alpaca's wire on
 * 127.0.0.1), with the accounts in the seed's per-account variables: get_all_accounts / get_all_positions /
 * get_orders (filtered by symbol, limited) as `accounts`, `positions`, `orders` with `--json`; cancel_order as
 * `cancel`; close_position as `close`; close_all_positions as `close-all --json`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Ticker } from "@council/domain"
import { startFakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { countingBroker } from "./BrokerDoubles.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"
import { serveExchange, type ServedExchange } from "./ExchangeProcess.ts"

/** The seed's convention: `ALPACA_{NAME}_KEY_ID` / `_SECRET_KEY` (and a base URL) for the names in COUNCIL_ACCOUNTS. */
const perAccountVariables = (served: ServedExchange, names: ReadonlyArray<string>): Record<string, string> => {
  const env: Record<string, string> = { COUNCIL_ACCOUNTS: names.join(",") }
  for (const name of names) {
    const keys = served.keys.find((k) => k.account === name)!
    env[`ALPACA_${name}_KEY_ID`] = keys.keyId
    env[`ALPACA_${name}_SECRET_KEY`] = keys.secretKey
    env[`ALPACA_${name}_BASE_URL`] = served.url
  }
  return env
}

/** Moves the server's session on (its own endpoint, any account's keys). */
const advance = async (served: ServedExchange, date: string) => {
  const keys = served.keys[0]!
  const answer = await fetch(`${served.url}/council/session`, {
    method: "POST",
    headers: { "APCA-API-KEY-ID": keys.keyId, "APCA-API-SECRET-KEY": keys.secretKey, "content-type": "application/json" },
    body: JSON.stringify({ date })
  })
  assert.strictEqual(answer.status, 200, await answer.text())
}

interface OrderJson {
  readonly id: string
  readonly clientOrderId: string
  readonly symbol: string
  readonly side: string
  readonly qty: number
  readonly type: string
  readonly status: string
}

describe("the seed's account operations from the CLI, over Alpaca's wire", () => {
  it("accounts, positions and orders as JSON and by symbol; cancel one order; close one position (its exits first, once); close-all as JSON", async () => {
    const served = await serveExchange(tempHome(), ["--date", "2026-06-05"])
    try {
      const env = perAccountVariables(served, ["CLAUDE", "COUNCIL"])
      const home = tempHome()
      // in this process (the same program as bin.ts): two dozen commands, without a process start-up each
      const run = async (args: ReadonlyArray<string>, code = 0) => {
        const r = await cliInProcess(home, args, env)
        assert.strictEqual(r.code, code, `${args.join(" ")}\n${r.stdout}\n${r.stderr}`)
        return r
      }
      const json = async <A>(args: ReadonlyArray<string>): Promise<A> => JSON.parse((await run([...args, "--json"])).stdout) as A

      const accounts = await json<ReadonlyArray<{ account: string; mode: string; snapshot: { equity: number; cash: number; buyingPower: number }; error: null }>>(["accounts"])
      assert.deepStrictEqual(accounts.map((a) => [a.account, a.mode, a.snapshot.equity, a.snapshot.cash, a.error]), [
        ["CLAUDE", "PAPER", 100_000, 100_000, null],
        ["COUNCIL", "PAPER", 100_000, 100_000, null]
      ])
      assert.deepStrictEqual((await json<ReadonlyArray<{ account: string }>>(["accounts", "--account", "council"])).map((a) => a.account), ["COUNCIL"])

      await run(["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "10"])
      await run(["order", "--account", "COUNCIL", "--symbol", "TLT", "--side", "buy", "--qty", "5", "--type", "limit", "--limit-price", "1", "--tif", "gtc"])
      await run(["order", "--account", "CLAUDE", "--symbol", "TLT", "--side", "buy", "--qty", "3", "--type", "limit", "--limit-price", "1", "--tif", "gtc"])

      const tlt = await json<ReadonlyArray<{ account: string; orders: ReadonlyArray<OrderJson>; error: null }>>(["orders", "--symbol", "tlt"])
      assert.deepStrictEqual(tlt.map((r) => [r.account, r.orders.map((o) => `${o.side} ${o.qty} ${o.symbol} ${o.type} ${o.status}`)]), [
        ["CLAUDE", ["buy 3 TLT limit new"]],
        ["COUNCIL", ["buy 5 TLT limit new"]]
      ])
      const open = await json<ReadonlyArray<{ orders: ReadonlyArray<OrderJson> }>>(["orders", "--account", "COUNCIL"])
      assert.strictEqual(open[0]!.orders.length, 2)
      assert.strictEqual((await json<ReadonlyArray<{ orders: ReadonlyArray<OrderJson> }>>(["orders", "--account", "COUNCIL", "--limit", "1"]))[0]!.orders.length, 1)
      assert.strictEqual((await run(["orders", "--symbol", "GLD"])).stdout, "no open GLD orders\n")

      // cancel_order: by client order id (what `orders` lists), then by the broker's id
      const councilTlt = tlt[1]!.orders[0]!
      const canceled = await run(["cancel", "--account", "COUNCIL", councilTlt.clientOrderId])
      assert.match(canceled.stdout, /^cancel accepted: COUNCIL buy 5 TLT limit \$1\.00 gtc\n/)
      const again = await run(["cancel", "--account", "COUNCIL", councilTlt.id], 1)
      assert.strictEqual(again.stderr, `error: COUNCIL: order ${councilTlt.id} (buy 5 TLT limit $1.00) is canceled: nothing to cancel\n`)
      assert.strictEqual((await run(["cancel", "--account", "COUNCIL", "no-such-order"], 1)).stderr, "error: COUNCIL: no order no-such-order (neither an order id nor a client order id of this account)\n")
      const claudeTlt = tlt[0]!.orders[0]!
      assert.strictEqual((await json<{ canceled: OrderJson }>(["cancel", "--account", "CLAUDE", claudeTlt.id])).canceled.clientOrderId, claudeTlt.clientOrderId)
      assert.strictEqual((await run(["orders", "--symbol", "TLT"])).stdout, "no open TLT orders\n")

      // the market order filled at 2026-06-05's close: close_position cancels the exit holding the shares first
      await advance(served, "2026-06-08")
      const spy = await json<ReadonlyArray<{ account: string; positions: ReadonlyArray<{ symbol: string; qty: number }> }>>(["positions", "--symbol", "SPY"])
      assert.deepStrictEqual(spy.map((r) => [r.account, r.positions.map((p) => `${p.qty} ${p.symbol}`)]), [["CLAUDE", []], ["COUNCIL", ["10 SPY"]]])
      // place_order's stop price: a protective stop, which holds the shares
      const stop = await run(["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "sell", "--qty", "10", "--type", "stop", "--stop-price", "500", "--tif", "gtc"])
      assert.match(stop.stdout, /^placed: COUNCIL sell 10 SPY stop \$500\.00 gtc\n/)
      const unconfirmed = await run(["close", "--account", "COUNCIL", "--symbol", "SPY"], 2)
      assert.strictEqual(unconfirmed.stderr, "error: close cancels the open SPY orders of COUNCIL and liquidates its SPY position; add --yes to confirm\n")
      const closed = await json<{ adopted: boolean; canceled: ReadonlyArray<OrderJson>; closed: OrderJson }>(["close", "--account", "COUNCIL", "--symbol", "spy", "--yes"])
      assert.isFalse(closed.adopted)
      assert.deepStrictEqual(closed.canceled.map((o) => `${o.side} ${o.qty} ${o.type}`), ["sell 10 stop"])
      assert.deepStrictEqual([closed.closed.side, closed.closed.qty, closed.closed.type], ["sell", 10, "market"])
      const twice = await run(["close", "--account", "COUNCIL", "--symbol", "SPY", "--yes"])
      assert.match(twice.stdout, new RegExp(`^already closing \\(an earlier close's order is still open; nothing sent\\): COUNCIL sell 10 SPY market · order ${closed.closed.id} · `))
      const openSpy = await json<ReadonlyArray<{ orders: ReadonlyArray<OrderJson> }>>(["orders", "--account", "COUNCIL", "--symbol", "SPY"])
      assert.deepStrictEqual(openSpy[0]!.orders.map((o) => o.id), [closed.closed.id])
      assert.strictEqual((await run(["close", "--account", "CLAUDE", "--symbol", "SPY", "--yes"], 1)).stderr, "error: CLAUDE: no SPY position to close\n")

      // the shape POST /api/close-all answers
      const all = await json<ReadonlyArray<{ account: string; canceled: number; closed: ReadonlyArray<OrderJson>; error: null }>>(["close-all", "--yes"])
      // COUNCIL: the close's market order (not filled before the close) canceled, the 10 shares sold again
      assert.deepStrictEqual(all.map((r) => [r.account, r.canceled, r.closed.map((o) => `${o.side} ${o.qty} ${o.symbol}`), r.error]), [
        ["CLAUDE", 0, [], null],
        ["COUNCIL", 1, ["sell 10 SPY"], null]
      ])
    } finally {
      await served.stop()
    }
  }, 180_000)

  it.effect("a close the broker refuses after canceling the symbol's exits says the position is without them now", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKSEEDCLOSE", secretKey: "seed-close-secret" })
      fake.positions.set("SPY", { symbol: Ticker.make("SPY"), qty: 10, side: "long", avgEntryPrice: 500, marketValue: 5100, currentPrice: 510, unrealizedPl: 100 })
      const stop = yield* Effect.promise(() =>
        fetch(`${fake.url}/v2/orders`, {
          method: "POST",
          headers: { "APCA-API-KEY-ID": fake.keyId, "APCA-API-SECRET-KEY": fake.secretKey, "content-type": "application/json" },
          body: JSON.stringify({ symbol: "SPY", qty: "10", side: "sell", type: "stop", stop_price: "450", time_in_force: "gtc", client_order_id: "protective-stop-spy" })
        }).then((r) => r.json() as Promise<{ id: string }>)
      )
      fake.inject("DELETE", "/v2/positions/SPY", { _tag: "Status", status: 403, body: JSON.stringify({ code: 40310000, message: "insufficient qty available for order (requested: 10, available: 0)" }) })
      const r = yield* Effect.promise(() =>
        cliInProcess(tempHome(), ["close", "--account", "COUNCIL", "--symbol", "SPY", "--yes"], {
          COUNCIL_ACCOUNTS: "COUNCIL",
          ALPACA_COUNCIL_KEY_ID: fake.keyId,
          ALPACA_COUNCIL_SECRET_KEY: fake.secretKey,
          ALPACA_COUNCIL_BASE_URL: fake.url
        })
      )
      assert.strictEqual(r.code, 1, r.stderr)
      assert.strictEqual(
        r.stderr.split("\n").filter((l) => l.startsWith("error: ")).join("\n"),
        "error: COUNCIL: DELETE /v2/positions/SPY: 403 insufficient qty available for order (requested: 10, available: 0) (canceled before it: sell 10 SPY stop $450.00 protective-stop-spy; the position is without it now)"
      )
      assert.strictEqual(fake.orders.get(stop.id)?.status, "canceled")
      assert.strictEqual(r.stdout, "")
    }).pipe(Effect.scoped), 60_000)

  it("cancel and close on a dry-run account, a bad --symbol or --limit: refused before any request", async () => {
    const broker = await countingBroker()
    try {
      const home = tempHome()
      const env = {
        TRADING_ACCOUNTS_CONFIG: JSON.stringify([{ id: "COUNCIL", mode: "PAPER", credentials: { keyId: "PKSEEDOPS", secretKey: "seed-ops-secret" }, baseUrl: broker.url, settings: { dryRun: true } }])
      }
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, number, string]> = [
        [["cancel", "--account", "COUNCIL", "some-order"], 1, "error: COUNCIL is a dry-run account: nothing is sent to its broker (cancel some-order); set \"dryRun\": false to trade it\n"],
        [["close", "--account", "COUNCIL", "--symbol", "SPY", "--yes"], 1, "error: COUNCIL is a dry-run account: nothing is sent to its broker (close SPY); set \"dryRun\": false to trade it\n"],
        [["close", "--account", "COUNCIL", "--symbol", "S P Y", "--yes"], 2, "error: --symbol S P Y: expected a ticker such as SPY\n"],
        [["cancel", "--account", "CLAUDE", "some-order"], 2, "error: --account: unknown account CLAUDE (configured: COUNCIL)\n"],
        [["positions", "--symbol", "$$$"], 2, "error: --symbol $$$: expected a ticker such as SPY\n"],
        [["orders", "--limit", "501"], 2, "error: --limit 501: expected 1 to 500\n"],
        [["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "sell", "--qty", "1", "--type", "stop"], 2, "error: --type stop needs --stop-price\n"],
        [["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "sell", "--qty", "1", "--type", "stop_limit", "--stop-price", "5"], 2, "error: --type stop_limit needs --limit-price\n"],
        [["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "sell", "--qty", "1", "--type", "limit", "--limit-price", "5", "--stop-price", "4"], 2, "error: --stop-price only applies with --type stop or stop_limit\n"],
        [["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "sell", "--qty", "1", "--type", "stop", "--stop-price", "4.001"], 2, "error: --stop-price 4.001: at most 2 decimals from $1 up, 4 below\n"],
        [["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1", "--extended-hours"], 2, "error: --extended-hours needs --type limit and --tif day (Alpaca's rule for pre- and after-market orders)\n"]
      ]
      for (const [args, code, stderr] of cases) {
        const r = await cliInProcess(home, args, env)
        assert.strictEqual(r.code, code, `${args.join(" ")}: ${r.stderr}`)
        assert.strictEqual(r.stderr, stderr)
        assert.strictEqual(r.stdout, "")
      }
      assert.deepStrictEqual(broker.requests, [])
    } finally {
      broker.close()
    }
  }, 120_000)
})
