/**
 * A small Alpaca-shaped HTTP server on 127.0.0.1 for the adapter tests: in-memory orders and positions, Alpaca's
 * JSON (encoded with `AlpacaWire`, as a real server face would), key checks, an optional sliding-window rate
 * limit with `X-Ratelimit-*` headers, and injectable faults (status answers, latency, dropped connections before
 * or after the order is accepted). An order stating its `position_intent` is checked against `positions` as
 * Alpaca does: the intent the position makes it, else 422 `position intent mismatch`; a close beyond the position,
 * 403 insufficient qty. A liquidation (`DELETE /v2/positions[/{symbol}]`) is refused as Alpaca refuses it when open
 * orders on the closing side hold the shares ("insufficient qty available", `held_for_orders`); `cancel_orders=true`
 * cancels the open orders first. With a price in `closeFills`, a symbol's liquidation fills at once (the market is
 * open): its position is gone. A sell (or buy) that closes finds the shares the open orders on its side hold
 * (`held_for_orders`: an OCO exit, a filled bracket's working legs) unavailable, 403 "insufficient qty available", as
 * Alpaca answers. A cancel of an order in `pendingCancels` is taken (204) as Alpaca takes one it must still send to
 * the venue: the order reads `pending_cancel` (its shares still held) for that many reads of it, then what the venue
 * did — canceled, or filled before the cancel reached it.
 */
import { randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import { testServer } from "../../../io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { Effect, Result, Schema } from "effect"
import { AccountId, isNotionalIntent, type OrderIntent, type OrderLeg, positionIntentOf, Ticker } from "@council/domain"
import {
  formatDecimal,
  fromWireOrderRequest,
  toWireOrder,
  toWirePosition,
  WireAccount,
  type WireOrderSource,
  WireOrder,
  WireOrderRequest,
  type WireFillActivity,
  type WirePositionSource
} from "../../src/alpaca/AlpacaWire.ts"

export type FaultKind =
  | { readonly _tag: "Status"; readonly status: number; readonly body?: string; readonly headers?: Record<string, string>; readonly afterAccept?: boolean }
  | { readonly _tag: "Drop"; readonly afterAccept: boolean }
  | { readonly _tag: "Delay"; readonly ms: number }

export interface Fault {
  readonly method: string
  readonly path: string
  readonly kind: FaultKind
  times: number
}

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingMessage["headers"]
  readonly at: number
  /** The request's body ("" when none). */
  readonly body: string
}

export interface FakeAlpacaOptions {
  readonly keyId?: string
  readonly secretKey?: string
  /** Sliding-window limit on receipt time. */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number; readonly headers?: boolean }
}

/** How a cancel the fake takes late ends: after `reads` reads of the order, canceled, or filled at `fillAt`. */
export interface PendingCancel {
  reads: number
  readonly fillAt?: number
}

type StoredOrder = WireOrderSource & { readonly legs: ReadonlyArray<WireOrderSource> }

/** What an order is stored with beyond what the fake sets itself (its id, times, fill and legs). */
export type NewOrderFields = Omit<StoredOrder, "id" | "createdAt" | "updatedAt" | "submittedAt" | "filledAt" | "legs" | "filledQty" | "filledAvgPrice">

