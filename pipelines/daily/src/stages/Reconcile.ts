import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { AccountId, AccountSnapshot, Fill, momentOfEpoch, Order, Ticker, TradingDay } from "@council/domain"
import { Recorder, RunContext, Stage } from "@council/engine"
import { type Broker, BrokerError, Brokers, Marks } from "@council/broker"
import { MarketData } from "@council/market"
import { AccountCursor, type BookId, fromBrokerOrder, type LedgerCursor, LedgerError, type LedgerFill, type LedgerOrder, type SessionMarks, Standings, TradeLedger } from "@council/tracking"
import { runLedgerBook, runReconciles } from "../DailyParams.ts"
import { openOrders } from "../OpenOrderPages.ts"

export const AccountReconciliation = Schema.Struct({
  account: AccountId,
  status: Schema.Literals(["recorded", "failed"]),
  /** Orders (legs counted) and fills read since the account's last reconciliation. */
  orders: Schema.Int,
  fills: Schema.Int,
  /**
   * Of those, the ones the ledger did not hold yet (a reconciliation run again reads its cursor's overlap and the
   * open orders again: 0 new). Absent from runs recorded before they were counted.
   */
  newOrders: Schema.optionalKey(Schema.Int),
  newFills: Schema.optionalKey(Schema.Int),
  equity: Schema.NullOr(Schema.Finite),
  message: Schema.String
})
export type AccountReconciliation = typeof AccountReconciliation.Type

export const ReconcileReport = Schema.Struct({
  asOf: TradingDay,
  book: Schema.String,
  accounts: Schema.Array(AccountReconciliation)
})
export type ReconcileReport = typeof ReconcileReport.Type

const brokerCall = <A>(name: string, args: object, success: Schema.Codec<A, unknown>, live: Effect.Effect<A, BrokerError>) =>
  Recorder.call(name, args, { success, failure: BrokerError }, live)

// built once: a schema built per call cost its construction on every read of every account
const Orders = Schema.Array(Order)
const Fills = Schema.Array(Fill)
const Accounts = Schema.Array(AccountId)
const Cursors = Schema.Array(AccountCursor)

/** Orders per page when listing what was submitted since the cursor; at most `MAX_PAGES` pages. */
const PAGE = 500
const MAX_PAGES = 100

/** Broker times are compared with a second of overlap: writes are idempotent, a missed fill is not. */
const overlap = (iso: string | null): string | undefined =>
  iso === null || Number.isNaN(Date.parse(iso)) ? undefined : new Date(Date.parse(iso) - 1000).toISOString()

/** A UTC timestamp (`…Z`): its date and its hour. */
const UTC_STAMP = /^(\d{4}-\d{2}-\d{2})T(\d{2}):\d{2}(?::\d{2}(?:\.\d+)?)?Z$/

/**
 * The New York date of a broker timestamp: the session a fill belongs to. New York is 4 or 5 hours behind UTC, so
 * from 05:00 UTC on its date is the UTC date (a fill at an open or a close: no time zone to consult); other times
 * go by the daylight-saving rules (`momentOfEpoch`). Formatting every fill's time with `Intl` in the zone cost more
 * than the rest of reading the fills.
 */
export const sessionOf = (iso: string): TradingDay => {
  const utc = UTC_STAMP.exec(iso)
  if (utc !== null && Number(utc[2]) >= 5) return TradingDay.make(utc[1]!)
  const epoch = Date.parse(iso)
  if (Number.isNaN(epoch)) throw new RangeError(`not a timestamp: ${iso}`)
  return TradingDay.make(momentOfEpoch(epoch).day)
}

/** Every order submitted after `after` (oldest first), page by page. */
const ordersSince = (broker: Broker, after: string | undefined) =>
  Effect.gen(function*() {
    const all: Array<Order> = []
    let from = after
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = { status: "all" as const, direction: "asc" as const, limit: PAGE, ...(from === undefined ? {} : { after: from }) }
      const orders = yield* brokerCall("broker.listOrders", { account: broker.account, ...query }, Orders, broker.listOrders(query))
      all.push(...orders)
      const last = orders.reduce<string | undefined>((m, o) => (m === undefined || o.submittedAt > m ? o.submittedAt : m), undefined)
      if (orders.length < PAGE || last === undefined || last === from) return all
      from = last
    }
    return all
  })

const ledgerRows = (account: AccountId, orders: ReadonlyArray<Order>): ReadonlyArray<LedgerOrder> =>
  orders.flatMap((order) => fromBrokerOrder(account, order))

