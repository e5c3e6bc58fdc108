import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { type AccountId, Order, type Ticker } from "@council/domain"
import { AccountManager, type BrokerError, select, TradingAccounts } from "@council/broker"
import { Notifier } from "@council/notify/Notifier"
import { closedAll } from "@council/notify/RunMessages"
import { CliFailure } from "../CliFailure.ts"
import { kindOfClientOrderId, legPurpose, orderPurpose } from "../OrderPurpose.ts"
import { money, qty, table } from "../Table.ts"
import { orderSize, orderType } from "../OrderText.ts"

/** Every configured account, or just `--account X` (checked before any broker or store is opened). */
export const accountsFor = (account: Option.Option<string>) =>
  Effect.gen(function*() {
    const configured = yield* TradingAccounts
    const names = Option.map(account, (a) => (a.trim() === "" ? [] : [a.trim().toUpperCase()]))
    const accounts = yield* select(configured.all, Option.getOrUndefined(names)).pipe(
      Effect.mapError((e) => CliFailure.usage(`--account: ${e.message}`))
    )
    return accounts.map((a) => a.id)
  })

const failIfAny = (results: ReadonlyArray<{ account: AccountId; result: Result.Result<unknown, BrokerError> }>) => {
  const failed = results.filter((r) => Result.isFailure(r.result))
  return failed.length === 0
    ? Effect.void
    : Effect.fail(CliFailure.failed(`${failed.length} of ${results.length} accounts failed: ${failed.map((f) => f.account).join(", ")}`))
}

const errorOf = (result: Result.Result<unknown, BrokerError>) => (Result.isFailure(result) ? result.failure.message : "")

/**
 * One JSON row per account, as the monitor API's `/api/accounts`, `/api/positions` and `/api/orders` answer: its
 * mode, what it answered under `key` (`null` when it failed) and its `error` (else `null`).
 */
const jsonRows = <A, K extends string>(
  results: ReadonlyArray<{ account: AccountId; result: Result.Result<A, BrokerError> }>,
  key: K,
  encode: (a: A) => unknown = (a) => a
) =>
  TradingAccounts.use(({ all }) =>
    Effect.succeed(JSON.stringify(
      results.map(({ account, result }) => ({
        account,
        mode: all.find((a) => a.id === account)?.mode ?? null,
        error: Result.isFailure(result) ? result.failure.message : null,
        [key]: Result.isSuccess(result) ? encode(result.success) : null
      })),
      null,
      2
    )))

const encodeOrders = (orders: ReadonlyArray<Order>) => orders.map((o) => Schema.encodeSync(Order)(o))

export const accounts = (ids: ReadonlyArray<AccountId>, json: boolean) => Effect.gen(function*() {
  const configured = yield* TradingAccounts
  const results = yield* AccountManager.use((m) => m.forEachAccount(ids, (b) => b.getAccount))
  if (json) {
    yield* Console.log(yield* jsonRows(results, "snapshot"))
    return yield* failIfAny(results)
  }
  yield* Console.log(table(
    ["ACCOUNT", "MODE", "EQUITY", "CASH", "BUYING POWER", "POSITIONS", "ERROR"],
    results.map(({ account, result }) => {
      const mode = configured.all.find((a) => a.id === account)?.mode ?? ""
      return Result.match(result, {
        onSuccess: (s) => [account, mode, money(s.equity), money(s.cash), money(s.buyingPower), String(s.positions.length), ""],
        onFailure: (e) => [account, mode, "-", "-", "-", "-", e.message]
      })
    })
  ))
  yield* failIfAny(results)
})

export const positions = (ids: ReadonlyArray<AccountId>, symbol: Option.Option<Ticker>, json: boolean) =>
  Effect.gen(function*() {
    const all = yield* AccountManager.use((m) => m.allPositions(ids))
    const results = all.map(({ account, result }) => ({
      account,
      result: Result.map(result, (ps) => Option.match(symbol, { onNone: () => ps, onSome: (s) => ps.filter((p) => p.symbol === s) }))
    }))
    if (json) {
      yield* Console.log(yield* jsonRows(results, "positions"))
      return yield* failIfAny(results)
    }
    const rows = results.flatMap(({ account, result }) =>
      Result.isSuccess(result)
        ? result.success.map((p) => [account, p.symbol, p.side, qty(p.qty), money(p.avgEntryPrice), money(p.currentPrice), money(p.marketValue), money(p.unrealizedPl)])
        : [[account, "-", "-", "-", "-", "-", "-", errorOf(result)]]
    )
    yield* Console.log(rows.length === 0 ? `no open ${Option.match(symbol, { onNone: () => "", onSome: (s) => `${s} ` })}positions` : table(["ACCOUNT", "SYMBOL", "SIDE", "QTY", "AVG ENTRY", "PRICE", "MARKET VALUE", "UNREALIZED P/L"], rows))
    yield* failIfAny(results)
  })

export interface OrdersOptions {
  readonly status: "open" | "closed" | "all"
  readonly symbol: Option.Option<Ticker>
  /** Per account, newest first (Alpaca's `limit`, at most 500). */
  readonly limit: number
  readonly json: boolean
}

