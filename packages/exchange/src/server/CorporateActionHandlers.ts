/**
 * `GET /v1/corporate-actions` of Alpaca's market-data API over what the exchange applies: the splits and cash
 * dividends of its market data (`MarketData.corporateActions`, the actions `CorporateActions` applies to the
 * accounts and records in `exchange_corporate_actions`), in Alpaca's wire format and paging, so a client of
 * Alpaca's corporate actions (Council's own `AlpacaBars` feed, `COUNCIL_DATA=alpaca`) reads them from the server.
 *
 * **Protocol** (as Alpaca's)
 * - `symbols`, `types` (comma-separated; default every symbol, every type), `start`/`end` (`YYYY-MM-DD`, default
 *   the request's day; they bound the `process_date`), `ids`, `limit` (1–1000, default 100), `sort` (`asc`, `desc`,
 *   by process date), `page_token` (from the answer's `next_page_token`; null on the last page).
 * - The answer: `{"corporate_actions":{"forward_splits":[…],"reverse_splits":[…],"cash_dividends":[…]},
 *   "next_page_token":…}`, a list only when it holds an action; `limit` counts actions across the lists.
 * - Splits answer `id`, `symbol`, `new_rate`, `old_rate`, `process_date`, `ex_date`, `record_date`, `payable_date`;
 *   dividends `id`, `symbol`, `rate`, `special`, `foreign`, `process_date`, `ex_date`, `record_date`, `payable_date`.
 *
 * **Gotchas**
 * - The exchange knows an action's ex-date alone: every date field is the ex-date (Alpaca's process date is the
 *   ex-date for a split, and can come weeks later for a dividend); `start`/`end` therefore bound the ex-date.
 * - No look-ahead: an action is known from its ex-date on, so nothing dated after the request's moment's day is
 *   answered (`X-Council-Session`, or the server's now).
 * - Types the exchange never has (stock dividends, mergers, spin-offs…) are accepted and answer nothing; so does a
 *   `cusips` filter (the exchange has no CUSIPs). An unknown type, a bad date or limit is a 400 naming it.
 * - `id` is derived from the action (`CorporateAction.actionKey`), the same on every request and server.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import { BrokerError } from "@council/broker"
import { TradingDay } from "@council/domain"
import { CorporateAction, type MarketData } from "@council/market"
import { dataError, isTradingDay, json, listParam, type Reply } from "./HttpWire.ts"
import type { Handler } from "./Routes.ts"

/** Alpaca's corporate action types; the exchange has the first three. */
const SERVED_TYPES = ["forward_split", "reverse_split", "cash_dividend"] as const
const OTHER_TYPES = new Set([
  "unit_split",
  "stock_dividend",
  "spin_off",
  "cash_merger",
  "stock_merger",
  "stock_and_cash_merger",
  "redemption",
  "name_change",
  "worthless_removal",
  "rights_distribution",
  "partial_call",
  "reorganization"
])

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

type ServedType = typeof SERVED_TYPES[number]

const typeOf = (action: CorporateAction.CorporateAction): ServedType =>
  action.kind === "dividend" ? "cash_dividend" : action.newRate > action.oldRate ? "forward_split" : "reverse_split"

