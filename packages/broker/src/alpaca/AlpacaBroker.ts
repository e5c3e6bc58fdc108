/**
 * The `Broker` contract over Alpaca's trading API, one instance per account, with exactly-once order placement,
 * plus the market clock, calendar and assets (`AlpacaAccountBroker`), and the marks (`getMarks`: the latest trades of the
 * market-data API, IEX feed, stamped with the broker's clock read once they have arrived).
 *
 * **When to use**: `AlpacaBroker.layerBrokers(accounts, options)` provides `Brokers` (and `AlpacaBroker`) for the
 * configured accounts that have credentials; provide an `HttpClient` (`FetchHttpClient.layer`). Each account gets
 * its own client, limiter and retry schedule; `options.perAccount` overrides them per account. The accounts
 * must come from `LiveGuard.guard` (the LIVE rule); `AccountsConfig` and `TradingAccounts` hold only those.
 *
 * **Exactly-once placement**: every POST carries the intent's `client_order_id` (never a generated one). When the
 * outcome is unknown — timeout, dropped connection, 5xx, 429 — the order is looked up with
 * `GET /v2/orders:by_client_order_id`; found, it is the result; not found, the same body is POSTed again after
 * the retry delay. A `DuplicateClientOrderId` rejection of a retried POST (an earlier attempt of this call
 * landed) resolves to the existing order when it is the same order (symbol, side, qty, type); otherwise the
 * rejection stands. On the first POST the rejection stands too, as the `Broker` contract says: the order was
 * there before this call, and `placeOnce` adopts it as such. An `InvalidRequest` rejection is checked like a
 * retried duplicate (a 422 has been seen with the order accepted).
 *
 * **Gotchas**
 * - A duplicate client order id of the *same* order is not an error after a retry: it is how a retried
 *   placement learns that its first attempt landed.
 * - Orders and positions the domain cannot represent (options, crypto pairs) are skipped with a
 *   warning by the list methods and fail `ServerError` (not retryable) by the single-item methods. Except in a
 *   listing of the *open* orders: there an order of a ticker that does not convert (a status new to Council, say
 *   `pending_activation`) fails the listing (`ServerError`, not retryable, one line naming the order and what is
 *   wrong). Alpaca says it is open, so it holds shares or dollars; every reader of the open orders (the risk gate,
 *   the safety broker's book, Reconcile, the CLI) plans or reports the account with it or not at all — never as if
 *   it were not there (a second buy beside it, a second exit beside it: a short).
 * - `closeAllPositions` fails when any position could not be closed (the reason of the first failure; the
 *   message lists them all); `cancelAllOrders` counts the orders canceled and logs the ones that were not. These
 *   and `closePosition` survive a lost answer without closing or canceling twice (`Liquidation`).
 * - `cancelOrder` returns once the cancel took effect, not when Alpaca took it (204): the order is read back until
 *   it leaves `pending_cancel` (~5 s at most, `CANCEL_SETTLE_PAUSES`), so a close sent next finds the shares it held
 *   free; an order the venue filled first fails `InvalidRequest`, as a cancel of a filled order does.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as HttpClient from "effect/http/HttpClient"
import { type AccountId, type Fill, OPEN_STATUSES, type Order, type OrderIntent, type Position, Ticker } from "@council/domain"
import { type Broker, BrokerError, Brokers, type ClosePositionOptions, type FillQuery, type Marks, type OrderQuery, unknownAccount } from "../Broker.ts"
import type { GuardedAccount } from "../LiveGuard.ts"
import * as AlpacaClient from "./AlpacaClient.ts"
import * as Liquidation from "./Liquidation.ts"
import {
  type AssetInfo,
  type MarketCalendarDay,
  type MarketClock,
  toAccountSnapshot,
  toAssetInfo,
  toCalendarDay,
  toDomainFill,
  toDomainOrder,
  toDomainPosition,
  knowsStatus,
  toMarketClock,
  toWireOrderRequest,
  unknownStatus,
  type WireOrder
} from "./AlpacaWire.ts"
import { defaultRetry, retryPolicy, RetrySchedule, type RetryOptions } from "./RequestPolicy.ts"

/** Alpaca's largest page of account activities, and how many pages one `listFills` reads at most. */
const FILL_PAGE_SIZE = 100
const MAX_FILL_PAGES = 100

