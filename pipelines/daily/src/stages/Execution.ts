import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import {
  AccountExecution,
  type AccountId,
  AccountSnapshot,
  type CancelIntent,
  describeCheck,
  ExecutionReport,
  MarketCalendarDay,
  MarketClock,
  Order,
  type OrderFailure,
  type OrderIntent,
  Position,
  type Rejection,
  type RiskVerdict,
  type RunSchedule,
  type TradingDay
} from "@council/domain"
import { Recorder, RunContext, Stage } from "@council/engine"
import { AccountManager, type Broker, BrokerError, bySymbol, notSentAfter, Placement, placeOnce } from "@council/broker"
import { executionResult } from "@council/notify/RunMessages"
import {
  type AccountProfile,
  type KeysFrom,
  carriedPlans,
  protectsFailedAccounts,
  readsRefusedCancels,
  recognizesEarlierExits,
  runAccounts,
  runKeysFrom,
  runTiming,
  sendsCarriedClosesAsHeld,
  statesPositionIntents
} from "../DailyParams.ts"
import { changedCloses, closesAsHeld, isClose } from "../CarriedCloses.ts"
import { statusOf } from "../MarketSchedule.ts"
import { liveTold, notifyAll } from "../Notify.ts"
import { openOrders } from "../OpenOrderPages.ts"
import { protectHeld } from "../RiskRules.ts"
import { keyRefusedAdvice } from "../RunFailures.ts"
import { RiskApproval, unevaluated } from "./RiskApproval.ts"

const NO_STACK_TRACE = { captureStackTrace: false } as const

const brokerCall = <A>(name: string, args: object, success: Schema.Codec<A, unknown>, live: Effect.Effect<A, BrokerError>) =>
  Recorder.call(name, args, { success, failure: BrokerError }, live)

/**
 * One recorded call per intent: the manager's exactly-once placement (adopts an order already at the broker).
 * Its span (like the account's) takes no stack trace: capturing one (`new Error()`) cost ~40 µs per order, before
 * its request is sent; the span's attributes say which order it is.
 */
const placeIntent = (broker: Broker, intent: OrderIntent) =>
  brokerCall("broker.placeOnce", { account: broker.account, clientOrderId: intent.clientOrderId }, Placement, placeOnce(broker, intent)).pipe(
    Effect.withSpan("order", {
      attributes: { account: broker.account, clientOrderId: intent.clientOrderId, symbol: intent.symbol, side: intent.side, qty: intent.qty, orderClass: intent.orderClass }
    }, NO_STACK_TRACE)
  )

/** What the cancels did: how many were canceled, and the symbols whose order filled before its cancel (why). */
interface Cancels {
  readonly canceled: number
  readonly moved: ReadonlyMap<string, string>
}

/** Whether an order (or one of its legs: an OCO's stop) filled. */
const hasFilled = (order: Order) => order.status === "filled" || order.legs.some((leg) => leg.status === "filled")

/** Why a refused cancel of a bracket's leg (`group`, read back) leaves the position moved: a leg of it filled, or `undefined`. */
const groupMoved = (group: Order, cancel: CancelIntent): string | undefined => {
  const filled = group.legs.filter((leg) => leg.filledQty > 0)
  if (filled.length === 0) return undefined
  return filled.some((leg) => leg.id !== cancel.orderId)
    ? `order ${cancel.orderId} (${cancel.reason}) was canceled by its bracket ${group.id}, whose other leg filled before the cancel`
    : `order ${cancel.orderId} (${cancel.reason}) filled before its cancel`
}

/**
 * A cancel the broker refused as not cancelable: `read` reads that order back (one call, on this path only) — a
 * filled bracket's leg by its group (`cancel.group`): the leg alone reads "canceled" whether this run's earlier
 * attempt canceled it or the group did when the other leg filled. If it (or a leg) filled, the symbol's position
 * is no longer the one the gate planned from.
 */
const refused = (broker: Broker, cancel: CancelIntent, read: boolean) => {
  if (!read) return Effect.succeed(undefined)
  const orderId = cancel.group ?? cancel.orderId
  return Effect.map(
    brokerCall("broker.getOrder", { account: broker.account, orderId }, Order, broker.getOrder(orderId)),
    (order) =>
      cancel.group !== undefined
        ? groupMoved(order, cancel)
        : hasFilled(order)
        ? `order ${cancel.orderId} (${cancel.reason}) filled before its cancel`
        : undefined
  )
}

