import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { trading } from "@alpacahq/alpaca-trade-api"
import { momentAt } from "@council/domain"
import { ExchangeServer } from "@council/exchange/server"
import { ACCOUNT, D2, D3, D4, tempDatabase } from "./ExchangeFixture.ts"
import { clientOf, databaseBefore, GEMINI, keysOf, serverLayer, serverOn } from "./ExchangeServerHarness.ts"

const SUSPENDED = { code: 40310000, message: "new orders are rejected by user request" }
const NO_SHORT = { code: 40310000, message: "account is not allowed to short" }

const order = (symbol: string, qty: number, side: "buy" | "sell", extra: Record<string, string> = {}) =>
  JSON.stringify({ symbol, qty: String(qty), side, type: "market", time_in_force: "day", ...extra })

/** A raw client with PATCH and a POST of an order. */
const rawClient = (account = ACCOUNT) =>
  Effect.map(clientOf(account), (client) => ({
    ...client,
    patch: (body: string) => client.call("PATCH", "/v2/account/configurations", { body }),
    place: (body: string) => client.call("POST", "/v2/orders", { body })
  }))

const sdkConfigurations = Effect.gen(function*() {
  const { url } = yield* ExchangeServer
  const keys = yield* keysOf(ACCOUNT)
  return new trading.AccountConfigurationsApi(
    new trading.Configuration({ basePath: url, keyId: keys.keyId, secret: keys.secret, retry: { maxRetries: 0 } })
  )
})

