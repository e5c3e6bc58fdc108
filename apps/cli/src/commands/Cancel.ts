/**
 * `cancel`: one open order of one account, by its id or its client order id (the seed manager's `cancel_order`),
 * through the configured brokers, so through the safety broker; a dry-run account refuses it before any request.
 * A cancel of one order of a bracket, OCO or OTO cancels the whole group at the broker (Alpaca's rule): it names every
 * order canceled, each as the broker reports it after the cancel.
 *
 * **Gotcha**: the listing that names a leg's group (every status) skips an order whose status is new to Council, and
 * its group with it. When the group was not read whole, the symbol's open orders are read after the cancel (that
 * listing fails on an order Council cannot read): one still working is said on one line, exit 1, beside what was
 * canceled — never a group reported canceled while an order of it may still work. Alpaca's orders name no parent,
 * so such an order cannot be read on its own. That listing reads every page (more than 500 open orders of the
 * symbol), and one it cannot read to the end is said the same way.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { type AccountId, OPEN_STATUSES, Order, type Ticker } from "@council/domain"
import { type Broker, BrokerError, OrderPages } from "@council/broker"
import { CliFailure } from "../CliFailure.ts"
import { describePlaced, onAccount, writable } from "./Manual.ts"

const usage = (message: string) => Effect.fail(CliFailure.usage(message))

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * An order by its broker id (a UUID, as Alpaca's: another id is a 422 there), else by its client order id (one a
 * client chose may look like a UUID too: an id the broker does not know is looked up as that).
 */
const findOrder = (broker: Broker, id: string) =>
  UUID.test(id)
    ? broker.getOrder(id).pipe(
      Effect.map(Option.some),
      Effect.catchTag("BrokerError", (e) => (e.reason === "NotFound" ? broker.getOrderByClientId(id) : Effect.fail(e)))
    )
    : broker.getOrderByClientId(id)

/**
 * The orders a cancel of `o` takes with it: the rest of its bracket, OCO or OTO group (Alpaca cancels the whole
 * group, whichever of its orders is named), those open before the cancel. An entry read by its id carries its legs;
 * a leg's entry (Alpaca's order has no parent id) is found in the symbol's orders submitted up to the leg, newest
 * first (legs nested under their entry), read page after page until it is: a group is named whatever number of the
 * symbol's orders came after it, or between its entry and a leg submitted later (a replaced stop).
 * `whole` is false when the group was not found (the listing failed, or skipped it: an order of it Council cannot read).
 */
const groupOf = (broker: Broker, o: Order) => {
  const holdsO = (p: Order) => p.id === o.id || p.legs.some((l) => l.id === o.id)
  const membersOf = (orders: ReadonlyArray<Order>) => {
    const parent = o.legs.length > 0 ? o : orders.find(holdsO)
    const members: ReadonlyArray<Order> = parent === undefined ? [] : [parent, ...parent.legs.map((l) => ({ ...l, legs: [] }))]
    // `whole`: the group as read holds every order of it (a skipped one takes its whole group out of the listing)
    return { orderClass: parent?.orderClass ?? o.orderClass, others: members.filter((m) => m.id !== o.id && OPEN_STATUSES.has(m.status)), whole: parent !== undefined }
  }
  // `unlisted`: why the symbol's orders could not be listed, if they could not
  const group = (orders: ReadonlyArray<Order>, unlisted: string | null) => ({ ...membersOf(orders), unlisted })
  if (o.legs.length > 0) return Effect.succeed(group([], null))
  // `until` is exclusive: a millisecond past the leg's submission keeps the entry (submitted with it, or before)
  const submitted = Date.parse(o.submittedAt)
  const until = Number.isNaN(submitted) ? {} : { until: new Date(submitted + 1).toISOString() }
  // page after page (more than 500 of the symbol's orders may lie between a leg and its entry) until the entry is
  // read; the listing only names the group: when it fails, the cancel still goes out (naming `o` alone)
  return OrderPages.listUntil(broker, { status: "all", symbols: [o.symbol], ...until }, `${o.symbol}'s orders up to ${o.id}`, holdsO).pipe(
    Effect.map((orders) => group(orders, null)),
    Effect.catch((e: BrokerError) => Effect.succeed(group([], e.message)))
  )
}

/**
 * After the cancel of an order whose group was not read whole: the symbol's open orders, every page of them
 * (`OrderPages.listEvery`: more than one listing holds), which fail on an order Council cannot read (the adapter's
 * open listing fails closed): `null` when they all read (no such order still works), else why not — a listing that
 * cannot be read to its end among them.
 */
