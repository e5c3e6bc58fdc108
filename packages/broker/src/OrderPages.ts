/**
 * Every order a query selects, page after page: `Broker.listOrders` answers at most `PAGE` orders at once (Alpaca's
 * `limit` maximum), so a check that must see them all (no order of a group still working after a cancel) reads on
 * until a page comes back short.
 *
 * **When to use**: `listEvery` where one listing full to the brim would be taken for all there is; `listUntil` where
 * the pages are read for one order (a leg's entry: newest first from the leg on) and may stop once it is read; a
 * single `listOrders` call where the newest `PAGE` are enough (a display, the latest of a symbol).
 *
 * **Gotchas**
 * - Pages go newest first (`direction: desc`, Alpaca's default: the first page is what one listing answers), each
 *   `until` the oldest submission read, plus a millisecond: `until` is exclusive and a broker's times may be finer
 *   than a millisecond, so orders submitted in the same millisecond as a page's last are read again, and kept once
 *   (by id).
 * - It fails (`BrokerError`, not retryable) rather than answer part of the orders: when a whole page was submitted
 *   within that millisecond (no page can get past it), or after `maxPages` pages.
 * - `listOnFrom` reads on from a first page already read (one plain listing, as a recorded call always made it):
 *   nothing more is asked when that page was not full.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { Order } from "@council/domain"
import { type Broker, BrokerError, type OrderQuery } from "./Broker.ts"

/** The most orders one `listOrders` call answers (Alpaca's `limit` maximum). */
export const PAGE = 500

/** The most pages `listEvery` reads by default: 10,000 orders. */
export const MAX_PAGES = 20

const incomplete = (account: string, message: string) =>
  new BrokerError({ account, reason: "Unavailable", message, retryable: false })

/** The earlier of two `until` bounds (RFC 3339 or `YYYY-MM-DD`), by the time they stand for. */
const earlier = (a: string | undefined, b: string): string => (a === undefined || Date.parse(b) < Date.parse(a) ? b : a)

/**
 * Every order `query` selects (its `limit` and `direction` aside), newest first, read `PAGE` at a time; fails rather
 * than answer some of them (see the module's notes). `what` names them in that failure (`SPY's open orders`).
 */
export const listEvery = (broker: Broker, query: OrderQuery, what: string, maxPages = MAX_PAGES) =>
  listUntil(broker, query, what, never, maxPages)

const never = (_: Order) => false

/**
 * The orders `query` selects, newest first, page after page as `listEvery` reads them, up to the page that holds an
 * order `found` holds for (that page whole): every order of the query when none is found. Fails as `listEvery` does
 * when it cannot read on to that page or to the end.
 */
export const listUntil = (broker: Broker, query: OrderQuery, what: string, found: (order: Order) => boolean, maxPages = MAX_PAGES) =>
  pagesFrom(broker.account, broker.listOrders, query, what, found, maxPages, undefined)

/** One `listOrders` request: how `listOnFrom` reads a page (through a recorder, say). */
export type ListPage<E, R> = (query: OrderQuery) => Effect.Effect<ReadonlyArray<Order>, E, R>

/**
 * Every order `query` selects when its first page is already read: `first`, what one `listOrders` of `query`
 * (`limit` `PAGE`, the broker's default direction: newest first) answered. Only a full first page is read on from,
 * each further page by `list` (`limit` `PAGE`, `direction: desc`, `until` the oldest read): a caller whose first
 * request must stay as it always was (a recorded call) reads on only when there may be more. Fails as `listEvery`.
 */
export const listOnFrom = <E, R>(account: string, list: ListPage<E, R>, query: OrderQuery, first: ReadonlyArray<Order>, what: string, maxPages = MAX_PAGES) =>
  pagesFrom(account, list, query, what, never, maxPages, first)

const pagesFrom = <E, R>(
  account: string,
  list: ListPage<E, R>,
  query: OrderQuery,
  what: string,
  found: (order: Order) => boolean,
  maxPages: number,
  first: ReadonlyArray<Order> | undefined
) =>
  Effect.gen(function*() {
    const seen = new Set<string>()
    const orders: Array<Order> = []
    let until = query.until
    for (let page = 0; page < maxPages; page++) {
      const listed = page === 0 && first !== undefined
        ? first
        : yield* list({ ...query, limit: PAGE, direction: "desc", ...(until === undefined ? {} : { until }) })
      const fresh = listed.filter((o) => !seen.has(o.id))
      for (const o of fresh) (seen.add(o.id), orders.push(o))
      if (listed.length < PAGE || fresh.some(found)) return orders as ReadonlyArray<Order>
      const oldest = Math.min(...listed.map((o) => Date.parse(o.submittedAt)))
      if (fresh.length === 0 || !Number.isFinite(oldest)) {
        return yield* incomplete(account, `${what} could not be read to the end: ${PAGE} of them were submitted in the same millisecond (or without a time), past which no page can go`)
      }
      until = earlier(query.until, new Date(oldest + 1).toISOString())
    }
    return yield* incomplete(account, `${what} could not be read to the end: more than ${maxPages * PAGE} of them`)
  })
