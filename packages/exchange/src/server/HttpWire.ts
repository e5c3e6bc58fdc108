/**
 * Alpaca's wire format as the exchange server speaks it: replies (status, JSON body, Alpaca's error codes),
 * request parsing (JSON bodies, query parameters, headers) and exchange records as Alpaca JSON.
 *
 * **Gotchas**
 * - `""` and `null` optional fields of an order request count as absent (`withoutEmpty`), as with Alpaca.
 * - Booleans in queries are what Go's `strconv.ParseBool` reads (Alpaca's servers are Go): `true`/`1`/`t`/`True`/
 *   `TRUE` and their false forms; anything else is `"invalid"` (answered 422 naming the parameter), never read as false.
 *
 * @since 0.1.0
 */
import type { IncomingMessage } from "node:http"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type { BrokerError } from "@council/broker"
import * as AlpacaWire from "@council/broker/AlpacaWire"
import { Ticker, TradingDay } from "@council/domain"
import type { ExchangeOrder, ExchangePosition } from "../ExchangeRecords.ts"
import type { ReplacementLink } from "../Replacements.ts"
import { assetId } from "./ExchangeMarketWire.ts"

// --- replies -----------------------------------------------------------------------------------------------------

export interface Reply {
  readonly status: number
  /** JSON body; none for 204. */
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export const json = (status: number, body: unknown): Reply => ({ status, body })
export const tradingError = (status: number, code: number, message: string): Reply => json(status, { code, message })
export const unprocessable = (message: string): Reply => tradingError(422, 40010001, message)
export const notFound = (message: string): Reply => tradingError(404, 40410000, message)
export const malformedBody: Reply = tradingError(400, 40010000, "request body format is invalid")
export const notAuthorized: Reply = tradingError(401, 40110000, "request is not authorized")
export const forbidden: Reply = json(403, { message: "forbidden." })
export const rateLimited: Reply = tradingError(429, 42910000, "rate limit exceeded")
export const internalError: Reply = tradingError(500, 50010000, "internal server error")
export const unavailable: Reply = tradingError(503, 50310000, "service unavailable")
/** A market-data API error (its bodies carry only a message). */
export const dataError = (status: number, message: string): Reply => json(status, { message })

export const brokerErrorReply = (error: BrokerError): Reply => {
  const wire = AlpacaWire.toWireError(error)
  return { status: wire.status, body: wire.body, headers: wire.headers }
}

// --- requests ----------------------------------------------------------------------------------------------------

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isTicker = Schema.is(Ticker)
export const isTradingDay = Schema.is(TradingDay)

export const parseJson = (text: string): Result.Result<unknown, void> => {
  try {
    return Result.succeed(JSON.parse(text))
  } catch {
    return Result.failVoid
  }
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Drops `""` and `null` fields (also inside `take_profit`/`stop_loss`): absent, as far as Alpaca is concerned. */
export const withoutEmpty = (body: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(body)) {
    if (value === "" || value === null) continue
    out[key] = isRecord(value) ? withoutEmpty(value) : value
  }
  return out
}

export const decodeOrderRequest = Schema.decodeUnknownResult(AlpacaWire.WireOrderRequest)
export const decodeReplaceRequest = Schema.decodeUnknownResult(AlpacaWire.WireReplaceRequest)

/** A request header's trimmed value; blank counts as absent. */
export const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name]
  const text = Array.isArray(value) ? value[0] : value
  return text === undefined || text.trim() === "" ? undefined : text.trim()
}

const TRUE_TEXTS = new Set(["1", "t", "T", "true", "True", "TRUE"])
const FALSE_TEXTS = new Set(["0", "f", "F", "false", "False", "FALSE"])

/** A boolean query parameter: absent (missing or blank), a boolean, or `"invalid"`. */
export const booleanParam = (value: string | null): boolean | undefined | "invalid" => {
  const text = value?.trim() ?? ""
  return text === "" ? undefined : TRUE_TEXTS.has(text) ? true : FALSE_TEXTS.has(text) ? false : "invalid"
}

export const numberParam = (value: string | null): number | undefined | "invalid" => {
  if (value === null || value.trim() === "") return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : "invalid"
}

/** A timestamp query parameter (anything `Date.parse` reads): absent (missing or empty), ISO text, or `"invalid"`. */
export const instantParam = (value: string | null): string | undefined | "invalid" => {
  if (value === null || value === "") return undefined
  const parsed = Date.parse(value)
  return Number.isNaN(parsed) ? "invalid" : new Date(parsed).toISOString()
}

/** A comma-separated list parameter, trimmed, without blanks. */
export const listParam = (value: string | null): ReadonlyArray<string> =>
  value === null ? [] : value.split(",").map((s) => s.trim()).filter((s) => s !== "")

// --- exchange records as wire JSON -------------------------------------------------------------------------------

const wireOrderSource = (order: ExchangeOrder): AlpacaWire.WireOrderSource => ({
  ...order,
  assetId: assetId(order.symbol),
  assetClass: "us_equity",
  legs: order.legs.map(wireOrderSource)
})

/** An order as wire JSON; with `links`, the replacements among them that concern it fill its `replaces`/`replaced_by`. */
export const wireOrder = (order: ExchangeOrder, links: ReadonlyArray<ReplacementLink> = []) => {
  const replacedBy = links.find((link) => link.replaced === order.id)
  const replaces = links.find((link) => link.replacement === order.id)
  return AlpacaWire.toWireOrder({
    ...wireOrderSource(order),
    ...(replacedBy === undefined ? {} : { replacedBy: replacedBy.replacement, replacedAt: replacedBy.at }),
    ...(replaces === undefined ? {} : { replaces: replaces.replaced })
  })
}

export const wirePosition = (position: ExchangePosition) =>
  AlpacaWire.toWirePosition({ ...position, assetId: assetId(position.symbol), exchange: "ARCA", assetClass: "us_equity" })
