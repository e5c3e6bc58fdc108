/**
 * The multi-account manager: every account's operations in parallel, with one result per account — one
 * account's failure never hides the others.
 *
 * **When to use**: the execution stage fans out through `forEachAccount`; the CLI's `accounts`, `positions`,
 * `orders`, `close-all` and `verify` use the ready-made operations. Provide `AccountManager.layer` over `Brokers`.
 *
 * **Gotchas**
 * - Orders run concurrently across accounts and symbols, and in order within one symbol of one account (a close
 *   before an open); when one fails, the later orders of its symbol are not sent (an open after a failed close
 *   would flip into a position twice the size).
 * - `placeOrder` is exactly-once: an order already at the broker under the intent's client order id is adopted
 *   (`adopted: true`, so a report can say so), and a duplicate-id rejection naming a different order stands.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { type AccountId, type AccountSnapshot, Order, type OrderIntent, type Position } from "@council/domain"
import { type Broker, BrokerError, Brokers, type OrderQuery } from "./Broker.ts"

export interface AccountResult<A, E = BrokerError> {
  readonly account: AccountId
  readonly result: Result.Result<A, E>
}

export interface ClosedAccount {
  readonly canceled: number
  readonly closed: ReadonlyArray<Order>
}

/** What placing an intent did: the order at the broker, and whether it was already there (`adopted`). */
export const Placement = Schema.Struct({ order: Order, adopted: Schema.Boolean })
export type Placement = typeof Placement.Type

/** Whether `order` is the order `intent` describes (an id collision with another order is not adopted). */
export const sameOrder = (order: Order, intent: OrderIntent): boolean =>
  order.symbol === intent.symbol && order.side === intent.side && Math.abs(order.qty - intent.qty) < 1e-9 &&
  order.type === intent.type

/**
 * Places `intent` once. One request in the common case; when the broker already holds the same order under the
 * intent's client order id (an earlier run, a resumed one), the duplicate-id rejection resolves to that order,
 * `adopted`. An id that names a different order stays a `DuplicateClientOrderId` failure.
 */
export const placeOnce = (broker: Broker, intent: OrderIntent): Effect.Effect<Placement, BrokerError> =>
  Effect.suspend(() =>
    broker.placeOrder(intent).pipe(
      Effect.map((order): Placement => ({ order, adopted: false })),
      Effect.catchTag("BrokerError", (error) =>
        error.reason === "DuplicateClientOrderId"
          ? Effect.flatMap(broker.getOrderByClientId(intent.clientOrderId), Option.match({
            onNone: () => Effect.fail(error),
            onSome: (order) =>
              sameOrder(order, intent)
                ? Effect.succeed<Placement>({ order, adopted: true })
                : Effect.fail(
                  new BrokerError({
                    account: broker.account,
                    reason: "DuplicateClientOrderId",
                    message: `client order id ${intent.clientOrderId} already names a different order (${order.side} ${order.qty} ${order.symbol} ${order.type})`,
                    retryable: false
                  })
                )
          }))
          : Effect.fail(error))
    ))

/**
 * Runs an account's intents: one symbol's intents in order (a close before an open), different symbols
 * concurrently. Once an intent of a symbol fails, the later ones of that symbol are not run: they fail with
 * `skipped(intent, failed)`. Results come back in the intents' order.
 */
export const bySymbol = <A, E, R>(
  intents: ReadonlyArray<OrderIntent>,
  f: (intent: OrderIntent) => Effect.Effect<A, E, R>,
  skipped: (intent: OrderIntent, failed: OrderIntent) => E
): Effect.Effect<ReadonlyArray<Result.Result<A, E>>, never, R> =>
  Effect.gen(function*() {
    const symbols = [...new Set(intents.map((i) => i.symbol))]
    const results = new Map<OrderIntent, Result.Result<A, E>>()
    yield* Effect.forEach(
      symbols,
      (symbol) =>
        Effect.gen(function*() {
          let failed: OrderIntent | undefined
          for (const intent of intents.filter((i) => i.symbol === symbol)) {
            const result = failed === undefined ? yield* Effect.result(f(intent)) : Result.fail(skipped(intent, failed))
            if (Result.isFailure(result)) failed ??= intent
            results.set(intent, result)
          }
        }),
      { concurrency: "unbounded", discard: true }
    )
    return intents.map((intent) => results.get(intent)!)
  })

/** The error of an intent `bySymbol` did not send because an earlier intent of its symbol failed. */
export const notSentAfter = (failed: OrderIntent): string =>
  `not sent: the ${failed.side} ${failed.qty} ${failed.symbol} before it (${failed.clientOrderId}) failed`

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
  readonly placeOrder: (intent: OrderIntent) => Effect.Effect<Placement, BrokerError>
  /**
   * Every intent, concurrently across accounts and in the given order within each account's symbol; after a
   * failure, the later intents of that symbol are not sent.
   */
  readonly placeMany: (intents: ReadonlyArray<OrderIntent>) => Effect.Effect<ReadonlyArray<{ readonly intent: OrderIntent; readonly result: Result.Result<Placement, BrokerError> }>>
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
                const notSent = (_: OrderIntent, failed: OrderIntent) =>
                  new BrokerError({ account, reason: "InvalidRequest", message: notSentAfter(failed), retryable: false })
                const results = yield* bySymbol(mine, (intent) => placeOnce(broker.success, intent), notSent)
                return mine.map((intent, i) => ({ intent, result: results[i]! }))
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

