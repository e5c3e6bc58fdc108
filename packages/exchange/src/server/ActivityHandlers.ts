/**
 * Account activities (`GET /v2/account/activities`, `GET /v2/account/activities/{activity_type}`): the account's
 * fills (`FILL`) and what the corporate actions did to it — cash dividends (`DIV`) and splits (`SPLIT`) of a
 * position it held (`CorporateActions`, table `exchange_corporate_actions`) — merged in time order.
 *
 * **Parameters** (as Alpaca takes them): `activity_types` (comma list; any of Alpaca's types, those the local
 * exchange never has answer nothing) or `category` (`trade_activity`: FILL; `non_trade_activity`: the rest), `date` (`YYYY-MM-DD`, or a timestamp: its UTC date, what a client's `Date`
 * of a day sends), `after`/`until` (timestamps, exclusive), `direction` (`desc` by default; `/activities/FILL`
 * keeps its `asc` of before), `page_size` (1–100, default 100; with `date`: every activity of the day unless
 * given), `page_token` (the id of the previous page's last activity; one the account never had is refused, 422).
 *
 * **Gotchas**
 * - A dividend or split is dated and timed at the open of its ex-date (when the exchange applies it, before the
 *   session's orders fill), so it sorts before that open's fills. Alpaca dates a dividend by its pay date; the
 *   local exchange credits it at the ex-date.
 * - No look-ahead: the account is brought to the request's moment first (a moment before the account's own point
 *   is refused as every read is), and only what happened up to it exists.
 * - An action met with no position (recorded with nothing done) is no activity.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import * as AlpacaWire from "@council/broker/AlpacaWire"
import type { BrokerError } from "@council/broker"
import { type AccountId, decimalSum, type Fill } from "@council/domain"
import type { AppliedAction } from "../CorporateActions.ts"
import { reject } from "../ExchangeErrors.ts"
import type { LocalExchange } from "../LocalExchange.ts"
import { hashUuid } from "./ExchangeMarketWire.ts"
import { instantParam, json, listParam, type Reply, unprocessable } from "./HttpWire.ts"
import type { Call, Handler } from "./Routes.ts"

/** Alpaca's activity types (`@alpacahq/alpaca-trade-api` 4.0.2 `ActivityType`); the local exchange has three. */
export const ACTIVITY_TYPES: ReadonlySet<string> = new Set([
  "ACATC", "ACATS", "CFEE", "CGD", "CSD", "CSW", "DIV", "DIVCGL", "DIVCGS", "DIVFEE", "DIVFT", "DIVNRA", "DIVROC",
  "DIVTW", "DIVTXEX", "FEE", "FILL", "FOPT", "INT", "INTNRA", "INTTW", "JNL", "JNLC", "JNLS", "MA", "MISC", "NC",
  "OPASN", "OPCA", "OPCSH", "OPEXC", "OPEXP", "OPTRD", "PTC", "PTR", "REORG", "SPIN", "SPLIT", "TRANS"
])

export interface ActivityDeps {
  readonly exchange: LocalExchange["Service"]
  /** What the corporate actions did to the account (read after the account was brought to the present). */
  readonly applied: (account: AccountId) => Effect.Effect<ReadonlyArray<AppliedAction>, BrokerError>
}

/** One activity: its id, type, time (ISO), day, and its wire form once its page is known. */
interface Entry {
  readonly id: string
  readonly type: "FILL" | "DIV" | "SPLIT"
  readonly at: string
  readonly day: string
  readonly fill?: Fill
  readonly action?: AppliedAction
}

/** A stable Alpaca-style id of a corporate action's activity (`YYYYMMDDhhmmssSSS::uuid`). */
const actionId = (action: AppliedAction): string => {
  const uuid = hashUuid(createHash("sha256").update(`${action.account}\u0000${action.action}`).digest("hex"), 4)
  return `${action.applied_at.replace(/[-T:.Z]/g, "").slice(0, 17)}::${uuid}`
}

