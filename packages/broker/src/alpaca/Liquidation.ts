/**
 * The Alpaca adapter's panic writes — close every position (`DELETE /v2/positions`), close one (`DELETE
 * /v2/positions/{symbol}`), cancel every order (`DELETE /v2/orders`) — surviving a connection dropped before the
 * answer (or a timeout, or a 5xx), after which the write may or may not have taken effect.
 *
 * **When to use**: through `AlpacaBroker` (`closeAllPositions`, `closePosition`, `cancelAllOrders`).
 *
 * **What a resend does**: none of these writes carries an id the broker could deduplicate on, so after a failure
 * whose outcome is unknown the account is read first (`GET /v2/orders` since a little before the write), then:
 * - close-all: liquidating orders the lost attempt placed (simple market orders submitted since, not canceled or
 *   rejected; filled already, or still working) are its closes. When there are any, the resend is
 *   `cancel_orders=false`, so it cannot cancel them; Alpaca refuses a second liquidation of a position whose shares
 *   they hold ("insufficient qty available", 403 in the 207), and such a symbol counts as closed by the earlier
 *   order. With none, the resend is the first request again. The answer is every close, the lost attempt's included.
 * - close one: a liquidating order of the symbol submitted since is the close (adopted, not sent again); else the
 *   request is sent again (a position already gone is then `NotFound`, as before).
 * - cancel-all: sent again (what is still open is canceled); the count adds the orders canceled since the write
 *   (status `canceled` or `pending_cancel`, changed since), which the lost answer would have named.
 *
 * **Gotchas**
 * - "Since" is this machine's clock less `SINCE_MARGIN`: with a clock more than that ahead of Alpaca's, a lost
 *   attempt's closes are not found, the resend cancels and replaces them (`cancel_orders=true`): nothing is sold
 *   twice, and what the answer names is what closes. A market order of the user's sent in the same seconds would be
 *   taken for a close.
 * - Only the 500 orders most recently submitted are read: an older order canceled by a lost cancel-all is not counted.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { BrokerError } from "../Broker.ts"
import type * as AlpacaClient from "./AlpacaClient.ts"
import type { retryPolicy } from "./RequestPolicy.ts"
import { errorReason, isRetryableReason, isWireOrder, type WireCancelResult, type WireClosePositionResult, type WireOrder } from "./AlpacaWire.ts"

/** How far before a write "since" reaches: the clocks of this machine and the broker may differ by that much. */
export const SINCE_MARGIN_MS = 5_000

type Policy = ReturnType<typeof retryPolicy>

/** Whether a failed write may have taken effect at the broker: the answer was lost (dropped, timed out) or a 5xx. */
const unknownOutcome = (error: BrokerError) => error.retryable && error.reason !== "RateLimited"

/** An order a liquidation placed: a simple market order (`day`), not refused or canceled. */
const isLiquidating = (order: WireOrder) =>
  (order.order_class === undefined || order.order_class === "" || order.order_class === "simple") &&
  (order.type ?? order.order_type) === "market" &&
  !["canceled", "rejected", "expired", "pending_cancel"].includes(order.status)

/**
 * Runs `attempt(state)` under `policy`, `state` undefined at first; after a failure of unknown outcome, `prepare`
 * reads the account (once per such failure) before the next attempt, which is told what it found. The answer comes
 * with the last `state` (undefined: no answer was lost).
 */
const withResend = <A, S>(
  policy: Policy,
  prepare: Effect.Effect<S, BrokerError>,
  attempt: (state: S | undefined) => Effect.Effect<A, BrokerError>
) =>
  Effect.suspend(() => {
    let state: S | undefined
    let read = false
    const once = Effect.suspend(() =>
      read
        ? Effect.flatMap(prepare, (s) => {
          state = s
          read = false
          return attempt(state)
        })
        : attempt(state)
    ).pipe(Effect.tapError((error) => Effect.sync(() => {
      if (unknownOutcome(error)) read = true
    })))
    return Effect.map(Effect.retry(once, policy), (a) => ({ value: a, state }))
  })

/** The account's orders submitted since `sinceMs` (newest 500, legs nested). */
const ordersSince = (client: AlpacaClient.AlpacaClient, sinceMs: number, symbols?: ReadonlyArray<string>) =>
  client.listOrders({ status: "all", after: new Date(sinceMs).toISOString(), limit: 500, direction: "desc", nested: true, ...(symbols === undefined ? {} : { symbols }) })

/** What a close-all did: the orders closing positions, and the positions it could not close. */
export interface ClosedAll {
  readonly orders: ReadonlyArray<WireOrder>
  readonly failures: ReadonlyArray<{ readonly symbol: string; readonly status: number; readonly message: string }>
  readonly positions: number
}

const splitItems = (items: ReadonlyArray<WireClosePositionResult>) => {
  const orders: Array<WireOrder> = []
  const failures: Array<ClosedAll["failures"][number]> = []
  for (const item of items) {
    const body = item.body
    if (item.status >= 200 && item.status < 300 && body != null && isWireOrder(body)) orders.push(body)
    else failures.push({ symbol: item.symbol, status: item.status, message: body != null && !isWireOrder(body) ? body.message ?? "" : "" })
  }
  return { orders, failures }
}

