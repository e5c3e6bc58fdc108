/**
 * The trading endpoints of the exchange server (Alpaca's trading API v2): account, positions and orders, each a
 * thin translation between the wire and `LocalExchange`.
 *
 * **Gotchas**
 * - `GET /v2/orders` defaults to `nested=false` like Alpaca (legs listed as orders of their own); `side` is
 *   filtered after the core's `limit` is applied to at most 500 orders. `symbols` match whatever their case (as
 *   the path symbols of positions do); a boolean that is not one (`nested=maybe`) is refused, 422.
 * - `GET /v2/account/activities/FILL`: oldest first by default (as before the other types were served); the
 *   parameters and paging are `ActivityHandlers`'.
 * - Validation messages are one plain line naming the wire field (`invalid qty: expected a value greater than 0`).
 * - `DELETE /v2/positions` closes each position separately (one 207 item each); closing a position always
 *   cancels that symbol's open orders first (the core's `closePosition`), whatever `cancel_orders` says.
 * - Order replacement (`PATCH /v2/orders/{id}`) replaces an open simple order with nothing filled (`Replacements`):
 *   200 with the new order (`replaces` = the old id); the old one is `replaced`, with `replaced_by`/`replaced_at`.
 *   Other orders, a replay of a done replacement, changes the order's type does not take: 422; buying power: 403.
 * - Trailing stops (`type: trailing_stop`, one of `trail_price`/`trail_percent`; simple, `day` or `gtc`; with a
 *   `stop_price` or `limit_price`: 422 naming it) answer `hwm` and, as `stop_price`, the stop their trail has brought them to (`FillModel`). `PATCH` with `trail` sets a new
 *   trail (in the unit the order has): the replacement's mark starts again at the present price.
 * - Notional orders (`notional`, no `qty`) are taken as Alpaca takes them from fractional accounts: simple market
 *   `day` orders (422 otherwise; both `qty` and `notional`: 422), answered with `qty: null` and `notional`; their
 *   shares are set at the fill (`FillModel`). They are not replaced (422). A sell beyond the shares held is
 *   refused (403) in shares and in dollars.
 * - An order refused for its quantity answers Alpaca's 403 body with what the position holds: `symbol`, `existing_qty`,
 *   `held_for_orders` and `available` (agreeing with the position's `qty_available`; `OrderRules.insufficientShares`).
 * - Every order answer (its legs too) carries `position_intent`: the one sent, or the one the position made the
 *   order when it was placed (as Alpaca infers it; the close-position endpoints' orders say `…_to_close`).
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as AlpacaWire from "@council/broker/AlpacaWire"
import { type AccountId, isNotionalIntent, type Ticker } from "@council/domain"
import type { ExchangeOrder } from "../ExchangeRecords.ts"
import type { LocalExchange } from "../LocalExchange.ts"
import {
  booleanParam,
  brokerErrorReply,
  decodeOrderRequest,
  decodeReplaceRequest,
  isRecord,
  isTicker,
  json,
  listParam,
  malformedBody,
  notFound,
  numberParam,
  parseJson,
  unprocessable,
  UUID,
  wireOrder,
  wirePosition,
  withoutEmpty
} from "./HttpWire.ts"
import { listActivities } from "./ActivityHandlers.ts"
import type { Handler } from "./Routes.ts"

export interface TradingDeps {
  readonly exchange: LocalExchange["Service"]
  /** A path symbol (or asset id) as a ticker of the universe, if it is one. */
  readonly resolveSymbol: (param: string) => Effect.Effect<Ticker | undefined>
  /** The account's configurations (`GET /v2/account` shows `suspend_trade` and `no_shorting`); default: none set. */
  readonly configuration?: (account: AccountId) => { readonly suspend_trade: boolean; readonly no_shorting: boolean }
}

