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
 * - `ExchangeCalls`: the reads and the writes this service answers, over the core `make` builds (`withAccount`).
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
import { type Failure, toBrokerError } from "./ExchangeErrors.ts"
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
import { defaultFillModel, type FillModelOptions } from "./FillModel.ts"
import * as CorporateActions from "./CorporateActions.ts"
import * as GroupCommit from "./GroupCommit.ts"
import * as Ledger from "./Ledger.ts"
import * as Matching from "./Matching.ts"
import * as Placement from "./Placement.ts"
import { makePresent } from "./Present.ts"
import * as Prices from "./Prices.ts"
import * as ReadCache from "./ReadCache.ts"
import * as Replacements from "./Replacements.ts"
import * as Settlement from "./Settlement.ts"
import * as WorkingSet from "./WorkingSet.ts"
import { type Access, book, type CallCore, type CallLedger, readCalls, writeCalls } from "./ExchangeCalls.ts"

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

  const core: CallCore = { options, allowShorting, ledger, prices, cache, withAccount }
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