/** One account's Alpaca broker: the `Broker` contract plus clock, calendar and assets. */
export interface AlpacaAccountBroker extends Broker {
  /** The HTTP client underneath; absent on the safety-checked brokers `RoutedBrokers` hands out. */
  readonly client?: AlpacaClient.AlpacaClient
  readonly getClock: Effect.Effect<MarketClock, BrokerError>
  /** Trading days between `start` and `end` (`YYYY-MM-DD`, inclusive). */
  readonly getCalendar: (
    range?: { readonly start?: string; readonly end?: string }
  ) => Effect.Effect<ReadonlyArray<MarketCalendarDay>, BrokerError>
  /** `NotFound` for an unknown symbol. */
  readonly getAsset: (symbolOrId: string) => Effect.Effect<AssetInfo, BrokerError>
}

export interface AlpacaBrokerOptions extends AlpacaClient.AlpacaClientOptions {
  /** Per-account overrides of timeout, rate limit and retry options. */
  readonly perAccount?: Readonly<Partial<Record<string, AlpacaClient.AlpacaClientOptions>>>
}

const optionsFor = (options: AlpacaBrokerOptions, account: AccountId, retry: RetryOptions = defaultRetry): AlpacaClient.AlpacaClientOptions => {
  const own = options.perAccount?.[account] ?? {}
  const timeout = own.timeout ?? options.timeout
  return {
    ...(timeout !== undefined ? { timeout } : {}),
    ...(options.headers !== undefined || own.headers !== undefined ? { headers: { ...options.headers, ...own.headers } } : {}),
    rateLimit: { ...options.rateLimit, ...own.rateLimit },
    retry: { ...retry, ...options.retry, ...own.retry }
  }
}

const sameOrder = (order: WireOrder, intent: OrderIntent): boolean =>
  order.symbol === intent.symbol &&
  order.side === intent.side &&
  Math.abs(Number(order.qty ?? Number.NaN) - intent.qty) < 1e-9 &&
  (order.type ?? order.order_type) === intent.type

/**
 * Sends `intent` over `client`, retried by `policy`, placing it once whatever the attempts met: a retryable failure
 * or a 422 may have placed it (Alpaca-API#270), a duplicate on a retry is this call's own order; each is looked up
 * by its client order id and adopted when it is the same order. A duplicate on the first POST is an order placed
 * before this call: the caller adopts it, saying so.
 */
const placeOnce = (client: AlpacaClient.AlpacaClient, intent: OrderIntent, policy: ReturnType<typeof retryPolicy>) => {
  const account = client.account
  const clientOrderId = intent.clientOrderId
  const body = toWireOrderRequest(intent)
  /** The order this id already names, or `cause` when there is none. */
  const lookUp = (cause: BrokerError) =>
    client.getOrderByClientId(clientOrderId).pipe(
      Effect.catchIf((error) => error.reason === "NotFound", () => Effect.fail(cause)),
      Effect.tap((order) =>
        Effect.logInfo(`alpaca ${account}: order ${clientOrderId} found after "${cause.message}"`).pipe(
          Effect.annotateLogs({ orderId: order.id })
        )
      )
    )
  const adoptDuplicate = (duplicate: BrokerError) =>
    lookUp(duplicate).pipe(
      Effect.filterOrFail(
        (order) => sameOrder(order, intent),
        (order) =>
          new BrokerError({
            account,
            reason: "DuplicateClientOrderId",
            message: `client_order_id ${clientOrderId} already names a different order (${order.side} ${
              order.qty ?? "?"
            } ${order.symbol} ${order.type ?? order.order_type ?? "?"})`,
            retryable: false
          })
      )
    )
  /** A 422 may still have placed the order (Alpaca-API#270): adopt it if it exists, else keep the rejection. */
  const adoptIfPlaced = (rejection: BrokerError) =>
    lookUp(rejection).pipe(
      Effect.filterOrFail((order) => sameOrder(order, intent), () => rejection),
      Effect.catch(() => Effect.fail(rejection))
    )
  let attempts = 0
  /** A duplicate on the first POST is an order placed before this call (the caller adopts it, saying so). */
  const attempt = Effect.suspend(() => {
    attempts += 1
    const first = attempts === 1
    return client.submitOrder(body).pipe(
      Effect.catchIf((error) => error.reason === "DuplicateClientOrderId" && !first, adoptDuplicate),
      Effect.catchIf((error) => error.reason === "InvalidRequest", adoptIfPlaced),
      Effect.catchIf((error) => error.retryable, lookUp)
    )
  })
  return Effect.retry(attempt, policy)
}

/** A reply the adapter cannot turn into the domain's (a shape it does not support): not retried. */
const unsupported = (account: AccountId, message: string) => new BrokerError({ account, reason: "ServerError", message, retryable: false })

