/**
 * The safety broker: the last check before an order reaches any broker. It wraps one account's broker and refuses
 * an order that breaks the account's rules (`AccountLimits.check` over the account's book), even when the caller
 * never went through the risk gate (a manual `order`, a retry carrying yesterday's plan under tightened settings,
 * a future caller).
 *
 * **When to use**: never directly in application code — `RoutedBrokers` decorates every broker it hands out (the
 * one router), so every configured account is checked. `isSafe` says whether a broker went through `decorate`.
 *
 * **Behaviour**
 * - A refusal fails `placeOrder` with `BrokerError` reason `SafetyRefused`, its `rule` and a one-line message with
 *   the numbers, before any request for the order; the stages record it like any broker error.
 * - A dry-run account (`settings.dryRun`; LIVE accounts unless `"dryRun": false`) is read-only: every write
 *   (orders, cancels, closes) is refused with rule `dry-run` before any request.
 * - The book is the account and its open orders as last read — through this broker (the risk gate's reads seed
 *   it, so a run's orders cost no extra request) or by the first order — kept up to date with each order taken.
 *   It holds every open order: a listing seen full (Alpaca's 500) is not taken for all of them, the book reads
 *   every page (`OrderPages.listEvery`), and an order is not placed when they cannot all be read. A
 *   cancel the broker accepted takes the order out of the book (one round trip: the broker's 204 is the answer, as
 *   the risk gate, which sized the run's orders without the orders it cancels, assumed); a cancel of an order the
 *   book never saw, a failed cancel (the order may have filled), a cancel-all or a close makes it read again.
 *   Checks are serialised per account (the placements themselves are not), so concurrent orders never both pass
 *   on the same headroom.
 * - Exactly-once survives: an order refused here whose client order id the broker already holds is passed on, so
 *   the broker answers "duplicate" and the caller adopts the order it placed earlier.
 *
 * **Gotchas**: prices come from `ReferencePrices` (the run's market data), else the broker's marks; a market order
 * that adds risk on a symbol with neither is refused (`no-price`).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Semaphore from "effect/Semaphore"
import type { AccountConfig, AccountSnapshot, Order, OrderIntent } from "@council/domain"
import * as AccountLimits from "./AccountLimits.ts"
import { type Broker, BrokerError, type OrderQuery } from "./Broker.ts"
import * as OrderPages from "./OrderPages.ts"

/** Reference prices of symbols, for valuing orders: in a run, the market data as of the run's session. */
export class ReferencePrices extends Context.Service<ReferencePrices, {
  /** The price of each of `symbols` that has one; the others are absent. */
  readonly of: (symbols: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, number>>
}>()("@council/broker/ReferencePrices") {
  /** No reference prices: orders are valued at the broker's marks (and limit prices). */
  static readonly layerNone: Layer.Layer<ReferencePrices> = Layer.succeed(ReferencePrices, { of: () => Effect.succeed(new Map()) })

  /** Fixed prices, for tests. */
  static readonly layerFixed = (prices: Readonly<Record<string, number>>): Layer.Layer<ReferencePrices> =>
    Layer.succeed(ReferencePrices, {
      of: (symbols) => Effect.succeed(new Map(symbols.flatMap((s) => (prices[s] === undefined ? [] : [[s, prices[s]] as const]))))
    })
}

declare const safeBrand: unique symbol

/** A broker that went through `decorate`. */
export type SafeBroker<B extends Broker = Broker> = B & { readonly [safeBrand]: true }

const decorated = new WeakSet<object>()

/** Whether `broker` is the very object `decorate` returned. */
export const isSafe = (broker: Broker): broker is SafeBroker => decorated.has(broker)

/** A listing of the account's open orders (legs nested), as many as one listing answers: what seeds a book. */
const isEveryOpenOrder = (query: OrderQuery) =>
  query.status === "open" && query.limit === OrderPages.PAGE && query.after === undefined && query.until === undefined &&
  (query.symbols === undefined || query.symbols.length === 0)

/** What is seen after a listing of every open order: it, unless full (then no listing: the book reads every page). */
const keepListing = (open: ReadonlyArray<Order>, seen: Seen): Seen =>
  open.length < OrderPages.PAGE ? { ...seen, open } : seen.account === undefined ? {} : { account: seen.account }

/** The refusal `placeOrder` fails with. */
export const refusal = (account: string, rule: string, message: string): BrokerError =>
  new BrokerError({ account, reason: "SafetyRefused", message: `refused by the safety broker: ${message} (${rule})`, retryable: false, rule })

/** What a book is built from: one read of the account and its open orders. */
interface BookBase {
  readonly account: AccountSnapshot
  readonly open: ReadonlyArray<Order>
}

/** An order taken into the book since its read, with the prices it was valued at. */
interface Taken {
  readonly intent: OrderIntent
  readonly priceOf: AccountLimits.PriceOf
}

/** What reads through the safety broker saw since the last write: the makings of a book without another request. */
interface Seen {
  readonly account?: AccountSnapshot
  readonly open?: ReadonlyArray<Order>
}

/**
 * `open` without the canceled order `orderId`, or the order one of whose legs it is (canceling one member of a
 * group cancels the group); `undefined` when `open` holds neither.
 */
const withoutCanceled = (open: ReadonlyArray<Order>, orderId: string): ReadonlyArray<Order> | undefined => {
  const named = (o: Order) => o.id === orderId || o.legs.some((leg) => leg.id === orderId)
  return open.some(named) ? open.filter((o) => !named(o)) : undefined
}

/** What was seen without the canceled order; nothing when what was seen did not hold it (read again). */
const seenAfterCancel = (seen: Seen, orderId: string): Seen => {
  const open = seen.open === undefined ? undefined : withoutCanceled(seen.open, orderId)
  return open === undefined ? {} : { ...seen, open }
}

/**
 * The book rebuilt from `base` without the canceled order, with the orders `taken` since applied again;
 * `undefined` when `base` did not hold the order (read again).
 */
const bookAfterCancel = (
  base: BookBase,
  taken: ReadonlyArray<Taken>,
  reference: AccountLimits.PriceOf,
  orderId: string
): { readonly base: BookBase; readonly book: AccountLimits.Book } | undefined => {
  const open = withoutCanceled(base.open, orderId)
  if (open === undefined) return undefined
  const before = AccountLimits.bookOf(base.account, base.open, reference)
  const after = AccountLimits.bookOf(base.account, open, reference)
  // the buying power the broker reported held the canceled order's cost: it is free again
  const freed: AccountLimits.Book = { ...after, committedSinceRead: after.committed - before.committed }
  return { base: { account: base.account, open }, book: taken.reduce((b, t) => AccountLimits.apply(b, t.intent, t.priceOf), freed) }
}

/**
 * What the safety broker of one account keeps: the book it checks orders against (built from one read of the
 * account and its open orders, then kept current by the orders it lets through and the cancels the broker
 * accepted), and what reads saw before a book exists (`seeing`). Every change holds `lock`.
 */
const bookkeeping = (settings: AccountConfig["settings"], inner: Broker, prices: ReferencePrices["Service"]) => {
  const lock = Semaphore.makeUnsafe(1)
  let book: AccountLimits.Book | undefined
  /** What `book` was built from, and the orders taken into it since (in order). */
  let base: BookBase | undefined
  let taken: Array<Taken> = []
  let seen: Seen = {}
  const known = new Map<string, number>()

  /** The reference prices of `symbols`, fetched once each. */
  const priceOf = (symbols: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const missing = symbols.filter((s) => !known.has(s))
      if (missing.length > 0) for (const [s, p] of yield* prices.of(missing)) known.set(s, p)
      return (symbol: string) => known.get(symbol)
    })