const roundTo = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places

const wireAction = (action: AppliedAction, id: string) =>
  action.kind === "dividend"
    ? {
      id,
      activity_type: "DIV",
      date: action.ex_date,
      net_amount: AlpacaWire.formatDecimal(action.cash),
      description: `Cash DIV @ ${roundTo(action.cash / action.qty_before, 6)}, Pos QTY: ${action.qty_before}`,
      symbol: action.symbol,
      qty: AlpacaWire.formatDecimal(action.qty_before),
      per_share_amount: AlpacaWire.formatDecimal(roundTo(action.cash / action.qty_before, 6)),
      status: "executed"
    }
    : {
      id,
      activity_type: "SPLIT",
      date: action.ex_date,
      net_amount: "0",
      description: `split ${action.qty_before} -> ${action.qty_after} shares`,
      symbol: action.symbol,
      qty: AlpacaWire.formatDecimal(roundTo(action.qty_after - action.qty_before, 9)),
      status: "executed"
    }

/** A time bound (`after`/`until`) as ISO text, absent, or the reply refusing it. */
const timeBound = (call: Call, name: string): Effect.Effect<string | undefined, BrokerError> => {
  const bound = instantParam(call.query.get(name))
  return bound === "invalid" ? reject(call.account.account, "InvalidRequest", `invalid ${name}: ${call.query.get(name)}`) : Effect.succeed(bound)
}

/** The `date` parameter as `YYYY-MM-DD`, absent, or invalid. */
const dayParam = (text: string | null): string | undefined | "invalid" => {
  if (text === null || text === "") return undefined
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Number.isNaN(Date.parse(text)) ? "invalid" : text
  const parsed = Date.parse(text)
  return Number.isNaN(parsed) ? "invalid" : new Date(parsed).toISOString().slice(0, 10)
}

/** The requested types, or the reply refusing one. */
const typesOf = (call: Call, fixed: string | undefined): ReadonlySet<string> | Reply => {
  const category = fixed === undefined ? call.query.get("category") || undefined : undefined
  if (category !== undefined) {
    if (listParam(call.query.get("activity_types")).length > 0) return unprocessable("activity_types and category cannot be given together")
    if (category === "trade_activity") return new Set(["FILL"])
    if (category === "non_trade_activity") return new Set(["DIV", "SPLIT"])
    return unprocessable(`invalid category ${category.slice(0, 40)}: expected trade_activity or non_trade_activity`)
  }
  const requested = fixed === undefined ? listParam(call.query.get("activity_types")) : [fixed]
  const unknown = requested.find((t) => !ACTIVITY_TYPES.has(t))
  if (unknown !== undefined) return unprocessable(`invalid activity type: ${unknown.slice(0, 40)}`)
  return new Set(requested.length === 0 ? ["FILL", "DIV", "SPLIT"] : requested)
}

/** Each fill's place in its order: the order's shares filled with it (earlier fills too, even before `after`). */
const fillProgress = (exchange: LocalExchange["Service"], id: AccountId, page: ReadonlyArray<Fill>, all: ReadonlyArray<Fill>) =>
  Effect.gen(function*() {
    const progress = new Map<string, AlpacaWire.FillProgress>()
    if (page.length === 0) return progress
    const orderIds = new Set(page.map((f) => f.orderId))
    // one read for the page's orders (up to 100): one `getOrder` each cost ~0.4 ms (`pnpm bench activities`)
    const orderQty = new Map((yield* exchange.getOrders(id, [...orderIds])).map((order) => [order.id, order.qty]))
    const missing = [...orderIds].find((orderId) => !orderQty.has(orderId))
    if (missing !== undefined) orderQty.set(missing, (yield* exchange.getOrder(id, missing)).qty) // fails NotFound
    const filled = new Map<string, number>()
    for (const fill of all) {
      if (!orderIds.has(fill.orderId)) continue
      const cumQty = decimalSum([filled.get(fill.orderId) ?? 0, fill.qty])
      filled.set(fill.orderId, cumQty)
      progress.set(fill.id, { cumQty, orderQty: orderQty.get(fill.orderId)! })
    }
    return progress
  })

