import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import {
  AccountExecution,
  type AccountId,
  AccountSnapshot,
  type CancelIntent,
  ExecutionReport,
  Order,
  type OrderFailure,
  type OrderIntent
} from "@council/domain"
import { Recorder, RunContext, Stage } from "@council/engine"
import { AccountManager, type Broker, BrokerError, bySymbol, placeOnce } from "@council/broker"
import { Notifier, NotifierError } from "@council/notify"
import { type AccountProfile, runAccounts } from "../DailyParams.ts"
import { RiskApproval } from "./RiskApproval.ts"

const brokerCall = <A>(name: string, args: object, success: Schema.Codec<A, unknown>, live: Effect.Effect<A, BrokerError>) =>
  Recorder.call(name, args, { success, failure: BrokerError }, live)

/** Statuses that reading the order back right away would not change. */
const SETTLED: ReadonlySet<Order["status"]> = new Set(["filled", "canceled", "expired", "rejected", "done_for_day", "replaced"])

/** One recorded call per intent: the manager's exactly-once placement (adopts an order already at the broker). */
const placeIntent = (broker: Broker, intent: OrderIntent) =>
  brokerCall("broker.placeOnce", { account: broker.account, clientOrderId: intent.clientOrderId }, Order, placeOnce(broker, intent))

/**
 * Cancels what the gate found open on today's symbols. An order that is no longer cancelable (a resumed run
 * already canceled it, or it filled meanwhile) is left as it is.
 */
const cancelStale = (broker: Broker, cancels: ReadonlyArray<CancelIntent>) =>
  Effect.forEach(
    cancels,
    (cancel) =>
      brokerCall("broker.cancelOrder", { account: broker.account, orderId: cancel.orderId }, Schema.Void, broker.cancelOrder(cancel.orderId)).pipe(
        Effect.as(1),
        Effect.catchTag("BrokerError", (error) =>
          error.reason === "InvalidRequest" || error.reason === "NotFound" ? Effect.succeed(0) : Effect.fail(error))
      ),
    { concurrency: "unbounded" }
  ).pipe(Effect.map((done) => done.reduce((a, b) => a + b, 0)))

const executeAccount = (
  broker: Broker,
  config: AccountProfile,
  cancels: ReadonlyArray<CancelIntent>,
  intents: ReadonlyArray<OrderIntent>,
  dryRun: boolean
) =>
  Effect.gen(function*() {
    if (dryRun || config.settings.dryRun) {
      return {
        account: config.id,
        status: "dry-run",
        orders: [],
        failures: [],
        canceled: 0,
        equity: null,
        message: `${intents.length} order${intents.length === 1 ? "" : "s"} not sent (dry run)`
      } satisfies AccountExecution
    }
    const canceled = yield* cancelStale(broker, cancels)
    const outcomes = yield* bySymbol(intents, (intent) =>
      placeIntent(broker, intent).pipe(
        Effect.map((order): Result.Result<Order, OrderFailure> => Result.succeed(order)),
        Effect.catchTag("BrokerError", (error) =>
          Effect.succeed(Result.fail({ clientOrderId: intent.clientOrderId, symbol: intent.symbol, error: error.message })))
      ))
    const failures = outcomes.filter(Result.isFailure).map((r) => r.failure)
    const orders = yield* Effect.forEach(
      outcomes.filter(Result.isSuccess).map((r) => r.success),
      (order) =>
        SETTLED.has(order.status)
          ? Effect.succeed(order)
          : brokerCall("broker.getOrder", { account: config.id, orderId: order.id }, Order, broker.getOrder(order.id)),
      { concurrency: "unbounded" }
    )
    const account = yield* brokerCall("broker.getAccount", { account: config.id }, AccountSnapshot, broker.getAccount)
    return {
      account: config.id,
      status: failures.length === 0 ? "succeeded" : "failed",
      orders,
      failures,
      canceled,
      equity: account.equity,
      message: failures.length === 0
        ? `${orders.length} order${orders.length === 1 ? "" : "s"} placed`
        : `${failures.length} of ${intents.length} orders failed: ${failures[0]?.error}`
    } satisfies AccountExecution
  }).pipe(Effect.catchTag("BrokerError", (error) => Effect.succeed(accountFailed(config.id, error.message))))

const accountFailed = (account: AccountId, message: string): AccountExecution => ({
  account,
  status: "failed",
  orders: [],
  failures: [],
  canceled: 0,
  equity: null,
  message
})

const notifyResult = (result: AccountExecution) =>
  Effect.gen(function*() {
    const notifier = yield* Notifier
    yield* Recorder.call(
      "notifier.notify",
      { account: result.account, status: result.status },
      { success: Schema.Void, failure: NotifierError },
      notifier.notify({
        level: result.status === "failed" ? "ERROR" : "INFO",
        account: result.account,
        subject: `execution ${result.status}`,
        body: result.message
      })
    ).pipe(Effect.catchTag("NotifierError", (error) => Effect.logWarning(`notification failed: ${error.message}`)))
  })

export const Execution = Stage.make({
  name: "Execution",
  description: "orders fanned out across accounts; fills read back",
  dependsOn: [RiskApproval],
  output: ExecutionReport,
  sideEffects: true,
  timeout: "10 minutes",
  run: ({ RiskApproval: verdict }) =>
    Effect.gen(function*() {
      const { dryRun } = yield* RunContext
      const accounts = yield* runAccounts
      const manager = yield* AccountManager
      const outcomes = yield* manager.forEachAccount(accounts.map((a) => a.id), (broker) => {
        const config = accounts.find((a) => a.id === broker.account)!
        const mine = <A extends { readonly account: string }>(all: ReadonlyArray<A>) => all.filter((x) => x.account === config.id)
        return executeAccount(broker, config, mine(verdict.cancels), mine(verdict.intents), dryRun)
      })
      const results = yield* Effect.forEach(outcomes, ({ account, result }) =>
        Result.match(result, {
          onSuccess: Effect.succeed,
          onFailure: (error) => error._tag === "BrokerError" ? Effect.succeed(accountFailed(account, error.message)) : Effect.fail(error)
        }))
      yield* Effect.forEach(results, notifyResult, { discard: true })
      return { asOf: verdict.asOf, dryRun, accounts: results }
    })
})
