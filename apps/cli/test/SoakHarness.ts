/**
 * The pieces of the soak test (`Soak.test.ts`): a scripted council on the fake LLM provider, a fault proxy in front
 * of `exchange serve` whose fault the test changes from day to day, and the exchange's own account state read over
 * its REST API (the source the ledger is checked against).
 */
import { type IncomingMessage, request } from "node:http"
import type { AddressInfo } from "node:net"
import { answerWith, errorWith, type FakeReply, type FakeRequest, validAnswer } from "../../../packages/llm/test/FakeProvider.ts"
import { testServer } from "../../../packages/io/test/LocalServer.ts"

/** A PM's answer of a day: a trade (`[symbol index in the day's universe, conviction]`), FLAT, or an abstention. */
export type Pitch = readonly [number, -2 | -1 | 1 | 2] | "FLAT" | "ABSTAIN"

/** What the provider does to one PM's first pitch request of a day before answering it. */
export type ProviderFault = "503" | "429" | "drop"

/** The PM behind a request, from the provider's path (the chairman is asked on Anthropic's, as CLAUDE is). */
const pmOf = (r: FakeRequest): string =>
  r.path.startsWith("/openai") ? "CHATGPT"
  : r.path.startsWith("/gemini") ? "GEMINI"
  : r.path.startsWith("/groq") ? "GROQ"
  : r.path.startsWith("/deepseek") ? "DEEPSEEK"
  : "CLAUDE"

const record = (u: unknown): Record<string, unknown> => (typeof u === "object" && u !== null ? u as Record<string, unknown> : {})
const universeOf = (r: FakeRequest, ...path: ReadonlyArray<string>): ReadonlyArray<string> => {
  let node: unknown = r.schema
  for (const key of path) node = record(node)[key]
  const values = record(node)["enum"]
  return Array.isArray(values) ? values.map(String).filter((s) => s !== "FLAT") : []
}

/**
 * The fake provider's `respond` for a scripted council: `script()` is the day's plan (each PM's pitch, the chairman's
 * trade, the faults of the day); each fault fires once, on the PM's first pitch request of the day, then the request
 * is answered (the provider retries it).
 */
export const scriptedCouncil = (script: () => {
  readonly pitches: Readonly<Record<string, Pitch>>
  readonly chairman: Pitch
  readonly faults: Readonly<Record<string, ProviderFault>>
  readonly day: string
}) => {
  const fired = new Set<string>()
  return (r: FakeRequest): FakeReply | undefined => {
    const today = script()
    if (r.kind === "review" || r.kind === "other") return undefined
    const pm = r.kind === "chairman" ? "CHAIRMAN" : pmOf(r)
    const fault = r.kind === "pitch" ? today.faults[pm] : undefined
    if (fault !== undefined && !fired.has(`${today.day}/${pm}`)) {
      fired.add(`${today.day}/${pm}`)
      if (fault === "drop") return { body: "", drop: true }
      return fault === "429"
        ? errorWith(r, 429, "rate_limit_exceeded", "Rate limit reached", { "retry-after-ms": "20" })
        : errorWith(r, 503, "overloaded", "The server is overloaded", { "retry-after-ms": "20" })
    }
    const pitch = r.kind === "chairman" ? today.chairman : today.pitches[pm] ?? "FLAT"
    if (pitch === "ABSTAIN") return errorWith(r, 400, "invalid_request_error", "the model refused the request")
    if (r.kind === "chairman") {
      const base = validAnswer(r)
      if (pitch === "FLAT") return answerWith(r, JSON.stringify({ ...base, trades: [], rationale: "Nothing is worth the risk today." }))
      const universe = universeOf(r, "properties", "trades", "items", "properties", "symbol")
      const trade = { symbol: universe[pitch[0]], direction: pitch[1] > 0 ? "LONG" : "SHORT", conviction: pitch[1], riskProfile: "BASE", horizon: "1W" }
      return answerWith(r, JSON.stringify({ ...base, trades: [trade] }))
    }
    const base = validAnswer(r)
    if (pitch === "FLAT") return answerWith(r, JSON.stringify({ ...base, symbol: "FLAT", direction: "FLAT", conviction: 0 }))
    const universe = universeOf(r, "properties", "symbol")
    return answerWith(r, JSON.stringify({ ...base, symbol: universe[pitch[0]], direction: pitch[1] > 0 ? "LONG" : "SHORT", conviction: pitch[1] }))
  }
}

/** What the broker proxy does to some requests; every other request passes. */
export type BrokerFault =
  /** `POST /v2/orders` of `account`, once: the order reaches the exchange, the connection is dropped before its answer. */
  | { readonly kind: "drop-order-answer"; readonly account: string }
  /** `account`'s next `times` order placements answered 503 (the exchange never sees them). */
  | { readonly kind: "orders-unavailable"; readonly account: string; readonly times: number }
  /** the first `POST /v2/orders` reaches the exchange and its answer is withheld for good; `held` resolves then. */
  | { readonly kind: "hold-first-order"; readonly held: () => void }

/** A request through the proxy: the account whose key it carried, method, path, and what the proxy did. */
export interface Proxied {
  readonly account: string
  readonly method: string
  readonly path: string
  readonly fault: string | null
}

/**
 * A 127.0.0.1 proxy in front of `target` (an `exchange serve`) applying the faults `faults()` gives (those of the
 * moment: the test changes them from day to day; `rearm` lets each fire again).
 */