/**
 * Cancels what the gate found open on today's symbols. An order that is no longer cancelable (a resumed run
 * already canceled it, or it filled meanwhile) is left as it is; with `read` (runs that record it, see
 * `readsRefusedCancels`) it is read back, and one that filled marks its symbol as moved.
 */
const cancelStale = (broker: Broker, cancels: ReadonlyArray<CancelIntent>, read: boolean) =>
  Effect.forEach(
    cancels,
    (cancel) =>
      brokerCall("broker.cancelOrder", { account: broker.account, orderId: cancel.orderId }, Schema.Void, broker.cancelOrder(cancel.orderId)).pipe(
        Effect.as({ canceled: 1, moved: undefined }),
        Effect.catchTag("BrokerError", (error) =>
          error.reason === "NotFound"
            ? Effect.succeed({ canceled: 0, moved: undefined })
            : error.reason === "InvalidRequest"
            ? Effect.map(refused(broker, cancel, read), (moved) => ({ canceled: 0, moved }))
            : Effect.fail(error))
      ),
    { concurrency: "unbounded" }
  ).pipe(Effect.map((done): Cancels => ({
    canceled: done.reduce((n, d) => n + d.canceled, 0),
    moved: new Map(done.flatMap((d, n) => d.moved === undefined ? [] : [[cancels[n]!.symbol, d.moved] as const]))
  })))

