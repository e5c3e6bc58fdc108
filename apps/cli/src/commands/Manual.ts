/**
 * Orders by hand: `order` places one order for one account, `cancel-all` cancels open orders. Both go through the
 * configured brokers, so through the safety broker: an order that breaks the account's rules, or any write to a
 * dry-run account, is refused before it reaches the broker.
 *
 * `order` is exactly-once: its client order id is derived from the account, symbol, side, quantity, type, limit
 * price and time in force, today's New York date, and `--nonce` (default none). Running the same command again the
 * same day adopts the order the first one placed instead of placing it twice; to place the same order twice in a
 * day, give each a different `--nonce`.
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { type AccountId, CLIENT_ORDER_ID_MAX, Order, type OrderIntent, Ticker, type TimeInForce } from "@council/domain"
import { hashOf } from "@council/engine"
import { AccountManager, type BrokerError } from "@council/broker"
import { CliFailure } from "../CliFailure.ts"
import { money, qty as shares, table } from "../Table.ts"

export interface OrderOptions {
  readonly account: string
  readonly symbol: string
  readonly side: "buy" | "sell"
  readonly qty: string
  readonly type: "market" | "limit"
  readonly limitPrice: Option.Option<string>
  readonly tif: TimeInForce
  readonly nonce: Option.Option<string>
  readonly json: boolean
}

const usage = (message: string) => Effect.fail(CliFailure.usage(message))

const positive = (flag: string, raw: string, what: string) => {
  const value = raw.trim() === "" ? Number.NaN : Number(raw)
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
    if (options.type === "limit" && Option.isNone(options.limitPrice)) return yield* usage("--type limit needs --limit-price")
    if (options.type === "market" && Option.isSome(options.limitPrice)) return yield* usage("--limit-price only applies with --type limit")
    const limitPrice = Option.isSome(options.limitPrice)
      ? yield* positive("--limit-price", options.limitPrice.value, "a price > 0")
      : undefined
    if (limitPrice !== undefined && !onTick(limitPrice)) {
      return yield* usage(`--limit-price ${options.limitPrice.pipe(Option.getOrElse(() => ""))}: at most 2 decimals from $1 up, 4 below`)
    }
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
      ...(limitPrice === undefined ? {} : { limitPrice })
    }
    const id = `manual-${date}-${account}-${symbol}-${options.side}-${nonce === undefined ? "" : `${nonce}-`}${hashOf({ ...body, nonce: nonce ?? null }).slice(0, 10)}`
    if (id.length > CLIENT_ORDER_ID_MAX) return yield* usage(`--account/--symbol/--nonce: the client order id would be longer than ${CLIENT_ORDER_ID_MAX} characters`)
    return { ...body, clientOrderId: id, reason: `manual order (pnpm pipeline order) on ${date}` } satisfies OrderIntent
  })

const describeOrder = (intent: OrderIntent) =>
  `${intent.side} ${shares(intent.qty)} ${intent.symbol} ${intent.type}${intent.limitPrice === undefined ? "" : ` ${money(intent.limitPrice)}`} ${intent.timeInForce}`

/** Places the order once (a repeat adopts it); a refusal is one line and exit 1. */
export const placeManual = (intent: OrderIntent, json: boolean) =>
  Effect.gen(function*() {
    const placement = yield* AccountManager.use((m) => m.placeOrder(intent)).pipe(
      Effect.mapError((e: BrokerError) => CliFailure.failed(`${intent.account}: ${describeOrder(intent)} not placed: ${e.message}`))
    )
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
