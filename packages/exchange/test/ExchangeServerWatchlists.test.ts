import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { trading } from "@alpacahq/alpaca-trade-api"
import { momentAt } from "@council/domain"
import { ExchangeServer } from "@council/exchange/server"
import { ACCOUNT, D2, D3, isoAt, tempDatabase } from "./ExchangeFixture.ts"
import { clientOf, databaseBefore, GEMINI, keysOf, serverLayer, serverOn } from "./ExchangeServerHarness.ts"

const sdkWatchlists = (account = ACCOUNT) =>
  Effect.gen(function*() {
    const { url } = yield* ExchangeServer
    const keys = yield* keysOf(account)
    return new trading.WatchlistsApi(
      new trading.Configuration({ basePath: url, keyId: keys.keyId, secret: keys.secret, retry: { maxRetries: 0 } })
    )
  })

const symbolsOf = (watchlist: { readonly assets?: ReadonlyArray<{ readonly symbol?: string }> | undefined }) =>
  (watchlist.assets ?? []).map((a) => a.symbol)

/** The `message` of a JSON error reply. */
const messageOf = (reply: { readonly json: unknown }) => (reply.json as { readonly message: string }).message

layer(serverLayer())("ExchangeServer: watchlists", (it) => {
  it.effect("through Alpaca's SDK: create, list, read by id and by name, add, remove, rename, replace, delete", () =>
    Effect.gen(function*() {
      const api = yield* sdkWatchlists()
      const created = yield* Effect.promise(() => api.postWatchlist({ createWatchlistRequest: { name: "Core", symbols: ["spy", "QQQ", "SPY"] } }))
      // symbols as the universe spells them, each once, in the order given
      assert.deepStrictEqual(symbolsOf(created), ["SPY", "QQQ"])
      assert.strictEqual(created.name, "Core")
      assert.strictEqual(created.createdAt.toISOString(), created.updatedAt.toISOString())

      const account = (yield* (yield* clientOf()).get("/v2/account")).json as { readonly id: string }
      assert.strictEqual(created.accountId, account.id)

      yield* Effect.promise(() => api.postWatchlist({ createWatchlistRequest: { name: "Empty" } }))
      const all = yield* Effect.promise(() => api.getWatchlists())
      assert.deepStrictEqual(all.map((w) => w.name), ["Core", "Empty"])

      const byId = yield* Effect.promise(() => api.getWatchlistById({ watchlistId: created.id }))
      assert.deepStrictEqual([byId.name, symbolsOf(byId)], ["Core", ["SPY", "QQQ"]])
      const byName = yield* Effect.promise(() => api.getWatchlistByName({ name: "Core" }))
      assert.strictEqual(byName.id, created.id)

      const removed = yield* Effect.promise(() => api.removeAssetFromWatchlist({ watchlistId: created.id, symbol: "SPY" }))
      assert.deepStrictEqual(symbolsOf(removed), ["QQQ"])
      const added = yield* Effect.promise(() => api.addAssetToWatchlist({ watchlistId: created.id, addAssetToWatchlistRequest: { symbol: "SPY" } }))
      assert.deepStrictEqual(symbolsOf(added), ["QQQ", "SPY"])
      // a symbol already held: the list as it is
      const again = yield* Effect.promise(() => api.addAssetToWatchlistByName({ name: "Core", addAssetToWatchlistRequest: { symbol: "qqq" } }))
      assert.deepStrictEqual(symbolsOf(again), ["QQQ", "SPY"])

      const renamed = yield* Effect.promise(() => api.updateWatchlistById({ watchlistId: created.id, updateWatchlistRequest: { name: "Core ETFs" } }))
      assert.deepStrictEqual([renamed.name, symbolsOf(renamed)], ["Core ETFs", ["QQQ", "SPY"]])
      const replaced = yield* Effect.promise(() => api.updateWatchlistByName({ name: "Core ETFs", updateWatchlistRequest: { symbols: ["SPY"] } }))
      assert.deepStrictEqual([replaced.name, symbolsOf(replaced)], ["Core ETFs", ["SPY"]])

      yield* Effect.promise(() => api.deleteWatchlistById({ watchlistId: created.id }))
      yield* Effect.promise(() => api.deleteWatchlistByName({ name: "Empty" }))
      assert.deepStrictEqual(yield* Effect.promise(() => api.getWatchlists()), [])
    }))

  it.effect("refusals name what is wrong and change nothing; another account's watchlists are not seen", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const made = yield* client.post("/v2/watchlists", { name: "Mine", symbols: ["SPY"] })
      assert.strictEqual(made.status, 200)
      const id = (made.json as { readonly id: string }).id

      const refusals: ReadonlyArray<readonly [string, string, unknown, number, string]> = [
        ["POST", "/v2/watchlists", { name: "Mine" }, 422, "watchlist name must be unique"],
        ["POST", "/v2/watchlists", { symbols: ["SPY"] }, 422, "name is required"],
        ["POST", "/v2/watchlists", { name: "x".repeat(65) }, 422, "invalid name"],
        ["POST", "/v2/watchlists", { name: "Bad", symbols: ["SPY", "NOPE"] }, 422, "asset not found: NOPE"],
        ["POST", "/v2/watchlists", { name: "Bad", symbols: "SPY" }, 422, "invalid symbols"],
        ["PUT", `/v2/watchlists/${id}`, {}, 422, "name or symbols is required"],
        ["PUT", `/v2/watchlists/${id}`, { symbols: ["ZZZZ"] }, 422, "asset not found: ZZZZ"],
        ["POST", `/v2/watchlists/${id}`, {}, 422, "symbol is required"],
        ["POST", `/v2/watchlists/${id}`, { symbol: "NOPE" }, 422, "asset not found: NOPE"],
        ["DELETE", `/v2/watchlists/${id}/QQQ`, undefined, 404, "symbol not found in watchlist: QQQ"],
        ["GET", "/v2/watchlists/00000000-0000-4000-8000-000000000000", undefined, 404, "watchlist not found"],
        ["GET", "/v2/watchlists:by_name?name=Nobody", undefined, 404, "watchlist not found"],
        ["GET", "/v2/watchlists:by_name", undefined, 422, "name is required"]
      ]
      for (const [method, path, body, status, message] of refusals) {
        const reply = yield* client.call(method, path, body === undefined ? {} : { body: JSON.stringify(body) })
        assert.strictEqual(reply.status, status, `${method} ${path} ${JSON.stringify(body)}`)
        assert.include(messageOf(reply), message, `${method} ${path}`)
      }
      assert.strictEqual((yield* client.call("POST", "/v2/watchlists", { body: "not json" })).status, 400)
      // a rename onto a name another watchlist has
      assert.strictEqual((yield* client.post("/v2/watchlists", { name: "Other" })).status, 200)
      const clash = yield* client.call("PUT", `/v2/watchlists/${id}`, { body: JSON.stringify({ name: "Other", symbols: ["QQQ"] }) })
      assert.deepStrictEqual([clash.status, messageOf(clash)], [422, "watchlist name must be unique"])
      // renaming a watchlist to its own name is no clash
      assert.strictEqual((yield* client.call("PUT", `/v2/watchlists/${id}`, { body: JSON.stringify({ name: "Mine" }) })).status, 200)

      const mine = (yield* client.get(`/v2/watchlists/${id}`)).json as { readonly name: string; readonly assets: ReadonlyArray<{ readonly symbol: string }> }
      assert.deepStrictEqual([mine.name, mine.assets.map((a) => a.symbol)], ["Mine", ["SPY"]])

      // GEMINI sees none of CLAUDE's, and may use the same names
      const gemini = yield* clientOf(GEMINI)
      assert.deepStrictEqual((yield* gemini.get("/v2/watchlists")).json, [])
      assert.strictEqual((yield* gemini.get(`/v2/watchlists/${id}`)).status, 404)
      assert.strictEqual((yield* gemini.post("/v2/watchlists", { name: "Mine" })).status, 200)
    }))

  it.effect("timestamps are the exchange's moments: created at the request's session, updated at a later one", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      yield* server.setSession(momentAt(D2, "15:45"))
      const client = yield* clientOf()
      const made = (yield* client.post("/v2/watchlists", { name: "Dated" })).json as { readonly id: string; readonly created_at: string }
      assert.strictEqual(made.created_at, isoAt(D2, "15:45"))
      yield* server.setSession(momentAt(D3, "10:00"))
      const changed = (yield* client.post(`/v2/watchlists/${made.id}`, { symbol: "SPY" })).json as { readonly created_at: string; readonly updated_at: string }
      assert.deepStrictEqual([changed.created_at, changed.updated_at], [isoAt(D2, "15:45"), isoAt(D3, "10:00")])
    }))
})

describe("watchlists on a database from before 0055", () => {
  it.effect("upgrades in place: an existing account has none, and one created is there after a restart", () =>
    Effect.gen(function*() {
      const filename = tempDatabase()
      yield* databaseBefore(filename, "0055")

      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        assert.deepStrictEqual((yield* client.get("/v2/watchlists")).json, [])
        assert.strictEqual((yield* client.post("/v2/watchlists", { name: "Kept", symbols: ["QQQ"] })).status, 200)
      }).pipe(Effect.provide(serverOn(filename)))
      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        const kept = (yield* client.get("/v2/watchlists:by_name?name=Kept")).json as { readonly assets: ReadonlyArray<{ readonly symbol: string }> }
        assert.deepStrictEqual(kept.assets.map((a) => a.symbol), ["QQQ"])
      }).pipe(Effect.provide(serverOn(filename)))
    }))
})