/** Why none of a moved symbol's orders are sent. */
const movedFailure = (intent: OrderIntent, why: string): OrderFailure => ({
  clientOrderId: intent.clientOrderId,
  symbol: intent.symbol,
  error: `not sent: ${intent.symbol}'s ${why}, so its position moved after the risk gate read it; nothing of ${intent.symbol} is sent today (a retry re-sends the same plan), the next day's run plans from the new position`
})

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`

/** Places one symbol's intents in order; after a failure the later ones are not sent (no open after a failed close). */
const placeInOrder = (broker: Broker, intents: ReadonlyArray<OrderIntent>) =>
  bySymbol(
    intents,
    (intent) =>
      placeIntent(broker, intent).pipe(
        Effect.mapError((error): OrderFailure => ({
          clientOrderId: intent.clientOrderId,
          symbol: intent.symbol,
          error: error.message,
          ...(error._tag === "BrokerError" ? { reason: error.reason, ...(error.rule === undefined ? {} : { rule: error.rule }) } : {})
        }))
      ),
    (intent, failed): OrderFailure => ({ clientOrderId: intent.clientOrderId, symbol: intent.symbol, error: notSentAfter(failed) })
  )

/** A protective exit of shares already held (the gate's OCO), as opposed to an order that moves the position. */
const protects = (intent: OrderIntent) => intent.orderClass === "oco"

/**
 * Places an account's intents, reported in their order: symbols at once, and within a symbol its protective exits
 * first, on their own, then its other orders (`placeInOrder`). Shares held keep their exit whatever becomes of the
 * day's other orders of the symbol: a partly filled entry the gate cancelled is re-placed for its rest beside the
 * exit of what filled, and a refused rest must not leave the filled shares without one. One symbol's exit does not
 * wait on another symbol's orders (one round trip a symbol, as before exits came first).
 */
const placeAll = (broker: Broker, intents: ReadonlyArray<OrderIntent>) =>
  Effect.gen(function*() {
    const placed = new Map<OrderIntent, Result.Result<Placement, OrderFailure>>()
    yield* Effect.forEach(
      [...new Set(intents.map((intent) => intent.symbol))],
      (symbol) =>
        Effect.gen(function*() {
          const own = intents.filter((intent) => intent.symbol === symbol)
          for (const chain of [own.filter(protects), own.filter((intent) => !protects(intent))]) {
            const outcomes = yield* placeInOrder(broker, chain)
            chain.forEach((intent, n) => placed.set(intent, outcomes[n]!))
          }
        }),
      { concurrency: "unbounded", discard: true }
    )
    return intents.map((intent) => placed.get(intent)!)
  })

/** Built once (not per account and session). */
const CalendarDays = Schema.Array(MarketCalendarDay)

/** The broker's clock and calendar, through the recorder. */
const recordedTimes = (broker: Broker) => ({
  account: broker.account,
  getClock: brokerCall("broker.getClock", { account: broker.account }, MarketClock, broker.getClock),
  getCalendar: (range: { readonly start: string; readonly end: string }) =>
    brokerCall("broker.getCalendar", { account: broker.account, ...range }, CalendarDays, broker.getCalendar(range))
})

/**
 * Under `close`, why nothing may be sent now (the market-on-close cutoff passed, say); `undefined`: send. The
 * clock and the run day's calendar are read together (one round trip before the orders, not two).
 */
const tooLate = (broker: Broker, schedule: RunSchedule, day: TradingDay) =>
  schedule !== "close"
    ? Effect.succeed(undefined)
    : Effect.map(statusOf(recordedTimes(broker), schedule, day), ({ check, now }) =>
      check._tag === "InTime" ? undefined : describeCheck(schedule, check, now))

/** What an account's execution is told besides its plan. */
interface AccountRun {
  readonly config: AccountProfile
  readonly schedule: RunSchedule
  readonly day: TradingDay
  readonly readRefused: boolean
  /** Give a failed account's uncovered positions their exits again (`failedAccounts: protected`). */
  readonly reprotect: boolean
  /** Report the day's earlier such exits found working; count partly filled brackets (`failedAccounts: recognized`). */
  readonly recognize: boolean
  readonly positionIntents: boolean
  /** The run's id, in the exits' reason: a retry of the day (another run) places its own after the carried cancels. */
  readonly runId: string
  /** Where the run's keys were configured (`keysFrom`): a refused key's advice names it. */
  readonly keysFrom: KeysFrom | undefined
  /** The account's plan is carried and its closes are sent for the shares then held (`carriedCloses: held`). */
  readonly closesAsHeld: boolean
}

const noOrders: ReadonlyArray<Order> = []

/** `TLT −116`: a position as the messages name it. */
const positionText = (symbol: string, qty: number) => `${symbol} ${qty < 0 ? `−${-qty}` : qty}`

/**
 * After an account's execution failed once it began sending: its positions and open orders read once more, and
 * each held position the working orders do not close (in whole shares) given an OCO exit at its `BASE` distances
 * from the broker's price — `protectHeld`'s construction, so a client order id of the day, account, run and order:
 * a resumed run finds it working (it covers the position, nothing is added); a retry of the day's failed accounts
 * cancels it first (`exitsPlacedAfterFailure`, carried with the plan it sends again, whose orders it would hold the
 * shares from); the day's later runs' gate adopts or cancels it as any working exit. A cancelled exit whose
 * replacing order failed would otherwise leave the position unprotected until the next session's run. One try, no
 * retries: what the broker refuses (or a read that fails) is said, and the account's result stays as it was.
 *
 * Under `failedAccounts: recognized` the read also finds such exits an earlier attempt of the day placed (`earlierExits`:
 * a run killed after placing them, before Execution's checkpoint, is resumed: its report would not know them, nor
 * a retry carried from it, whose close they refuse) and reports them with the account's result (`earlierExits`), so
 * `exitsPlacedAfterFailure` carries their cancels into the retry as it does the exits placed now. A resumed run never
 * succeeds beside such an exit: it covers the shares no working order covered at the failure, which on a symbol the
 * plan trades are those of the plan's order that did not reach the broker (its close, reduction, or its own exit of
 * the shares that stay); sent again, that order is refused (the exit holds them), so the resumed run fails, names the
 * exit here, and the retry cancels it (`ResumedAfterExit.test`, `KilledAfterExit.test`).
 */
const protectAfterFailure = (broker: Broker, run: AccountRun, intents: ReadonlyArray<OrderIntent>) =>
  Effect.gen(function*() {
    const [account, open] = yield* Effect.all([
      brokerCall("broker.getAccount", { account: broker.account }, AccountSnapshot, broker.getAccount),
      openOrders(broker)
    ], { concurrency: 2 })
    const earlier = run.recognize ? earlierExits(run.day, broker.account, open, intents) : noOrders
    const exits = protectHeld({
      day: run.day,
      config: run.config,
      account,
      open,
      priceOf: (symbol) => account.positions.find((p) => p.symbol === symbol)?.currentPrice,
      rule: "execution-failed",
      detail: "",
      why: `run ${run.runId}'s execution failed`,
      schedule: run.schedule,
      positionIntents: run.positionIntents,
      remainder: true,
      brackets: run.recognize
    }).intents
    const held = (symbol: string) => account.positions.find((p) => p.symbol === symbol)?.qty ?? 0
    const outcomes = yield* Effect.forEach(exits, (intent) => Effect.result(placeIntent(broker, intent)), { concurrency: "unbounded" })
    const placed: Array<Order> = []
    const said = outcomes.map((outcome, n) => {
      const intent = exits[n]!
      const position = positionText(intent.symbol, held(intent.symbol))
      if (Result.isFailure(outcome)) return `${position} has no exit: ${outcome.failure.message}`
      placed.push(outcome.success.order)
      return `${position} given its exit again (${intent.qty} shares, BASE OCO)`
    })
    for (const exit of earlier) {
      said.push(`${positionText(exit.symbol, held(exit.symbol))} has the exit an earlier attempt placed (${exit.clientOrderId}): a retry cancels it before sending the plan again`)
    }
    return { placed, earlier, said }
  }).pipe(
    Effect.catchTag("BrokerError", (error) =>
      Effect.succeed({
        placed: noOrders,
        earlier: noOrders,
        said: [`its positions' exits could not be checked after the failure: ${error.message}; check them before the next session`]
      }))
  )

