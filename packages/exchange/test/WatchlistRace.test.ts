import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, type Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { AccountId, momentAt } from "@council/domain"
import { Database } from "@council/store"
import type { KeyHolder } from "../src/Keys.ts"
import * as WatchlistHandlers from "../src/server/WatchlistHandlers.ts"
import * as Watchlists from "../src/Watchlists.ts"
import { PgServer } from "../../store/test/PgServer.ts"
import { D2 } from "./ExchangeFixture.ts"

const holder: KeyHolder = {
  account: AccountId.make("CLAUDE"),
  uuid: "0b7c3a52-2f5e-4c4e-9a43-1f6f1b7f0d11",
  keyId: "PKRACE00000000000000",
  secretKey: Redacted.make("secret"),
  createdAt: "2026-08-03T19:45:00.000Z",
  traded: false,
  shortingEnabled: true
}

const call = (body: unknown, params: ReadonlyArray<string> = []) =>
  ({ params, query: new URLSearchParams(), body: JSON.stringify(body), account: holder, now: momentAt(D2, "15:45") })

/**
 * Two servers on one database (or two requests on Postgres) both find a name free, then both write it: the table's
 * unique `(account, name)` refuses the second write. Here the other writer takes the name right after this
 * server's check found it free (`nameTaken` answers "free" once it wrote it), the race's losing side every time.
 */
const lostRace = (database: Layer.Layer<SqlClient.SqlClient, Database.DatabaseError>) =>
  Effect.gen(function*() {
    const real = Watchlists.make(yield* SqlClient.SqlClient)
    const at = "2026-08-04T19:45:00.000Z"
    const racing: Watchlists.Watchlists = {
      ...real,
      nameTaken: (account, name) => Effect.as(real.create(account, name, [], at), false)
    }
    const handlers = WatchlistHandlers.make({ watchlists: racing, resolveSymbol: (s) => Effect.succeed(s.toUpperCase()) })
    const created = yield* handlers.create(call({ name: "Core", symbols: ["SPY"] }))
    assert.deepStrictEqual([created.status, created.body], [422, { code: 40010001, message: "watchlist name must be unique" }])

    const mine = yield* real.create(holder.account, "Mine", ["QQQ"], at)
    const renamed = yield* handlers.byId.update(call({ name: "Taken" }, [mine.id]))
    assert.deepStrictEqual([renamed.status, renamed.body], [422, { code: 40010001, message: "watchlist name must be unique" }])
    // nothing of the refused requests was written: one "Core" (the other writer's), "Mine" unchanged
    const all = yield* real.list(holder.account)
    assert.deepStrictEqual(all.map((w) => [w.name, w.symbols]), [["Core", []], ["Mine", ["QQQ"]], ["Taken", []]])
  }).pipe(Effect.provide(database))

describe("watchlists: a name taken between the check and the write (SQLite)", () => {
  it.effect("a create or a rename that loses the race is refused 422 'watchlist name must be unique', not a 500", () =>
    lostRace(Database.layerSqlite(":memory:")))
})

layer(PgServer.layer, { timeout: 60_000 })("watchlists: a name taken between the check and the write (PostgreSQL)", (it) => {
  it.effect("a create or a rename that loses the race is refused 422 'watchlist name must be unique', not a 500", () =>
    Effect.flatMap(PgServer.use((pg) => pg.createDatabase), (url) => lostRace(Database.layerPg(url))))
})

/**
 * Two creates at once on PostgreSQL can both read the same `MAX(seq)` and store the same `seq`. Rows with one
 * `seq`, written here as such a race leaves them (the later-created one first), list by creation moment, then id.
 */
const tiedOrder = (database: Layer.Layer<SqlClient.SqlClient, Database.DatabaseError>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows: ReadonlyArray<readonly [string, string, string]> = [
      ["w-c", "Late", "2026-08-04T20:00:00.000Z"],
      ["w-b", "Second", "2026-08-04T19:45:00.000Z"],
      ["w-a", "First", "2026-08-04T19:45:00.000Z"]
    ]
    for (const [id, name, at] of rows) {
      yield* sql`INSERT INTO exchange_watchlists (id, account, name, symbols, seq, created_at, updated_at)
        VALUES (${id}, ${holder.account}, ${name}, '[]', 1, ${at}, ${at})`
    }
    const listed = yield* Watchlists.make(sql).list(holder.account)
    assert.deepStrictEqual(listed.map((w) => w.name), ["First", "Second", "Late"])
  }).pipe(Effect.provide(database))

describe("watchlists sharing a seq (SQLite)", () => {
  it.effect("list by creation moment, then id: the same order every time", () => tiedOrder(Database.layerSqlite(":memory:")))
})

layer(PgServer.layer, { timeout: 60_000 })("watchlists sharing a seq (PostgreSQL)", (it) => {
  it.effect("list by creation moment, then id: the same order every time", () =>
    Effect.flatMap(PgServer.use((pg) => pg.createDatabase), (url) => tiedOrder(Database.layerPg(url))))
})