export interface FakeAlpaca {
  readonly url: string
  readonly keyId: string
  readonly secretKey: string
  readonly requests: Array<RecordedRequest>
  readonly orders: Map<string, StoredOrder>
  readonly positions: Map<string, WirePositionSource>
  /** Symbols whose close fails in `DELETE /v2/positions`. */
  readonly closeFailures: Set<string>
  /**
   * Orders (or legs) whose cancel takes effect only later: `DELETE` answers 204 and leaves them `pending_cancel`
   * for `reads` reads of the order (`GET /v2/orders/{id}`), after which they are canceled — or, with `fillAt`,
   * filled at that price (the venue filled it before the cancel arrived).
   */
  readonly pendingCancels: Map<string, PendingCancel>
  /** Symbols whose liquidation fills at once, at this price (the position is gone). */
  readonly closeFills: Map<string, number>
  /**
   * The word Alpaca answers for an order's status (by id) while the order is open, in place of the stored one: a
   * status new to Council (`pending_activation`, …). The order is listed by `status=open` as its stored status says
   * (Alpaca lists every order that is not final); once that is final (canceled, filled, …), it is answered.
   */
  readonly venueStatuses: Map<string, string>
  readonly faults: Array<Fault>
  readonly inject: (method: string, path: string, kind: FaultKind, times?: number) => void
  /** 429s sent by the rate limit (not by injected faults). */
  readonly rateLimited: () => number
  readonly ordersByClientId: (clientOrderId: string) => ReadonlyArray<StoredOrder>
  /** Stores an order placed outside the adapter (a user's own), as Alpaca lists it: nothing filled, no legs. */
  readonly addOrder: (fields: NewOrderFields) => StoredOrder
  /**
   * Fills an order or a bracket leg completely at `price`, at time `at` (as the market would, later): its status,
   * the rest of its OCO group canceled, a `FILL` activity for `GET /v2/account/activities/FILL`.
   */
  readonly fill: (orderId: string, price: number, at: string) => void
  readonly activities: Array<WireFillActivity>
  /** The latest trade of each symbol `GET /v2/stocks/trades/latest` answers (market-data API); others are left out. */
  readonly latestTrades: Map<string, { readonly t: string; readonly p: number }>
  /** The days `GET /v2/calendar` answers, as sent (whatever the range asked); a test may put malformed ones. */
  readonly calendar: Array<Record<string, unknown>>
}

/**
 * The statuses `status=open` lists and a cancel accepts: all but the final ones (filled, canceled, expired, replaced,
 * rejected). `done_for_day` among them: a GTC order (a bracket's stop) done for the session works again at the next.
 */
const OPEN = new Set([
  "new", "accepted", "held", "pending_new", "partially_filled", "done_for_day", "pending_cancel", "pending_replace",
  "accepted_for_bidding", "calculated", "stopped", "suspended", "pending_review"
])
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const encodeOrder = Schema.encodeSync(WireOrder)
const encodeAccount = Schema.encodeSync(WireAccount)
const decodeOrderRequest = Schema.decodeUnknownResult(Schema.fromJsonString(WireOrderRequest))

export const startFakeAlpaca = (options: FakeAlpacaOptions = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => listen(options)),
    ({ close }) => Effect.promise(close)
  ).pipe(Effect.map(({ fake }) => fake))