const unreadOpen = (broker: Broker, symbol: Ticker): Effect.Effect<string | null> =>
  OrderPages.listEvery(broker, { status: "open", symbols: [symbol] }, `${symbol}'s open orders`).pipe(
    Effect.as(null),
    Effect.catch((e: BrokerError) => Effect.succeed(e.message))
  )

/** An order as the broker reports it after the cancel; when that read fails, as read before it, saying why. */
interface AfterCancel {
  readonly order: Order
  readonly unread: string | null
}

const readAfter = (broker: Broker, before: Order): Effect.Effect<AfterCancel> =>
  broker.getOrder(before.id).pipe(
    Effect.map((order): AfterCancel => ({ order, unread: null })),
    Effect.catch((e: BrokerError) => Effect.succeed({ order: before, unread: e.message }))
  )

const orderLine = ({ order: o, unread }: AfterCancel) =>
  `  ${describePlaced(o)} · order ${o.id} · client order id ${o.clientOrderId} · ${unread === null ? o.status : `${o.status} before the cancel (reading it after the cancel failed: ${unread})`}`

/**
 * `cancel`: one open order of one account, by its id or client order id. What it prints is each canceled order as
 * the broker reports it after the cancel (Alpaca's may still say `pending_cancel`), the rest of its group included;
 * an order that cannot be read after the cancel is shown as read before it, saying so (`--json`: in `unconfirmed`).
 */
export const cancelOne = (account: AccountId, id: string, json: boolean) =>
  Effect.gen(function*() {
    const trimmed = id.trim()
    if (trimmed === "") return yield* usage("order id: expected an order id or a client order id, as listed by: pnpm pipeline orders")
    yield* writable(account, `cancel ${trimmed}`)
    const { after, group, unlisted, others, maybeWorking } = yield* onAccount(account, (b) =>
      Effect.gen(function*() {
        const found = yield* findOrder(b, trimmed)
        if (Option.isNone(found)) {
          return yield* new BrokerError({ account, reason: "NotFound", message: `no order ${trimmed} (neither an order id nor a client order id of this account)`, retryable: false })
        }
        const o = found.value
        if (!OPEN_STATUSES.has(o.status)) {
          return yield* new BrokerError({ account, reason: "InvalidRequest", message: `order ${o.id} (${describePlaced(o)}) is ${o.status}: nothing to cancel`, retryable: false })
        }
        const group = yield* groupOf(b, o)
        yield* b.cancelOrder(o.id)
        const after = yield* readAfter(b, o)
        const others = yield* Effect.forEach(group.others, (other) => readAfter(b, other))
        const maybeWorking = group.whole ? null : yield* unreadOpen(b, o.symbol)
        return { after, group: group.orderClass, unlisted: group.unlisted, others, maybeWorking }
      }))
    if (json) {
      const encode = (a: AfterCancel) => Schema.encodeSync(Order)(a.order)
      const unconfirmed = [after, ...others].filter((a) => a.unread !== null).map((a) => ({ id: a.order.id, error: a.unread }))
      const groupUnlisted = unlisted === null ? {} : { groupUnlisted: unlisted }
      const working = maybeWorking === null ? {} : { maybeWorking }
      yield* Console.log(JSON.stringify({ account, canceled: encode(after), alsoCanceled: others.map(encode), unconfirmed, ...groupUnlisted, ...working }, null, 2))
      return yield* stillWorking(account, after.order, maybeWorking)
    }
    const rest = unlisted !== null
      ? ` (its group, if any, could not be listed: ${unlisted}; a bracket's or OCO's other orders are canceled with it)`
      : others.length === 0 ? "" : `, with the rest of its ${group === "simple" ? "group" : group} (${others.length} more order${others.length === 1 ? "" : "s"})`
    const o = after.order
    yield* Console.log([`cancel accepted: ${account} ${describePlaced(o)} ${o.timeInForce}${rest}`, ...[after, ...others].map(orderLine)].join("\n"))
    yield* stillWorking(account, o, maybeWorking)
  })

/** One line, exit 1, when an order of the group may still work: the symbol's open orders did not read after the cancel. */
const stillWorking = (account: AccountId, o: Order, maybeWorking: string | null) =>
  maybeWorking === null ? Effect.void : Effect.fail(CliFailure.failed(
    `${account}: cancel of ${describePlaced(o)} (order ${o.id}) accepted, but an order of its group may still be working: ${o.symbol}'s open orders do not read after it (${maybeWorking}); check them at the broker`
  ))
