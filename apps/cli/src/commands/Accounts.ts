import { Console, Effect, Option, Result } from "effect"
import type { AccountId } from "@council/domain"
import { type Broker, type BrokerError, Brokers, select, TradingAccounts } from "@council/broker"
import { CliFailure } from "../CliFailure.ts"
import { money, qty, table } from "../Table.ts"

/** The brokers of every configured account, or just `--account X`. */
const brokersFor = (account: Option.Option<string>) =>
  Effect.gen(function*() {
    const configured = yield* TradingAccounts
    const names = Option.map(account, (a) => [a.trim().toUpperCase()])
    const accounts = yield* select(configured.all, Option.getOrUndefined(names)).pipe(
      Effect.mapError((e) => CliFailure.usage(`--account: ${e.message}`))
    )
    const brokers = yield* Brokers
    return yield* Effect.forEach(accounts, (a) => brokers.get(a.id).pipe(Effect.orDie))
  })

/** Runs `f` for every account in parallel; one account's failure never hides the others. */
const perAccount = <A>(brokers: ReadonlyArray<Broker>, f: (broker: Broker) => Effect.Effect<A, BrokerError>) =>
  Effect.forEach(brokers, (b) => Effect.map(Effect.result(f(b)), (result) => ({ account: b.account, result })), {
    concurrency: "unbounded"
  })

const failIfAny = (results: ReadonlyArray<{ account: AccountId; result: Result.Result<unknown, BrokerError> }>) => {
  const failed = results.filter((r) => Result.isFailure(r.result))
  return failed.length === 0
    ? Effect.void
    : Effect.fail(CliFailure.failed(`${failed.length} of ${results.length} accounts failed: ${failed.map((f) => f.account).join(", ")}`))
}

const errorOf = (result: Result.Result<unknown, BrokerError>) => (Result.isFailure(result) ? result.failure.message : "")

export const accounts = Effect.gen(function*() {
  const brokers = yield* brokersFor(Option.none())
  const configured = yield* TradingAccounts
  const results = yield* perAccount(brokers, (b) => b.getAccount)
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

export const positions = (account: Option.Option<string>) =>
  Effect.gen(function*() {
    const results = yield* perAccount(yield* brokersFor(account), (b) => b.getPositions)
    const rows = results.flatMap(({ account, result }) =>
      Result.isSuccess(result)
        ? result.success.map((p) => [account, p.symbol, p.side, qty(p.qty), money(p.avgEntryPrice), money(p.currentPrice), money(p.marketValue), money(p.unrealizedPl)])
        : [[account, "-", "-", "-", "-", "-", "-", errorOf(result)]]
    )
    yield* Console.log(rows.length === 0 ? "no open positions" : table(["ACCOUNT", "SYMBOL", "SIDE", "QTY", "AVG ENTRY", "PRICE", "MARKET VALUE", "UNREALIZED P/L"], rows))
    yield* failIfAny(results)
  })

export const orders = (account: Option.Option<string>, status: "open" | "closed" | "all") =>
  Effect.gen(function*() {
    const results = yield* perAccount(yield* brokersFor(account), (b) => b.listOrders({ status, limit: 500 }))
    const rows = results.flatMap(({ account, result }) =>
      Result.isSuccess(result)
        ? result.success.flatMap((o) => [o, ...o.legs]).map((o) => [
          account,
          o.submittedAt.slice(0, 10),
          o.symbol,
          o.side,
          qty(o.qty),
          o.type,
          o.orderClass,
          o.status,
          o.filledAvgPrice === null ? "-" : money(o.filledAvgPrice),
          o.clientOrderId
        ])
        : [[account, "-", "-", "-", "-", "-", "-", "-", "-", errorOf(result)]]
    )
    yield* Console.log(rows.length === 0 ? `no ${status} orders` : table(["ACCOUNT", "DAY", "SYMBOL", "SIDE", "QTY", "TYPE", "CLASS", "STATUS", "FILL", "CLIENT ORDER ID"], rows))
    yield* failIfAny(results)
  })

export const closeAll = (account: Option.Option<string>, yes: boolean) =>
  Effect.gen(function*() {
    if (!yes) {
      return yield* CliFailure.usage(`close-all cancels every open order and liquidates every position${Option.isSome(account) ? ` of ${account.value}` : " of every account"}; add --yes to confirm`)
    }
    const results = yield* perAccount(yield* brokersFor(account), (b) =>
      Effect.gen(function*() {
        const canceled = yield* b.cancelAllOrders
        const closed = yield* b.closeAllPositions
        return { canceled, closed }
      }))
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