/** The account's activities of `types`, oldest first (a corporate action before the fills at its open). */
const entriesOf = (deps: ActivityDeps, account: AccountId, types: ReadonlySet<string>, fills: ReadonlyArray<Fill>) =>
  Effect.gen(function*() {
    const entries: Array<Entry> = types.has("FILL")
      ? fills.map((fill) => ({ id: fill.id, type: "FILL", at: fill.at, day: fill.at.slice(0, 10), fill }))
      : []
    if (!types.has("DIV") && !types.has("SPLIT")) return entries
    const actions = (yield* deps.applied(account)).filter((a) =>
      a.qty_before !== 0 && (a.kind === "dividend" ? types.has("DIV") : types.has("SPLIT"))
    )
    if (actions.length === 0) return entries
    const merged: Array<Entry> = [
      ...actions.map((action): Entry => ({
        id: actionId(action),
        type: action.kind === "dividend" ? "DIV" : "SPLIT",
        at: action.applied_at,
        day: action.ex_date,
        action
      })),
      ...entries
    ]
    // stable: the actions (in ex-date order) stay before fills at the same time, the fills in execution order
    return merged.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
  })

/**
 * The activities handler: of one type (`fixed`, the path's) or of `activity_types`, in `defaultDirection` unless
 * `direction` says. The account's fills are read once; its corporate actions only when a DIV or SPLIT is asked for.
 */
export const listActivities = (deps: ActivityDeps, fixed: string | undefined, defaultDirection: "asc" | "desc"): Handler => (call) =>
  Effect.gen(function*() {
    const { account, query } = call
    const types = typesOf(call, fixed)
    if ("status" in types) return types
    const direction = query.get("direction") || defaultDirection
    if (direction !== "asc" && direction !== "desc") return unprocessable(`invalid direction ${direction.slice(0, 40)}: expected asc or desc`)
    const day = dayParam(query.get("date"))
    if (day === "invalid") return unprocessable(`invalid date: ${query.get("date")!.slice(0, 40)}`)
    const sizeText = query.get("page_size")
    const pageSize = sizeText === null || sizeText === "" ? (day === undefined ? 100 : Number.MAX_SAFE_INTEGER) : Number(sizeText)
    if (!Number.isInteger(pageSize) || pageSize < 1 || (pageSize > 100 && day === undefined)) {
      return unprocessable("page_size must be an integer between 1 and 100")
    }
    const after = yield* timeBound(call, "after")
    const until = yield* timeBound(call, "until")
    const fills = yield* deps.exchange.fills(account.account)
    const ordered = yield* entriesOf(deps, account.account, types, fills)
    if (direction === "desc") ordered.reverse()
    // a page token is the id of the previous page's last activity: one the account never had is refused, not read
    // as the first page (a client paging on would loop or count activities twice)
    const token = query.get("page_token")
    const from = token === null || token === "" ? 0 : ordered.findIndex((e) => e.id === token) + 1
    if (from === 0 && token !== null && token !== "") return unprocessable(`invalid page_token ${token.slice(0, 80)}: no such activity`)
    const page = ordered.slice(from).filter((e) =>
      (after === undefined || e.at > after) && (until === undefined || e.at < until) && (day === undefined || e.day === day)
    ).slice(0, pageSize)
    const pageFills = page.flatMap((e) => (e.fill === undefined ? [] : [e.fill]))
    const progress = yield* fillProgress(deps.exchange, account.account, pageFills, fills)
    return json(200, page.map((e) => e.fill !== undefined ? AlpacaWire.toWireFillActivity(e.fill, progress.get(e.id)!) : wireAction(e.action!, e.id)))
  })