/** Account and positions. */
const accountHandlers = ({ configuration, exchange, resolveSymbol }: TradingDeps) => {
  const getAccount: Handler = ({ account, now }) =>
    Effect.gen(function*() {
      const snapshot = yield* exchange.snapshot(account.account)
      const config = configuration?.(account.account)
      const wire = AlpacaWire.toWireAccount(snapshot, {
        id: account.uuid,
        createdAt: account.createdAt,
        shortingEnabled: account.shortingEnabled && config?.no_shorting !== true,
        balanceAsOf: now.day
      })
      return json(200, config?.suspend_trade === true ? { ...wire, trade_suspended_by_user: true } : wire)
    })

  const getPositions: Handler = ({ account }) =>
    Effect.map(exchange.positions(account.account), (positions) => json(200, positions.map(wirePosition)))

  const getPosition: Handler = ({ account, params }) =>
    Effect.gen(function*() {
      const symbol = yield* resolveSymbol(params[0]!)
      const position = symbol === undefined ? Option.none() : yield* exchange.position(account.account, symbol)
      return Option.match(position, {
        onNone: () => notFound("position does not exist"),
        onSome: (p) => json(200, wirePosition(p))
      })
    })

  const closePosition: Handler = ({ account, params, query }) =>
    Effect.gen(function*() {
      const symbol = yield* resolveSymbol(params[0]!)
      if (symbol === undefined) return notFound("position does not exist")
      const qty = numberParam(query.get("qty"))
      const percentage = numberParam(query.get("percentage"))
      if (qty === "invalid") return unprocessable("invalid qty")
      if (percentage === "invalid") return unprocessable("invalid percentage")
      const order = yield* exchange.closePosition(account.account, symbol, {
        ...(qty === undefined ? {} : { qty }),
        ...(percentage === undefined ? {} : { percentage })
      })
      return json(200, wireOrder(order))
    })

  const closeAllPositions: Handler = ({ account, query }) =>
    Effect.gen(function*() {
      const cancelOrders = booleanParam(query.get("cancel_orders"))
      if (cancelOrders === "invalid") return unprocessable(`invalid cancel_orders ${query.get("cancel_orders")}: expected true or false`)
      if (cancelOrders === true) yield* exchange.cancelAllOrders(account.account)
      const positions = yield* exchange.positions(account.account)
      const items: Array<unknown> = []
      for (const position of positions) {
        const result = yield* Effect.result(exchange.closePosition(account.account, position.symbol))
        items.push(Result.match(result, {
          onSuccess: (order) => ({ symbol: position.symbol, status: 200, body: wireOrder(order) }),
          onFailure: (error) => {
            const reply = brokerErrorReply(error)
            return { symbol: position.symbol, status: reply.status, body: reply.body }
          }
        }))
      }
      return json(207, items)
    })

  return { getAccount, getPositions, getPosition, closePosition, closeAllPositions }
}

