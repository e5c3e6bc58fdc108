/**
 * The local paper exchange: a ledger in SQL (accounts, orders, fills, positions) driven by a simulated present
 * moment among the daily sessions, with Alpaca paper-trading semantics. The in-process brokers (`layerBrokers`,
 * `layerVenue`) and the Alpaca-compatible HTTP server (`ExchangeServer`) are both faces of this one core.
 *
 * **When to use**: offline runs, backtests and tests. Provide `LocalExchange.layer(options)` with a migrated
 * `SqlClient` (`@council/store` `Database`, migrations `0002_exchange`, `0006_schedules`, `0008_content_addressed`,
 * `0010_exchange_ledger_lean` and `0033_exchange_corporate_actions`), `MarketData` and
 * `ExchangeSession` (the present moment).
 *
 * **How it works** — one module per concern:
 * - `Ledger`: the rows and every statement on them. `Keys`: key pairs and authentication.
 * - `Calendar`: sessions (the market data's days, NYSE's early closes), the clock, where a moment falls. `Present`: the
 *   market data's sessions around a moment, asked once and cached.
 * - `Matching`: every call first brings the account to the present — the opens and closes since the account's
 *   point in time, in order; accounts are created on first access with `initialCash` ($100,000) and a key pair.
 *   A present before the account's point fails `InvalidRequest`.
 * - `CorporateActions`: a remote feed's splits and cash dividends, applied before each open (`Matching`).
 * - `FillModel`: when orders fill and at what price. `OrderRules`: what is accepted (Alpaca's messages).
 * - `Placement`: an order's rows, booked for a later open or close (nothing fills on placement); `Settlement`: a
 *   fill's cash, position and record. `AccountState`: marking, buying power (no leverage), shares held by open
 *   exits. `Prices`: the bars the exchange reads, and what is known when. `GroupCommit`: how writes share
 *   transactions. `ReadCache`: what reads found, kept until a write. `WorkingSet`: what a write call knows of its
 *   account (row, open orders, positions, latest submission stamp), read at most once and kept current by its own statements; what it left
 *   is what the reads after it are served. `RowGuard`: the rows' schema checks, fast.
 * - Canceling any member of a bracket/OCO group cancels its other open members. `closePosition` first cancels the
 *   symbol's open orders (Alpaca's `cancel_orders=true`), then sends a `day` market order; `closeAllPositions`
 *   cancels every open order first.
 *
 * **Gotchas**
 * - A call that writes runs atomically in one transaction (bringing the account to the session, checks, order,
 *   fill), shared with the writes queued beside it (`GroupCommit`: one commit for concurrent orders, calls one at a
 *   time in arrival order); a read at the account's current session takes none.
 * - Reads are served from what earlier calls of the account found or left until the account is written, or another
 *   connection commits to the database (`ReadCache`, SQLite only; every write transaction asks SQLite whether one
 *   did before it starts from what is kept); reads arriving together at a new moment share one advance of the account.
 * - Shorting is allowed unless `allowShorting` says otherwise for the account (`ShortingNotAllowed`).
 * - Calls open no tracing spans: a span costs microseconds even with tracing off, a good part of an order's time.
 * - Partial fills only when the fill model asks (`partialFillPct`); notional orders as simple market `day` orders
 *   only (`FillModel`); order replacement of open simple orders with nothing filled (`Replacements`, not of notional
 *   orders); trailing stops as simple orders (`FillModel`); no wash-trade or PDT checks; `ioc`/`fok`/`opg`/`cls` are accepted for market orders only.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import {
  type AccountId,
  type AccountSnapshot,
  type Fill,
  type MarketCalendarDay,
  type MarketClock,
  type NewYorkMoment,
  type NotionalIntent,
  OPEN_STATUSES,
  type OrderIntent,
  type Ticker,
  TradingDay
} from "@council/domain"
import { MarketData } from "@council/market"
import {
  type Broker,
  type BrokerError,
  Brokers,
  type ClosePositionOptions,
  type FillQuery,
  LocalVenue,
  type Marks,
  unknownAccount
} from "@council/broker"
import * as SqlClient from "effect/sql/SqlClient"
import { snapshotOf } from "./AccountState.ts"
import { type Failure, refuse, reject, toBrokerError } from "./ExchangeErrors.ts"
import {
  type ExchangeAccount,
  type ExchangeOrder,
  type ExchangeOrderQuery,
  type ExchangePosition,
  toOrder,
  toPosition
} from "./ExchangeRecords.ts"
import { closeTimestamp, openTimestamp, type SessionPoint } from "./Calendar.ts"
import { ExchangeSession } from "./ExchangeSession.ts"
import { defaultFillModel, type FillModelOptions, roundQty } from "./FillModel.ts"
import * as CorporateActions from "./CorporateActions.ts"
import * as GroupCommit from "./GroupCommit.ts"
import * as Ledger from "./Ledger.ts"
import * as Matching from "./Matching.ts"
import { EPS, insufficientShares } from "./OrderRules.ts"
import * as Placement from "./Placement.ts"
import { makePresent } from "./Present.ts"
import * as Prices from "./Prices.ts"
import * as ReadCache from "./ReadCache.ts"
import * as Replacements from "./Replacements.ts"
import * as Settlement from "./Settlement.ts"
import * as WorkingSet from "./WorkingSet.ts"

export interface LocalExchangeOptions extends Partial<FillModelOptions> {
  /** Cash of a new account. Default 100,000. */
  readonly initialCash?: number
  /** Whether an account may sell short. Default true. */
  readonly allowShorting?: boolean | ((account: AccountId) => boolean)
}

