import { Effect, Option, Schema } from "effect"
import {
  AccountExecution,
  AccountSnapshot,
  ExecutionReport,
  OPEN_STATUSES,
  Order,
  type OrderFailure,
  type OrderIntent
} from "@council/domain"
import { Recorder, RunContext, Stage } from "@council/engine"
import { type Broker, BrokerError, Brokers } from "@council/broker"
import { Notifier, NotifierError } from "@council/notify"
import { type AccountProfile, runAccounts } from "../DailyParams.ts"
import { RiskApproval } from "./RiskApproval.ts"

const brokerCall = <A>(name: string, args: object, success: Schema.Codec<A, unknown>, live: Effect.Effect<A, BrokerError>) =>
  Recorder.call(name, args, { success, failure: BrokerError }, live)

const findByClientId = (broker: Broker, clientOrderId: string) =>
  brokerCall(
    "broker.getOrderByClientId",
    { account: broker.account, clientOrderId },
    Schema.NullOr(Order),
    Effect.map(broker.getOrderByClientId(clientOrderId), Option.getOrNull)
  )

/** Places an intent exactly once: an order already at the broker under its client order id is adopted. */
const placeOnce = (broker: Broker, intent: OrderIntent) =>
  Effect.gen(function*() {
    const existing = yield* findByClientId(broker, intent.clientOrderId)
    if (existing) return existing
    return yield* brokerCall(
      "broker.placeOrder",
      { account: broker.account, clientOrderId: intent.clientOrderId },
      Order,
      broker.placeOrder(intent)
    ).pipe(
      Effect.catchTag("BrokerError", (error) =>
        error.reason === "DuplicateClientOrderId"
          ? Effect.flatMap(findByClientId(broker, intent.clientOrderId), (order) => order ? Effect.succeed(order) : Effect.fail(error))
          : Effect.fail(error))
    )
  })

/**
 * Cancels the open orders (e.g. earlier bracket legs) on the symbols this run trades, so exits never hold shares
 * the new orders need. Orders of this run's own intents are kept: a resumed execution adopts them intact.
 */
const cancelStaleOrders = (broker: Broker, intents: ReadonlyArray<OrderIntent>) =>
  Effect.gen(function*() {
    const symbols = [...new Set(intents.map((i) => i.symbol))]
    if (symbols.length === 0) return 0
    const ours = new Set(intents.map((i) => i.clientOrderId))
    const open = yield* brokerCall(
      "broker.listOrders",
      { account: broker.account, status: "open", symbols },
      Schema.Array(Order),
      broker.listOrders({ status: "open", symbols, limit: 500 })
    )
    const stale = open
      .filter((order) => !ours.has(order.clientOrderId))
      .flatMap((order) => [order, ...order.legs].find((member) => OPEN_STATUSES.has(member.status)) ?? [])
    yield* Effect.forEach(stale, (order) =>
      brokerCall("broker.cancelOrder", { account: broker.account, orderId: order.id }, Schema.Void, broker.cancelOrder(order.id)), { discard: true })
    return stale.length
  })

const executeAccount = (config: AccountProfile, intents: ReadonlyArray<OrderIntent>, dryRun: boolean) =>
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
    const broker = yield* Effect.flatMap(Brokers, (brokers) => brokers.get(config.id))
    const canceled = yield* cancelStaleOrders(broker, intents)
    const placed: Array<Order> = []
    const failures: Array<OrderFailure> = []
    for (const intent of intents) {
      yield* placeOnce(broker, intent).pipe(
        Effect.match({
          onSuccess: (order) => void placed.push(order),
          onFailure: (error) => void failures.push({ clientOrderId: intent.clientOrderId, symbol: intent.symbol, error: error.message })
        })
      )
    }
    const orders = yield* Effect.forEach(placed, (order) =>
      brokerCall("broker.getOrder", { account: config.id, orderId: order.id }, Order, broker.getOrder(order.id)))
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
  }).pipe(
    Effect.catchTag("BrokerError", (error) =>
      Effect.succeed({
        account: config.id,
        status: "failed",
        orders: [],
        failures: [],
        canceled: 0,
        equity: null,
        message: error.message
      } satisfies AccountExecution))
  )

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
      const results = yield* Effect.forEach(
        accounts,
        (config) =>
          executeAccount(config, verdict.intents.filter((i) => i.account === config.id), dryRun).pipe(
            Effect.tap(notifyResult)
          ),
        { concurrency: "unbounded" }
      )
      return { asOf: verdict.asOf, dryRun, accounts: results }
    })
})