/** Orders. */
const orderHandlers = ({ exchange }: TradingDeps) => {
  const listOrders: Handler = ({ account, query }) =>
    Effect.gen(function*() {
      const status = query.get("status") ?? "open"
      if (status !== "open" && status !== "closed" && status !== "all") return unprocessable(`invalid status ${status}`)
      const direction = query.get("direction") ?? "desc"
      if (direction !== "asc" && direction !== "desc") return unprocessable(`invalid direction ${direction}`)
      const limitText = query.get("limit")
      const limit = limitText === null || limitText === "" ? 50 : Number(limitText)
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) return unprocessable("limit must be an integer between 1 and 500")
      const side = query.get("side")
      if (side !== null && side !== "" && side !== "buy" && side !== "sell") return unprocessable(`invalid side ${side}`)
      const nested = booleanParam(query.get("nested")) ?? false
      if (nested === "invalid") return unprocessable(`invalid nested ${query.get("nested")}: expected true or false`)
      // symbols are matched whatever their case, as the path symbols of positions and assets are
      const requested = listParam(query.get("symbols")).map((s) => s.toUpperCase())
      const symbols = requested.filter(isTicker)
      if (requested.length > 0 && symbols.length === 0) return json(200, [])
      const after = query.get("after")
      const until = query.get("until")
      const bySide = side === "buy" || side === "sell"
      const orders = yield* exchange.listOrders(account.account, {
        status,
        limit: bySide ? 500 : limit,
        direction,
        nested,
        ...(after !== null && after !== "" ? { after } : {}),
        ...(until !== null && until !== "" ? { until } : {}),
        ...(symbols.length > 0 ? { symbols } : {})
      })
      const selected = bySide ? orders.filter((o) => o.side === side).slice(0, limit) : orders
      return json(200, yield* linked(account.account, selected))
    })

  // the hot path: the checks are plain code, one effect places the order
  const placeOrder: Handler = ({ account, body }) => {
    const parsed = parseJson(body)
    if (Result.isFailure(parsed) || !isRecord(parsed.success)) return Effect.succeed(malformedBody)
    const decoded = decodeOrderRequest(withoutEmpty(parsed.success))
    if (Result.isFailure(decoded)) return Effect.succeed(unprocessable(AlpacaWire.issueLine("invalid order request", decoded.failure)))
    const intent = AlpacaWire.fromWireOrderRequest(account.account, decoded.success, randomUUID)
    if (Result.isFailure(intent)) return Effect.succeed(unprocessable(intent.failure))
    return Effect.map(exchange.placeOrder(account.account, intent.success), (order) => json(200, wireOrder(order)))
  }

  const badOrderId = unprocessable("order_id is missing")

  /** Orders as wire JSON with their replacement links (`replaces`, `replaced_by`, `replaced_at`). */
  const linked = (id: AccountId, orders: ReadonlyArray<ExchangeOrder>) =>
    Effect.map(exchange.replacementsOf(id, orders.map((o) => o.id)), (links) => orders.map((o) => wireOrder(o, links)))

  const getOrder: Handler = ({ account, params }) =>
    UUID.test(params[0]!)
      ? exchange.getOrder(account.account, params[0]!.toLowerCase()).pipe(
        Effect.flatMap((order) => linked(account.account, [order])),
        Effect.map((orders) => json(200, orders[0]))
      )
      : Effect.succeed(badOrderId)

  const getOrderByClientId: Handler = ({ account, query }) =>
    Effect.gen(function*() {
      const clientOrderId = query.get("client_order_id")
      if (clientOrderId === null || clientOrderId === "") return unprocessable("client_order_id is missing")
      const order = yield* exchange.getOrderByClientId(account.account, clientOrderId)
      if (Option.isNone(order)) return notFound("order not found")
      return json(200, (yield* linked(account.account, [order.value]))[0])
    })

  const cancelOrder: Handler = ({ account, params }) =>
    UUID.test(params[0]!)
      ? Effect.as(exchange.cancelOrder(account.account, params[0]!.toLowerCase()), { status: 204 })
      : Effect.succeed(badOrderId)

  const cancelAllOrders: Handler = ({ account }) =>
    Effect.map(exchange.cancelAllOrders(account.account), (ids) => json(207, ids.map((id) => ({ id, status: 200 }))))

  /** `GET /v2/account/activities/FILL`: oldest first unless `direction` says (`ActivityHandlers`). */
  const listFillActivities = listActivities({ exchange, applied: () => Effect.succeed([]) }, "FILL", "asc")

  /**
   * `PATCH /v2/orders/{order_id}`: the changes on top of the old order make a new order request, checked as a
   * `POST /v2/orders` body would be; the exchange then replaces the old order by it (`Replacements`).
   */
  const replaceOrder: Handler = ({ account, body, params }) =>
    Effect.gen(function*() {
      if (!UUID.test(params[0]!)) return badOrderId
      const orderId = params[0]!.toLowerCase()
      const parsed = parseJson(body)
      if (Result.isFailure(parsed) || !isRecord(parsed.success)) return malformedBody
      const decoded = decodeReplaceRequest(withoutEmpty(parsed.success))
      if (Result.isFailure(decoded)) return unprocessable(AlpacaWire.issueLine("invalid replace request", decoded.failure))
      const changes = decoded.success
      const old = yield* exchange.getOrder(account.account, orderId)
      if (old.notional !== undefined) return unprocessable("notional orders cannot be replaced on the local exchange")
      const trailing = old.type === "trailing_stop"
      if (changes.trail != null && !trailing) return unprocessable(`trail is not allowed for a ${old.type} order`)
      const priced = old.type === "limit" || old.type === "stop_limit"
      const stopped = old.type === "stop" || old.type === "stop_limit"
      if (changes.limit_price != null && !priced) return unprocessable(`limit_price is not allowed for a ${old.type} order`)
      if (changes.stop_price != null && !stopped) return unprocessable(`stop_price is not allowed for a ${old.type} order`)
      const request: AlpacaWire.WireOrderRequest = {
        symbol: old.symbol,
        qty: changes.qty ?? String(old.qty),
        side: old.side,
        type: old.type,
        time_in_force: changes.time_in_force ?? old.timeInForce,
        limit_price: changes.limit_price ?? (old.limitPrice === null ? null : String(old.limitPrice)),
        // a trailing stop's stop is where its trail brought it: the replacement trails afresh from the present price
        stop_price: trailing ? null : changes.stop_price ?? (old.stopPrice === null ? null : String(old.stopPrice)),
        trail_price: old.trailPrice === undefined ? null : changes.trail ?? String(old.trailPrice),
        trail_percent: old.trailPercent === undefined ? null : changes.trail ?? String(old.trailPercent),
        extended_hours: old.extendedHours,
        client_order_id: changes.client_order_id ?? null,
        order_class: "simple"
      }
      const intent = AlpacaWire.fromWireOrderRequest(account.account, request, randomUUID)
      if (Result.isFailure(intent)) return unprocessable(intent.failure)
      if (isNotionalIntent(intent.success)) return unprocessable("qty is required")
      const placed = yield* exchange.replaceOrder(account.account, orderId, intent.success)
      return json(200, wireOrder(placed, [{ replaced: orderId, replacement: placed.id, at: placed.submittedAt }]))
    })

  return {
    listOrders,
    placeOrder,
    getOrder,
    getOrderByClientId,
    cancelOrder,
    cancelAllOrders,
    listFillActivities,
    replaceOrder
  }
}

export const make = (deps: TradingDeps) => ({ ...accountHandlers(deps), ...orderHandlers(deps) })
