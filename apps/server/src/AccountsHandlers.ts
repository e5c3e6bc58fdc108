import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import type { AccountId } from "@council/domain"
import { BadRequest, MonitorApi } from "@council/api"
import { AccountManager, type AccountResult, type BrokerError, select, TradingAccounts } from "@council/broker"

/** `?account=X` checked against the configured accounts (all of them when absent). */
export const accountsFor = (account: string | undefined) =>
  Effect.gen(function*() {
    const { all } = yield* TradingAccounts
    const chosen = yield* select(all, account === undefined ? undefined : [account.trim().toUpperCase()]).pipe(
      Effect.mapError((e) => new BadRequest({ message: `account: ${e.message}` }))
    )
    return chosen.map((a) => a.id)
  })

/** One row per account: its broker's answer under `name`, or the error. */
export const perAccount = <A, K extends string>(name: K, results: ReadonlyArray<AccountResult<A, BrokerError>>) =>
  TradingAccounts.use(({ all }) =>
    Effect.succeed(results.map(({ account, result }) => {
      const mode = all.find((a) => a.id === account)?.mode ?? ""
      return Result.match(result, {
        onSuccess: (value) => ({ account, mode, [name]: value, error: null }),
        onFailure: (error) => ({ account, mode, [name]: null, error: error.message })
      }) as { account: AccountId; mode: string; error: string | null } & Record<K, A | null>
    })))

export const AccountsHandlers = HttpApiBuilder.group(MonitorApi, "accounts", (handlers) =>
  handlers
    .handle("list", () => Effect.flatMap(AccountManager.use((m) => m.allAccounts), (r) => perAccount("snapshot", r)))
    .handle("positions", ({ query }) =>
      Effect.gen(function*() {
        const ids = yield* accountsFor(query.account)
        return yield* perAccount("positions", yield* AccountManager.use((m) => m.allPositions(ids)))
      }))
    .handle("orders", ({ query }) =>
      Effect.gen(function*() {
        const ids = yield* accountsFor(query.account)
        return yield* perAccount("orders", yield* AccountManager.use((m) => m.allOrders({ status: query.status ?? "open", limit: 500 }, ids)))
      })))