  const currentBook = Effect.gen(function*() {
    if (book !== undefined) return book
    const [snapshot, open] = seen.account !== undefined && seen.open !== undefined
      ? [seen.account, seen.open]
      : yield* Effect.all([inner.getAccount, OrderPages.listEvery(inner, { status: "open" }, "the account's open orders")], { concurrency: 2 })
    const reference = yield* priceOf([...snapshot.positions.map((p) => p.symbol), ...open.map((o) => o.symbol)])
    book = AccountLimits.bookOf(snapshot, open, reference)
    base = { account: snapshot, open }
    taken = []
    return book
  })

  const forget = () => {
    book = undefined
    base = undefined
    taken = []
    seen = {}
  }

  /** After the broker accepted a cancel: the book (or what was seen for one) without the order, else read again. */
  const canceled = (orderId: string) =>
    lock.withPermits(1)(Effect.sync(() => {
      if (book === undefined) {
        seen = seenAfterCancel(seen, orderId)
        return
      }
      const after = base === undefined ? undefined : bookAfterCancel(base, taken, (symbol) => known.get(symbol), orderId)
      if (after === undefined) return forget()
      base = after.base
      book = after.book
    }))

  /** Checks `intent` and, when it passes, reserves it in the book; returns the violation otherwise. */
  const reserve = (intent: OrderIntent) =>
    lock.withPermits(1)(Effect.gen(function*() {
      const current = yield* currentBook
      const reference = yield* priceOf([...current.holdings.keys(), intent.symbol])
      const priceOf_ = AccountLimits.priceIn(current, reference)
      const violation = AccountLimits.check(settings, current, intent, priceOf_)
      if (violation === undefined) {
        book = AccountLimits.apply(current, intent, priceOf_)
        taken.push({ intent, priceOf: priceOf_ })
      }
      return { violation, priceOf: priceOf_ }
    }))