/**
 * Of an account's open orders, the exits a failure's protection (`protectAfterFailure`) of `day` placed in an earlier
 * attempt that the plan being sent (`intents`) did not make: working OCO orders whose client order id is a
 * protective exit of the day and account (`protectHeld`'s), on a symbol the plan trades — those hold the shares its
 * orders need; an exit of a symbol the plan leaves alone protects it and is left working.
 */
const earlierExits = (day: TradingDay, account: AccountId, open: ReadonlyArray<Order>, intents: ReadonlyArray<OrderIntent>): ReadonlyArray<Order> => {
  const planned = new Set(intents.map((i) => i.clientOrderId))
  const symbols = new Set(intents.map((i) => i.symbol))
  return open.filter((o) =>
    o.orderClass === "oco" && symbols.has(o.symbol) && !planned.has(o.clientOrderId) && o.clientOrderId.startsWith(`${day}-${account}-${o.symbol}-protect-`)
  )
}

/**
 * The exits `protectAfterFailure` placed for `account` in a run whose gate decided `verdict` and whose execution
 * reported `report` — its placed orders that none of the gate's intents made, and (`failedAccounts: recognized`)
 * those an earlier attempt placed that it found working (`earlierExits`) — as cancels: a retry of the day's
 * failed accounts carries them with the plan it sends again (an exit holds the shares its close would need; one
 * that filled meanwhile is read back and the symbol left as it moved, as any refused cancel).
 */
export const exitsPlacedAfterFailure = (verdict: RiskVerdict, report: ExecutionReport, account: AccountId): ReadonlyArray<CancelIntent> => {
  const intended = new Set(verdict.intents.filter((i) => i.account === account).map((i) => i.clientOrderId))
  const result = report.accounts.find((a) => a.account === account)
  return (result === undefined ? noOrders : [...result.orders, ...(result.earlierExits ?? noOrders)])
    .filter((order) => !intended.has(order.clientOrderId))
    .map((order) => ({ account, orderId: order.id, symbol: order.symbol, reason: `exit placed after the failed execution (${order.clientOrderId}): the plan is sent again` }))
}

/** A failed account's result with what `protectAfterFailure` did; under runs from before it (or on success) as it was. */
const protectedAfter = (broker: Broker, run: AccountRun, intents: ReadonlyArray<OrderIntent>, result: AccountExecution) =>
  !run.reprotect || result.status !== "failed"
    ? Effect.succeed(result)
    : Effect.map(protectAfterFailure(broker, run, intents), ({ earlier, placed, said }): AccountExecution =>
      said.length === 0
        ? result
        : {
          ...result,
          orders: [...result.orders, ...placed],
          ...(earlier.length === 0 ? {} : { earlierExits: earlier }),
          message: `${result.message}; ${said.join("; ")}`
        })