const domainOrder = (account: AccountId, wire: WireOrder): Effect.Effect<Order, BrokerError> => {
  const order = toDomainOrder(wire)
  return Result.isSuccess(order) ? Effect.succeed(order.success) : Effect.fail(unsupported(account, order.failure))
}

/** Each wire decoded; one that does not decode is left out, with a warning naming it. */
const decodedOrSkipped = <W, A>(account: AccountId, wires: ReadonlyArray<W>, decode: (wire: W) => Result.Result<A, string>): Effect.Effect<ReadonlyArray<A>> =>
  Effect.forEach(wires, (wire) => {
    const decoded = decode(wire)
    return Result.isSuccess(decoded)
      ? Effect.succeed(Option.some(decoded.success))
      : Effect.as(Effect.logWarning(`alpaca ${account}: skipping ${decoded.failure}`), Option.none())
  }).pipe(Effect.map((items) => items.flatMap((item) => Option.isSome(item) ? [item.value] : [])))

const isTicker = Schema.is(Ticker)

/**
 * The open orders as the domain's, or a failure naming the first one of a ticker that does not convert (a status new
 * to Council, a type it does not know): it holds shares or dollars of an account Council plans, so that account is
 * not planned without it. Orders of other instruments (options, crypto pairs) hold no shares Council counts, and
 * the dollars they hold are in the buying power Alpaca reports: skipped with a warning, as in other listings.
 */
const openOrders = (account: AccountId, wires: ReadonlyArray<WireOrder>): Effect.Effect<ReadonlyArray<Order>, BrokerError> =>
  Effect.gen(function*() {
    for (const wire of wires) {
      if (!isTicker(wire.symbol)) continue
      const order = toDomainOrder(wire)
      if (Result.isFailure(order)) {
        const what = unknownStatus(wire) ?? order.failure
        return yield* unsupported(account, `an open order Council cannot read: ${what}; the account is not planned without it (cancel it, or update Council)`)
      }
    }
    return yield* decodedOrSkipped(account, wires, toDomainOrder)
  })

const notFoundToNone = <A>(effect: Effect.Effect<A, BrokerError>): Effect.Effect<Option.Option<A>, BrokerError> =>
  effect.pipe(
    Effect.map(Option.some),
    Effect.catchIf((error) => error.reason === "NotFound", () => Effect.succeed(Option.none()))
  )

/** What the broker reads of one account: its state, positions, orders, fills, marks, clock, calendar and assets. */
const readsOf = (client: AlpacaClient.AlpacaClient): Pick<
  AlpacaAccountBroker,
  "getAccount" | "getPositions" | "getPosition" | "listOrders" | "listFills" | "getOrder" | "getOrderByClientId" | "getClock" | "getMarks" | "getCalendar" | "getAsset"
