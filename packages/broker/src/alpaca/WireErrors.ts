/**
 * Alpaca's error answers ↔ `BrokerError` reasons, in both directions: `errorReason` classifies a response (by
 * status, then by message) for a client, `toWireError` gives the status, body and headers a server answers a
 * `BrokerError` with. Import through `AlpacaWire`.
 *
 * **Gotchas**
 * - Kept together so that a server's error round-trips to the same reason in the client, except `UnknownAccount`
 *   (sent as 401) and `Unavailable` (sent as 503), which come back as `Unauthorized` and `ServerError`.
 * - An insufficient-qty refusal carries what the position holds (`BrokerError.shares`: Alpaca's `symbol`,
 *   `existing_qty`, `held_for_orders`, `available`).
 *
 * @since 0.1.0
 */
import type { BrokerError, BrokerErrorReason } from "../Broker.ts"
import { formatDecimal, WireError } from "./WireFormats.ts"

/** The `BrokerError` reason for an Alpaca error response (classified by status, then by message). */
export const errorReason = (status: number, message: string): BrokerErrorReason => {
  const text = message.toLowerCase()
  if (status >= 400 && status < 500 && text.includes("client_order_id must be unique")) return "DuplicateClientOrderId"
  if (status === 429) return "RateLimited"
  if (status >= 500) return "ServerError"
  if (status === 401) return "Unauthorized"
  if (status === 404) return "NotFound"
  if (status === 403 || status === 422) {
    if (text.includes("insufficient buying power")) return "InsufficientBuyingPower"
    if (text.includes("insufficient qty")) return "InsufficientQty"
    if (text.includes("not allowed to short")) return "ShortingNotAllowed"
    if (text.includes("market is closed")) return "MarketClosed"
    if (text.includes("position intent mismatch")) return "PositionIntentMismatch"
  }
  if (status === 403) return /^\s*(forbidden\.?|request is not authorized\.?)?\s*$/.test(text) || text.startsWith("<")
    ? "Unauthorized"
    : "InvalidRequest"
  return "InvalidRequest"
}

/** Whether sending the same request again may succeed. */
export const isRetryableReason = (reason: BrokerErrorReason): boolean =>
  reason === "RateLimited" || reason === "ServerError" || reason === "Unavailable"

const canonicalMessages: Partial<Record<BrokerErrorReason, string>> = {
  InsufficientBuyingPower: "insufficient buying power",
  InsufficientQty: "insufficient qty",
  ShortingNotAllowed: "account is not allowed to short",
  DuplicateClientOrderId: "client_order_id must be unique",
  MarketClosed: "market is closed",
  PositionIntentMismatch: "position intent mismatch"
}

/** The HTTP status and Alpaca error body a server answers a `BrokerError` with (round-trips via `errorReason`). */
export const toWireError = (error: BrokerError): {
  readonly status: number
  readonly body: WireError
  readonly headers: Readonly<Record<string, string>>
} => {
  const [status, reasonCode] = wireStatus[error.reason]
  // Alpaca answers a sub-penny price 422 with its own code (42210000), other invalid requests 40010001
  const code = error.reason === "InvalidRequest" && error.message.includes(SUB_PENNY) ? 42210000 : reasonCode
  const canonical = canonicalMessages[error.reason]
  const message = canonical === undefined || error.message.toLowerCase().includes(canonical)
    ? error.message
    : `${canonical}: ${error.message}`
  const headers: Record<string, string> = error.reason === "RateLimited" && error.resetAt !== undefined
    ? { "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": String(Math.ceil(error.resetAt)) }
    : {}
  const shares = error.shares
  const body: WireError = shares === undefined ? { code, message } : {
    available: formatDecimal(shares.available),
    code,
    existing_qty: formatDecimal(shares.existingQty),
    held_for_orders: formatDecimal(shares.heldForOrders),
    message,
    symbol: shares.symbol
  }
  return { status, body, headers }
}

/** The text of Alpaca's sub-penny refusal (`invalid limit_price 290.123. sub-penny increment does not fulfill …`). */
export const SUB_PENNY = "sub-penny increment does not fulfill minimum pricing criteria"

const wireStatus: Record<BrokerErrorReason, readonly [number, number]> = {
  InsufficientBuyingPower: [403, 40310000],
  InsufficientQty: [403, 40310000],
  ShortingNotAllowed: [403, 40310000],
  InvalidRequest: [422, 40010001],
  NotFound: [404, 40410000],
  DuplicateClientOrderId: [422, 40010001],
  RateLimited: [429, 42910000],
  ServerError: [500, 50010000],
  Unauthorized: [401, 40110000],
  Unavailable: [503, 50310000],
  UnknownAccount: [401, 40110000],
  MarketClosed: [422, 42210000],
  // the code and status Alpaca answers are seen in clients' handling of it, not in Alpaca's own documentation
  PositionIntentMismatch: [422, 42210000],
  // never sent by Alpaca: the safety broker refuses before any request; a server answering it says 403
  SafetyRefused: [403, 40310000]
}
