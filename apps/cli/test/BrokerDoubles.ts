import { createHash } from "node:crypto"
import { existsSync, readdirSync } from "node:fs"
import { type IncomingMessage, request, type Server } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Ticker } from "@council/domain"
import type { FakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"

/** Listens on a free 127.0.0.1 port (a `testServer`: idle connections kept 30 s, as `exchange serve` keeps them). */
const listen = async (server: Server) => {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The wire body of a bracket buy of 10 SPY that never fills: a limit at $1, exits at $2,000 and $0.50. */
export const restingBracket = (clientOrderId: string) => ({
  symbol: "SPY",
  qty: "10",
  side: "buy",
  type: "limit",
  limit_price: "1",
  time_in_force: "gtc",
  order_class: "bracket",
  take_profit: { limit_price: "2000" },
  stop_loss: { stop_price: "0.5" },
  client_order_id: clientOrderId
})

/**
 * A broker on Alpaca's wire whose clock says 15:45 New York time of `clockDay` (a session, like every day of its
 * calendar): an empty account of $100,000, no positions, no orders.
 * Every `POST /v2/orders` is counted and refused, so a test can prove that nothing was sent.
 */
export const clockedBroker = async (clockDay: string) => {
  const posts: Array<string> = []
  let unavailable = false
  const server = testServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" })
      res.end(JSON.stringify(body))
    }
    if (req.method === "POST") {
      posts.push(path)
      return send(500, { message: "this test broker takes no orders" })
    }
    if (unavailable) return send(503, { message: "service unavailable" })
    if (path === "/v2/clock") {
      return send(200, { timestamp: `${clockDay}T15:45:00.000-05:00`, is_open: true, next_open: `${clockDay}T09:30:00-05:00`, next_close: `${clockDay}T16:00:00-05:00` })
    }
    if (path === "/v2/calendar") {
      const date = new URL(req.url ?? "/", "http://x").searchParams.get("start") ?? clockDay
      return send(200, [{ date, open: "09:30", close: "16:00", session_open: "0400", session_close: "2000", settlement_date: date }])
    }
    if (path === "/v2/account") return send(200, { status: "ACTIVE", cash: "100000", equity: "100000", buying_power: "100000", long_market_value: "0", short_market_value: "0" })
    if (path === "/v2/positions" || path === "/v2/orders") return send(200, [])
    return send(404, { message: `not served: ${req.method} ${path}` })
  })
  return {
    url: await listen(server),
    posts,
    setUnavailable: (value: boolean) => void (unavailable = value),
    close: () => server.close()
  }
}

/** The request a fault rule sees: whose key it carries (the account), method and path. */
export interface ProxiedRequest {
  readonly account: string
  readonly method: string
  readonly path: string
}

/**
 * A proxy in front of `target` (an `exchange serve`) that answers 503 where `fault` says so, and forwards
 * everything else. `seen` lists every request that went through, in order.
 */
export const faultProxy = async (
  target: string,
  accountOfKey: ReadonlyMap<string, string>,
  fault: (request: ProxiedRequest, seen: ReadonlyArray<ProxiedRequest>) => boolean
) => {
  const seen: Array<ProxiedRequest> = []
  const upstream = new URL(target)
  const server = testServer((req: IncomingMessage, res) => {
    const account = accountOfKey.get(String(req.headers["apca-api-key-id"] ?? "")) ?? "?"
    const proxied = { account, method: req.method ?? "GET", path: new URL(req.url ?? "/", "http://x").pathname }
    if (fault(proxied, seen)) {
      seen.push(proxied)
      res.writeHead(503, { "content-type": "application/json" })
      return res.end(JSON.stringify({ message: "service unavailable (injected by the test proxy)" }))
    }
    seen.push(proxied)
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    forward.on("error", () => res.destroy())
    req.pipe(forward)
  })
  return { url: await listen(server), seen, close: () => server.close() }
}

/** A broker on Alpaca's wire that refuses every key pair (401). */
export const unauthorizedBroker = async () => {
  const server = testServer((_req, res) => {
    res.writeHead(401, { "content-type": "application/json" })
    res.end(JSON.stringify({ code: 40110000, message: "request is not authorized" }))
  })
  return { url: await listen(server), close: () => server.close() }
}

/** A broker that must never be reached: every request is recorded (`requests`) and answered 500. */
export const countingBroker = async () => {
  const requests: Array<string> = []
  const server = testServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    res.writeHead(500, { "content-type": "application/json" })
    res.end(JSON.stringify({ message: "must not be reached" }))
  })
  return { url: await listen(server), requests, close: () => server.close() }
}

/** What a home holds: its files and every row of every table. Equal fingerprints mean nothing was written. */
export const fingerprint = (home: string): string => {
  if (!existsSync(home)) return "absent"
  const files = readdirSync(home).filter((f) => !/-(wal|shm|journal)$/.test(f)).sort()
  const hash = createHash("sha256").update(JSON.stringify(files))
  const dbFile = join(home, "council.db")
  if (existsSync(dbFile)) {
    const db = new DatabaseSync(dbFile, { readOnly: true })
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>
    for (const { name } of tables) hash.update(name + JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all()))
    db.close()
  }
  return hash.digest("hex")
}

/** Top-level orders at a local exchange (its home's database), counted by client order id. */
export const ordersAtExchange = (home: string): Map<string, number> => {
  const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
  const rows = db.prepare("SELECT client_order_id AS id, count(*) AS n FROM exchange_orders WHERE parent_id IS NULL GROUP BY client_order_id").all() as Array<{ id: string; n: number }>
  db.close()
  return new Map(rows.map((r) => [r.id, Number(r.n)]))
}

/** COUNCIL alone, on the fake Alpaca, its client's limiter opened up (a test of many orders makes a request each). */
export const councilOnFake = (fake: FakeAlpaca) => ({
  TRADING_ACCOUNTS_CONFIG: JSON.stringify([{
    id: "COUNCIL",
    mode: "PAPER",
    credentials: { keyId: fake.keyId, secretKey: fake.secretKey },
    baseUrl: fake.url,
    rateLimitPerMinute: 100_000
  }])
})

/**
 * `count` open sell limits of one SPY share each (a user's own exits), stored as Alpaca lists them, a second apart
 * (the fake lists by insertion, newest last), the newest a minute ago.
 */
export const openSpyExits = (fake: FakeAlpaca, count: number) =>
  Array.from({ length: count }, (_, n) => {
    const o = fake.addOrder({ clientOrderId: `exit-${n}`, symbol: Ticker.make("SPY"), side: "sell", qty: 1, type: "limit", timeInForce: "gtc", limitPrice: 2000, stopPrice: null, orderClass: "simple", status: "new" })
    const stamped = { ...o, submittedAt: new Date(Date.now() - 60_000 - (count - n) * 1000).toISOString() }
    fake.orders.set(o.id, stamped)
    return stamped
  })