> => {
  const account = client.account
  const getPositions: Effect.Effect<ReadonlyArray<Position>, BrokerError> = Effect.flatMap(
    client.getPositions,
    (wires) => decodedOrSkipped(account, wires, toDomainPosition)
  )

  const getAccount = Effect.all([client.getAccount, getPositions], { concurrency: 2 }).pipe(
    Effect.map(([wire, positions]) => toAccountSnapshot(account, wire, positions)),
    Effect.withSpan("AlpacaBroker.getAccount", { attributes: { account } })
  )

  const getPosition = Effect.fn("AlpacaBroker.getPosition")(function*(symbol: Ticker) {
    const wire = yield* notFoundToNone(client.getPosition(symbol))
    if (Option.isNone(wire)) return Option.none<Position>()
    const position = toDomainPosition(wire.value)
    return Result.isSuccess(position) ? Option.some(position.success) : yield* unsupported(account, position.failure)
  })

  const listOrders = Effect.fn("AlpacaBroker.listOrders")(function*(query: OrderQuery) {
    const wires = yield* client.listOrders({ ...query, nested: true })
    return yield* (query.status === "open" ? openOrders(account, wires) : decodedOrSkipped(account, wires, toDomainOrder))
  })

  /** Every page of fills after `query.after`, oldest first (at most `MAX_FILL_PAGES` pages of 100). */
  const listFills = Effect.fn("AlpacaBroker.listFills")(function*(query: FillQuery) {
    const fills: Array<Fill> = []
    let pageToken: string | undefined
    for (let page = 0; page < MAX_FILL_PAGES; page++) {
      const wires = yield* client.listFillActivities({ after: query.after, pageSize: FILL_PAGE_SIZE, pageToken })
      for (const wire of wires) {
        const fill = toDomainFill(account, wire)
        if (Result.isSuccess(fill)) fills.push(fill.success)
        else yield* Effect.logWarning(`alpaca ${account}: skipping ${fill.failure}`)
      }
      if (wires.length < FILL_PAGE_SIZE) return fills
      pageToken = wires[wires.length - 1]!.id
    }
    return yield* unsupported(account, `more than ${MAX_FILL_PAGES * FILL_PAGE_SIZE} fills after ${query.after ?? "the start"}: reconcile more often`)
  })

  const getOrder = Effect.fn("AlpacaBroker.getOrder")(function*(orderId: string) {
    return yield* domainOrder(account, yield* client.getOrder(orderId))
  })

  const getOrderByClientId = Effect.fn("AlpacaBroker.getOrderByClientId")(function*(clientOrderId: string) {
    const wire = yield* notFoundToNone(client.getOrderByClientId(clientOrderId))
    return Option.isNone(wire) ? Option.none<Order>() : Option.some(yield* domainOrder(account, wire.value))
  })

  const getMarks = (symbols: ReadonlyArray<Ticker>) =>
    Effect.gen(function*() {
      const wire = yield* client.getLatestTrades(symbols)
      // stamped with the broker's clock once the answer is in: every trade in it is at or before then (an exchange
      // server's clock is its session's moment, the one its accounts are marked at, not the wall clock's)
      const { timestamp } = yield* client.getClock
      const at = Date.parse(timestamp)
      if (!Number.isFinite(at)) return yield* unsupported(account, `GET /v2/clock: unexpected timestamp ${JSON.stringify(timestamp)}`)
      const prices = Object.entries(wire.trades ?? {}).flatMap(([symbol, trade]) => (trade === null ? [] : [[symbol, trade.p] as const]))
      return { at: new Date(at).toISOString(), prices: Object.fromEntries(prices) } satisfies Marks
    })

  return {
    getAccount,
    getPositions,
    getPosition,
    listOrders,
    listFills,
    getOrder,
    getOrderByClientId,
    getClock: Effect.map(client.getClock, toMarketClock),
    getMarks,
    getCalendar: (range) => Effect.map(client.getCalendar(range), (days) => days.map(toCalendarDay)),
    getAsset: (symbolOrId) => Effect.map(client.getAsset(symbolOrId), toAssetInfo)
  }
}

/** The pauses between reads of an order whose cancel Alpaca took but has not carried out yet (~5 s in all). */
export const CANCEL_SETTLE_PAUSES: ReadonlyArray<number> = [50, 100, 200, 400, 800, 1000, 1000, 1500]

/**
 * Whether an order Alpaca reports with `status` may still work (`pending_cancel` among them: a cancel Alpaca took has
 * not taken effect). A status new to Council may: only a known final one says the cancel took effect.
 */
const stillWorking = (status: string): boolean => !knowsStatus(status) || OPEN_STATUSES.has(status)

/**
 * After Alpaca took a cancel (204): the order read until the cancel took effect. Alpaca's cancel is a request — the
 * order reads `pending_cancel` until the venue confirms, and its shares stay held for it meanwhile ("insufficient qty
 * available" to a sell sent at once: the run's close of the position it protected) — and the venue may fill it first.
 * Canceled (expired, …): done. Filled: `InvalidRequest`, as Alpaca answers the cancel of a filled order (422 "not
 * cancelable"), so a caller learns the position moved. Still working after `CANCEL_SETTLE_PAUSES`, or unreadable: the
 * cancel stands as taken, as before this read (the order's shares may still be held; the next read says so).
 */
const cancelSettled = (client: AlpacaClient.AlpacaClient, orderId: string) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt <= CANCEL_SETTLE_PAUSES.length; attempt++) {
      if (attempt > 0) yield* Effect.sleep(CANCEL_SETTLE_PAUSES[attempt - 1]!)
      const read = yield* Effect.result(client.getOrder(orderId))
      if (Result.isFailure(read)) return
      const order = read.success
      if (order.status === "filled") {
        return yield* new BrokerError({
          account: client.account,
          reason: "InvalidRequest",
          message: `order ${orderId} is not cancelable: it filled before its cancel took effect`,
          retryable: false
        })
      }
      if (!stillWorking(order.status)) return
    }
  })

