/**
 * The multi-account manager: every account's operations in parallel, with one result per account — one
 * account's failure never hides the others.
 *
 * **When to use**: the execution stage fans out through `forEachAccount`; the CLI's `accounts`, `positions`,
 * `orders`, `close-all` and `verify` use the ready-made operations. Provide `AccountManager.layer` over `Brokers`.
 *
 * **Gotchas**
 * - Orders run concurrently across accounts and symbols, and in order within one symbol of one account (a close
 *   before an open).
 * - `placeOrder` is exactly-once: an order already at the broker under the intent's client order id is adopted,
 *   and a duplicate-id rejection resolves to the existing order.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type { AccountId, AccountSnapshot, Order, OrderIntent, Position } from "@council/domain"
import { type Broker, type BrokerError, Brokers, type OrderQuery } from "./Broker.ts"

export interface AccountResult<A, E = BrokerError> {
  readonly account: AccountId
  readonly result: Result.Result<A, E>
}

export interface ClosedAccount {
  readonly canceled: number
  readonly closed: ReadonlyArray<Order>
}

/**
 * Places `intent` once. One request in the common case; when the broker already holds an order under the
 * intent's client order id (a resumed run, an earlier attempt that landed), the duplicate-id rejection resolves
 * to that order.
 */
export const placeOnce = (broker: Broker, intent: OrderIntent): Effect.Effect<Order, BrokerError> =>
  Effect.suspend(() =>
    broker.placeOrder(intent).pipe(
      Effect.catchTag("BrokerError", (error) =>
        error.reason === "DuplicateClientOrderId"
          ? Effect.flatMap(broker.getOrderByClientId(intent.clientOrderId), Option.match({
            onNone: () => Effect.fail(error),
            onSome: Effect.succeed
          }))
          : Effect.fail(error))
    ))

/**
 * Runs an account's intents: one symbol's intents in order (a close before an open), different symbols
 * concurrently. Results come back in the intents' order.
 */
export const bySymbol = <A, E, R>(
  intents: ReadonlyArray<OrderIntent>,
  f: (intent: OrderIntent) => Effect.Effect<A, E, R>
): Effect.Effect<ReadonlyArray<A>, E, R> =>
  Effect.gen(function*() {
    const symbols = [...new Set(intents.map((i) => i.symbol))]
    const results = new Map<OrderIntent, A>()
    yield* Effect.forEach(
      symbols,
      (symbol) =>
        Effect.forEach(intents.filter((i) => i.symbol === symbol), (intent) =>
          Effect.map(f(intent), (a) => void results.set(intent, a)), { discard: true }),
      { concurrency: "unbounded", discard: true }
    )
    return intents.map((intent) => results.get(intent)!)
  })

export class AccountManager extends Context.Service<AccountManager, {
  readonly accounts: ReadonlyArray<AccountId>
  /** Runs `f` for each account concurrently; a failure (or defect-free error) stays in that account's result. */
  readonly forEachAccount: <A, E, R>(
    accounts: ReadonlyArray<AccountId>,
    f: (broker: Broker) => Effect.Effect<A, E, R>
  ) => Effect.Effect<ReadonlyArray<AccountResult<A, E | BrokerError>>, never, R>
  readonly allAccounts: Effect.Effect<ReadonlyArray<AccountResult<AccountSnapshot>>>
  readonly allPositions: (accounts?: ReadonlyArray<AccountId>) => Effect.Effect<ReadonlyArray<AccountResult<ReadonlyArray<Position>>>>
  readonly allOrders: (query: OrderQuery, accounts?: ReadonlyArray<AccountId>) => Effect.Effect<ReadonlyArray<AccountResult<ReadonlyArray<Order>>>>
  readonly placeOrder: (intent: OrderIntent) => Effect.Effect<Order, BrokerError>
  /** Every intent, concurrently across accounts and in the given order within each account. */
  readonly placeMany: (intents: ReadonlyArray<OrderIntent>) => Effect.Effect<ReadonlyArray<{ readonly intent: OrderIntent; readonly result: Result.Result<Order, BrokerError> }>>
  readonly cancelAllOrders: (accounts?: ReadonlyArray<AccountId>) => Effect.Effect<ReadonlyArray<AccountResult<number>>>
  /** The panic button: cancels every open order, then closes every position. */
  readonly closeAllPositions: (accounts?: ReadonlyArray<AccountId>) => Effect.Effect<ReadonlyArray<AccountResult<ClosedAccount>>>
}>()("@council/broker/AccountManager") {
  static readonly layer: Layer.Layer<AccountManager, never, Brokers> = Layer.effect(
    AccountManager,
    Effect.gen(function*() {
      const brokers = yield* Brokers
      const forEachAccount = <A, E, R>(accounts: ReadonlyArray<AccountId>, f: (broker: Broker) => Effect.Effect<A, E, R>) =>
        Effect.forEach(
          accounts,
          (account) =>
            Effect.map(Effect.result(Effect.flatMap(brokers.get(account), f)), (result): AccountResult<A, E | BrokerError> => ({
              account,
              result
            })),
          { concurrency: "unbounded" }
        )
      const all = (accounts: ReadonlyArray<AccountId> | undefined) => accounts ?? brokers.accounts

      const placeMany = (intents: ReadonlyArray<OrderIntent>) =>
        Effect.gen(function*() {
          const accounts = [...new Set(intents.map((i) => i.account))]
          const results = yield* Effect.forEach(
            accounts,
            (account) =>
              Effect.gen(function*() {
                const mine = intents.filter((i) => i.account === account)
                const broker = yield* Effect.result(brokers.get(account))
                if (Result.isFailure(broker)) return mine.map((intent) => ({ intent, result: Result.fail(broker.failure) }))
                return yield* bySymbol(mine, (intent) =>
                  Effect.map(Effect.result(placeOnce(broker.success, intent)), (result) => ({ intent, result })))
              }),
            { concurrency: "unbounded" }
          )
          const byIntent = new Map(results.flat().map((r) => [r.intent, r] as const))
          return intents.map((intent) => byIntent.get(intent)!)
        })

      return AccountManager.of({
        accounts: brokers.accounts,
        forEachAccount,
        allAccounts: forEachAccount(brokers.accounts, (b) => b.getAccount),
        allPositions: (accounts) => forEachAccount(all(accounts), (b) => b.getPositions),
        allOrders: (query, accounts) => forEachAccount(all(accounts), (b) => b.listOrders(query)),
        placeOrder: (intent) => Effect.flatMap(brokers.get(intent.account), (b) => placeOnce(b, intent)),
        placeMany,
        cancelAllOrders: (accounts) => forEachAccount(all(accounts), (b) => b.cancelAllOrders),
        closeAllPositions: (accounts) =>
          forEachAccount(all(accounts), (b) =>
            Effect.gen(function*() {
              const canceled = yield* b.cancelAllOrders
              const closed = yield* b.closeAllPositions
              return { canceled, closed }
            }))
      })
    })
  )
}