export const brokerProxy = async (target: string, accountOfKey: ReadonlyMap<string, string>, faults: () => ReadonlyArray<BrokerFault>) => {
  const seen: Array<Proxied> = []
  const upstream = new URL(target)
  let dropped = new Set<string>()
  let holding = true
  let refused = 0
  const server = testServer((req: IncomingMessage, res) => {
    const account = accountOfKey.get(String(req.headers["apca-api-key-id"] ?? "")) ?? "?"
    const method = req.method ?? "GET"
    const path = new URL(req.url ?? "/", "http://x").pathname
    const isOrder = method === "POST" && path === "/v2/orders"
    const now = isOrder ? faults() : []
    const unavailable = now.find((f) => f.kind === "orders-unavailable" && f.account === account)
    if (unavailable?.kind === "orders-unavailable" && refused < unavailable.times) {
      refused += 1
      seen.push({ account, method, path, fault: "503" })
      res.writeHead(503, { "content-type": "application/json" })
      return res.end(JSON.stringify({ message: "service unavailable (injected by the soak's proxy)" }))
    }
    let action: "pass" | "drop" | "hold" = "pass"
    if (now.some((f) => f.kind === "drop-order-answer" && f.account === account) && !dropped.has(account)) {
      dropped = new Set([...dropped, account])
      action = "drop"
    }
    const hold = now.find((f) => f.kind === "hold-first-order")
    if (hold !== undefined && holding) {
      holding = false
      action = "hold"
    }
    seen.push({ account, method, path, fault: action === "pass" ? null : action })
    const body: Array<Buffer> = []
    req.on("data", (c: Buffer) => body.push(c)).on("end", () => {
      const sent = request(
        { host: upstream.hostname, port: upstream.port, method, path: req.url, headers: req.headers },
        (answer) => {
          const chunks: Array<Buffer> = []
          answer.on("data", (c: Buffer) => chunks.push(c)).on("end", () => {
            if (action === "drop") return void res.socket?.destroy()
            if (action === "hold" && hold?.kind === "hold-first-order") return hold.held()
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            res.end(Buffer.concat(chunks))
          })
        }
      )
      sent.on("error", () => res.destroy())
      sent.end(Buffer.concat(body))
    })
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    /** Lets the proxy hold a first order again (a later day's kill). */
    rearm: () => void (holding = true, dropped = new Set(), refused = 0),
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      })
  }
}

/** An order as the exchange reports it (Alpaca's wire), legs nested. */
export interface WireOrder {
  readonly id: string
  readonly client_order_id: string
  readonly symbol: string
  readonly side: "buy" | "sell"
  readonly qty: string | null
  readonly filled_qty: string
  readonly filled_avg_price: string | null
  readonly status: string
  readonly type: string
  readonly order_class: string
  readonly legs: ReadonlyArray<WireOrder> | null
}

export interface WirePosition {
  readonly symbol: string
  readonly qty: string
  readonly side: string
}

export interface WireAccount {
  readonly cash: string
  readonly equity: string
  readonly long_market_value: string
  readonly short_market_value: string
}

export interface WireFill {
  readonly symbol: string
  readonly side: string
  readonly qty: string
  readonly price: string
  readonly order_id: string
}

/** One account's state as the exchange itself reports it over REST (no session header: the server's own clock). */
export const exchangeState = async (url: string, key: { readonly keyId: string; readonly secretKey: string }) => {
  const get = async <A>(path: string): Promise<A> => {
    const res = await fetch(`${url}${path}`, { headers: { "APCA-API-KEY-ID": key.keyId, "APCA-API-SECRET-KEY": key.secretKey } })
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`)
    return await res.json() as A
  }
  const [account, positions, orders, fills] = await Promise.all([
    get<WireAccount>("/v2/account"),
    get<ReadonlyArray<WirePosition>>("/v2/positions"),
    get<ReadonlyArray<WireOrder>>("/v2/orders?status=all&nested=true&limit=500&direction=asc"),
    get<ReadonlyArray<WireFill>>("/v2/account/activities/FILL?page_size=100&direction=asc")
  ])
  return { account, positions, orders, fills }
}

/** Every order and leg of `orders`, flattened. */
export const flatten = (orders: ReadonlyArray<WireOrder>): ReadonlyArray<WireOrder> =>
  orders.flatMap((o) => [o, ...flatten(o.legs ?? [])])

const OPEN = new Set(["new", "accepted", "pending_new", "partially_filled", "held", "accepted_for_bidding", "pending_replace"])

/**
 * The shares of `position` the working orders would close: each open top-level order on the other side (what it has
 * left), and of a filled entry or OCO whose legs still work, the largest open leg (its legs are alternatives).
 */
export const coveredShares = (position: WirePosition, orders: ReadonlyArray<WireOrder>): number => {
  const closing = Number(position.qty) > 0 ? "sell" : "buy"
  let covered = 0
  for (const o of orders) {
    if (o.symbol !== position.symbol) continue
    if (OPEN.has(o.status)) {
      if (o.side === closing) covered += Number(o.qty ?? 0) - Number(o.filled_qty)
      continue
    }
    const legs = (o.legs ?? []).filter((l) => OPEN.has(l.status) && l.side === closing)
    if (legs.length > 0) covered += Math.max(...legs.map((l) => Number(l.qty ?? 0) - Number(l.filled_qty)))
  }
  return covered
}
