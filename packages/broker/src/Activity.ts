/**
 * What reconciliation reads of one account, asked in one call (`Broker.readActivity`): the orders submitted since a
 * moment (page by page), the open orders, the fills since a moment, the account, and the orders it last knew open
 * that neither listing holds.
 *
 * **When to use**: `read(broker, query)` — it asks the broker's own `readActivity` when it has one (the local
 * exchange answers from one read of its state), else makes the same calls one by one (`composed`: what the Alpaca
 * adapter sends, request for request). A broker puts its reader on with `reader(itself, read)`.
 *
 * **Gotchas**
 * - Every part answers for itself (`Result`): a failed part does not stop the others, so a caller that records the
 *   parts as the calls they stand for (`Reconcile`) records the same outcomes either way. A failure of the whole
 *   call (`Effect` failure) is every part's.
 * - The pages follow `pagesOf`: the next page is asked after the latest submission of the last, until a page is
 *   short, makes no progress, fails, or `maxPages` were read. An implementation must page exactly so.
 * - A reader stands for the broker's `listOrders`, `listFills`, `getAccount` and `getOrder` as they were when it was
 *   made: a copy of the broker with one of them replaced (`{ ...broker, listFills }`) is read call by call, through
 *   the replacement. A decorator that replaces them and can answer in one call puts a reader of its own on.
 * - `lookedUp` is read only when the four listings all succeeded, for the ids of `known` absent from the orders
 *   since and the open orders, in `known`'s order.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { AccountSnapshot, Fill, Order } from "@council/domain"
import type { Broker, BrokerError, OrderQuery } from "./Broker.ts"

export interface ActivityQuery {
  /** Orders submitted after it (exclusive, RFC 3339); absent: from the first. */
  readonly ordersAfter?: string | undefined
  /** Fills after it (exclusive, RFC 3339); absent: every fill. */
  readonly fillsAfter?: string | undefined
  /** Ids of orders the caller knew open: those not among the listings are looked up one by one. */
  readonly known: ReadonlyArray<string>
  /** Orders a page (the open orders too: one page of it). */
  readonly pageSize: number
  readonly maxPages: number
}

/** One page of the orders since: the orders submitted after `after` (exclusive), or why they could not be read. */
export interface Page<E = BrokerError> {
  readonly after: string | undefined
  readonly orders: Result.Result<ReadonlyArray<Order>, E>
}

export interface Activity {
  /** `listOrders` of every status, oldest first, page by page (`pagesOf`); the last one may be a failure. */
  readonly pages: ReadonlyArray<Page>
  /** `listOrders` of the open orders, one page of `pageSize`. */
  readonly open: Result.Result<ReadonlyArray<Order>, BrokerError>
  /** `listFills` after `fillsAfter`. */
  readonly fills: Result.Result<ReadonlyArray<Fill>, BrokerError>
  /** `getAccount`. */
  readonly account: Result.Result<AccountSnapshot, BrokerError>
  /** `getOrder` of each id of `known` that no listing held (read only when the four above succeeded). */
  readonly lookedUp: ReadonlyArray<{ readonly id: string; readonly order: Result.Result<Order, BrokerError> }>
}

/** The query of page `after` of the orders since (every status, oldest first). */
export const pageQuery = (pageSize: number, after: string | undefined): OrderQuery => ({
  status: "all",
  direction: "asc",
  limit: pageSize,
  ...(after === undefined ? {} : { after })
})

/** The query of the open orders. */
export const openQuery = (pageSize: number): OrderQuery => ({ status: "open", limit: pageSize })

/**
 * Every page of the orders submitted after `after`: `page(n, from)` reads the `n`th (from 0) after `from`; the next
 * is read after the latest submission of the last, until a page is short of `pageSize`, makes no progress or fails.
 */
