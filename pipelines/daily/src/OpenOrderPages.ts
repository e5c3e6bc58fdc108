/**
 * An account's open orders as the daily stages read them (the risk gate, Execution's read after a failure,
 * Reconcile): every one, through the recorder, not only the newest `OrderPages.PAGE` one listing answers.
 *
 * **When to use**: wherever a stage judges an account by its open orders (what covers a position, what to cancel):
 * an account holding more than one listing answers would be judged on part of them.
 *
 * **Gotchas**
 * - The first request is the one these stages always made and recorded (`broker.listOrders` `{ account, status:
 *   "open" }`, `limit` 500, the broker's default order: newest first): a run recorded before replays it as it was.
 *   Only when it came back full are further pages read (`OrderPages.listOnFrom`), each its own recorded call
 *   (`{ account, status: "open", until }`).
 * - It fails (`BrokerError`) rather than answer part of the orders (a page that cannot be read, or no page past a
 *   millisecond holding 500 of them): the caller fails closed, as when the first read fails.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Order } from "@council/domain"
import { Recorder } from "@council/engine"
import { type Broker, BrokerError, OrderPages } from "@council/broker"

/** Built once (not per account and read). */
const Orders = Schema.Array(Order)

const schemas = { success: Orders, failure: BrokerError }

/** Every open order of `broker`'s account, newest first (see the module's notes). */
export const openOrders = (broker: Broker) =>
  Effect.flatMap(
    Recorder.call("broker.listOrders", { account: broker.account, status: "open" }, schemas, broker.listOrders({ status: "open", limit: OrderPages.PAGE })),
    (first) =>
      first.length < OrderPages.PAGE
        ? Effect.succeed(first)
        : OrderPages.listOnFrom(
          broker.account,
          (query) => Recorder.call("broker.listOrders", { account: broker.account, status: "open", until: query.until ?? null }, schemas, broker.listOrders(query)),
          { status: "open" },
          first,
          `${broker.account}'s open orders`
        )
  )