const listen = (options: FakeAlpacaOptions): Promise<{ fake: FakeAlpaca; close: () => Promise<void> }> => {
  const keyId = options.keyId ?? "PK-TEST-KEY-1"
  const secretKey = options.secretKey ?? "s3cr3t-SECRET-value-that-must-never-be-logged"
  const requests: Array<RecordedRequest> = []
  const orders = new Map<string, StoredOrder>()
  const positions = new Map<string, WirePositionSource>()
  const closeFailures = new Set<string>()
  const pendingCancels = new Map<string, PendingCancel>()
  const closeFills = new Map<string, number>()
  const venueStatuses = new Map<string, string>()
  const faults: Array<Fault> = []
  const activities: Array<WireFillActivity> = []
  const latestTrades = new Map<string, { readonly t: string; readonly p: number }>()
  const calendar: Array<Record<string, unknown>> = [
    { date: "2026-08-03", open: "09:30", close: "16:00", session_open: "0400", session_close: "2000", settlement_date: "2026-08-04" },
    { date: "2026-08-04", open: "09:30", close: "13:00" }
  ]
  const received: Array<number> = []
  let rateLimited = 0

  const takeFault = (method: string, path: string): FaultKind | undefined => {
    const index = faults.findIndex((f) => f.method === method && f.path === path)
    const fault = faults[index]
    if (fault === undefined) return undefined
    fault.times -= 1
    if (fault.times <= 0) faults.splice(index, 1)
    return fault.kind
  }

  const newOrder = (fields: NewOrderFields, legs: ReadonlyArray<WireOrderSource> = []): StoredOrder => {
    const now = new Date().toISOString()
    return {
      ...fields,
      id: randomUUID(),
      filledQty: 0,
      filledAvgPrice: null,
      createdAt: now,
      updatedAt: now,
      submittedAt: now,
      filledAt: null,
      legs
    }
  }

  /** Alpaca infers the intent from the position and refuses a stated one that differs; a close may not pass zero. */
  const intentRefusal = (intent: OrderIntent) => {
    if (intent.positionIntent === undefined) return undefined
    const held = positions.get(intent.symbol)?.qty ?? 0
    const closing = intent.side === "sell" ? held > 0 : held < 0
    const inferred = positionIntentOf(intent.side, closing ? "close" : "open")
    if (inferred !== intent.positionIntent) {
      return { status: 422, code: 42210000, message: `position intent mismatch, inferred: ${inferred}, specified: ${intent.positionIntent}` }
    }
    return closing && intent.qty > Math.abs(held)
      ? { status: 403, code: 40310000, message: `insufficient qty available for order (requested: ${intent.qty}, available: ${Math.abs(held)})` }
      : undefined
  }

  /**
   * Shares of `symbol` that open orders on the side closing `held` would sell (or buy back): an open order's rest
   * (an OCO's once: its stop is a leg of it), else the most a filled bracket's working legs would close (legs still
   * `held` wait for their entry and hold nothing yet).
   */
  const heldForOrders = (symbol: string, held: number) => {
    const side = held > 0 ? "sell" : "buy"
    return [...orders.values()].filter((o) => o.symbol === symbol).reduce((n, o) => {
      if (OPEN.has(o.status)) return o.side === side ? n + (o.qty - o.filledQty) : n
      const legs = o.legs.filter((l) => l.side === side && l.status !== "held" && OPEN.has(l.status))
      return legs.length === 0 ? n : n + Math.max(...legs.map((l) => l.qty - l.filledQty))
    }, 0)
  }

  /** Alpaca's refusal of an order that closes more than the shares its open orders leave available. */
  const availableRefusal = (intent: OrderIntent) => {
    const held = positions.get(intent.symbol)?.qty ?? 0
    const closing = intent.side === "sell" ? held > 0 : held < 0
    if (!closing) return undefined
    const holding = heldForOrders(intent.symbol, held)
    const available = Math.abs(held) - holding
    return intent.qty > available + 1e-9
      ? { status: 403, code: 40310000, message: `insufficient qty available for order (requested: ${intent.qty}, available: ${available})`, held_for_orders: String(holding), available: String(available) }
      : undefined
  }

  /** A liquidation of `qty` of `position` (filled at once with a price in `closeFills`), or Alpaca's refusal. */
  const liquidate = (position: WirePositionSource, qty: number) => {
    const held = heldForOrders(position.symbol, position.qty)
    const available = Math.abs(position.qty) - held
    if (qty > available + 1e-9) {
      return { refusal: { code: 40310000, message: `insufficient qty available for order (requested: ${qty}, available: ${available})`, existing_qty: String(Math.abs(position.qty)), held_for_orders: String(held), available: String(available) } }
    }
    const order = newOrder({ clientOrderId: randomUUID(), symbol: position.symbol, side: position.qty > 0 ? "sell" : "buy", qty, type: "market", timeInForce: "day", limitPrice: null, stopPrice: null, orderClass: "simple", status: "accepted" })
    const price = closeFills.get(position.symbol)
    if (price === undefined) {
      orders.set(order.id, order)
      return { order }
    }
    const at = new Date().toISOString()
    const filled: StoredOrder = { ...order, status: "filled", filledQty: qty, filledAvgPrice: price, filledAt: at, updatedAt: at }
    orders.set(order.id, filled)
    const left = Math.abs(position.qty) - qty
    if (left <= 1e-9) positions.delete(position.symbol)
    else positions.set(position.symbol, { ...position, qty: Math.sign(position.qty) * left })
    return { order: filled }
  }

  const cancelOpen = () =>
    [...orders.values()].filter((o) => OPEN.has(o.status)).map((o) => {
      const at = new Date().toISOString()
      orders.set(o.id, { ...o, status: "canceled", canceledAt: at, updatedAt: at })
      return o
    })

  /** Fills an order or a leg completely at `price` (see `FakeAlpaca.fill`). */
  const fillOrder = (orderId: string, price: number, at: string) => {
    const filled = <O extends WireOrderSource>(o: O): O => ({ ...o, status: "filled", filledQty: o.qty, filledAvgPrice: price, filledAt: at, updatedAt: at })
    for (const [id, order] of orders) {
      const leg = order.legs.find((l) => l.id === orderId)
      if (id !== orderId && leg === undefined) continue
      const legs = order.legs.map((l) =>
        l.id === orderId ? filled(l) : leg !== undefined && OPEN.has(l.status) ? { ...l, status: "canceled" as const, canceledAt: at, updatedAt: at } : l
      )
      const target = leg ?? order
      // a bracket's entry filled: its legs work; an OCO's limit filled: its stop is canceled
      const after = (l: WireOrderSource): WireOrderSource =>
        order.orderClass === "oco" ? (OPEN.has(l.status) ? { ...l, status: "canceled", canceledAt: at, updatedAt: at } : l) : l.status === "held" ? { ...l, status: "new", updatedAt: at } : l
      orders.set(id, id === orderId ? { ...filled(order), legs: legs.map(after) } : { ...order, legs })
      activities.push({
        id: `${at.replace(/\D/g, "").slice(0, 17)}::${randomUUID()}`,
        activity_type: "FILL",
        transaction_time: at,
        type: "fill",
        price: formatDecimal(price),
        qty: formatDecimal(target.qty),
        side: target.side,
        symbol: target.symbol,
        leaves_qty: "0",
        order_id: orderId,
        cum_qty: formatDecimal(target.qty),
        order_status: "filled"
      })
    }
  }

  /** One more read of `id`: a cancel the fake took late takes effect once its reads are spent (see `pendingCancels`). */
  const settleCancel = (id: string) => {
    const pending = pendingCancels.get(id)
    const group = [...orders.values()].find((o) => o.id === id || o.legs.some((l) => l.id === id))
    const status = group?.id === id ? group.status : group?.legs.find((l) => l.id === id)?.status
    if (pending === undefined || group === undefined || status !== "pending_cancel") return
    pending.reads -= 1
    if (pending.reads > 0) return
    pendingCancels.delete(id)
    const at = new Date().toISOString()
    const canceled = <O extends WireOrderSource>(o: O): O => o.status === "pending_cancel" ? { ...o, status: "canceled", canceledAt: at, updatedAt: at } : o
    if (pending.fillAt === undefined) {
      orders.set(group.id, { ...canceled(group), legs: group.legs.map(canceled) })
      return
    }
    // the venue filled it before the cancel reached it: open again for the fill, which cancels the rest of its group
    const reopened = <O extends WireOrderSource>(o: O): O => o.status === "pending_cancel" ? { ...o, status: "new" } : o
    orders.set(group.id, { ...reopened(group), legs: group.legs.map(reopened) })
    fillOrder(id, pending.fillAt, at)
    const filled = group.id === id ? group : group.legs.find((l) => l.id === id)!
    const position = positions.get(filled.symbol)
    if (position === undefined) return
    const left = position.qty + (filled.side === "buy" ? filled.qty : -filled.qty)
    if (Math.abs(left) <= 1e-9) positions.delete(filled.symbol)
    else positions.set(filled.symbol, { ...position, qty: left, side: left < 0 ? "short" : "long", marketValue: left * position.currentPrice })
  }

  const handle = (req: IncomingMessage, body: string, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    const method = req.method ?? "GET"
    const path = url.pathname
    const now = Date.now()
    requests.push({ method, path, query: url.searchParams, headers: req.headers, at: now, body })

    const headers: Record<string, string> = { "content-type": "application/json" }
    if (options.rateLimit !== undefined) {
      const { limit, windowMs } = options.rateLimit
      while (received.length > 0 && received[0]! <= now - windowMs) received.shift()
      const reset = String(Math.ceil(((received[0] ?? now) + windowMs) / 1000))
      if (received.length >= limit) {
        rateLimited += 1
        res.writeHead(429, { ...headers, "X-Ratelimit-Limit": String(limit), "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset })
        res.end(JSON.stringify({ code: 42910000, message: "rate limit exceeded" }))
        return
      }
      received.push(now)
      if (options.rateLimit.headers !== false) {
        headers["X-Ratelimit-Limit"] = String(limit)
        headers["X-Ratelimit-Remaining"] = String(limit - received.length)
        headers["X-Ratelimit-Reset"] = reset
      }
    }

    const fault = takeFault(method, path)
    if (fault?._tag === "Drop" && !fault.afterAccept) {
      req.socket.destroy()
      return
    }
    if (fault?._tag === "Status" && fault.afterAccept !== true) {
      res.writeHead(fault.status, { ...headers, ...fault.headers })
      res.end(fault.body ?? "")
      return
    }

    const send = (status: number, payload?: unknown) => {
      const respond = () => {
        if (fault?._tag === "Drop") {
          req.socket.destroy()
          return
        }
        if (fault?._tag === "Status") {
          res.writeHead(fault.status, { ...headers, ...fault.headers })
          res.end(fault.body ?? "")
          return
        }
        res.writeHead(status, headers)
        res.end(payload === undefined ? "" : JSON.stringify(payload))
      }
      if (fault?._tag === "Delay") setTimeout(respond, fault.ms)
      else respond()
    }
    const error = (status: number, code: number, message: string) => send(status, { code, message })

    if (req.headers["apca-api-key-id"] === undefined || req.headers["apca-api-secret-key"] === undefined) {
      return error(403, 0, "forbidden.")
    }
    if (req.headers["apca-api-key-id"] !== keyId || req.headers["apca-api-secret-key"] !== secretKey) {
      return error(401, 40110000, "request is not authorized")
    }

    const wireOrder = (order: StoredOrder) => {
      const wire = encodeOrder(toWireOrder(order))
      const word = venueStatuses.get(order.id)
      return word === undefined || !OPEN.has(order.status) ? wire : { ...wire, status: word }
    }
    const segments = path.split("/").filter((s) => s !== "")

    if (method === "GET" && path === "/v2/account") {
      return send(200, encodeAccount({ id: "e6fe16f3-64a4-4921-8928-cadf02f92f98", status: "ACTIVE", cash: "100000", equity: "100000", buying_power: "100000" }))
    }
    if (method === "GET" && path === "/v2/positions") return send(200, [...positions.values()].map(toWirePosition))
    if (method === "GET" && path === "/v2/account/activities/FILL") {
      const after = url.searchParams.get("after")
      const size = Number(url.searchParams.get("page_size") ?? "100")
      const token = url.searchParams.get("page_token")
      const listed = activities.filter((a) => after === null || a.transaction_time > after)
      const start = token === null ? 0 : listed.findIndex((a) => a.id === token) + 1
      return send(200, listed.slice(start, start + size))
    }
    if (segments[0] === "v2" && segments[1] === "positions" && segments[2] !== undefined) {
      const symbol = decodeURIComponent(segments[2])
      const position = positions.get(symbol)
      if (position === undefined) return error(404, 40410000, "position does not exist")
      if (method === "GET") return send(200, toWirePosition(position))
      if (method === "DELETE") {
        const qty = url.searchParams.has("qty") ? Number(url.searchParams.get("qty")) : Math.abs(position.qty)
        if (qty > Math.abs(position.qty)) {
          return error(403, 40310000, `insufficient qty available for order (requested: ${qty}, available: ${Math.abs(position.qty)})`)
        }
        const done = liquidate(position, qty)
        return done.order === undefined ? send(403, done.refusal) : send(200, wireOrder(done.order))
      }
    }
    if (method === "DELETE" && path === "/v2/positions") {
      if (url.searchParams.get("cancel_orders") === "true") cancelOpen()
      const items = [...positions.values()].map((position) => {
        if (closeFailures.has(position.symbol)) {
          return { symbol: position.symbol, status: 403, body: { code: 40310000, message: "insufficient qty available for order (requested: 10, available: 0)", available: "0" } }
        }
        const done = liquidate(position, Math.abs(position.qty))
        return done.order === undefined
          ? { symbol: position.symbol, status: 403, body: done.refusal }
          : { symbol: position.symbol, status: 200, body: wireOrder(done.order) }
      })
      return send(207, items)
    }
    if (method === "GET" && path === "/v2/orders:by_client_order_id") {
      const id = url.searchParams.get("client_order_id") ?? ""
      const order = [...orders.values()].find((o) => o.clientOrderId === id)
      return order === undefined ? error(404, 40410000, "order not found") : send(200, wireOrder(order))
    }
    if (method === "GET" && path === "/v2/orders") {
      const status = url.searchParams.get("status") ?? "open"
      const limit = Number(url.searchParams.get("limit") ?? "50")
      const symbols = url.searchParams.get("symbols")?.split(",")
      const after = url.searchParams.get("after")
      const until = url.searchParams.get("until")
      // a filled bracket with open legs is listed among the open orders (nested: its legs are)
      const listed = [...orders.values()]
        .filter((o) => status === "all" || (status === "open") === (OPEN.has(o.status) || o.legs.some((l) => OPEN.has(l.status))))
        .filter((o) => symbols === undefined || symbols.includes(o.symbol))
        .filter((o) => after === null || o.submittedAt > after)
        .filter((o) => until === null || o.submittedAt < until)
      const list = (url.searchParams.get("direction") === "asc" ? listed : listed.reverse()).slice(0, limit)
      return send(200, list.map(wireOrder))
    }
    if (method === "POST" && path === "/v2/orders") {
      const decoded = decodeOrderRequest(body)
      if (Result.isFailure(decoded)) return error(400, 40010000, "request body format is invalid")
      const intent = fromWireOrderRequest(AccountId.make("FAKE"), decoded.success, randomUUID)
      if (Result.isFailure(intent)) return error(422, 40010001, intent.failure)
      if (isNotionalIntent(intent.success)) return error(422, 40010001, "notional orders are not served by this fake")
      const i = intent.success
      if ([...orders.values()].some((o) => o.clientOrderId === i.clientOrderId)) {
        return error(422, 40010001, "client_order_id must be unique")
      }
      const mismatch = intentRefusal(i)
      if (mismatch !== undefined) return error(mismatch.status, mismatch.code, mismatch.message)
      const unavailable = availableRefusal(i)
      if (unavailable !== undefined) return send(unavailable.status, { code: unavailable.code, message: unavailable.message, held_for_orders: unavailable.held_for_orders, available: unavailable.available })
      if (i.side === "buy" && i.qty * (i.limitPrice ?? 100) > 100_000) return error(403, 40310000, "insufficient buying power")
      const legs: Array<WireOrderSource> = []
      const leg = (fields: Partial<OrderLeg>): WireOrderSource => ({
        // an OCO is an exit already: its stop leg is on its side; a bracket's or an OTO's legs close its entry
        ...newOrder({ clientOrderId: randomUUID(), symbol: i.symbol, side: i.orderClass === "oco" ? i.side : i.side === "buy" ? "sell" : "buy", qty: i.qty, type: "limit", timeInForce: i.timeInForce, limitPrice: null, stopPrice: null, orderClass: i.orderClass, status: "held" }),
        ...fields
      })
      if (i.takeProfit !== undefined) legs.push(leg({ type: "limit", limitPrice: i.takeProfit.limitPrice }))
      if (i.stopLoss !== undefined) {
        legs.push(leg({ type: i.stopLoss.limitPrice === undefined ? "stop" : "stop_limit", stopPrice: i.stopLoss.stopPrice, limitPrice: i.stopLoss.limitPrice ?? null }))
      }
      const order = newOrder({
        clientOrderId: i.clientOrderId,
        symbol: i.symbol,
        side: i.side,
        qty: i.qty,
        type: i.type,
        timeInForce: i.timeInForce,
        limitPrice: i.limitPrice ?? null,
        stopPrice: i.stopPrice ?? null,
        orderClass: i.orderClass,
        status: "new",
        extendedHours: i.extendedHours ?? false
      }, legs)
      orders.set(order.id, order)
      return send(200, wireOrder(order))
    }
    if (method === "DELETE" && path === "/v2/orders") {
      const items = cancelOpen().map((o) => ({ id: o.id, status: 200 }))
      return send(207, [...items, { id: "72249bb6-6c89-4ea7-b8cf-73f1a140812b", status: 500, body: { code: 50010000, message: "Failed to cancel order" } }])
    }
    if (segments[0] === "v2" && segments[1] === "orders" && segments[2] !== undefined) {
      const id = segments[2]
      if (!UUID.test(id)) return error(422, 40010001, "order_id is missing")
      const order = orders.get(id)
      // a leg is an order of its own (by its id), and canceling one cancels its group's other open legs
      const group = order === undefined ? [...orders.values()].find((o) => o.legs.some((l) => l.id === id)) : undefined
      if (method === "GET") settleCancel(id)
      const settled = orders.get(group?.id ?? id)
      const current = group === undefined ? settled : settled?.legs.find((l) => l.id === id)
      if (group !== undefined && current !== undefined && settled !== undefined) {
        if (method === "GET") return send(200, wireOrder({ ...current, legs: [] }))
        if (method === "DELETE") {
          if (!OPEN.has(current.status)) return error(422, 42210000, "order is not cancelable")
          const status = pendingCancels.has(id) ? "pending_cancel" as const : "canceled" as const
          const canceledAt = new Date().toISOString()
          orders.set(group.id, { ...settled, legs: settled.legs.map((l) => OPEN.has(l.status) ? { ...l, status, ...(status === "canceled" ? { canceledAt } : {}) } : l) })
          return send(204)
        }
      }
      if (order === undefined || settled === undefined) return error(404, 40410000, "order not found")
      if (method === "GET") return send(200, wireOrder(settled))
      if (method === "DELETE") {
        if (!OPEN.has(settled.status)) return error(422, 42210000, "order is not cancelable")
        orders.set(id, pendingCancels.has(id) ? { ...settled, status: "pending_cancel" } : { ...settled, status: "canceled", canceledAt: new Date().toISOString() })
        return send(204)
      }
    }
    if (method === "GET" && path === "/v2/clock") {
      return send(200, { timestamp: "2026-08-03T10:00:00.123456-04:00", is_open: true, next_open: "2026-08-04T09:30:00-04:00", next_close: "2026-08-03T16:00:00-04:00", extra_field: 1 })
    }
    if (method === "GET" && path === "/v2/calendar") {
      return send(200, calendar)
    }
    if (method === "GET" && segments[1] === "assets" && segments[2] !== undefined) {
      const symbol = decodeURIComponent(segments[2])
      if (symbol !== "AAPL") return error(404, 40410000, "asset not found")
      return send(200, { id: "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", class: "us_equity", exchange: "NASDAQ", symbol: "AAPL", name: "Apple Inc. Common Stock", status: "active", tradable: true, marginable: true, shortable: true, easy_to_borrow: true, fractionable: true, attributes: ["has_options"] })
    }
    if (method === "GET" && path === "/v2/stocks/trades/latest") {
      const symbols = (url.searchParams.get("symbols") ?? "").split(",").filter((symbol) => latestTrades.has(symbol))
      return send(200, { trades: Object.fromEntries(symbols.map((symbol) => [symbol, { ...latestTrades.get(symbol)!, x: "V", s: 100, c: ["@"], i: 52983525029461, z: "B" }])) })
    }
    return error(404, 40400000, "endpoint not found")
  }

  const server = testServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => handle(req, Buffer.concat(chunks).toString("utf8"), res))
  })
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      const fake: FakeAlpaca = {
        url: `http://127.0.0.1:${port}`,
        keyId,
        secretKey,
        requests,
        orders,
        positions,
        closeFailures,
        pendingCancels,
        closeFills,
        venueStatuses,
        faults,
        inject: (method, path, kind, times = 1) => {
          faults.push({ method, path, kind, times })
        },
        rateLimited: () => rateLimited,
        ordersByClientId: (clientOrderId) => [...orders.values()].filter((o) => o.clientOrderId === clientOrderId),
        addOrder: (fields) => {
          const order = newOrder(fields)
          orders.set(order.id, order)
          return order
        },
        activities,
        latestTrades,
        calendar,
        fill: fillOrder
      }
      resolve({
        fake,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
}

export const position = (symbol: string, qty: number, price: number): WirePositionSource => ({
  symbol: Ticker.make(symbol),
  qty,
  side: qty < 0 ? "short" : "long",
  avgEntryPrice: price,
  marketValue: qty * price,
  currentPrice: price,
  unrealizedPl: 0
})