const ledgerFill = (fill: Fill): LedgerFill => ({
  account: fill.account,
  id: fill.id,
  orderId: fill.orderId,
  symbol: fill.symbol,
  side: fill.side,
  qty: fill.qty,
  price: fill.price,
  commission: fill.commission,
  session: sessionOf(fill.at),
  at: fill.at
})

const ReadAccount = Schema.Struct({ snapshot: AccountSnapshot, at: Schema.String })

/** Per account, what of a reconciliation's reads the ledger did not hold yet. */
const Fresh = Schema.Array(Schema.Struct({ account: AccountId, orders: Schema.Int, fills: Schema.Int }))
type Fresh = typeof Fresh.Type
/** What `ledger.record` answers: the new counts; `null` in runs recorded before they were counted (written then as void). */
const Written = Schema.NullOr(Fresh)

type AccountRead = { readonly orders: ReadonlyArray<LedgerOrder>; readonly fills: ReadonlyArray<LedgerFill>; readonly snapshot: { readonly account: AccountId } }

/**
 * Whether `iso` is after the cursor's moment (epoch milliseconds, parsed once; `null`: no cursor, everything is).
 * A moment that does not parse (either) is not: it is looked up.
 */
const after = (iso: string, cursor: number | null) => cursor === null || Date.parse(iso) > cursor

const parsed = (iso: string | null | undefined) => (iso === null || iso === undefined ? null : Date.parse(iso))

/** An account's cursor as `freshOf` asks it: its moments parsed once, its open orders as a set. */
const cursorView = (cursor: AccountCursor | undefined) => ({
  ordersAfter: parsed(cursor?.ordersAfter),
  fillsAfter: parsed(cursor?.fillsAfter),
  open: new Set(cursor?.open ?? [])
})

const span = (days: ReadonlyArray<string>) => days.length === 0 ? undefined : { from: TradingDay.make(days.reduce((a, b) => (a < b ? a : b))), to: TradingDay.make(days.reduce((a, b) => (a > b ? a : b))) }

/** Whether `day` lies in `days` (inclusive). */
const within = (day: string, days: { readonly from: string; readonly to: string }) => day >= days.from && day <= days.to

/**
 * Of what each account read, what the ledger does not hold yet (before `record` writes it). What lies after an
 * account's cursor is new; what lies in its overlap (a second before it) is looked up in the ledger by key, the
 * orders of every account at once and their fills at once; an order the ledger holds open, and a leg of a held
 * order, is held. Held means held within the days the overlap spans (orders by the day they were submitted, fills
 * by session), as when the overlap's days were read whole. Nothing is read when nothing lies in an overlap (a
 * reconciliation's first read of a book).
 */
