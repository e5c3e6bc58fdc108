/**
 * The watchlist endpoints (`Watchlists`), by id and by name as Alpaca serves them:
 * - `GET /v2/watchlists` (the account's watchlists without their assets), `POST /v2/watchlists` (`{name, symbols}`);
 * - `GET`/`PUT`/`DELETE /v2/watchlists/{id}`, `POST /v2/watchlists/{id}` (`{symbol}`: appended),
 *   `DELETE /v2/watchlists/{id}/{symbol}`;
 * - the same but removing one symbol on `/v2/watchlists:by_name?name=…` (a missing `name` is a 422).
 *
 * A watchlist answers with its assets in order (the shapes of `/v2/assets`). Refusals: an unknown watchlist 404
 * `watchlist not found`; an unknown symbol 422 `asset not found: X`, a taken name 422 `watchlist name must be
 * unique` (also when another writer took the name between the check and the write: the table's unique name refuses
 * it), a bad body 422 naming the field — each before anything is written. Adding a symbol the list holds answers
 * the list as it is; removing one it does not hold is a 404.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as SqlError from "effect/sql/SqlError"
import { BrokerError } from "@council/broker"
import { type AccountId, isoOf } from "@council/domain"
import type { KeyHolder } from "../Keys.ts"
import { createRequest, NAME_NOT_UNIQUE, symbolRequest, updateRequest, type Watchlist, type WatchlistChange, type Watchlists } from "../Watchlists.ts"
import { assetOf } from "./ExchangeMarketWire.ts"
import { isRecord, json, malformedBody, notFound, parseJson, type Reply, unprocessable } from "./HttpWire.ts"
import type { Call, Handler } from "./Routes.ts"

export interface WatchlistDeps {
  readonly watchlists: Watchlists
  /** The universe's symbol of a symbol or asset id the client sent, if there is one. */
  readonly resolveSymbol: (param: string) => Effect.Effect<string | undefined>
}

const NOT_FOUND = notFound("watchlist not found")

const serverError = (account: AccountId) => (error: { readonly message: string }) =>
  new BrokerError({ account, reason: "ServerError", message: error.message, retryable: false })

const withoutAssets = (account: KeyHolder, watchlist: Watchlist) => ({
  id: watchlist.id,
  account_id: account.uuid,
  created_at: watchlist.createdAt,
  updated_at: watchlist.updatedAt,
  name: watchlist.name
})

const wireWatchlist = (account: KeyHolder, watchlist: Watchlist) => ({
  ...withoutAssets(account, watchlist),
  assets: watchlist.symbols.map(assetOf)
})

/** The body as a JSON object, or the reply refusing it. */
const bodyOf = (body: string): Result.Result<Readonly<Record<string, unknown>>, Reply> => {
  const parsed = parseJson(body)
  return Result.isSuccess(parsed) && isRecord(parsed.success) ? Result.succeed(parsed.success) : Result.fail(malformedBody)
}

/**
 * A write's reply, or the 422 of a taken name when the table's unique name refused it: another writer (another
 * server on the database, another request on Postgres) took the name after `checked` found it free.
 */
const unlessNameTaken = <E>(write: Effect.Effect<Reply, E | SqlError.SqlError>): Effect.Effect<Reply, E | SqlError.SqlError> =>
  Effect.catchIf(
    write,
    (error): error is SqlError.SqlError => SqlError.isSqlError(error) && error.reason._tag === "UniqueViolation",
    () => Effect.succeed(unprocessable(NAME_NOT_UNIQUE))
  )

/** A request's change of a watchlist, or the reply refusing it. */
type Checked = Result.Result<WatchlistChange, Reply>