/** Closes every position of `client`'s account (`cancel_orders=true`), once whatever the connection does. */
export const closeAll = (client: AlpacaClient.AlpacaClient, policy: Policy): Effect.Effect<ClosedAll, BrokerError> =>
  Effect.gen(function*() {
    const since = (yield* Clock.currentTimeMillis) - SINCE_MARGIN_MS
    const earlierCloses = Effect.map(ordersSince(client, since), (orders) => orders.filter(isLiquidating))
    const { state: earlier, value: items } = yield* withResend(policy, earlierCloses, (found) =>
      // a resend must not cancel the closes the lost attempt placed
      client.closeAllPositions({ cancelOrders: found === undefined || found.length === 0 }))
    const answer = splitItems(items)
    if (earlier === undefined || earlier.length === 0) return { ...answer, positions: items.length }
    const closedBySymbol = new Map(answer.orders.map((o) => [o.symbol, o] as const))
    // the newest close of each symbol the resend did not close itself (the list is newest first)
    for (const order of earlier) if (!closedBySymbol.has(order.symbol)) closedBySymbol.set(order.symbol, order)
    const failures = answer.failures.filter((f) => !closedBySymbol.has(f.symbol))
    yield* Effect.logWarning(
      `alpaca ${client.account}: DELETE /v2/positions was sent again after its answer was lost; the lost attempt had closed ${
        earlier.map((o) => o.symbol).join(", ")
      }`
    )
    return { orders: [...closedBySymbol.values()], failures, positions: closedBySymbol.size + failures.length }
  })

const closeText = (order: WireOrder) => [order.side, order.qty, order.symbol].filter((part) => part != null).join(" ")

/** `closeAll`'s orders, or one error naming each position that failed. */
export const closeAllOrFail = (client: AlpacaClient.AlpacaClient, policy: Policy) =>
  Effect.flatMap(closeAll(client, policy), ({ failures, orders, positions }) => {
    const first = failures[0]
    if (first === undefined) return Effect.succeed(orders)
    const reason = errorReason(first.status, first.message)
    return Effect.fail(
      new BrokerError({
        account: client.account,
        reason,
        message: `closed ${orders.length} of ${positions} positions${orders.length === 0 ? "" : ` (${orders.map(closeText).join(", ")})`}; failed: ${
          failures.map((f) => `${f.symbol} (${f.status} ${f.message})`).join(", ")
        }`,
        retryable: isRetryableReason(reason)
      })
    )
  })

/**
 * Closes `symbol`'s position (all of it, or `query`'s part), once: after a lost answer, a liquidating order of the
 * symbol submitted since is the close.
 */
export const closeOne = (client: AlpacaClient.AlpacaClient, policy: Policy, symbol: string, query: AlpacaClient.ClosePositionQuery = {}) =>
  Effect.gen(function*() {
    const since = (yield* Clock.currentTimeMillis) - SINCE_MARGIN_MS
    const earlierClose = Effect.map(ordersSince(client, since, [symbol]), (orders) => orders.find(isLiquidating))
    const { value } = yield* withResend(policy, earlierClose, (found) =>
      found === undefined ? client.closePosition(symbol, query) : Effect.succeed(found))
    return value
  })

/**
 * Cancels every open order, once; the count is of the orders canceled (after a lost answer: the resend's, and
 * those canceled since the first request). The orders not canceled are logged.
 */
export const cancelAll = (client: AlpacaClient.AlpacaClient, policy: Policy): Effect.Effect<number, BrokerError> =>
  Effect.gen(function*() {
    const since = (yield* Clock.currentTimeMillis) - SINCE_MARGIN_MS
    const { state: lost, value: items } = yield* withResend(policy, Effect.succeed(true), () => client.cancelAllOrders)
    const failed = items.filter((item) => item.status < 200 || item.status >= 300)
    const done = new Set(items.filter((item) => item.status >= 200 && item.status < 300).map((item) => item.id))
    if (lost === true) {
      // what the lost answer named: orders whose cancel is since the first request
      const recent = yield* client.listOrders({ status: "all", limit: 500, direction: "desc", nested: false })
      for (const order of recent) {
        const changed = Date.parse(order.canceled_at ?? order.updated_at ?? "")
        if ((order.status === "canceled" || order.status === "pending_cancel") && changed >= since) done.add(order.id)
      }
    }
    const notCanceled = failed.filter((item: WireCancelResult) => !done.has(item.id))
    if (notCanceled.length > 0) {
      yield* Effect.logWarning(
        `alpaca ${client.account}: ${notCanceled.length} order(s) not canceled: ${notCanceled.map((item) => `${item.id} (${item.status} ${item.body?.message ?? ""})`).join(", ")}`
      )
    }
    return done.size
  })
