import type { Recorded, Reply } from "./providerServers.ts"

/** A split or cash dividend as a fake provider holds it (`processDate`: when Alpaca processes it). */
export type FakeAction =
  | { readonly kind: "split"; readonly symbol: string; readonly exDate: string; readonly newRate: number; readonly oldRate: number }
  | { readonly kind: "dividend"; readonly symbol: string; readonly exDate: string; readonly cash: number; readonly processDate: string }

const processDateOf = (action: FakeAction): string => (action.kind === "split" ? action.exDate : action.processDate)

/**
 * Alpaca's `GET /v1/corporate-actions` over `actions` (filtered by `symbols`, `types` and `process_date` in
 * `[start, end]`, as the documentation says; `limit` a page, `page_token` the offset); anything else `otherwise`.
 */
export const alpacaActions = (actions: ReadonlyArray<FakeAction>, otherwise: (request: Recorded) => Reply, pageSize = 1000) =>
(request: Recorded): Reply => {
  if (request.path !== "/v1/corporate-actions") return otherwise(request)
  if (request.headers["apca-api-key-id"] === undefined) return { status: 403, body: { message: "forbidden." } }
  const symbols = new Set(request.query.get("symbols")!.split(","))
  const types = new Set(request.query.get("types")!.split(","))
  const start = request.query.get("start")!
  const end = request.query.get("end")!
  const matching = actions.filter((a) => {
    const type = a.kind === "dividend" ? "cash_dividend" : a.newRate > a.oldRate ? "forward_split" : "reverse_split"
    return symbols.has(a.symbol) && types.has(type) && processDateOf(a) >= start && processDateOf(a) <= end
  })
  const offset = Number(request.query.get("page_token") ?? 0)
  const limit = Math.min(Number(request.query.get("limit") ?? 100), pageSize)
  const page = matching.slice(offset, offset + limit)
  const splits = (forward: boolean) =>
    page.flatMap((a) =>
      a.kind === "split" && (a.newRate > a.oldRate) === forward
        ? [{ symbol: a.symbol, new_rate: a.newRate, old_rate: a.oldRate, ex_date: a.exDate, process_date: a.exDate, record_date: a.exDate, payable_date: a.exDate }]
        : []
    )
  const corporate_actions: Record<string, unknown> = {}
  if (splits(true).length > 0) corporate_actions["forward_splits"] = splits(true)
  if (splits(false).length > 0) corporate_actions["reverse_splits"] = splits(false)
  const dividends = page.flatMap((a) =>
    a.kind === "dividend"
      ? [{ symbol: a.symbol, rate: a.cash, special: false, foreign: false, ex_date: a.exDate, record_date: a.exDate, payable_date: a.processDate, process_date: a.processDate }]
      : []
  )
  if (dividends.length > 0) corporate_actions["cash_dividends"] = dividends
  return { status: 200, body: { corporate_actions, next_page_token: offset + limit < matching.length ? String(offset + limit) : null } }
}

/**
 * Polygon's `GET /v3/reference/splits` and `/v3/reference/dividends` over `actions` for one `ticker`, filtered by
 * `execution_date` / `ex_dividend_date` bounds; anything else `otherwise`.
 */
export const polygonActions = (actions: ReadonlyArray<FakeAction>, otherwise: (request: Recorded, origin: string) => Reply) =>
(request: Recorded, origin: string): Reply => {
  const splits = request.path === "/v3/reference/splits"
  if (!splits && request.path !== "/v3/reference/dividends") return otherwise(request, origin)
  const ticker = request.query.get("ticker")!
  const field = splits ? "execution_date" : "ex_dividend_date"
  const gte = request.query.get(`${field}.gte`)!
  const lte = request.query.get(`${field}.lte`)!
  const results = actions
    .filter((a) => a.symbol === ticker && a.exDate >= gte && a.exDate <= lte && (a.kind === "split") === splits)
    .map((a) =>
      a.kind === "split"
        ? { ticker, execution_date: a.exDate, split_from: a.oldRate, split_to: a.newRate, id: `S-${ticker}-${a.exDate}` }
        : { ticker, ex_dividend_date: a.exDate, pay_date: a.processDate, cash_amount: a.cash, currency: "USD", dividend_type: "CD", frequency: 4 }
    )
  return { status: 200, body: { status: "OK", request_id: "ca", results } }
}
