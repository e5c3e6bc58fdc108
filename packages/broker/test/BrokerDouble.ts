import { Effect, Option } from "effect"
import {
  AccountId,
  type AccountSnapshot,
  OPEN_STATUSES,
  type Order,
  type OrderIntent,
  type Position,
  type Ticker
} from "@council/domain"
import { type Broker, BrokerError } from "@council/broker"

export const position = (symbol: string, qty: number, price = 100): Position => ({
  symbol: symbol as Ticker,
  qty,
  side: qty > 0 ? "long" : "short",
  avgEntryPrice: price,
  marketValue: qty * price,
  currentPrice: price,
  unrealizedPl: 0
})

export const snapshot = (positions: ReadonlyArray<Position> = [], options: { equity?: number; cash?: number; buyingPower?: number } = {}): AccountSnapshot => {
  const equity = options.equity ?? 100_000
  const cash = options.cash ?? equity - positions.reduce((n, p) => n + p.marketValue, 0)
  return {
    account: AccountId.make("CLAUDE"),
    cash,
    equity,
    buyingPower: options.buyingPower ?? cash,
    longMarketValue: 0,
    shortMarketValue: 0,
    positions
  }
}

export const intent = (fields: Partial<OrderIntent> & Pick<OrderIntent, "side" | "qty">): OrderIntent => ({
  account: AccountId.make("CLAUDE"),
  symbol: "SPY" as Ticker,
  type: "market",
  timeInForce: "day",
  orderClass: "simple",
  clientOrderId: `${fields.side}-${fields.qty}-${fields.symbol ?? "SPY"}-${fields.type ?? "market"}-${fields.limitPrice ?? ""}`,
  reason: "test",
  ...fields
})

export const toOrder = (i: OrderIntent, n: number): Order => ({
  id: `order-${n}`,
  clientOrderId: i.clientOrderId,
  symbol: i.symbol,
  side: i.side,
  qty: i.qty,
  type: i.type,
  timeInForce: i.timeInForce,
  limitPrice: i.limitPrice ?? null,
  stopPrice: i.stopPrice ?? null,
  orderClass: i.orderClass,
  status: "accepted",
  filledQty: 0,
  filledAvgPrice: null,
  submittedAt: "2026-06-08T20:15:00.000Z",
  filledAt: null,
  legs: []
})

/**
 * A broker of one account that keeps what it is sent in memory: the account does not change, accepted orders stay
 * open. Counts requests, so a test can see what reached it.
 */
export const memoryBroker = (account: AccountSnapshot, open: ReadonlyArray<Order> = []) => {
  const placed: Array<OrderIntent> = []
  const requests: Array<string> = []
  const orders = [...open]
  const request = <A>(name: string, value: () => A) => Effect.sync(() => (requests.push(name), value()))
  const broker: Broker = {
    account: account.account,
    getAccount: request("getAccount", () => account),
    getPositions: request("getPositions", () => account.positions),
    getPosition: (symbol) => request("getPosition", () => Option.fromNullishOr(account.positions.find((p) => p.symbol === symbol))),
    listOrders: () => request("listOrders", () => [...orders]),
    getOrder: (id) => Effect.flatMap(request("getOrder", () => orders.find((o) => o.id === id)), (o) => o ? Effect.succeed(o) : Effect.fail(new BrokerError({ account: "CLAUDE", reason: "NotFound", message: "order not found", retryable: false }))),
    getOrderByClientId: (id) => request("getOrderByClientId", () => Option.fromNullishOr(orders.find((o) => o.clientOrderId === id))),
    listFills: () => request("listFills", () => []),
    placeOrder: (i) =>
      Effect.flatMap(request("placeOrder", () => orders.some((o) => o.clientOrderId === i.clientOrderId)), (duplicate) =>
        duplicate
          ? Effect.fail(new BrokerError({ account: "CLAUDE", reason: "DuplicateClientOrderId", message: "client_order_id must be unique", retryable: false }))
          : Effect.sync(() => {
            placed.push(i)
            const order = toOrder(i, orders.length)
            orders.push(order)
            return order
          })),
    cancelOrder: (id) =>
      Effect.flatMap(
        request("cancelOrder", () => orders.findIndex((o) => (o.id === id && o.status === "accepted") || o.legs.some((l) => l.id === id && OPEN_STATUSES.has(l.status)))),
        (i) =>
          i < 0
            ? Effect.fail(new BrokerError({ account: "CLAUDE", reason: "NotFound", message: "order not found", retryable: false }))
            // a leg cancels its group (the legs; a filled entry stays filled)
            : Effect.sync(() => {
              const o = orders[i]!
              orders[i] = { ...o, status: o.status === "accepted" ? "canceled" : o.status, legs: o.legs.map((l) => ({ ...l, status: "canceled" })) }
            })
      ),
    cancelAllOrders: request("cancelAllOrders", () => {
      const open = orders.filter((o) => o.status === "accepted")
      for (const o of open) orders[orders.indexOf(o)] = { ...o, status: "canceled" }
      return open.length
    }),
    closePosition: () => Effect.die("not used"),
    closeAllPositions: request("closeAllPositions", () => []),
    getClock: Effect.die("not used"),
    getCalendar: () => Effect.die("not used")
  }
  return { broker, placed, requests }
}