/** Built once (not per account and session). */
const Positions = Schema.Array(Position)
const OrderOrNull = Schema.NullOr(Order)

/**
 * A carried plan's intents to send after its cancels (`carriedCloses: held`): each close's quantity the shares held
 * now (`CarriedCloses`: one recorded read of the positions, only when it has a close still to send, and of the order
 * under the id of each close whose quantity that changes); `moved` gains the symbols whose close finds none held.
 */
const heldNow = (broker: Broker, day: TradingDay, intents: ReadonlyArray<OrderIntent>, moved: ReadonlyMap<string, string>) =>
  !intents.some((intent) => !moved.has(intent.symbol) && isClose(day, intent))
    ? Effect.succeed({ sending: intents, moved })
    : Effect.gen(function*() {
      const { account } = broker
      const positions = yield* brokerCall("broker.getPositions", { account }, Positions, broker.getPositions)
      const atBroker = new Map<string, Order>()
      for (const { clientOrderId } of changedCloses(day, intents.filter((intent) => !moved.has(intent.symbol)), positions)) {
        const sent = yield* brokerCall(
          "broker.getOrderByClientId",
          { account, clientOrderId },
          OrderOrNull,
          Effect.map(broker.getOrderByClientId(clientOrderId), Option.getOrNull)
        )
        if (sent !== null) atBroker.set(clientOrderId, sent)
      }
      const held = closesAsHeld(day, intents, positions, atBroker)
      return { sending: held.sending, moved: new Map([...held.moved, ...moved]) }
    })

/** Cancels what the gate found open, then places the intents: the account's result. */
const sendPlan = (broker: Broker, cancels: ReadonlyArray<CancelIntent>, intents: ReadonlyArray<OrderIntent>, run: AccountRun) =>
  Effect.gen(function*() {
    const cancelled = yield* cancelStale(broker, cancels, run.readRefused)
    const { canceled } = cancelled
    const held = run.closesAsHeld ? yield* heldNow(broker, run.day, intents, cancelled.moved) : undefined
    const moved = held?.moved ?? cancelled.moved
    const sending = held?.sending ?? intents
    const sent = yield* placeAll(broker, sending.filter((intent) => !moved.has(intent.symbol)))
    const outcomes = sending.map((intent) => {
      const why = moved.get(intent.symbol)
      return why === undefined ? sent.shift()! : Result.fail(movedFailure(intent, why))
    })
    const failures = outcomes.filter(Result.isFailure).map((r) => r.failure)
    const orders = outcomes.filter(Result.isSuccess).map((r) => r.success)
    const placed = orders.filter((p) => !p.adopted).map((p) => p.order)
    const adopted = orders.filter((p) => p.adopted).map((p) => p.order)
    const done = [
      `${plural(placed.length, "order")} placed`,
      ...(adopted.length > 0 ? [`${adopted.length} already at the broker (earlier run)`] : [])
    ].join(", ")
    const message = failures.length === 0 ? done : `${failures.length} of ${intents.length} orders failed: ${failures[0]?.error}; ${done}`
    return {
      account: broker.account,
      status: failures.length === 0 ? "succeeded" : "failed",
      orders: placed,
      adopted,
      failures,
      canceled,
      equity: null,
      readError: null,
      message
    } satisfies AccountExecution
  }).pipe(Effect.catchTag("BrokerError", (error) => Effect.succeed(brokerFailed(broker.account, error, run.keysFrom))))

/**
 * An account's execution: under `close` nothing once the cutoff passed (the account is left as it was), else its
 * plan sent; if that failed, `protectedAfter` (runs recording `failedAccounts: protected`).
 */
const executeAccount = (
  broker: Broker,
  cancels: ReadonlyArray<CancelIntent>,
  intents: ReadonlyArray<OrderIntent>,
  run: AccountRun
) =>
  Effect.gen(function*() {
    const late = intents.length + cancels.length === 0 ? undefined : yield* tooLate(broker, run.schedule, run.day)
    if (late !== undefined) return accountFailed(broker.account, `${plural(intents.length, "order")} not sent: ${late}`)
    const result = yield* sendPlan(broker, cancels, intents, run)
    return yield* protectedAfter(broker, run, intents, result)
  }).pipe(
    Effect.catchTag("BrokerError", (error) => Effect.succeed(brokerFailed(broker.account, error, run.keysFrom))),
    Effect.withSpan("account", { attributes: { account: broker.account, intents: intents.length, cancels: cancels.length } }, NO_STACK_TRACE)
  )

