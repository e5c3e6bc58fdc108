import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { AlpacaWire } from "@council/broker/Alpaca"
import { send } from "./ExchangeServerHarness.ts"
import { cliIn, freshHome, startServerIn, stop } from "./ServeProcess.ts"

const ACCOUNTS = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"]

const env = freshHome()
const cli = cliIn(env)
const startServer = startServerIn(env)

const KeyList = Schema.Array(Schema.Struct({ account: Schema.String, keyId: Schema.String, secretKey: Schema.String }))

describe("pnpm pipeline exchange", () => {
  it.effect("keys prints every configured account's key pair, the same on every call, as JSON or a table", () =>
    Effect.gen(function*() {
      const first = yield* cli(["exchange", "keys", "--json"])
      assert.strictEqual(first.code, 0, first.stderr)
      const keys = yield* Schema.decodeUnknownEffect(KeyList)(JSON.parse(first.stdout))
      assert.deepStrictEqual(keys.map((k) => k.account), ACCOUNTS)
      for (const k of keys) {
        assert.match(k.keyId, /^PK[A-Z0-9]{18}$/)
        assert.match(k.secretKey, /^[A-Za-z0-9]{40}$/)
      }
      assert.strictEqual(new Set(keys.map((k) => k.keyId)).size, ACCOUNTS.length)
      const again = yield* cli(["exchange", "keys", "--json"])
      assert.deepStrictEqual(JSON.parse(again.stdout), JSON.parse(first.stdout))
      const table = yield* cli(["exchange", "keys"])
      assert.strictEqual(table.code, 0, table.stderr)
      const lines = table.stdout.trim().split("\n")
      assert.match(lines[0] ?? "", /^ACCOUNT\s+KEY ID\s+SECRET KEY$/)
      for (const k of keys) assert.include(table.stdout, `${k.keyId}  ${k.secretKey}`)
    }), 60_000)

  it.effect("serve trades over HTTP on the CLI's database until SIGINT; positions then shows the trade", () =>
    Effect.gen(function*() {
      const keys = yield* Schema.decodeUnknownEffect(KeyList)(JSON.parse((yield* cli(["exchange", "keys", "--json"])).stdout))
      const claude = keys.find((k) => k.account === "CLAUDE")!
      const auth = { keyId: claude.keyId, secret: claude.secretKey }
      const { child, url } = yield* startServer(["--port", "0", "--rate-limit", "50", "--at", "15:44"])
      const account = yield* send(url, "GET", "/v2/account", { keys: auth })
      assert.strictEqual(account.status, 200)
      assert.strictEqual(account.headers["x-ratelimit-limit"], "50")
      const clock = yield* Schema.decodeUnknownEffect(AlpacaWire.WireClock)((yield* send(url, "GET", "/v2/clock", { keys: auth })).json)
      assert.deepStrictEqual([clock.timestamp, clock.is_open], ["2026-06-08T15:44:00-04:00", true])
      const placed = yield* send(url, "POST", "/v2/orders", {
        keys: auth,
        body: JSON.stringify({ symbol: "SPY", qty: "3", side: "buy", type: "market", time_in_force: "cls" })
      })
      assert.strictEqual(placed.status, 200, placed.text)
      const order = yield* Schema.decodeUnknownEffect(AlpacaWire.WireOrder)(placed.json)
      assert.deepStrictEqual([order.status, order.time_in_force, order.position_intent], ["new", "cls", "buy_to_open"])
      const atClose = yield* send(url, "GET", `/v2/orders/${order.id}`, { keys: auth, headers: { "X-Council-Session": "2026-06-08T16:00:00-04:00" } })
      assert.strictEqual((yield* Schema.decodeUnknownEffect(AlpacaWire.WireOrder)(atClose.json)).status, "filled")
      const stopped = yield* stop(child)
      assert.strictEqual(stopped.code, 0)
      assert.match(stopped.stdout, /SIGINT: stopping\nstopped/)
      const positions = yield* cli(["positions", "--account", "CLAUDE"])
      assert.strictEqual(positions.code, 0, positions.stderr)
      assert.match(positions.stdout, /CLAUDE\s+SPY\s+long\s+3\s/)
      const bad = yield* cli(["exchange", "serve", "--fault-rate", "2"])
      assert.strictEqual(bad.code, 2)
      assert.match(bad.stderr, /--fault-rate must be in \[0, 1\]/)
    }), 60_000)
})