layer(serverLayer())("ExchangeServer: account configurations", (it) => {
  it.effect("Alpaca's fields through the SDK: the defaults, a PATCH, read back; bad fields and values are 422s that change nothing", () =>
    Effect.gen(function*() {
      const api = yield* sdkConfigurations
      const defaults = yield* Effect.promise(() => api.getAccountConfig())
      assert.deepStrictEqual(
        [defaults.suspendTrade, defaults.noShorting, defaults.fractionalTrading, defaults.tradeConfirmEmail, defaults.maxMarginMultiplier],
        [false, false, true, "all", "1"]
      )
      const patched = yield* Effect.promise(() => api.patchAccountConfig({ accountConfigurations: { tradeConfirmEmail: "none", ptpNoExceptionEntry: true } }))
      assert.deepStrictEqual([patched.tradeConfirmEmail, patched.ptpNoExceptionEntry, patched.noShorting], ["none", true, false])
      assert.strictEqual((yield* Effect.promise(() => api.getAccountConfig())).tradeConfirmEmail, "none")

      const client = yield* rawClient()
      const refusals: ReadonlyArray<readonly [string, string]> = [
        [`{"no_shorting":"yes"}`, `invalid no_shorting "yes": expected true or false`],
        [`{"trade_confirm_email":"some"}`, `invalid trade_confirm_email "some": expected all or none`],
        [`{"max_margin_multiplier":"2"}`, "invalid max_margin_multiplier \"2\""],
        [`{"dtbp_check":"both"}`, "invalid field dtbp_check"],
        [`{"no_shorting":true,"colour":"blue"}`, "invalid field \"colour\""]
      ]
      for (const [body, message] of refusals) {
        const reply = yield* client.patch(body)
        assert.strictEqual(reply.status, 422, body)
        assert.include((reply.json as { readonly message: string }).message, message)
      }
      assert.strictEqual((yield* client.patch("not json")).status, 400)
      // the refused PATCH with a good field beside a bad one changed nothing
      assert.strictEqual(((yield* client.get("/v2/account/configurations")).json as { readonly no_shorting: boolean }).no_shorting, false)
      // the other account's configurations are its own
      const gemini = yield* rawClient(GEMINI)
      assert.strictEqual(((yield* gemini.get("/v2/account/configurations")).json as { readonly trade_confirm_email: string }).trade_confirm_email, "all")
    }))

  it.effect("suspend_trade refuses new orders (403, Alpaca's message) and what places one; cancels and reads go on", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      yield* server.setSession(momentAt(D2, "15:45"))
      const client = yield* rawClient()
      const bought = yield* client.place(order("SPY", 10, "buy"))
      assert.strictEqual(bought.status, 200)
      const resting = yield* client.place(JSON.stringify({ symbol: "QQQ", qty: "5", side: "buy", type: "limit", limit_price: "30", time_in_force: "gtc" }))
      assert.strictEqual(resting.status, 200)
      yield* server.setSession(momentAt(D3, "15:45"))

      assert.strictEqual((yield* client.patch(`{"suspend_trade":true}`)).status, 200)
      const refused = yield* client.place(order("SPY", 1, "buy"))
      assert.deepStrictEqual([refused.status, refused.json], [403, SUSPENDED])
      const close = yield* client.del("/v2/positions/SPY")
      assert.deepStrictEqual([close.status, close.json], [403, SUSPENDED])
      const restingId = (resting.json as { readonly id: string }).id
      const replace = yield* client.call("PATCH", `/v2/orders/${restingId}`, { body: `{"limit_price":"31"}` })
      assert.deepStrictEqual([replace.status, replace.json], [403, SUSPENDED])
      assert.strictEqual((yield* client.del(`/v2/orders/${restingId}`)).status, 204)
      const account = (yield* client.get("/v2/account")).json as { readonly trade_suspended_by_user: boolean }
      assert.strictEqual(account.trade_suspended_by_user, true)

      assert.strictEqual((yield* client.patch(`{"suspend_trade":false}`)).status, 200)
      assert.strictEqual((yield* client.place(order("SPY", 1, "buy"))).status, 200)
    }))

  it.effect("no_shorting refuses an order that would open or grow a short; selling what is held and covering go on", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      yield* server.setSession(momentAt(D3, "15:45"))
      const client = yield* rawClient()
      const gemini = yield* rawClient(GEMINI)
      // GEMINI opens a short before it says no_shorting
      assert.strictEqual((yield* gemini.place(order("QQQ", 5, "sell"))).status, 200)
      yield* server.setSession(momentAt(D4, "15:45"))

      assert.strictEqual((yield* client.patch(`{"no_shorting":true}`)).status, 200)
      const opening = yield* client.place(order("QQQ", 3, "sell"))
      assert.deepStrictEqual([opening.status, opening.json], [403, NO_SHORT])
      // CLAUDE holds SPY: selling some of it closes, not shorts
      assert.strictEqual((yield* client.place(order("SPY", 5, "sell"))).status, 200)
      assert.strictEqual(((yield* client.get("/v2/account")).json as { readonly shorting_enabled: boolean }).shorting_enabled, false)

      assert.strictEqual((yield* gemini.patch(`{"no_shorting":true}`)).status, 200)
      const growing = yield* gemini.place(order("QQQ", 2, "sell"))
      assert.deepStrictEqual([growing.status, growing.json], [403, NO_SHORT])
      assert.strictEqual((yield* gemini.place(order("QQQ", 5, "buy"))).status, 200)
    }))
})

describe("account configurations on a database from before 0049", () => {
  it.effect("upgrades in place: an existing account has the defaults, a PATCH is kept across a restart and enforced", () =>
    Effect.gen(function*() {
      const filename = tempDatabase()
      yield* databaseBefore(filename, "0049")

      yield* Effect.gen(function*() {
        const client = yield* rawClient()
        const read = yield* client.get("/v2/account/configurations")
        assert.deepStrictEqual([read.status, (read.json as { readonly suspend_trade: boolean }).suspend_trade], [200, false])
        assert.strictEqual((yield* client.patch(`{"suspend_trade":true}`)).status, 200)
      }).pipe(Effect.provide(serverOn(filename)))
      // a new server over the same file: the configuration read back, and enforced
      yield* Effect.gen(function*() {
        const client = yield* rawClient()
        assert.strictEqual(((yield* client.get("/v2/account/configurations")).json as { readonly suspend_trade: boolean }).suspend_trade, true)
        const refused = yield* client.place(order("SPY", 1, "buy"))
        assert.deepStrictEqual([refused.status, refused.json], [403, SUSPENDED])
      }).pipe(Effect.provide(serverOn(filename)))
    }))
})