const accountFailed = (account: AccountId, message: string): AccountExecution => ({
  account,
  status: "failed",
  orders: [],
  adopted: [],
  failures: [],
  canceled: 0,
  equity: null,
  readError: null,
  message
})

/** A broker's answer that it does not know the key pair: `BrokerError` reason `Unauthorized`, status 401 in its message. */
const REFUSED_KEY = /(^|\D)401 /

/** An account's failure from a `BrokerError`, with what to do about a refused key (`keyWasRefused` reads it back). */
const brokerFailed = (account: AccountId, error: BrokerError, keysFrom: KeysFrom | undefined): AccountExecution =>
  accountFailed(account, error.reason === "Unauthorized" ? `${error.message} (${keyRefusedAdvice(account, keysFrom)})` : error.message)

/** What an account whose gate could not read it reports: failed, nothing sent, why, and what to do. */
const notEvaluated = (rejection: Rejection, keysFrom: KeysFrom | undefined) =>
  accountFailed(
    rejection.account,
    `not evaluated, nothing sent: ${rejection.detail} (${REFUSED_KEY.test(rejection.detail) ? keyRefusedAdvice(rejection.account, keysFrom) : "run the day again to retry"})`
  )

const dryRun = (account: AccountId, intents: ReadonlyArray<OrderIntent>): AccountExecution => ({
  ...accountFailed(account, `${plural(intents.length, "order")} not sent (dry run)`),
  status: "dry-run"
})

export const Execution = Stage.make({
  name: "Execution",
  description: "orders fanned out across accounts; what the broker answered recorded (fills reach the ledger by reconciliation)",
  dependsOn: [RiskApproval],
  output: ExecutionReport,
  sideEffects: true,
  timeout: "10 minutes",
  run: ({ RiskApproval: verdict }) =>
    Effect.gen(function*() {
      const { dryRun: dry, runId } = yield* RunContext
      const accounts = yield* runAccounts
      const { schedule } = yield* runTiming
      const manager = yield* AccountManager
      const readRefused = yield* readsRefusedCancels
      const reprotect = yield* protectsFailedAccounts
      const recognize = yield* recognizesEarlierExits
      const positionIntents = yield* statesPositionIntents
      const keysFrom = yield* runKeysFrom
      const carried = (yield* sendsCarriedClosesAsHeld) ? new Set((yield* carriedPlans).map((plan) => plan.account)) : undefined
      const mine = <A extends { readonly account: string }>(all: ReadonlyArray<A>, account: AccountId) =>
        all.filter((x) => x.account === account)
      const skip = (config: AccountProfile): AccountExecution | undefined => {
        const unreadable = unevaluated(verdict).find((r) => r.account === config.id)
        if (unreadable) return notEvaluated(unreadable, keysFrom)
        if (dry || config.settings.dryRun) return dryRun(config.id, mine(verdict.intents, config.id))
        return undefined
      }
      const sending = accounts.filter((config) => skip(config) === undefined)
      const outcomes = yield* manager.forEachAccount(sending.map((a) => a.id), (broker) =>
        executeAccount(broker, mine(verdict.cancels, broker.account), mine(verdict.intents, broker.account), {
          config: sending.find((a) => a.id === broker.account)!,
          schedule,
          day: verdict.asOf,
          readRefused,
          reprotect,
          recognize,
          positionIntents,
          runId,
          keysFrom,
          closesAsHeld: carried?.has(broker.account) === true
        }))
      const sent = yield* Effect.forEach(outcomes, ({ account, result }) =>
        Result.match(result, {
          onSuccess: Effect.succeed,
          onFailure: (error) => error._tag === "BrokerError" ? Effect.succeed(brokerFailed(account, error, keysFrom)) : Effect.fail(error)
        }))
      const results = accounts.map((config) => skip(config) ?? sent.find((r) => r.account === config.id)!)
      // a LIVE account's message starts `LIVE ·` (`liveTold`)
      yield* notifyAll(results.map(executionResult), liveTold(accounts))
      return { asOf: verdict.asOf, dryRun: dry, accounts: results }
    })
})