export class LocalExchange extends Context.Service<LocalExchange, {
  readonly options: FillModelOptions & { readonly initialCash: number }
  /** The present moment calls run at. */
  readonly now: Effect.Effect<NewYorkMoment, BrokerError>
  /** The present's point among the sessions (the session whose open or close last passed). */
  readonly point: Effect.Effect<SessionPoint, BrokerError>
  /** The market clock at the present moment. */
  readonly clock: Effect.Effect<MarketClock, BrokerError>
  /** The sessions from `start` to `end` (`YYYY-MM-DD`, inclusive), with their hours. */
  readonly calendar: (start: TradingDay, end: TradingDay) => Effect.Effect<ReadonlyArray<MarketCalendarDay>, BrokerError>
  /** The account (created on first access, then brought to the current session). */
  readonly account: (account: AccountId) => Effect.Effect<ExchangeAccount, BrokerError>
  /** Every account created so far, with its keys. */
  readonly keys: Effect.Effect<ReadonlyArray<ExchangeAccount>, BrokerError>
  readonly accountByKeyId: (keyId: string) => Effect.Effect<Option.Option<ExchangeAccount>, BrokerError>
  readonly snapshot: (account: AccountId) => Effect.Effect<AccountSnapshot, BrokerError>
  readonly positions: (account: AccountId) => Effect.Effect<ReadonlyArray<ExchangePosition>, BrokerError>
  readonly position: (account: AccountId, symbol: Ticker) => Effect.Effect<Option.Option<ExchangePosition>, BrokerError>
  readonly listOrders: (
    account: AccountId,
    query: ExchangeOrderQuery
  ) => Effect.Effect<ReadonlyArray<ExchangeOrder>, BrokerError>
  readonly getOrder: (account: AccountId, orderId: string) => Effect.Effect<ExchangeOrder, BrokerError>
  /** The orders among `orderIds` (legs as orders of their own, none nested), in one read; an unknown id is left out. */
  readonly getOrders: (account: AccountId, orderIds: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<ExchangeOrder>, BrokerError>
  readonly getOrderByClientId: (
    account: AccountId,
    clientOrderId: string
  ) => Effect.Effect<Option.Option<ExchangeOrder>, BrokerError>
  /** Places an order of shares, or a notional one (dollars, its shares set at the fill: `FillModel`). */
  readonly placeOrder: (account: AccountId, intent: OrderIntent | NotionalIntent) => Effect.Effect<ExchangeOrder, BrokerError>
  readonly cancelOrder: (account: AccountId, orderId: string) => Effect.Effect<void, BrokerError>
  /** Cancels every open order; succeeds with the ids of the top-level orders that had something canceled. */
  readonly cancelAllOrders: (account: AccountId) => Effect.Effect<ReadonlyArray<string>, BrokerError>
  readonly closePosition: (
    account: AccountId,
    symbol: Ticker,
    options?: ClosePositionOptions
  ) => Effect.Effect<ExchangeOrder, BrokerError>
  readonly closeAllPositions: (account: AccountId) => Effect.Effect<ReadonlyArray<ExchangeOrder>, BrokerError>
  /** Replaces the open simple order `orderId` by a new order of `intent` (`Replacements`); succeeds with the new one. */
  readonly replaceOrder: (account: AccountId, orderId: string, intent: OrderIntent) => Effect.Effect<ExchangeOrder, BrokerError>
  /** The replacements that concern any of `orderIds` (replaced or replacing). */
  readonly replacementsOf: (
    account: AccountId,
    orderIds: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<Replacements.ReplacementLink>, BrokerError>
  /** Fills in execution order, optionally of one session only. */
  readonly fills: (account: AccountId, session?: TradingDay) => Effect.Effect<ReadonlyArray<Fill>, BrokerError>
  /** Fills in execution order, those after `query.after` (exclusive) when given (Alpaca's FILL activities). */
  readonly listFills: (account: AccountId, query: FillQuery) => Effect.Effect<ReadonlyArray<Fill>, BrokerError>
  /**
   * The prices positions are marked at now (the present's point: a session's open during it, its close from the
   * close on), stamped with that open or close; a symbol without a price is left out.
   */
  readonly marks: (symbols: ReadonlyArray<Ticker>) => Effect.Effect<Marks, BrokerError>
}>()("@council/exchange/LocalExchange") {
  static readonly layer = (
    options: LocalExchangeOptions = {}
  ): Layer.Layer<LocalExchange, never, SqlClient.SqlClient | MarketData | ExchangeSession> =>
    Layer.effect(LocalExchange, make(options))

  /** `Brokers` for the given accounts, each a view of the exchange. */
  static readonly layerBrokers = (accounts: ReadonlyArray<AccountId>): Layer.Layer<Brokers, never, LocalExchange> =>
    Layer.effect(
      Brokers,
      Effect.gen(function*() {
        const exchange = yield* LocalExchange
        const brokers = new Map(accounts.map((account) => [account, brokerOf(exchange, account)]))
        return Brokers.of({
          accounts,
          get: (account) => {
            const broker = brokers.get(account)
            return broker ? Effect.succeed(broker) : Effect.fail(unknownAccount(account, accounts))
          }
        })
      })
    )

  /** The exchange as `@council/broker`'s venue of accounts without credentials (what `RoutedBrokers` routes to). */
  static readonly layerVenue: Layer.Layer<LocalVenue, never, LocalExchange> = Layer.effect(
    LocalVenue,
    Effect.gen(function*() {
      const exchange = yield* LocalExchange
      return LocalVenue.of({ broker: (account) => brokerOf(exchange, account.id) })
    })
  )

  /** One account's `Broker` over the exchange. */
  static readonly broker = (exchange: LocalExchange["Service"], account: AccountId): Broker =>
    brokerOf(exchange, account)
}

/** A `listOrders` time bound as an ISO timestamp, or what is wrong with it. */
const parseTimeBound = (field: string, value: string | undefined): string | undefined | { readonly message: string } => {
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? { message: `invalid ${field}: ${value}` } : new Date(ms).toISOString()
}

const toFills = (rows: ReadonlyArray<Ledger.FillRow>): ReadonlyArray<Fill> =>
  rows.map((row): Fill => ({
    id: row.id,
    orderId: row.order_id,
    clientOrderId: row.client_order_id,
    account: row.account,
    symbol: row.symbol,
    side: row.side,
    qty: row.qty,
    price: row.price,
    commission: row.commission,
    at: row.filled_at
  }))

/** Top-level ids of canceled rows, in order, without duplicates. */
const roots = (rows: ReadonlyArray<Ledger.CanceledRow>) => [...new Set(rows.map((r) => r.parent_id ?? r.id))]

/** How a call reaches the ledger: reading, writing, or writing what a refusal must take back (`GroupCommit`). */
type Access = "read" | "write" | "write, may fail after writing"

/**
 * What a call's body works with: the ledger (a write call's: its `WorkingSet`) and the placement over it. A read
 * call's body must not write.
 */
export interface CallLedger {
  readonly ledger: Ledger.Ledger
  readonly placement: Placement.Placement
}

/** What the calls share: the exchange's parts, and `withAccount`. */
interface Core {
  readonly options: LocalExchange["Service"]["options"]
  readonly allowShorting: (account: AccountId) => boolean
  readonly ledger: Ledger.Ledger
  readonly prices: Prices.Prices
  /** What reads of an account found, until it is written (`ReadCache`). */
  readonly cache: ReadCache.ReadCache
  /** Runs `body` for the account brought to the present (see `make`). */
  readonly withAccount: <A>(
    account: AccountId,
    access: Access,
    body: (now: Placement.PlacedAt, row: Ledger.AccountRow, call: CallLedger) => Effect.Effect<A, Failure>
  ) => Effect.Effect<A, BrokerError>
}

const book = (row: Ledger.AccountRow): Settlement.Book => ({ account: row.id, cash: row.cash })

/** The calls that only read (bringing an account to the session aside). */
const readCalls = ({ allowShorting, cache, ledger, options, prices, withAccount }: Core) => {
  const openOrders = (account: AccountId) => cache.cached(account, "open", ledger.openOrders(account))
  const exchangeAccount = (row: Ledger.AccountRow) =>
    Effect.map(ledger.hasOrders(row.id), (traded) => Ledger.toAccount(row, allowShorting(row.id), traded))

  /** Open orders, every position marked at the present's point, and the prices open market orders reserve at. */
  const marked = (account: AccountId, point: SessionPoint) =>
    cache.cached(
      account,
      `marked ${point.session} ${point.phase}`,
      Effect.gen(function*() {
        const open = yield* openOrders(account)
        const positions = yield* prices.markAll(yield* cache.cached(account, "positions", ledger.positions(account)), open, point)
        return { open, positions, marketPrices: yield* prices.marketPricesOf(open, point) }
      })
    )

  /**
   * Rows with their legs attached. Only bracket, OTO and OCO parents have legs (`OrderRules` refuses exits on a
   * simple order): a listing of simple orders alone asks for none.
   */
  const withLegs = (rows: ReadonlyArray<Ledger.OrderRow>) =>
    Effect.map(ledger.legsOf(rows.filter((r) => r.parent_id === null && r.order_class !== "simple").map((r) => r.id)), (legs) =>
      rows.map((row) =>
        Ledger.toExchangeOrder(row, legs.filter((leg) => leg.parent_id === row.id).map((leg) => Ledger.toExchangeOrder(leg)))
      ))

  /** A nested listing's rows (its top-level orders, then their legs: `Ledger.listOrders`) as orders with their legs. */
  const families = (rows: ReadonlyArray<Ledger.OrderRow>): ReadonlyArray<ExchangeOrder> => {
    const legs = new Map<string, Array<ExchangeOrder>>()
    for (const row of rows) {
      if (row.parent_id === null) continue
      const siblings = legs.get(row.parent_id)
      if (siblings === undefined) legs.set(row.parent_id, [Ledger.toExchangeOrder(row)])
      else siblings.push(Ledger.toExchangeOrder(row))
    }
    const orders: Array<ExchangeOrder> = []
    for (const row of rows) if (row.parent_id === null) orders.push(Ledger.toExchangeOrder(row, legs.get(row.id) ?? []))
    return orders
  }

  const loadOrder = Effect.fnUntraced(function*(account: AccountId, id: string) {
    const row = yield* ledger.orderById(account, id)
    if (row === undefined) return yield* reject(account, "NotFound", "order not found")
    return (yield* withLegs([row]))[0]!
  })

  // combinators, not generators: a stage lists every account's orders, and a listing kept by the cache is its
  // whole cost
  const listOrders = (id: AccountId, query: ExchangeOrderQuery) =>
    withAccount(id, "read", () => {
      const limit = query.limit ?? 50
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
        return reject(id, "InvalidRequest", "limit must be an integer between 1 and 500")
      }
      const after = parseTimeBound("after", query.after)
      const until = parseTimeBound("until", query.until)
      if (typeof after === "object") return reject(id, "InvalidRequest", after.message)
      if (typeof until === "object") return reject(id, "InvalidRequest", until.message)
      const filter: Ledger.OrderFilter = {
        status: query.status,
        nested: query.nested ?? true,
        symbols: query.symbols,
        after,
        until,
        direction: query.direction === "asc" ? "asc" : "desc",
        limit
      }
      const listed = (openRoots: ReadonlyArray<string> | undefined) =>
        Effect.map(ledger.listOrders(id, { ...filter, openRoots }), (rows) =>
          filter.nested ? families(rows) : rows.map((row) => Ledger.toExchangeOrder(row)))
      const list = filter.nested && filter.status === "open"
        ? Effect.flatMap(openOrders(id), (open) => listed([...new Set(open.map((row) => row.parent_id ?? row.id))]))
        : listed(undefined)
      return cache.cached(id, `orders ${JSON.stringify(filter)}`, list)
    })

  return {
    account: (id: AccountId) => withAccount(id, "read", (_, row) => exchangeAccount(row)),
    keys: ledger.accounts.pipe(
      Effect.flatMap((rows) => Effect.forEach(rows, exchangeAccount)),
      Effect.mapError(toBrokerError(""))
    ),
    accountByKeyId: (keyId: string) =>
      ledger.accountByKeyId(keyId).pipe(
        Effect.flatMap((row) => row === undefined ? Effect.succeedNone : Effect.asSome(exchangeAccount(row))),
        Effect.mapError(toBrokerError(""))
      ),
    snapshot: (id: AccountId) =>
      withAccount(id, "read", (now, row) =>
        Effect.map(marked(id, now.point), ({ marketPrices, open, positions }) =>
          snapshotOf(id, row.cash, positions, open, options.slippageBps, marketPrices))),
    positions: (id: AccountId) => withAccount(id, "read", (now) => Effect.map(marked(id, now.point), (state) => state.positions)),
    position: (id: AccountId, symbol: Ticker) =>
      withAccount(id, "read", (now) =>
        Effect.map(marked(id, now.point), (state) => Option.fromNullishOr(state.positions.find((p) => p.symbol === symbol)))),
    listOrders,
    getOrder: (id: AccountId, orderId: string) => withAccount(id, "read", () => loadOrder(id, orderId)),
    getOrders: (id: AccountId, orderIds: ReadonlyArray<string>) =>
      orderIds.length === 0
        ? Effect.succeed([])
        : withAccount(id, "read", () => Effect.map(ledger.ordersByIds(id, orderIds), (rows) => rows.map((row) => Ledger.toExchangeOrder(row)))),
    getOrderByClientId: (id: AccountId, clientOrderId: string) =>
      withAccount(id, "read", () =>
        Effect.flatMap(ledger.orderByClientId(id, clientOrderId), (row) =>
          row === undefined ? Effect.succeedNone : Effect.map(withLegs([row]), (orders) => Option.some(orders[0]!)))),
    fills: (id: AccountId, session?: TradingDay) =>
      withAccount(id, "read", () => cache.cached(id, `fills ${session ?? ""}`, Effect.map(ledger.fills(id, session), toFills))),
    listFills: (id: AccountId, query: FillQuery) =>
      withAccount(id, "read", () => {
        const after = parseTimeBound("after", query.after)
        if (typeof after === "object") return reject(id, "InvalidRequest", after.message)
        return cache.cached(
          id,
          `fills after ${after ?? ""}`,
          Effect.map(after === undefined ? ledger.fills(id) : ledger.fillsAfter(id, after), toFills)
        )
      })
  }
}

/** The calls that write: placing, canceling, closing. */
const writeCalls = ({ withAccount }: Core) => {
  const cancelOrder = (id: AccountId, orderId: string) =>
    withAccount(id, "write", (now, _, { ledger }) =>
      Effect.gen(function*() {
        const row = yield* ledger.orderById(id, orderId)
        if (row === undefined) return yield* reject(id, "NotFound", "order not found")
        if (!OPEN_STATUSES.has(row.status)) {
          return yield* reject(id, "InvalidRequest", `order is not cancelable (status ${row.status})`)
        }
        yield* ledger.cancelGroup(id, row.parent_id ?? row.id, now.at)
      }))

  // cancels the symbol's orders, then places: a refused placement must take the cancels back
  const closePosition = (id: AccountId, symbol: Ticker, closeOptions?: ClosePositionOptions) =>
    withAccount(id, "write, may fail after writing", (now, row, { ledger, placement }) =>
      Effect.gen(function*() {
        const position = yield* ledger.position(id, symbol)
        if (position === undefined) return yield* reject(id, "NotFound", "position does not exist")
        const held = Math.abs(position.qty)
        const { percentage, qty } = closeOptions ?? {}
        if (qty !== undefined && percentage !== undefined) {
          return yield* reject(id, "InvalidRequest", "only one of qty or percentage may be specified")
        }
        if (percentage !== undefined && !(percentage > 0 && percentage <= 100)) {
          return yield* reject(id, "InvalidRequest", "percentage must be in (0, 100]")
        }
        const closeQty = qty ?? roundQty(percentage === undefined ? held : (held * percentage) / 100)
        if (!(closeQty > 0)) return yield* reject(id, "InvalidRequest", "qty must be > 0")
        if (closeQty > held + EPS) return yield* refuse(id, insufficientShares(symbol, closeQty, held, 0))
        yield* ledger.cancelOpen(id, now.at, symbol)
        return yield* placement.place(book(row), now, Placement.closeIntent(id, symbol, closeQty, position.qty))
      }))

  const closeAllPositions = (id: AccountId) =>
    withAccount(id, "write, may fail after writing", (now, row, { ledger, placement }) =>
      Effect.gen(function*() {
        yield* ledger.cancelOpen(id, now.at)
        const account = book(row)
        const orders: Array<ExchangeOrder> = []
        for (const position of yield* ledger.positions(id)) {
          const intent = Placement.closeIntent(id, position.symbol, Math.abs(position.qty), position.qty)
          orders.push(yield* placement.place(account, now, intent))
        }
        return orders
      }))

  return {
    placeOrder: (id: AccountId, intent: OrderIntent | NotionalIntent) =>
      withAccount(id, "write", (now, row, { placement }) => placement.place(book(row), now, intent)),
    cancelOrder,
    cancelAllOrders: (id: AccountId) =>
      withAccount(id, "write", (now, _, { ledger }) => Effect.map(ledger.cancelOpen(id, now.at), roots)),
    closePosition,
    closeAllPositions
  }
}

const make = Effect.fnUntraced(function*(input: LocalExchangeOptions) {
  const sql = yield* SqlClient.SqlClient
  const market = yield* MarketData
  const exchangeSession = yield* ExchangeSession
  const options = {
    slippageBps: input.slippageBps ?? defaultFillModel.slippageBps,
    commissionPerShare: input.commissionPerShare ?? defaultFillModel.commissionPerShare,
    commissionMin: input.commissionMin ?? defaultFillModel.commissionMin,
    partialFillPct: input.partialFillPct ?? defaultFillModel.partialFillPct,
    initialCash: input.initialCash ?? 100_000
  }
  const allowShorting = (account: AccountId): boolean =>
    typeof input.allowShorting === "function" ? input.allowShorting(account) : input.allowShorting ?? true

  const ledger = Ledger.make(sql)
  const prices = Prices.make(market)
  const cache = ReadCache.make(sql, ledger.dataVersion)
  const writes = yield* GroupCommit.make(sql, cache.confirmLocked)
  const present = makePresent(market)
  const replacements = Replacements.make(sql)

  /**
   * A call that writes the account, run by the write queue inside its transaction: it starts from what the cache
   * kept of the account (dropped from the cache until the call ends: `ReadCache.take`), on its `WorkingSet`;
   * `ended` receives what the call left and the cache's token of its end, to remember once committed.
   */
  const writing = <A, E>(
    account: AccountId,
    call: (tracked: ReturnType<typeof WorkingSet.track>) => Effect.Effect<A, E>,
    ended: (known: WorkingSet.Known, token: ReadCache.Token) => void
  ) =>
    Effect.suspend(() => {
      const tracked = WorkingSet.track(ledger, cache.take(account, WorkingSet.KEYS) as WorkingSet.Known)
      return Effect.ensuring(call(tracked), Effect.sync(() => ended(tracked.known(), cache.invalidate(account))))
    })

  /**
   * `body` on the account brought to `now`, in one transaction of the write queue (`isolated`: `runIsolated`). Once
   * committed, what the call left of the account (its row, open orders, positions and latest submission stamp, where it read them) is the
   * account's, and the reads after it need not read them again.
   */
  const advancedThen = <A>(
    account: AccountId,
    now: Placement.PlacedAt,
    isolated: boolean,
    body: (row: Ledger.AccountRow, call: CallLedger) => Effect.Effect<A, Failure>
  ): Effect.Effect<A, Failure> =>
    Effect.suspend(() => {
      let left: { readonly known: WorkingSet.Known; readonly token: ReadCache.Token } | undefined
      const call = writing(account, (tracked) => {
        const settlement = Settlement.make(tracked.ledger, options)
        const corporate = CorporateActions.make({ ledger: tracked.ledger, sql, market })
        const matching = Matching.make({ ledger: tracked.ledger, prices, settlement, market, fillModel: options, initialCash: options.initialCash, corporate })
        // built when the body asks for it: bringing an account to the session for a read places nothing
        let placement: Placement.Placement | undefined
        const callLedger: CallLedger = {
          ledger: tracked.ledger,
          get placement() {
            return placement ??= Placement.make({ ledger: tracked.ledger, prices, fillModel: options, allowShorting })
          }
        }
        return Effect.flatMap(matching.advance(account, now), (row) => body(row, callLedger))
      }, (known, token) => (left = { known, token }))
      return Effect.tap(isolated ? writes.runIsolated(call) : writes.run(call), () =>
        Effect.sync(() => {
          if (left !== undefined) cache.remember(account, left.known, left.token)
        }))
    })

  /**
   * Brings the account to the present for a read. Reads that arrive together (a stage reads each account several
   * times at once) share one advance instead of queuing one each; a reader whose shared advance was interrupted
   * runs its own.
   */
  const advancing = new Map<string, Deferred.Deferred<Ledger.AccountRow, Failure>>()
  const advanceForRead = (account: AccountId, now: Placement.PlacedAt): Effect.Effect<Ledger.AccountRow, Failure> =>
    Effect.suspend(() => {
      const key = `${account} ${now.point.session} ${now.point.phase}`
      const own = advancedThen(account, now, false, (row) => Effect.succeed(row))
      const running = advancing.get(key)
      if (running !== undefined) {
        return Effect.catchCause(Deferred.await(running), (cause) => Cause.hasInterruptsOnly(cause) ? own : Effect.failCause(cause))
      }
      const done = Deferred.makeUnsafe<Ledger.AccountRow, Failure>()
      advancing.set(key, done)
      return Effect.onExit(own, (exit) => {
        advancing.delete(key)
        return Deferred.done(done, Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? Exit.interrupt() : exit)
      })
    })

  /**
   * Runs `body` for the account brought to the present. A body that writes runs in the same transaction as
   * bringing the account there (a batch's transaction: `GroupCommit`, whose contract says which bodies "may
   * fail after writing"); a read at the account's current point runs without one, on what the cache holds.
   */
  const readLedger: CallLedger = { ledger, placement: Placement.make({ ledger, prices, fillModel: options, allowShorting }) }
  const withAccount = <A>(
    account: AccountId,
    access: Access,
    body: (now: Placement.PlacedAt, row: Ledger.AccountRow, call: CallLedger) => Effect.Effect<A, Failure>
  ): Effect.Effect<A, BrokerError> =>
    // combinators, not a generator: every call of every account passes here. A read in a stretch that already
    // looked, at the last present, of an account kept at its point runs its body at once (what the steps below
    // would find, without taking them)
    Effect.flatMap(exchangeSession.current, (moment): Effect.Effect<A, Failure | BrokerError> => {
      if (access === "read") {
        const now = present.knownAt(moment)
        const kept = now === undefined ? undefined : cache.keptNow(account, "account") as Ledger.AccountRow | undefined
        if (now !== undefined && kept !== undefined && kept.last_session === now.point.session && kept.phase === now.point.phase) {
          return body(now, kept, readLedger)
        }
      }
      return Effect.flatMap(present.at(moment), (now): Effect.Effect<A, Failure | BrokerError> => {
        if (access !== "read") {
          return advancedThen(account, now, access !== "write", (row, call) =>
            Effect.flatMap(call.ledger.latestSubmitted(account), (latest) => body(Placement.stampedAfter(now, latest), row, call)))
        }
        return Effect.andThen(
          cache.confirm,
          Effect.flatMap(cache.cached(account, "account", ledger.account(account)), (current) => {
            const atPoint = current !== undefined && current.last_session === now.point.session && current.phase === now.point.phase
            return atPoint ? body(now, current, readLedger) : Effect.flatMap(advanceForRead(account, now), (row) => body(now, row, readLedger))
          })
        )
      })
    }).pipe(Effect.mapError(toBrokerError(account)))

  const core: Core = { options, allowShorting, ledger, prices, cache, withAccount }
  const now = exchangeSession.current
  return LocalExchange.of({
    options,
    now,
    point: Effect.flatMap(now, (moment) => Effect.map(present.at(moment), (p) => p.point)).pipe(Effect.mapError(toBrokerError(""))),
    clock: Effect.flatMap(now, present.clock).pipe(Effect.mapError(toBrokerError(""))),
    calendar: (start, end) => present.calendar(start, end).pipe(Effect.mapError(toBrokerError(""))),
    marks: (symbols) =>
      Effect.gen(function*() {
        const { point } = yield* present.at(yield* now)
        const found = yield* prices.pricesAt(symbols, point)
        return { at: point.phase === "open" ? openTimestamp(point.session) : closeTimestamp(point.session), prices: found }
      }).pipe(Effect.mapError(toBrokerError(""))),
    ...readCalls(core),
    ...writeCalls(core),
    replaceOrder: (id, orderId, intent) =>
      withAccount(id, "write, may fail after writing", (now, row, call) => replacements.replace(book(row), now, orderId, intent, call)),
    replacementsOf: (id, orderIds) => withAccount(id, "read", () => replacements.linksOf(id, orderIds))
  })
})

const brokerOf = (exchange: LocalExchange["Service"], account: AccountId): Broker => ({
  account,
  getAccount: exchange.snapshot(account),
  getPositions: Effect.map(exchange.positions(account), (positions) => positions.map(toPosition)),
  getPosition: (symbol) => Effect.map(exchange.position(account, symbol), Option.map(toPosition)),
  listOrders: (query) => Effect.map(exchange.listOrders(account, { ...query, nested: true }), (orders) => orders.map(toOrder)),
  getOrder: (orderId) => Effect.map(exchange.getOrder(account, orderId), toOrder),
  getOrderByClientId: (clientOrderId) =>
    Effect.map(exchange.getOrderByClientId(account, clientOrderId), Option.map(toOrder)),
  listFills: (query) => exchange.listFills(account, query),
  placeOrder: (intent) => Effect.map(exchange.placeOrder(account, intent), toOrder),
  getClock: exchange.clock,
  getCalendar: ({ end, start }) => exchange.calendar(TradingDay.make(start), TradingDay.make(end)),
  getMarks: exchange.marks,
  cancelOrder: (orderId) => exchange.cancelOrder(account, orderId),
  cancelAllOrders: Effect.map(exchange.cancelAllOrders(account), (ids) => ids.length),
  closePosition: (symbol, options) => Effect.map(exchange.closePosition(account, symbol, options), toOrder),
  closeAllPositions: Effect.map(exchange.closeAllPositions(account), (orders) => orders.map(toOrder))
})
