/**
 * Alpaca's watchlists (`/v2/watchlists`) of the local exchange's accounts: named, ordered lists of symbols, stored
 * per account in `exchange_watchlists` (migration 0055).
 *
 * **When to use**: `ExchangeServer`'s watchlist endpoints (`WatchlistHandlers`) read and write through `make(sql)`;
 * the body checks (`createRequest`, `updateRequest`) are pure and give the line that refuses a request.
 *
 * **Rules** (Alpaca's): a name is 1–64 characters and unique among the account's watchlists (422 `watchlist name
 * must be unique`); a create needs a name, an update a name or symbols (symbols replace the list). The symbols are
 * the caller's to resolve (an unknown one is refused before anything is written); a symbol appears once in a list.
 *
 * **Gotchas**
 * - Each call reads the table: two processes serving one database see each other's watchlists at once.
 * - Timestamps are the exchange's moments (the request's simulated present), as orders' are; a watchlist changed
 *   at a moment before its creation keeps `updated_at` at `created_at`.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type * as SqlClient from "effect/sql/SqlClient"
import type { AccountId } from "@council/domain"

export interface Watchlist {
  readonly id: string
  readonly name: string
  readonly symbols: ReadonlyArray<string>
  readonly createdAt: string
  readonly updatedAt: string
}

/** What a create or an update asks for; `undefined`: unchanged. */
export interface WatchlistChange {
  readonly name?: string | undefined
  readonly symbols?: ReadonlyArray<string> | undefined
}

export const NAME_NOT_UNIQUE = "watchlist name must be unique"
export const MAX_NAME_LENGTH = 64

const nameOf = (value: unknown): Result.Result<string, string> =>
  typeof value === "string" && value.trim() !== "" && value.length <= MAX_NAME_LENGTH
    ? Result.succeed(value)
    : Result.fail(`invalid name: expected a string of 1 to ${MAX_NAME_LENGTH} characters`)

const isSymbols = (value: unknown): value is ReadonlyArray<string> =>
  Array.isArray(value) && value.every((s) => typeof s === "string" && s !== "")

const symbolsOf = (value: unknown): Result.Result<ReadonlyArray<string>, string> =>
  isSymbols(value) ? Result.succeed(value) : Result.fail("invalid symbols: expected an array of symbols")

const changeOf = (body: Readonly<Record<string, unknown>>): Result.Result<WatchlistChange, string> => {
  const name: Result.Result<string | undefined, string> = body.name === undefined || body.name === null ? Result.succeed(undefined) : nameOf(body.name)
  if (Result.isFailure(name)) return Result.fail(name.failure)
  const symbols: Result.Result<ReadonlyArray<string> | undefined, string> = body.symbols === undefined || body.symbols === null ? Result.succeed(undefined) : symbolsOf(body.symbols)
  if (Result.isFailure(symbols)) return Result.fail(symbols.failure)
  return Result.succeed({ name: name.success, symbols: symbols.success })
}

/** A `POST /v2/watchlists` body: a name, and symbols if any. */
export const createRequest = (body: Readonly<Record<string, unknown>>): Result.Result<WatchlistChange, string> =>
  body.name === undefined || body.name === null ? Result.fail("name is required") : changeOf(body)

/** A `PUT` body: a name, symbols (the new list), or both. */
export const updateRequest = (body: Readonly<Record<string, unknown>>): Result.Result<WatchlistChange, string> => {
  const change = changeOf(body)
  if (Result.isSuccess(change) && change.success.name === undefined && change.success.symbols === undefined) {
    return Result.fail("name or symbols is required")
  }
  return change
}

/** A `POST /v2/watchlists/{id}` body: one symbol to append (as a change of one symbol). */
export const symbolRequest = (body: Readonly<Record<string, unknown>>): Result.Result<WatchlistChange, string> =>
  typeof body.symbol === "string" && body.symbol !== "" ? Result.succeed({ symbols: [body.symbol] }) : Result.fail("symbol is required")