export const orders = (ids: ReadonlyArray<AccountId>, { json, limit, status, symbol }: OrdersOptions) =>
  Effect.gen(function*() {
    const query = { status, limit, ...Option.match(symbol, { onNone: () => ({}), onSome: (s) => ({ symbols: [s] }) }) }
    const results = yield* AccountManager.use((m) => m.allOrders(query, ids))
    if (json) {
      yield* Console.log(yield* jsonRows(results, "orders", encodeOrders))
      return yield* failIfAny(results)
    }
    const rows = results.flatMap(({ account, result }) =>
      Result.isSuccess(result)
        ? result.success.flatMap((o) => [{ o, what: orderPurpose(o.orderClass, kindOfClientOrderId(o.clientOrderId), o.qty, o.legs.map((leg) => leg.type)) }, ...o.legs.map((leg) => ({ o: leg, what: legPurpose(o.orderClass) }))]).map(({ o, what }) => [
          account,
          o.submittedAt.slice(0, 10),
          o.symbol,
          o.side,
          orderSize(o),
          orderType(o),
          o.orderClass,
          o.status,
          o.filledAvgPrice === null ? "-" : money(o.filledAvgPrice),
          o.clientOrderId,
          what
        ])
        : [[account, "-", "-", "-", "-", "-", "-", "-", "-", "-", errorOf(result)]]
    )
    const what = `${status === "all" ? "" : `${status} `}${Option.match(symbol, { onNone: () => "", onSome: (s) => `${s} ` })}`
    yield* Console.log(rows.length === 0 ? `no ${what}orders` : table(["ACCOUNT", "DAY", "SYMBOL", "SIDE", "QTY", "TYPE", "CLASS", "STATUS", "FILL", "CLIENT ORDER ID", "WHAT"], rows))
    yield* failIfAny(results)
  })

/** `close-all` asks for `--yes` before anything is opened. */
export const confirmCloseAll = (account: Option.Option<string>, yes: boolean) =>
  yes
    ? Effect.void
    : Effect.fail(CliFailure.usage(`close-all cancels every open order and liquidates every position${Option.isSome(account) ? ` of ${account.value}` : " of every account"}; add --yes to confirm`))

/**
 * `close-all`: every open order canceled and every position closed, per account; what it did is told to the notifier
 * too (`RunMessages.closedAll`: Slack hears the panic button pressed, whoever pressed it), a notifier failure a
 * warning.
 */
export const closeAll = (ids: ReadonlyArray<AccountId>, json: boolean) =>
  Effect.gen(function*() {
    const results = yield* AccountManager.use((m) => m.closeAllPositions(ids))
    yield* tellClosed("pnpm pipeline close-all", results)
    if (json) {
      // as `POST /api/close-all` answers
      yield* Console.log(JSON.stringify(
        results.map(({ account, result }) =>
          Result.match(result, {
            onSuccess: (r) => ({ account, canceled: r.canceled, closed: encodeOrders(r.closed), error: null }),
            onFailure: (e) => ({ account, canceled: null, closed: null, error: e.message })
          })
        ),
        null,
        2
      ))
      return yield* failIfAny(results)
    }
    yield* Console.log(table(
      ["ACCOUNT", "ORDERS CANCELED", "POSITIONS CLOSED", "ERROR"],
      results.map(({ account, result }) =>
        Result.match(result, {
          onSuccess: (r) => [account, String(r.canceled), r.closed.map((o) => `${o.symbol} ${o.side} ${qty(o.qty)}`).join(", ") || "0", ""],
          onFailure: (e) => [account, "-", "-", e.message]
        })
      )
    ))
    yield* failIfAny(results)
  })

/** Tells the notifier what a close-all did (`via`: who pressed it); the layer's close waits for Slack (at most 10 s). */
const tellClosed = (via: string, results: ReadonlyArray<{ account: AccountId; result: Result.Result<{ readonly canceled: number; readonly closed: ReadonlyArray<Order> }, BrokerError> }>) =>
  Effect.gen(function*() {
    const AppLayer = yield* Effect.promise(() => import("../AppLayer.ts"))
    const accounts = results.map(({ account, result }) =>
      Result.match(result, {
        onSuccess: (r) => ({ account, canceled: r.canceled, closed: r.closed, error: null }),
        onFailure: (e) => ({ account, canceled: null, closed: null, error: e.message })
      })
    )
    // a LIVE account's line starts `LIVE ·`: the panic button pressed on real money never reads as on paper
    const live = (yield* TradingAccounts).all.filter((a) => a.mode === "LIVE").map((a) => a.id)
    yield* Notifier.use((n) => n.notify(closedAll({ via, accounts, live }))).pipe(
      Effect.catchTag("NotifierError", (error) => Effect.logWarning(`notification failed: ${error.message}`)),
      Effect.provide(AppLayer.notifier)
    )
  })

export const verify = Effect.gen(function*() {
  const configured = yield* TradingAccounts
  const results = yield* AccountManager.use((m) => m.allAccounts)
  for (const { account, result } of results) {
    const config = configured.all.find((a) => a.id === account)
    const where = config?.credentials ? (config.baseUrl ?? (config.mode === "LIVE" ? "alpaca live" : "alpaca paper")) : "local exchange"
    yield* Console.log(Result.match(result, {
      onSuccess: (s) => `✓ ${account.padEnd(14)} ${config?.mode ?? ""}  ${where}  equity ${money(s.equity)}`,
      onFailure: (e) => `✗ ${account.padEnd(14)} ${config?.mode ?? ""}  ${where}  ${e.reason}: ${e.message}`
    }))
  }
  yield* failIfAny(results)
})