const freshOf = (ledger: TradeLedger["Service"], book: BookId, cursors: ReadonlyArray<AccountCursor>, reads: ReadonlyArray<AccountRead>) =>
  Effect.gen(function*() {
    const views = reads.map((r) => {
      const account = r.snapshot.account
      const cursor = cursorView(cursors.find((c) => c.account === account))
      // each top-level order: whether it lies after the cursor (parsed once, asked again for its legs)
      const parents = new Map<string, { readonly order: LedgerOrder; readonly later: boolean }>()
      for (const o of r.orders) if (o.parentId === null) parents.set(o.id, { order: o, later: after(o.submittedAt, cursor.ordersAfter) })
      const laterFills = r.fills.map((f) => after(f.at, cursor.fillsAfter))
      return { read: r, account, cursor, parents, laterFills }
    })
    const overlapOrders = views.flatMap(({ account, cursor, parents }) =>
      [...parents.values()].filter((p) => !cursor.open.has(p.order.id) && !p.later).map((p) => ({ account, id: p.order.id, day: p.order.submittedAt.slice(0, 10) }))
    )
    const overlapFills = views.flatMap(({ account, laterFills, read }) =>
      read.fills.filter((_, i) => !laterFills[i]).map((f) => ({ account, id: f.id, day: f.session }))
    )
    const orderDays = span(overlapOrders.map((o) => o.day))
    const fillDays = span(overlapFills.map((f) => f.day))
    const heldOrders = new Set(
      orderDays === undefined ? [] : (yield* ledger.heldOrders(book, overlapOrders)).filter((o) => within(o.submittedAt.slice(0, 10), orderDays)).map((o) => `${o.account} ${o.id}`)
    )
    const heldFills = new Set(
      fillDays === undefined ? [] : (yield* ledger.heldFills(book, overlapFills)).filter((f) => within(f.session, fillDays)).map((f) => `${f.account} ${f.id}`)
    )
    return views.map(({ account, cursor, laterFills, parents, read }): Fresh[number] => {
      const isNew = (parent: { readonly order: LedgerOrder; readonly later: boolean } | undefined) =>
        parent !== undefined && !cursor.open.has(parent.order.id) && (parent.later || !heldOrders.has(`${account} ${parent.order.id}`))
      return {
        account,
        orders: read.orders.filter((o) => isNew(parents.get(o.parentId ?? o.id))).length,
        fills: read.fills.filter((f, i) => laterFills[i] || !heldFills.has(`${account} ${f.id}`)).length
      }
    })
  })

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`

/** What one account's broker reported since `cursor`, as ledger rows (nothing written yet). */
const readAccount = (broker: Broker, cursor: LedgerCursor, session: TradingDay) =>
  Effect.gen(function*() {
    const account = broker.account
    const fillsAfter = overlap(cursor.fillsAfter)
    // every read runs to its end (recorded) before a failure counts, so a replay meets the calls in the same state
    const reads = yield* Effect.all([
      ordersSince(broker, overlap(cursor.ordersAfter)),
      openOrders(broker),
      brokerCall("broker.listFills", { account, after: fillsAfter ?? null }, Fills, broker.listFills(fillsAfter === undefined ? {} : { after: fillsAfter })),
      brokerCall("broker.getAccount", { account, at: "now" }, ReadAccount, Effect.zipWith(broker.getAccount, Clock.currentTimeMillis, (snapshot, ms) => ({ snapshot, at: new Date(ms).toISOString() })))
    ], { concurrency: "unbounded", mode: "result" })
    // the first failure in the reads' order
    const [recentRead, openRead, fillsRead, accountRead] = reads
    if (Result.isFailure(recentRead)) return yield* Effect.fail(recentRead.failure)
    if (Result.isFailure(openRead)) return yield* Effect.fail(openRead.failure)
    if (Result.isFailure(fillsRead)) return yield* Effect.fail(fillsRead.failure)
    if (Result.isFailure(accountRead)) return yield* Effect.fail(accountRead.failure)
    const [recent, open, fills, read] = [recentRead.success, openRead.success, fillsRead.success, accountRead.success]
    const seen = new Set([...recent, ...open].map((o) => o.id))
    const closed = yield* Effect.forEach(
      cursor.open.filter((id) => !seen.has(id)),
      (id) =>
        brokerCall("broker.getOrder", { account, orderId: id }, Order, broker.getOrder(id)).pipe(
          Effect.map(Option.some<Order>),
          Effect.catchIf((e) => e._tag === "BrokerError" && e.reason === "NotFound", () => Effect.succeed(Option.none<Order>())),
          Effect.result
        ),
      { concurrency: "unbounded" }
    ).pipe(Effect.flatMap((results) => Effect.forEach(results, Effect.fromResult)))
    const byId = new Map<string, Order>()
    for (const order of [...recent, ...open, ...closed.flatMap(Option.toArray)]) byId.set(order.id, order)
    const { snapshot, at } = read
    return {
      orders: ledgerRows(account, [...byId.values()]),
      fills: fills.map(ledgerFill),
      snapshot: { account, session, cash: snapshot.cash, equity: snapshot.equity, longMarketValue: snapshot.longMarketValue, shortMarketValue: snapshot.shortMarketValue, positions: snapshot.positions, takenAt: at }
    }
  }).pipe(Effect.withSpan("reconcile account", { attributes: { account: broker.account } }, { captureStackTrace: false }))

/**
 * The prices the run's snapshots are marked at (SPY and the universe), read once from the broker of COUNCIL (else
 * the first account whose broker gives marks) beside the accounts' reads; `undefined` when no broker gives them, the
 * read fails (a warning says so), or a replayed run recorded none (runs recorded before marks were): those snapshots
 * carry no moment.
 */
const readMarks = (brokers: Brokers["Service"], accounts: ReadonlyArray<AccountId>, session: TradingDay) =>
  Effect.gen(function*() {
    const ordered = [...accounts.filter((a) => a === "COUNCIL"), ...accounts.filter((a) => a !== "COUNCIL")]
    for (const account of ordered) {
      const broker = yield* Effect.option(brokers.get(account))
      const getMarks = Option.isSome(broker) ? broker.value.getMarks : undefined
      if (getMarks === undefined) continue
      const market = yield* Effect.serviceOption(MarketData)
      const universe = Option.isNone(market) ? [] : yield* market.value.universe.pipe(Effect.orElseSucceed(() => []))
      const symbols = [...new Set([Standings.BENCHMARK, ...universe])].map((s) => Ticker.make(s))
      const marks = yield* brokerCall("broker.getMarks", { account }, Marks, getMarks(symbols)).pipe(
        Effect.map((m): SessionMarks => ({ session, markedAt: m.at, prices: m.prices })),
        Effect.catchTags({
          // the accounts are still recorded, without a moment: say why this session's comparison falls back to its close
          BrokerError: (error) =>
            Effect.as(
              Effect.logWarning(`${session}: the marks could not be read from ${account}'s broker (${error.message}); this session's snapshots carry no moment: SPY and the baselines are taken at its close`),
              undefined
            ),
          RecordingMissing: () => Effect.undefined
        })
      )
      return marks
    }
    return undefined
  })

const failed = (account: AccountId, message: string): AccountReconciliation => ({ account, status: "failed", orders: 0, fills: 0, equity: null, message })

/**
 * What every configured account's broker did since the last reconciliation — orders with their legs, fills, the
 * account at the session — recorded in the run's ledger book. It never fails the run: an account that cannot be
 * read is reported `failed` and is read again (from the same cursor) by the next reconciliation.
 *
 * Its output depends on nothing a fork or a retry changes (the accounts are the configured ones, read through the
 * recorder; a dry run records too: the ledger holds what the brokers say, whoever asked), so a fork's copy of it
 * replays identically. A retry of accounts it could not read runs it again for those alone (`reconciles`).
 */
export const Reconcile = Stage.make({
  name: "Reconcile",
  description: "orders, fills and account state since the last reconciliation, recorded in the ledger",
  dependsOn: [],
  output: ReconcileReport,
  // it writes the ledger book: a re-run after that write reads from the moved cursors (its counts differ)
  sideEffects: true,
  timeout: "2 minutes",
  run: () =>
    Effect.gen(function*() {
      const { asOf } = yield* RunContext
      const book = yield* runLedgerBook
      const brokers = yield* Brokers
      const configured = yield* Recorder.call("brokers.accounts", {}, { success: Accounts, failure: Schema.Never }, Effect.succeed(brokers.accounts))
      // a retry reconciles again only the accounts its day's first run could not read (`reconciles`)
      const only = yield* runReconciles
      const accounts = only === undefined ? configured : configured.filter((a) => only.includes(a))
      const ledger = yield* TradeLedger
      const cursors = yield* Recorder.call("ledger.cursors", { book, accounts }, { success: Cursors, failure: LedgerError }, ledger.cursors(book, accounts)).pipe(Effect.result)
      if (Result.isFailure(cursors)) {
        return { asOf, book, accounts: accounts.map((a) => failed(a, `the ledger could not be read: ${cursors.failure.message}`)) }
      }
      const [reads, marks] = yield* Effect.all([
        Effect.forEach(
          accounts,
          (account) => {
            const cursor = cursors.success.find((c) => c.account === account) ?? { account, ordersAfter: null, fillsAfter: null, open: [] }
            return brokers.get(account).pipe(Effect.flatMap((broker) => readAccount(broker, cursor, asOf)), Effect.result)
          },
          { concurrency: "unbounded" }
        ),
        readMarks(brokers, accounts, asOf)
      ], { concurrency: "unbounded" })
      const read = reads.flatMap((r) => (Result.isSuccess(r) ? [r.success] : []))
      const counts = read.map((r) => ({ account: r.snapshot.account, orders: r.orders.length, fills: r.fills.length, equity: r.snapshot.equity }))
      // one write for every account read: one transaction a session
      const written = yield* Recorder.call(
        "ledger.record",
        { book, session: asOf, counts },
        { success: Written, failure: LedgerError },
        Effect.tap(
          freshOf(ledger, book, cursors.success, read),
          () =>
            ledger.record({
              book,
              orders: read.flatMap((r) => r.orders),
              fills: read.flatMap((r) => r.fills),
              snapshots: read.map((r) => ({ ...r.snapshot, markedAt: marks?.markedAt ?? null })),
              marks: marks === undefined ? [] : [marks]
            })
        )
      ).pipe(Effect.result)
      const results = accounts.map((account, i): AccountReconciliation => {
        const r = reads[i]!
        if (Result.isFailure(r)) return failed(account, `the broker could not be read: ${r.failure.message}`)
        if (Result.isFailure(written)) return failed(account, `the ledger could not be written: ${written.failure.message}`)
        const c = counts.find((x) => x.account === account)!
        const fresh = written.success?.find((x) => x.account === account)
        // a run recorded before the new counts were replays as it ran
        if (fresh === undefined) return { ...c, status: "recorded", message: `${c.orders} orders, ${c.fills} fills recorded` }
        return {
          ...c,
          newOrders: fresh.orders,
          newFills: fresh.fills,
          status: "recorded",
          message: `read ${plural(c.orders, "order")}, ${plural(c.fills, "fill")}; new: ${plural(fresh.orders, "order")}, ${plural(fresh.fills, "fill")}`
        }
      })
      return { asOf, book, accounts: results }
    })
})
