import { type EarlyClosing, testServer } from "../../io/test/LocalServer.ts"
import type { IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { TradingDay } from "@council/domain"
import type { MarketData } from "@council/market"

export interface FakeBar {
  readonly date: string
  readonly open: number
  readonly high: number
  readonly low: number
  readonly close: number
  readonly volume: number
}

export interface Recorded {
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  /** The test clock's time when the request arrived. */
  readonly at: number
}

export interface Reply {
  readonly status: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export interface Server {
  readonly url: string
  readonly requests: Array<Recorded>
}

/** A real HTTP server on 127.0.0.1 for the test's scope; `script` replies are used first, in order. */
export const serve = (
  handle: (request: Recorded, origin: string) => Reply,
  options: { readonly now: () => number; readonly script?: ReadonlyArray<Reply> }
) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: ReturnType<typeof testServer>; readonly info: Server }>((resume) => {
      const requests: Array<Recorded> = []
      const script = [...(options.script ?? [])]
      let origin = ""
      const server = testServer((req, res) => {
        const url = new URL(req.url ?? "/", origin)
        const recorded: Recorded = { path: url.pathname, query: url.searchParams, headers: req.headers, at: options.now() }
        requests.push(recorded)
        const reply = script.shift() ?? handle(recorded, origin)
        res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers })
        res.end(typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body))
      })
      server.listen(0, "127.0.0.1", () => {
        origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        resume(Effect.succeed({ server, info: { url: origin, requests } }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ info }) => info))

/** A port nothing listens on. */
export const closedPort = Effect.callback<string>((resume) => {
  const server = testServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as AddressInfo).port
    server.close(() => resume(Effect.succeed(`http://127.0.0.1:${port}`)))
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Data

const HOLIDAYS = new Set([
  "2024-01-01",
  "2024-01-15",
  "2024-02-19",
  "2024-03-29",
  "2024-05-27",
  "2024-06-19",
  "2024-07-04",
  "2024-09-02",
  "2024-11-28",
  "2024-12-25"
])

/** NYSE sessions of 2023-12-01 .. 2024-12-31 (weekdays minus the 2024 holidays). */
export const SESSIONS: ReadonlyArray<string> = (() => {
  const out: Array<string> = []
  for (let t = Date.parse("2023-12-01T00:00:00Z"); t <= Date.parse("2024-12-31T00:00:00Z"); t += 86_400_000) {
    const d = new Date(t)
    const day = d.toISOString().slice(0, 10)
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6 && !HOLIDAYS.has(day)) out.push(day)
  }
  return out
})()

export const barsOf = (symbol: string, sessions: ReadonlyArray<string> = SESSIONS): Array<FakeBar> => {
  const base = 10 + [...symbol].reduce((sum, ch) => sum + ch.charCodeAt(0), 0)
  return sessions.map((date, i) => ({
    date,
    open: base + i / 100,
    high: base + i / 100 + 1,
    low: base + i / 100 - 1,
    close: base + i / 100 + 0.5,
    volume: 1_000_000 + i
  }))
}

const nyMidnights = new Map<string, number>()

/**
 * Midnight New York of a weekday, in UTC ms (weekdays never change offset between midnight and noon). Memoized:
 * `toLocaleString` with a time zone costs ~0.1 ms, and the fake Alpaca server asks it of every bar at every page
 * request (~0.3 s a request for ten ETFs, past vitest's 5 s in a loaded suite).
 */
export const nyMidnightOfWeekday = (date: string): number => {
  const known = nyMidnights.get(date)
  if (known !== undefined) return known
  const label = new Date(`${date}T12:00:00Z`).toLocaleString("en-US", {
    timeZone: "America/New_York",
    timeZoneName: "shortOffset"
  })
  const hours = Number(/GMT-(\d+)/.exec(label)![1])
  const midnight = Date.parse(`${date}T0${hours}:00:00Z`)
  nyMidnights.set(date, midnight)
  return midnight
}

// ---------------------------------------------------------------------------------------------------------------
// Alpaca: GET /v2/stocks/bars