/** A stable UUID-shaped id of the action. */
const actionId = (action: CorporateAction.CorporateAction): string => {
  const hex = createHash("sha256").update(CorporateAction.actionKey(action)).digest("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

const wireAction = (action: CorporateAction.CorporateAction) => {
  const dates = { process_date: action.exDate, ex_date: action.exDate, record_date: action.exDate, payable_date: action.exDate }
  return action.kind === "dividend"
    ? { id: actionId(action), symbol: action.symbol, rate: action.cash, special: false, foreign: false, ...dates }
    : { id: actionId(action), symbol: action.symbol, new_rate: action.newRate, old_rate: action.oldRate, ...dates }
}

/** A page token: the offset of the page's first action, opaque to the client. */
const tokenOf = (offset: number) => Buffer.from(`offset:${offset}`).toString("base64url")
const offsetOf = (token: string): number | undefined => {
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(token, "base64url").toString("utf8"))
  return match === null ? undefined : Number(match[1])
}

interface ActionsQuery {
  readonly symbols: ReadonlySet<string> | undefined
  readonly types: ReadonlySet<string>
  readonly ids: ReadonlySet<string> | undefined
  readonly cusips: boolean
  readonly start: string
  readonly end: string
  readonly limit: number
  readonly sort: "asc" | "desc"
  readonly offset: number
}

/** The query (dates default to `today`), or the 400 that refuses it. */
const queryOf = (query: URLSearchParams, today: string): ActionsQuery | Reply => {
  const types = listParam(query.get("types"))
  const unknown = types.find((t) => !(SERVED_TYPES as ReadonlyArray<string>).includes(t) && !OTHER_TYPES.has(t))
  if (unknown !== undefined) return dataError(400, `invalid types: ${unknown}`)
  const date = (name: "start" | "end") => {
    const value = query.get(name)
    return value === null || value === "" ? today : isTradingDay(value) ? value : undefined
  }
  const start = date("start")
  const end = date("end")
  if (start === undefined) return dataError(400, "invalid start: expected YYYY-MM-DD")
  if (end === undefined) return dataError(400, "invalid end: expected YYYY-MM-DD")
  if (end < start) return dataError(400, "end must not be before start")
  const limitText = query.get("limit")
  const limit = limitText === null || limitText === "" ? DEFAULT_LIMIT : Number(limitText)
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return dataError(400, `invalid limit: expected 1 to ${MAX_LIMIT}`)
  const sort = query.get("sort") ?? "asc"
  if (sort !== "asc" && sort !== "desc") return dataError(400, "invalid sort: expected asc or desc")
  const token = query.get("page_token")
  const offset = token === null || token === "" ? 0 : offsetOf(token)
  if (offset === undefined) return dataError(400, "invalid page_token")
  const symbols = listParam(query.get("symbols"))
  const ids = listParam(query.get("ids"))
  return {
    symbols: symbols.length === 0 ? undefined : new Set(symbols),
    types: new Set(types.length === 0 ? SERVED_TYPES : types),
    ids: ids.length === 0 ? undefined : new Set(ids.map((id) => id.toLowerCase())),
    cusips: listParam(query.get("cusips")).length > 0,
    start,
    end,
    limit,
    sort,
    offset
  }
}

const isReply = (value: ActionsQuery | Reply): value is Reply => "status" in value

/** The page of `actions` (all that match, in order) at the query's offset, as Alpaca answers it. */
const pageOf = (actions: ReadonlyArray<CorporateAction.CorporateAction>, query: ActionsQuery) => {
  const page = actions.slice(query.offset, query.offset + query.limit)
  const lists: Record<string, Array<ReturnType<typeof wireAction>>> = {}
  for (const action of page) {
    const list = `${typeOf(action)}s`
    ;(lists[list] ??= []).push(wireAction(action))
  }
  const next = query.offset + query.limit
  return { corporate_actions: lists, next_page_token: next < actions.length ? tokenOf(next) : null }
}

export const make = (market: MarketData["Service"]) => {
  const getCorporateActions: Handler = ({ account, now, query }) =>
    Effect.gen(function*() {
      const parsed = queryOf(query, now.day)
      if (isReply(parsed)) return parsed
      // known from the ex-date on: nothing after the request's day
      const end = parsed.end < now.day ? parsed.end : now.day
      if (parsed.cusips || parsed.start > end) return json(200, pageOf([], parsed))
      const found = yield* market.corporateActions(TradingDay.make(parsed.start), TradingDay.make(end)).pipe(
        Effect.mapError((error) =>
          new BrokerError({ account: account.account, reason: "Unavailable", message: `corporate actions: ${error.message}`, retryable: true })
        )
      )
      const matching = found
        .filter((a) =>
          parsed.types.has(typeOf(a)) && (parsed.symbols === undefined || parsed.symbols.has(a.symbol)) &&
          (parsed.ids === undefined || parsed.ids.has(actionId(a)))
        )
        .sort(CorporateAction.actionOrder)
      return json(200, pageOf(parsed.sort === "asc" ? matching : matching.reverse(), parsed))
    })

  return { getCorporateActions }
}