/** `symbols` with each symbol once, where it first appears. */
export const distinct = (symbols: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(symbols)]

interface WatchlistRow {
  readonly id: string
  readonly name: string
  readonly symbols: string
  readonly created_at: string
  readonly updated_at: string
}

/** The stored list (written by `create`/`save` only; anything else in it is dropped). */
const symbolsIn = (text: string): ReadonlyArray<string> => {
  const parsed: unknown = JSON.parse(text)
  return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === "string") : []
}

const fromRow = (row: WatchlistRow): Watchlist => ({
  id: row.id,
  name: row.name,
  symbols: symbolsIn(row.symbols),
  createdAt: row.created_at,
  updatedAt: row.updated_at
})

const laterOf = (a: string, b: string) => (a > b ? a : b)

/** The watchlists table: every call reads or writes it (nothing kept in memory). */
export const make = (sql: SqlClient.SqlClient) => {
  /**
   * The account's watchlists, oldest first. `seq` (MAX + 1 at the insert) can tie when two inserts run at once on
   * PostgreSQL: the creation moment, then the id, settle those, so a listing's order is the same every time.
   */
  const list = (account: AccountId) =>
    Effect.map(
      sql<WatchlistRow>`SELECT * FROM exchange_watchlists WHERE account = ${account} ORDER BY seq, created_at, id`,
      (rows) => rows.map(fromRow)
    )

  const byId = (account: AccountId, id: string) =>
    Effect.map(
      sql<WatchlistRow>`SELECT * FROM exchange_watchlists WHERE account = ${account} AND id = ${id}`,
      (rows) => (rows[0] === undefined ? undefined : fromRow(rows[0]))
    )

  const byName = (account: AccountId, name: string) =>
    Effect.map(
      sql<WatchlistRow>`SELECT * FROM exchange_watchlists WHERE account = ${account} AND name = ${name}`,
      (rows) => (rows[0] === undefined ? undefined : fromRow(rows[0]))
    )

  /** Whether another of the account's watchlists than `except` has `name`. */
  const nameTaken = (account: AccountId, name: string, except?: string) =>
    Effect.map(byName(account, name), (found) => found !== undefined && found.id !== except)

  /** A new watchlist at `at` (the caller checked the name is free). */
  const create = (account: AccountId, name: string, symbols: ReadonlyArray<string>, at: string) => {
    const watchlist: Watchlist = { id: randomUUID(), name, symbols: distinct(symbols), createdAt: at, updatedAt: at }
    return Effect.as(
      sql`INSERT INTO exchange_watchlists (id, account, name, symbols, seq, created_at, updated_at)
        VALUES (${watchlist.id}, ${account}, ${name}, ${JSON.stringify(watchlist.symbols)},
          (SELECT COALESCE(MAX(seq), 0) + 1 FROM exchange_watchlists), ${at}, ${at})`,
      watchlist
    )
  }

  /** `watchlist` with its name and symbols as given, changed at `at`. */
  const save = (watchlist: Watchlist, change: WatchlistChange, at: string) => {
    const next: Watchlist = {
      ...watchlist,
      name: change.name ?? watchlist.name,
      symbols: change.symbols === undefined ? watchlist.symbols : distinct(change.symbols),
      updatedAt: laterOf(at, watchlist.createdAt)
    }
    return Effect.as(
      sql`UPDATE exchange_watchlists SET name = ${next.name}, symbols = ${JSON.stringify(next.symbols)},
        updated_at = ${next.updatedAt} WHERE id = ${watchlist.id}`,
      next
    )
  }

  const remove = (watchlist: Watchlist) => sql`DELETE FROM exchange_watchlists WHERE id = ${watchlist.id}`.pipe(Effect.asVoid)

  return { list, byId, byName, nameTaken, create, save, remove }
}

export type Watchlists = ReturnType<typeof make>