export const alpacaBars = (options: {
  readonly bars: Readonly<Record<string, ReadonlyArray<FakeBar>>>
  readonly keyId: string
  readonly secretKey: string
  readonly pageSize?: number
  /** Ignore `end` and return later bars too (a misbehaving server). */
  readonly leakAfterEnd?: boolean
}) =>
(request: Recorded): Reply => {
  // a feed with no corporate action (actionServers.ts serves some)
  if (request.path === "/v1/corporate-actions") return { status: 200, body: { corporate_actions: {}, next_page_token: null } }
  if (request.path !== "/v2/stocks/bars") return { status: 404, body: { message: "Not Found" } }
  if (request.headers["apca-api-key-id"] === undefined || request.headers["apca-api-secret-key"] === undefined) {
    return { status: 403, body: { message: "forbidden." } }
  }
  if (request.headers["apca-api-key-id"] !== options.keyId || request.headers["apca-api-secret-key"] !== options.secretKey) {
    return { status: 401, body: { code: 40110000, message: "request is not authorized" } }
  }
  const start = Date.parse(request.query.get("start")!)
  const end = Date.parse(request.query.get("end")!)
  const symbols = request.query.get("symbols")!.split(",").sort()
  const rows = symbols.flatMap((symbol) =>
    (options.bars[symbol] ?? [])
      .map((b) => ({ symbol, t: nyMidnightOfWeekday(b.date), b }))
      .filter((r) => r.t >= start && (options.leakAfterEnd || r.t <= end))
  )
  const limit = Math.min(Number(request.query.get("limit") ?? 1000), options.pageSize ?? 10_000)
  const token = request.query.get("page_token")
  const offset = token ? Number(Buffer.from(token, "base64").toString("utf8").split("|")[1]) : 0
  const page = rows.slice(offset, offset + limit)
  const bars: Record<string, Array<unknown>> = {}
  for (const { symbol, t, b } of page) {
    ;(bars[symbol] ??= []).push({
      t: new Date(t).toISOString().replace(".000Z", "Z"),
      o: b.open,
      h: b.high,
      l: b.low,
      c: b.close,
      v: b.volume,
      n: 1234,
      vw: b.close
    })
  }
  const next = offset + limit < rows.length
    ? Buffer.from(`${rows[offset + limit]!.symbol}|${offset + limit}`).toString("base64")
    : null
  return { status: 200, body: { bars, next_page_token: next } }
}

// ---------------------------------------------------------------------------------------------------------------
// Polygon: GET /v2/aggs/ticker/{T}/range/1/day/{from}/{to}

const AGGS = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/1\/day\/(\d{4}-\d{2}-\d{2})\/(\d{4}-\d{2}-\d{2})$/

export const polygonAggs = (options: {
  readonly bars: Readonly<Record<string, ReadonlyArray<FakeBar>>>
  readonly apiKey: string
  readonly pageSize?: number
  readonly leakAfterEnd?: boolean
  /** The origin written into `next_url` (default: this server). */
  readonly nextUrlOrigin?: string
}) =>
(request: Recorded, origin: string): Reply => {
  // a feed with no corporate action (actionServers.ts serves some)
  if (request.path.startsWith("/v3/reference/")) return { status: 200, body: { status: "OK", request_id: "ca", results: [] } }
  const match = AGGS.exec(request.path)
  if (!match) return { status: 404, body: { status: "NOT_FOUND", request_id: "r0", message: "Not found" } }
  if (request.headers.authorization !== `Bearer ${options.apiKey}` && request.query.get("apiKey") !== options.apiKey) {
    return { status: 401, body: { status: "ERROR", request_id: "r1", error: "Unknown API Key" } }
  }
  const [, ticker, from, to] = match as unknown as [string, string, string, string]
  const all = (options.bars[ticker] ?? []).filter((b) => b.date >= from && (options.leakAfterEnd || b.date <= to))
  const offset = Number(request.query.get("cursor") ?? 0)
  const size = options.pageSize ?? 50_000
  const page = all.slice(offset, offset + size)
  const results = page.map((b) => ({
    v: b.volume,
    vw: b.close,
    o: b.open,
    c: b.close,
    h: b.high,
    l: b.low,
    t: nyMidnightOfWeekday(b.date),
    n: 4321
  }))
  return {
    status: 200,
    body: {
      ticker,
      queryCount: page.length,
      resultsCount: page.length,
      adjusted: true,
      ...(results.length > 0 ? { results } : {}),
      status: "OK",
      request_id: `req-${offset}`,
      count: page.length,
      ...(offset + size < all.length
        ? { next_url: `${options.nextUrlOrigin ?? origin}${request.path}?cursor=${offset + size}` }
        : {})
    }
  }
}

