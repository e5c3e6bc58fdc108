/**
 * Orders by hand: `order` places one order for one account, `cancel-all` cancels open orders. Both go through the
 * configured brokers, so through the safety broker: an order that breaks the account's rules, or any write to a
 * dry-run account, is refused before it reaches the broker: one line on stderr, exit 1, and told to Slack (as a run's
 * refusals are).
 *
 * `order` is exactly-once: its client order id is derived from the account, symbol, side, quantity, type, limit
 * price and time in force, today's New York date, and `--nonce` (default none). Running the same command again the
 * same day adopts the order the first one placed instead of placing it twice; to place the same order twice in a
 * day, give each a different `--nonce`.
 *
 * `close` liquidates one position, after canceling that symbol's open orders (a protective exit holds the shares a
 * close would sell): the seed manager's `close_position` (`cancel`, its `cancel_order`, is in `Cancel.ts`). A dry-run
 * account refuses it before any request. `close` run again while its market order is still open adopts that order
 * instead of canceling it and sending another. It reads every open order of the symbol first, page after page (more
 * than Alpaca's 500 a listing), and sends nothing when it cannot read them all (one line, exit 1).
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { type AccountId, CLIENT_ORDER_ID_MAX, Order, type OrderIntent, plainDecimal, Ticker, type TimeInForce } from "@council/domain"
import { hashOf } from "@council/engine"
import { AccountManager, type Broker, BrokerError, OrderPages, TradingAccounts } from "@council/broker"
import { type Notification, Notifier } from "@council/notify/Notifier"
import { CliFailure } from "../CliFailure.ts"
import { money, qty as shares, table } from "../Table.ts"
import { orderSize, orderType } from "../OrderText.ts"

export interface OrderOptions {
  readonly account: string
  readonly symbol: string
  readonly side: "buy" | "sell"
  readonly qty: string
  readonly type: "market" | "limit" | "stop" | "stop_limit"
  readonly limitPrice: Option.Option<string>
  readonly stopPrice: Option.Option<string>
  readonly extendedHours: boolean
  readonly tif: TimeInForce
  readonly nonce: Option.Option<string>
  readonly json: boolean
}

const usage = (message: string) => Effect.fail(CliFailure.usage(message))

/** A plain decimal above 0 (`plainDecimal`: never `0x10` for 16 shares or `1e2` for a $100 limit). */
const positive = (flag: string, raw: string, what: string) => {
  const value = plainDecimal(raw)
  return Number.isFinite(value) && value > 0 ? Effect.succeed(value) : usage(`${flag} ${raw}: expected ${what}`)
}

/** A price on Alpaca's tick: cents from $1, four decimals below. */
const onTick = (price: number) => Math.abs(Number(price.toFixed(price >= 1 ? 2 : 4)) - price) < 1e-9