/** What the broker sends for one account: orders placed (retried as `placementPolicy` allows), canceled, closed. */
const tradesOf = (
  client: AlpacaClient.AlpacaClient,
  placementPolicy: ReturnType<typeof retryPolicy>
): Pick<AlpacaAccountBroker, "placeOrder" | "cancelOrder" | "cancelAllOrders" | "closePosition" | "closeAllPositions"> => {
  const account = client.account
  const placeOrder = Effect.fn("AlpacaBroker.placeOrder")(function*(intent: OrderIntent) {
    if (intent.account !== account) {
      return yield* new BrokerError({
        account,
        reason: "InvalidRequest",
        message: `the order is for account ${intent.account}, not ${account}`,
        retryable: false
      })
    }
    return yield* domainOrder(account, yield* placeOnce(client, intent, placementPolicy))
  })

  const cancelOrder = Effect.fn("AlpacaBroker.cancelOrder")(function*(orderId: string) {
    yield* client.cancelOrder(orderId)
    yield* cancelSettled(client, orderId)
  })

  const cancelAllOrders = Liquidation.cancelAll(client, placementPolicy).pipe(
    Effect.withSpan("AlpacaBroker.cancelAllOrders", { attributes: { account } })
  )

  const closePosition = Effect.fn("AlpacaBroker.closePosition")(function*(
    symbol: Ticker,
    options?: ClosePositionOptions
  ) {
    return yield* domainOrder(account, yield* Liquidation.closeOne(client, placementPolicy, symbol, options))
  })

  const closeAllPositions = Effect.flatMap(Liquidation.closeAllOrFail(client, placementPolicy), (orders) => Effect.forEach(orders, (wire) => domainOrder(account, wire))).pipe(
    Effect.withSpan("AlpacaBroker.closeAllPositions", { attributes: { account } })
  )

  return { placeOrder, cancelOrder, cancelAllOrders, closePosition, closeAllPositions }
}

/** The broker of one account over its client. */
const fromClient = (
  client: AlpacaClient.AlpacaClient,
  options: Pick<AlpacaClient.AlpacaClientOptions, "retry"> = {}
): AlpacaAccountBroker => ({
  account: client.account,
  client,
  ...readsOf(client),
  ...tradesOf(client, retryPolicy(options.retry))
})

/** The Alpaca brokers of every configured account that has credentials. */
export class AlpacaBroker extends Context.Service<AlpacaBroker, {
  readonly accounts: ReadonlyArray<AccountId>
  /** Fails `UnknownAccount` for an account without credentials or not configured. */
  readonly get: (account: AccountId) => Effect.Effect<AlpacaAccountBroker, BrokerError>
}>()("@council/broker/AlpacaBroker") {
  /** One account's broker over an existing client; `options.retry` drives order placement. */
  static readonly fromClient = fromClient

  /** One account's broker, with its own client, limiter and retry schedule. */
  static readonly make = (
    config: AlpacaClient.AlpacaAccountConfig,
    options: AlpacaClient.AlpacaClientOptions = {}
  ): Effect.Effect<AlpacaAccountBroker, never, HttpClient.HttpClient> =>
    Effect.map(AlpacaClient.make(config, options), (client) => fromClient(client, options))

  static readonly layer = (
    accounts: ReadonlyArray<GuardedAccount>,
    options: AlpacaBrokerOptions = {}
  ): Layer.Layer<AlpacaBroker, never, HttpClient.HttpClient> =>
    Layer.effect(
      AlpacaBroker,
      Effect.gen(function*() {
        const configured = accounts.filter(AlpacaClient.hasCredentials)
        const ids = configured.map((config) => config.id)
        const brokers = new Map<AccountId, AlpacaAccountBroker>()
        const retry = yield* RetrySchedule
        for (const config of configured) {
          brokers.set(config.id, yield* AlpacaBroker.make(config, optionsFor(options, config.id, retry)))
        }
        return AlpacaBroker.of({
          accounts: ids,
          get: (account) => {
            const broker = brokers.get(account)
            return broker !== undefined ? Effect.succeed(broker) : Effect.fail(unknownAccount(account, ids))
          }
        })
      })
    )

  /** `Brokers` (and `AlpacaBroker`) for the accounts that have credentials. */
  static readonly layerBrokers = (
    accounts: ReadonlyArray<GuardedAccount>,
    options: AlpacaBrokerOptions = {}
  ): Layer.Layer<Brokers | AlpacaBroker, never, HttpClient.HttpClient> =>
    Layer.effect(
      Brokers,
      Effect.gen(function*() {
        const alpaca = yield* AlpacaBroker
        return Brokers.of({ accounts: alpaca.accounts, get: alpaca.get })
      })
    ).pipe(Layer.provideMerge(AlpacaBroker.layer(accounts, options)))
}