  const release = (intent: OrderIntent, priceOf_: AccountLimits.PriceOf) =>
    lock.withPermits(1)(Effect.sync(() => {
      if (book !== undefined) book = AccountLimits.unapply(book, intent, priceOf_)
      taken = taken.filter((t) => t.intent !== intent)
    }))

  /** A read passed through; before any book exists, what it saw is kept for one (`keep`: what is seen after it). */
  const seeing = <A>(read: Effect.Effect<A, BrokerError>, keep: (a: A, seen: Seen) => Seen) =>
    lock.withPermits(1)(Effect.sync(() => book === undefined)).pipe(
      Effect.flatMap((noBook) => (noBook ? Effect.tap(read, (a) => Effect.sync(() => (seen = keep(a, seen)))) : read))
    )

  return { reserve, release, canceled, seeing, forget: lock.withPermits(1)(Effect.sync(forget)) }
}

/**
 * `inner` with every write checked against `account`'s settings; reads pass through untouched (so an adapter's extra
 * reads, such as Alpaca's clock, stay available).
 */
export const decorate = <B extends Broker>(account: AccountConfig, inner: B, prices: ReferencePrices["Service"]): SafeBroker<B> => {
  const settings = account.settings
  const { canceled, forget, release, reserve, seeing } = bookkeeping(settings, inner, prices)

  const readOnly = (what: string) =>
    Effect.fail(refusal(account.id, "dry-run", `${account.id} is a dry-run account: nothing is sent to its broker (${what}); set "dryRun": false to trade it`))

  const placeOrder = (intent: OrderIntent) =>
    Effect.gen(function*() {
      if (settings.dryRun) return yield* readOnly(`${intent.side} ${intent.qty} ${intent.symbol}`)
      const { priceOf: priceOf_, violation } = yield* reserve(intent)
      if (violation !== undefined) {
        const existing = yield* inner.getOrderByClientId(intent.clientOrderId)
        if (Option.isSome(existing)) return yield* inner.placeOrder(intent)
        return yield* Effect.fail(refusal(account.id, violation.rule, violation.message))
      }
      return yield* inner.placeOrder(intent).pipe(Effect.tapError(() => release(intent, priceOf_)))
    })

  /** A write that changes the book in ways only the broker knows: read it again afterwards. */
  const rereadAfter = <A>(what: string, write: Effect.Effect<A, BrokerError>) =>
    settings.dryRun
      ? readOnly(what)
      : write.pipe(Effect.ensuring(forget))

  const safe = {
    ...inner,
    getAccount: seeing(inner.getAccount, (account, seen): Seen => ({ ...seen, account })),
    // a listing that came back full (500) may not be all of them: not kept, and an earlier listing (older than it)
    // is dropped too; the book reads every page itself
    listOrders: (query: OrderQuery) =>
      isEveryOpenOrder(query) ? seeing(inner.listOrders(query), keepListing) : inner.listOrders(query),
    placeOrder,
    cancelOrder: (orderId: string) =>
      settings.dryRun
        ? readOnly(`cancel ${orderId}`)
        : inner.cancelOrder(orderId).pipe(
          Effect.onExit((exit) => (exit._tag === "Success" ? canceled(orderId) : forget))
        ),
    cancelAllOrders: rereadAfter("cancel all orders", inner.cancelAllOrders),
    closePosition: (symbol: Parameters<Broker["closePosition"]>[0], options?: Parameters<Broker["closePosition"]>[1]) =>
      rereadAfter(`close ${symbol}`, inner.closePosition(symbol, options)),
    closeAllPositions: rereadAfter("close all positions", inner.closeAllPositions)
  } as SafeBroker<B>
  decorated.add(safe)
  return safe
}