export const pagesOf = <E, R>(
  pageSize: number,
  maxPages: number,
  after: string | undefined,
  page: (n: number, from: string | undefined) => Effect.Effect<ReadonlyArray<Order>, E, R>
): Effect.Effect<Array<Page<E>>, never, R> =>
  Effect.gen(function*() {
    const pages: Array<Page<E>> = []
    let from = after
    for (let n = 0; n < maxPages; n++) {
      const result = yield* Effect.result(page(n, from))
      pages.push({ after: from, orders: result })
      if (Result.isFailure(result)) return pages
      const orders = result.success
      const last = orders.reduce<string | undefined>((m, o) => (m === undefined || o.submittedAt > m ? o.submittedAt : m), undefined)
      if (orders.length < pageSize || last === undefined || last === from) return pages
      from = last
    }
    return pages
  })

/** The ids of `known` that none of the listed orders is (by id: a leg of a listed order is not listed). */
export const missing = (known: ReadonlyArray<string>, listed: ReadonlyArray<ReadonlyArray<Order>>): ReadonlyArray<string> => {
  const seen = new Set<string>()
  for (const orders of listed) for (const order of orders) seen.add(order.id)
  return known.filter((id) => !seen.has(id))
}

/** The listings of `activity` when all four succeeded. */
export const listings = (activity: Pick<Activity, "pages" | "open" | "fills" | "account">): ReadonlyArray<ReadonlyArray<Order>> | undefined => {
  const { account, fills, open, pages } = activity
  if (!Result.isSuccess(open) || !Result.isSuccess(fills) || !Result.isSuccess(account)) return undefined
  const listed: Array<ReadonlyArray<Order>> = []
  for (const { orders } of pages) {
    if (Result.isFailure(orders)) return undefined
    listed.push(orders.success)
  }
  listed.push(open.success)
  return listed
}

/**
 * The activity read with `broker`'s calls one by one: the pages, the open orders, the fills and the account
 * concurrently (as reconciliation always asked them), then the lookups concurrently.
 */
export const composed = (broker: Broker, query: ActivityQuery): Effect.Effect<Activity> =>
  Effect.gen(function*() {
    const [pages, open, fills, account] = yield* Effect.all([
      pagesOf(query.pageSize, query.maxPages, query.ordersAfter, (_, from) => broker.listOrders(pageQuery(query.pageSize, from))),
      Effect.result(broker.listOrders(openQuery(query.pageSize))),
      Effect.result(broker.listFills(query.fillsAfter === undefined ? {} : { after: query.fillsAfter })),
      Effect.result(broker.getAccount)
    ], { concurrency: "unbounded" })
    const listed = listings({ pages, open, fills, account })
    const lookedUp = listed === undefined ? [] : yield* Effect.forEach(
      missing(query.known, listed),
      (id) => Effect.map(Effect.result(broker.getOrder(id)), (order) => ({ id, order })),
      { concurrency: "unbounded" }
    )
    return { pages, open, fills, account, lookedUp }
  })

/** The calls an activity stands for. */
export type Answered = Pick<Broker, "listOrders" | "listFills" | "getAccount" | "getOrder">

/**
 * A broker's own activity read (`Broker.readActivity`): `read`, standing for the calls of `answers`. A copy of the
 * broker that replaces one of them (a decorator, a test's faulty broker) and not the reader is read call by call.
 */
export interface Reader {
  readonly read: (query: ActivityQuery) => Effect.Effect<Activity, BrokerError>
  readonly answers: Answered
}

/** `read` as the reader of `broker`'s calls (the broker it is put on). */
export const reader = (broker: Answered, read: Reader["read"]): Reader => ({
  read,
  answers: { listOrders: broker.listOrders, listFills: broker.listFills, getAccount: broker.getAccount, getOrder: broker.getOrder }
})

/** Whether `broker`'s reader stands for the calls `broker` has (they were not replaced since it was made). */
const speaksFor = ({ answers }: Reader, broker: Broker) =>
  answers.listOrders === broker.listOrders && answers.listFills === broker.listFills && answers.getAccount === broker.getAccount &&
  answers.getOrder === broker.getOrder

/** `broker`'s activity: its own reader when it stands for the broker's calls, else the calls one by one (`composed`). */
export const read = (broker: Broker, query: ActivityQuery): Effect.Effect<Activity, BrokerError> =>
  broker.readActivity !== undefined && speaksFor(broker.readActivity, broker) ? broker.readActivity.read(query) : composed(broker, query)