export const make = ({ resolveSymbol, watchlists }: WatchlistDeps) => {
  /** `symbols` as the universe spells them, or the reply naming the first unknown one. */
  const resolveAll = (symbols: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const resolved: Array<string> = []
      for (const symbol of symbols) {
        const found = yield* resolveSymbol(symbol)
        if (found === undefined) return Result.fail(unprocessable(`asset not found: ${symbol.slice(0, 40)}`))
        resolved.push(found)
      }
      return Result.succeed(resolved)
    })

  /** A body's change, checked (`parse`), its symbols resolved and its name free among the account's others. */
  const checked = (account: AccountId, body: string, parse: (fields: Readonly<Record<string, unknown>>) => Result.Result<WatchlistChange, string>, except?: string) =>
    Effect.gen(function*(): Effect.fn.Return<Checked, { readonly message: string }> {
      const fields = bodyOf(body)
      if (Result.isFailure(fields)) return Result.fail(fields.failure)
      const change = parse(fields.success)
      if (Result.isFailure(change)) return Result.fail(unprocessable(change.failure))
      const symbols: Result.Result<ReadonlyArray<string> | undefined, Reply> = change.success.symbols === undefined
        ? Result.succeed(undefined)
        : yield* resolveAll(change.success.symbols)
      if (Result.isFailure(symbols)) return Result.fail(symbols.failure)
      if (change.success.name !== undefined && (yield* watchlists.nameTaken(account, change.success.name, except))) {
        return Result.fail(unprocessable(NAME_NOT_UNIQUE))
      }
      return Result.succeed({ name: change.success.name, symbols: symbols.success })
    })

  const listAll: Handler = ({ account }) =>
    watchlists.list(account.account).pipe(
      Effect.map((all) => json(200, all.map((w) => withoutAssets(account, w)))),
      Effect.mapError(serverError(account.account))
    )

  const create: Handler = ({ account, body, now }) =>
    Effect.gen(function*() {
      const change = yield* checked(account.account, body, createRequest)
      if (Result.isFailure(change)) return change.failure
      const { name, symbols } = change.success
      // `createRequest` refuses a body without one
      if (name === undefined) return unprocessable("name is required")
      return yield* unlessNameTaken(Effect.map(
        watchlists.create(account.account, name, symbols ?? [], isoOf(now)),
        (created) => json(200, wireWatchlist(account, created))
      ))
    }).pipe(Effect.mapError(serverError(account.account)))

  /** The handlers of one watchlist, found by `find` (by id or by name) from the call, or the reply refusing it. */
  const on = (find: (call: Call) => Effect.Effect<Result.Result<Watchlist, Reply>, { readonly message: string }>) => {
    const withFound = (act: (call: Call, watchlist: Watchlist) => Effect.Effect<Reply, { readonly message: string }>): Handler => (call) =>
      Effect.flatMap(find(call), (found) => (Result.isFailure(found) ? Effect.succeed(found.failure) : act(call, found.success))).pipe(
        Effect.mapError(serverError(call.account.account))
      )

    const saved = (call: Call, watchlist: Watchlist, change: WatchlistChange) =>
      unlessNameTaken(Effect.map(watchlists.save(watchlist, change, isoOf(call.now)), (next) => json(200, wireWatchlist(call.account, next))))

    return {
      get: withFound((call, watchlist) => Effect.succeed(json(200, wireWatchlist(call.account, watchlist)))),
      update: withFound((call, watchlist) =>
        Effect.flatMap(checked(call.account.account, call.body, updateRequest, watchlist.id), (change) =>
          Result.isFailure(change) ? Effect.succeed(change.failure) : saved(call, watchlist, change.success))),
      add: withFound((call, watchlist) =>
        Effect.flatMap(checked(call.account.account, call.body, symbolRequest), (change) => {
          if (Result.isFailure(change)) return Effect.succeed(change.failure)
          // `symbolRequest` refuses a body without one
          const symbol = change.success.symbols?.[0]
          if (symbol === undefined) return Effect.succeed(unprocessable("symbol is required"))
          return watchlist.symbols.includes(symbol)
            ? Effect.succeed(json(200, wireWatchlist(call.account, watchlist)))
            : saved(call, watchlist, { symbols: [...watchlist.symbols, symbol] })
        })),
      remove: withFound((_, watchlist) => Effect.as(watchlists.remove(watchlist), { status: 204 })),
      removeSymbol: withFound((call, watchlist) =>
        Effect.gen(function*() {
          const asked = call.params[1] ?? ""
          const symbol = yield* resolveSymbol(asked)
          if (symbol === undefined || !watchlist.symbols.includes(symbol)) {
            return notFound(`symbol not found in watchlist: ${asked.slice(0, 40)}`)
          }
          return yield* saved(call, watchlist, { symbols: watchlist.symbols.filter((s) => s !== symbol) })
        }))
    }
  }

  const found = (watchlist: Watchlist | undefined) => (watchlist === undefined ? Result.fail(NOT_FOUND) : Result.succeed(watchlist))
  const byId = on(({ account, params }) => Effect.map(watchlists.byId(account.account, params[0] ?? ""), found))
  const byName = on(({ account, query }) => {
    const name = query.get("name")
    return name === null || name === ""
      ? Effect.succeed(Result.fail(unprocessable("name is required")))
      : Effect.map(watchlists.byName(account.account, name), found)
  })

  return {
    listAll,
    create,
    byId,
    byName
  }
}
