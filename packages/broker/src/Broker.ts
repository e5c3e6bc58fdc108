/**
 * The broker contract: what one account's broker can do, and how it fails.
 *
 * **When to use**: execution and reporting talk to brokers only through `Brokers` → `Broker`. The local paper
 * exchange (`@council/exchange`) and the Alpaca adapter provide the same contract.
 *
 * **Gotchas**
 * - `BrokerError` is a `Schema.TaggedError`: it is recorded and replayed, so keep every field serialisable.
 *   `retryable` says whether sending the same request again may succeed; `resetAt` (epoch seconds) comes with
 *   `RateLimited`.
 * - `placeOrder` is idempotent through the intent's `clientOrderId`: a second order with the same id fails with
 *   `DuplicateClientOrderId` (even when the first one is filled or canceled); reconcile with
 *   `getOrderByClientId` before retrying a placement whose outcome is unknown.
 * - `listOrders` returns top-level orders with their legs nested (Alpaca's `nested=true`).
 * - `listFills` is what reconciliation reads to learn of fills after the fact (a bracket leg filled days later).
 * - `getClock` / `getCalendar` are the broker's market clock and calendar (Alpaca's `/v2/clock`, `/v2/calendar`;
 *   the local exchange's simulated present and its sessions): the market schedule check reads them before any
 *   order. Times are New York time.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Schema from "effect/Schema"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type {
  AccountId,
  AccountSnapshot,
  Fill,
  MarketCalendarDay,
  MarketClock,
  Order,
  OrderIntent,
  Position,
  Ticker
} from "@council/domain"

export const BrokerErrorReason = Schema.Literals([
  "InsufficientBuyingPower",
  "InsufficientQty",
  "ShortingNotAllowed",
  "InvalidRequest",
  "NotFound",
  "DuplicateClientOrderId",
  "RateLimited",
  "ServerError",
  "Unauthorized",
  "Unavailable",
  "UnknownAccount",
  "MarketClosed",
  /**
   * The broker refused an order whose `positionIntent` differs from what the position makes it (Alpaca's 422
   * "position intent mismatch"): a `sell_to_close` with no long position to sell would have opened a short.
   */
  "PositionIntentMismatch",
  /** The safety broker refused the order before it reached the broker: it breaks the account's rules (`rule`). */
  "SafetyRefused"
])
export type BrokerErrorReason = typeof BrokerErrorReason.Type

/**
 * With `InsufficientQty`, what the position holds (Alpaca's 403 body: `symbol`, `existing_qty`, `held_for_orders`,
 * `available`): its shares (unsigned), those its open closing orders hold, and those left for another exit.
 */
export const InsufficientShares = Schema.Struct({
  symbol: Schema.String,
  existingQty: Schema.Number,
  heldForOrders: Schema.Number,
  available: Schema.Number
})
export type InsufficientShares = typeof InsufficientShares.Type

export class BrokerError extends Schema.TaggedError<BrokerError>()("BrokerError", {
  account: Schema.String,
  reason: BrokerErrorReason,
  message: Schema.String,
  retryable: Schema.Boolean,
  /** Epoch seconds when the rate limit resets (with `RateLimited`). */
  resetAt: Schema.optionalKey(Schema.Number),
  /** The account rule an order broke (with `SafetyRefused`), e.g. `shorting-disabled`. */
  rule: Schema.optionalKey(Schema.String),
  /** What the position holds (with `InsufficientQty`, where the broker said: the local exchange always does). */
  shares: Schema.optionalKey(InsufficientShares)
}) {}

export interface OrderQuery {
  /** Default `open` (Alpaca's default). */
  readonly status: "open" | "closed" | "all"
  /** Default 50, at most 500. */
  readonly limit?: number
  /** Exclusive lower bound on submission time (RFC 3339 or `YYYY-MM-DD`). */
  readonly after?: string
  /** Exclusive upper bound on submission time (RFC 3339 or `YYYY-MM-DD`). */
  readonly until?: string
  /** Default `desc` (newest first). */
  readonly direction?: "asc" | "desc"
  readonly symbols?: ReadonlyArray<Ticker>
}