/** Today's date in New York, `YYYY-MM-DD`: the day a manual order's client order id belongs to. */
const newYorkDate = Effect.map(Clock.currentTimeMillis, (now) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York", year: "numeric", month: "2-digit", day: "2-digit" }).format(now))

/** The order the flags describe, checked before anything is opened (one line, exit 2, for a bad flag). */
export const manualIntent = (options: OrderOptions, account: AccountId) =>
  Effect.gen(function*() {
    const symbol = options.symbol.trim().toUpperCase()
    if (!Schema.is(Ticker)(symbol)) return yield* usage(`--symbol ${options.symbol}: expected a ticker such as SPY`)
    const qty = yield* positive("--qty", options.qty, "a number of shares > 0")
    if (Math.abs(Number(qty.toFixed(9)) - qty) > 1e-12) return yield* usage(`--qty ${options.qty}: at most 9 decimals`)
    const limited = options.type === "limit" || options.type === "stop_limit"
    const stopped = options.type === "stop" || options.type === "stop_limit"
    if (limited && Option.isNone(options.limitPrice)) return yield* usage(`--type ${options.type} needs --limit-price`)
    if (!limited && Option.isSome(options.limitPrice)) return yield* usage("--limit-price only applies with --type limit or stop_limit")
    if (stopped && Option.isNone(options.stopPrice)) return yield* usage(`--type ${options.type} needs --stop-price`)
    if (!stopped && Option.isSome(options.stopPrice)) return yield* usage("--stop-price only applies with --type stop or stop_limit")
    // Alpaca takes extended-hours orders only as day limit orders
    if (options.extendedHours && !(options.type === "limit" && options.tif === "day")) {
      return yield* usage("--extended-hours needs --type limit and --tif day (Alpaca's rule for pre- and after-market orders)")
    }
    const price = (flag: string, raw: Option.Option<string>) =>
      Option.match(raw, {
        onNone: () => Effect.succeed(undefined),
        onSome: (text) =>
          Effect.flatMap(positive(flag, text, "a price > 0"), (p) => (onTick(p) ? Effect.succeed(p) : usage(`${flag} ${text}: at most 2 decimals from $1 up, 4 below`)))
      })
    const limitPrice = yield* price("--limit-price", options.limitPrice)
    const stopPrice = yield* price("--stop-price", options.stopPrice)
    const nonce = Option.getOrUndefined(options.nonce)
    if (nonce !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(nonce)) return yield* usage(`--nonce: 1 to 32 letters, digits, - or _`)
    const date = yield* newYorkDate
    const body = {
      account,
      symbol: Ticker.make(symbol),
      side: options.side,
      qty,
      type: options.type,
      timeInForce: options.tif,
      orderClass: "simple" as const,
      ...(limitPrice === undefined ? {} : { limitPrice }),
      ...(stopPrice === undefined ? {} : { stopPrice }),
      ...(options.extendedHours ? { extendedHours: true } : {})
    }
    const id = `manual-${date}-${account}-${symbol}-${options.side}-${nonce === undefined ? "" : `${nonce}-`}${hashOf({ ...body, nonce: nonce ?? null }).slice(0, 10)}`
    if (id.length > CLIENT_ORDER_ID_MAX) return yield* usage(`--account/--symbol/--nonce: the client order id would be longer than ${CLIENT_ORDER_ID_MAX} characters`)
    return { ...body, clientOrderId: id, reason: `manual order (pnpm pipeline order) on ${date}` } satisfies OrderIntent
  })

/** An order's prices after its type: ` $stop` (stop), ` $limit` (limit), ` $stop limit $limit` (stop-limit). */
const pricesText = (stop: number | null | undefined, limit: number | null | undefined) =>
  `${stop == null ? "" : ` ${money(stop)}`}${limit == null ? "" : `${stop == null ? "" : " limit"} ${money(limit)}`}`

const describeOrder = (intent: OrderIntent) =>
  `${intent.side} ${shares(intent.qty)} ${intent.symbol} ${intent.type}${pricesText(intent.stopPrice, intent.limitPrice)} ${intent.timeInForce}${
    intent.extendedHours === true ? " extended hours" : ""
  }`

/**
 * Tells Slack alone (stderr carries the line already) that a manual order was not placed, as a run's refusals are
 * told: the operator who reads Slack hears that someone's order broke an account's rule. Nothing without
 * `SLACK_WEBHOOK_URL`; a Slack failure is a warning, never the command's.
 */
const tellNotPlaced = (intent: OrderIntent, error: BrokerError, line: string) =>
  tellSlack({
    level: "WARN",
    account: intent.account,
    subject: error.reason === "SafetyRefused" ? "Manual order refused by the safety broker" : "Manual order not placed",
    body: line
  })

/** `message` to Slack alone (nothing without `SLACK_WEBHOOK_URL`); a Slack failure is a warning, never the command's. */
const tellSlack = (message: Notification) =>
  Effect.gen(function*() {
    const AppLayer = yield* Effect.promise(() => import("../AppLayer.ts"))
    const slack = yield* AppLayer.slackAlone
    if (Option.isNone(slack)) return
    yield* Notifier.use((n) => n.notify(message)).pipe(
      Effect.catchTag("NotifierError", (e) => Effect.logWarning(`notification failed: ${e.message}`)),
      Effect.provide(slack.value)
    )
  })

/**
 * An order placed by hand on a LIVE account — real money — is told to Slack (INFO, `LIVE · Manual order placed`):
 * whoever reads Slack hears of every real order, a run's or a person's. A paper account's is not told (the user's
 * own command, printed on stdout), nor an order adopted from an earlier identical command (nothing placed).
 */
const tellLivePlaced = (intent: OrderIntent, order: Order) =>
  Effect.gen(function*() {
    const { all } = yield* TradingAccounts
    if (all.find((a) => a.id === intent.account)?.mode !== "LIVE") return
    yield* tellSlack({
      level: "INFO",
      account: intent.account,
      subject: "LIVE · Manual order placed",
      body: `${intent.account}: ${describeOrder(intent)} → order ${order.id} · ${order.status} · client order id ${order.clientOrderId}`
    })
  })

/** Places the order once (a repeat adopts it); a refusal is one line and exit 1, also told to Slack. */
export const placeManual = (intent: OrderIntent, json: boolean) =>
  Effect.gen(function*() {
    const placement = yield* AccountManager.use((m) => m.placeOrder(intent)).pipe(
      Effect.catchTag("BrokerError", (e) => {
        // no price to check a market or stop order against (a symbol no market data prices): a limit order says its own
        const hint = e.rule === "no-price" && intent.limitPrice == null ? "; an order with a limit price is checked at it (--type limit or stop_limit, --limit-price P)" : ""
        const line = `${intent.account}: ${describeOrder(intent)} not placed: ${e.message}${hint}`
        return Effect.andThen(tellNotPlaced(intent, e, line), Effect.fail(CliFailure.failed(line)))
      })
    )
    if (!placement.adopted) yield* tellLivePlaced(intent, placement.order)
    if (json) {
      return yield* Console.log(JSON.stringify({ account: intent.account, clientOrderId: intent.clientOrderId, adopted: placement.adopted, order: Schema.encodeSync(Order)(placement.order) }, null, 2))
    }
    const o = placement.order
    yield* Console.log(
      `${placement.adopted ? "already at the broker (this order was placed before; nothing placed again)" : "placed"}: ${intent.account} ${describeOrder(intent)}\n` +
        `order ${o.id} · ${o.status}${o.filledQty > 0 && o.filledAvgPrice !== null ? ` · filled ${shares(o.filledQty)} @ ${money(o.filledAvgPrice)}` : ""} · client order id ${o.clientOrderId}`
    )
  })

/** `cancel-all` asks for `--yes` before anything is opened. */
export const confirmCancelAll = (account: Option.Option<string>, yes: boolean) =>
  yes ? Effect.void : usage(`cancel-all cancels every open order${Option.isSome(account) ? ` of ${account.value}` : " of every account"}; add --yes to confirm`)

export const cancelAll = (ids: ReadonlyArray<AccountId>, json: boolean) =>
  Effect.gen(function*() {
    const results = yield* AccountManager.use((m) => m.cancelAllOrders(ids))
    const rows = results.map(({ account, result }) => ({
      account,
      canceled: Result.isSuccess(result) ? result.success : null,
      error: Result.isFailure(result) ? result.failure.message : null
    }))
    yield* Console.log(json ? JSON.stringify(rows, null, 2) : table(["ACCOUNT", "ORDERS CANCELED", "ERROR"], rows.map((r) => [r.account, r.canceled === null ? "-" : String(r.canceled), r.error ?? ""])))
    const failed = rows.filter((r) => r.error !== null)
    if (failed.length > 0) return yield* CliFailure.failed(`${failed.length} of ${rows.length} accounts failed: ${failed.map((f) => f.account).join(", ")}`)
  })

/** `--symbol` as a ticker (upper-cased), or one line naming the flag. */
export const symbolFlag = (raw: string) => {
  const symbol = raw.trim().toUpperCase()
  return Schema.is(Ticker)(symbol) ? Effect.succeed(symbol) : usage(`--symbol ${raw}: expected a ticker such as SPY`)
}

/** `close` asks for `--yes` before anything is opened. */
export const confirmClose = (account: string, symbol: string, yes: boolean) =>
  yes
    ? Effect.void
    : usage(`close cancels the open ${symbol.trim().toUpperCase()} orders of ${account.trim().toUpperCase()} and liquidates its ${symbol.trim().toUpperCase()} position; add --yes to confirm`)

/** A dry-run account's writes are refused here, before any request (the safety broker would refuse the write, after the reads). */
export const writable = (account: AccountId, what: string) =>
  TradingAccounts.use(({ all }) =>
    all.find((a) => a.id === account)?.settings.dryRun === true
      ? Effect.fail(CliFailure.failed(`${account} is a dry-run account: nothing is sent to its broker (${what}); set "dryRun": false to trade it`))
      : Effect.void)

/** The account's one broker call `f`, its failure one line (exit 1) naming the account. */
export const onAccount = <A>(account: AccountId, f: (broker: Broker) => Effect.Effect<A, BrokerError>) =>
  Effect.flatMap(AccountManager.use((m) => m.forEachAccount([account], f)), ([only]) =>
    Result.isSuccess(only!.result)
      ? Effect.succeed(only!.result.success as A)
      : Effect.fail(CliFailure.failed(`${account}: ${(only!.result.failure as BrokerError).message}`)))

export const describePlaced = (o: Order) => `${o.side} ${orderSize(o)} ${o.symbol} ${orderType(o)}${pricesText(o.stopPrice, o.limitPrice)}`

/** `close`: cancels the symbol's open orders, then liquidates the position with a market order. */
export const closeOne = (account: AccountId, symbol: Ticker, json: boolean) =>
  Effect.gen(function*() {
    yield* writable(account, `close ${symbol}`)
    const { adopted, canceled, closed } = yield* onAccount(account, (b) =>
      Effect.gen(function*() {
        const held = yield* b.getPosition(symbol)
        if (Option.isNone(held)) {
          return yield* new BrokerError({ account, reason: "NotFound", message: `no ${symbol} position to close`, retryable: false })
        }
        // every open order of the symbol, page after page (an exit left working would hold the shares the close
        // sells): when they cannot all be read, nothing is canceled or sent
        const open = yield* OrderPages.listEvery(b, { status: "open", symbols: [symbol] }, `${symbol}'s open orders`).pipe(
          Effect.mapError((e) => new BrokerError({ ...e, message: `${e.message}; nothing canceled, no close sent` }))
        )
        // a close sent before and not filled yet (the same command run again) is the close: adopted, not replaced
        const closing = open.find((o) =>
          o.orderClass === "simple" && o.type === "market" && o.timeInForce === "day" &&
          o.side === (held.value.qty > 0 ? "sell" : "buy") && Math.abs(o.qty - Math.abs(held.value.qty)) < 1e-9
        )
        if (closing !== undefined) return { canceled: [], closed: closing, adopted: true }
        const done: Array<Order> = []
        // a close that fails after cancels leaves the position without those orders (its exits): say so
        const withCanceled = (e: BrokerError) =>
          done.length === 0 ? e : new BrokerError({
            ...e,
            message: `${e.message} (canceled before it: ${done.map((o) => `${describePlaced(o)} ${o.clientOrderId}`).join(", ")}; the position is without ${done.length === 1 ? "it" : "them"} now)`
          })
        yield* Effect.forEach(open, (o) => Effect.map(b.cancelOrder(o.id), () => done.push(o)), { discard: true }).pipe(Effect.mapError(withCanceled))
        const closed = yield* b.closePosition(symbol).pipe(Effect.mapError(withCanceled))
        return { canceled: open, closed, adopted: false }
      }))
    if (json) {
      return yield* Console.log(JSON.stringify({ account, symbol, adopted, canceled: canceled.map((o) => Schema.encodeSync(Order)(o)), closed: Schema.encodeSync(Order)(closed) }, null, 2))
    }
    yield* Console.log(
      `${canceled.length === 0 ? "" : `canceled first: ${canceled.map((o) => `${describePlaced(o)} (${o.clientOrderId})`).join(", ")}\n`}` +
        `${adopted ? "already closing (an earlier close's order is still open; nothing sent)" : "closing"}: ${account} ${describePlaced(closed)} · order ${closed.id} · ${closed.status}${closed.filledQty > 0 && closed.filledAvgPrice !== null ? ` · filled ${shares(closed.filledQty)} @ ${money(closed.filledAvgPrice)}` : ""}`
    )
  })