export const polygon429: Reply = {
  status: 429,
  body: {
    status: "ERROR",
    request_id: "rl",
    error: "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue."
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Today's session so far: Alpaca GET /v2/stocks/snapshots, Polygon GET /v2/snapshot/locale/us/markets/stocks/tickers

/** A symbol's session so far as a provider reports it: the day's bar so far and the latest trade (epoch ms). */
export interface FakeIntraday extends FakeBar {
  readonly tradeAt: number
  readonly tradePrice: number
}

/** Answers Alpaca's snapshots from `today` (symbols it lacks are `null`), anything else with `otherwise`. */
export const alpacaSnapshots = (today: Readonly<Record<string, FakeIntraday>>, otherwise: (request: Recorded) => Reply) =>
(request: Recorded): Reply => {
  if (request.path !== "/v2/stocks/snapshots") return otherwise(request)
  const body = Object.fromEntries(request.query.get("symbols")!.split(",").map((symbol) => {
    const s = today[symbol]
    return [symbol, s === undefined ? null : {
      latestTrade: { t: new Date(s.tradeAt).toISOString(), x: "V", p: s.tradePrice, s: 100, c: ["@"], i: 1, z: "B" },
      dailyBar: { t: new Date(nyMidnightOfWeekday(s.date)).toISOString().replace(".000Z", "Z"), o: s.open, h: s.high, l: s.low, c: s.close, v: s.volume, n: 10, vw: s.close }
    }]
  }))
  return { status: 200, body }
}

/** Answers Polygon's tickers snapshot from `today` (timestamps in nanoseconds), anything else with `otherwise`. */
export const polygonSnapshots = (today: Readonly<Record<string, FakeIntraday>>, otherwise: (request: Recorded, origin: string) => Reply) =>
(request: Recorded, origin: string): Reply => {
  if (request.path !== "/v2/snapshot/locale/us/markets/stocks/tickers") return otherwise(request, origin)
  const tickers = request.query.get("tickers")!.split(",").flatMap((ticker) => {
    const s = today[ticker]
    return s === undefined ? [] : [{
      ticker,
      day: { o: s.open, h: s.high, l: s.low, c: s.close, v: s.volume, vw: s.close },
      lastTrade: { p: s.tradePrice, s: 100, t: s.tradeAt * 1e6, x: 4 },
      updated: s.tradeAt * 1e6
    }]
  })
  return { status: 200, body: { status: "OK", count: tickers.length, tickers } }
}

/**
 * What both remote feeds' tests check of a kept-alive connection the feed drops as the next request goes out on it
 * (after a pause: the connection is idle in the client's pool): the request is sent again on a new connection and
 * the snapshot comes back whole. `feed` is set up behind an `earlyClosing` proxy on the fixture's SPY bars.
 */
export const resentAfterDroppedConnection = (feed: {
  readonly md: Pick<MarketData["Service"], "latestTradingDay" | "snapshot">
  readonly server: Server
  readonly proxy: EarlyClosing | undefined
}) =>
  Effect.gen(function*() {
    const { md, proxy, server } = feed
    assert.strictEqual(yield* md.latestTradingDay, "2024-11-14")
    const asked = server.requests.length
    yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))
    proxy!.closeNextReuse()
    const snapshot = yield* md.snapshot(TradingDay.make("2024-11-14"), 5)
    assert.strictEqual(proxy!.closed(), 1)
    assert.isAbove(server.requests.length, asked)
    const asOfIndex = SESSIONS.indexOf("2024-11-14")
    assert.deepStrictEqual<ReadonlyArray<unknown>>(snapshot.history[0]!.bars, barsOf("SPY").slice(asOfIndex - 4, asOfIndex + 1))
  })