/** Which fills `listFills` returns (Alpaca's `FILL` account activities). */
export interface FillQuery {
  /** Exclusive lower bound on the fill's time (RFC 3339). Absent: every fill the broker keeps. */
  readonly after?: string
}

export interface ClosePositionOptions {
  /** Shares to close; at most the position. Exclusive with `percentage`. */
  readonly qty?: number
  /** Percentage (0–100] of the position to close. Exclusive with `qty`. */
  readonly percentage?: number
}

/**
 * The prices a broker marks positions at, read at one moment: `at` is the moment the prices are of (RFC 3339; the
 * local exchange's open or close of its session; over Alpaca's API, its clock read once the latest trades arrived,
 * which `exchange serve` answers with its session's moment), `prices` by symbol (a
 * symbol the broker has no price for is absent).
 */
export const Marks = Schema.Struct({ at: Schema.String, prices: Schema.Record(Schema.String, Schema.Finite) })
export type Marks = typeof Marks.Type

/** One account's broker. */
export interface Broker {
  readonly account: AccountId
  /** Cash, equity, buying power and positions marked at the current price. */
  readonly getAccount: Effect.Effect<AccountSnapshot, BrokerError>
  readonly getPositions: Effect.Effect<ReadonlyArray<Position>, BrokerError>
  readonly getPosition: (symbol: Ticker) => Effect.Effect<Option.Option<Position>, BrokerError>
  readonly listOrders: (query: OrderQuery) => Effect.Effect<ReadonlyArray<Order>, BrokerError>
  /** Fails `NotFound` for an unknown id. */
  readonly getOrder: (orderId: string) => Effect.Effect<Order, BrokerError>
  readonly getOrderByClientId: (clientOrderId: string) => Effect.Effect<Option.Option<Order>, BrokerError>
  /** Fills (bracket and OCO legs included), oldest first, every page read. */
  readonly listFills: (query: FillQuery) => Effect.Effect<ReadonlyArray<Fill>, BrokerError>
  readonly placeOrder: (intent: OrderIntent) => Effect.Effect<Order, BrokerError>
  /** Cancels an open order (and the rest of its bracket/OCO group). */
  readonly cancelOrder: (orderId: string) => Effect.Effect<void, BrokerError>
  /** Cancels every open order; succeeds with how many top-level orders were canceled. */
  readonly cancelAllOrders: Effect.Effect<number, BrokerError>
  /** Liquidates (part of) a position with a market order and returns that order; `NotFound` when flat. */
  readonly closePosition: (symbol: Ticker, options?: ClosePositionOptions) => Effect.Effect<Order, BrokerError>
  readonly closeAllPositions: Effect.Effect<ReadonlyArray<Order>, BrokerError>
  /** The market clock now: New York timestamps, whether the market is open, its next open and close. */
  readonly getClock: Effect.Effect<MarketClock, BrokerError>
  /** The sessions from `start` to `end` (`YYYY-MM-DD`, inclusive) with their New York hours (early closes at 13:00). */
  readonly getCalendar: (range: { readonly start: string; readonly end: string }) => Effect.Effect<ReadonlyArray<MarketCalendarDay>, BrokerError>
  /**
   * The latest price of each of `symbols` as the broker marks positions now (`Marks`): what an account's snapshot
   * read at the same moment is marked at. Optional: a broker without it records no marks (the ledger then falls
   * back to the sessions' closes).
   */
  readonly getMarks?: (symbols: ReadonlyArray<Ticker>) => Effect.Effect<Marks, BrokerError>
}

/** The brokers of every configured account. */
export class Brokers extends Context.Service<Brokers, {
  readonly accounts: ReadonlyArray<AccountId>
  /** Fails with reason `UnknownAccount` for an account that is not configured. */
  readonly get: (account: AccountId) => Effect.Effect<Broker, BrokerError>
}>()("@council/broker/Brokers") {}

/** The error `Brokers.get` fails with for an account it does not serve. */
export const unknownAccount = (account: string, known: ReadonlyArray<string>): BrokerError =>
  new BrokerError({
    account,
    reason: "UnknownAccount",
    message: `unknown account ${account} (configured: ${known.join(", ") || "none"})`,
    retryable: false
  })
