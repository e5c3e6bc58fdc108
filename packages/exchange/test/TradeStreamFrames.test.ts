import { assert, it, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { momentAt } from "@council/domain"
import { MarketData } from "@council/market"
import { Database } from "@council/store"
import { LocalExchange } from "@council/exchange"
import { ExchangeServer } from "@council/exchange/server"
import { ACCOUNT, bars, D2, D3, tempDatabase } from "./ExchangeFixture.ts"
import { clientOf, GEMINI, type Keys, keysOf, send, serverLayer } from "./ExchangeServerHarness.ts"
import { partialFillServer, threeExecutions } from "./PartialFillExecutions.ts"

interface Frame {
  readonly binary: boolean
  readonly json: Record<string, unknown>
}

/** A raw websocket (Node's own client, not Alpaca's SDK) to the server's `/stream`, every frame it receives kept. */
const rawSocket = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ readonly socket: WebSocket; readonly frames: Array<Frame>; readonly closed: Promise<number> }>((resolve, reject) => {
        const socket = new WebSocket(`${url.replace(/^http/, "ws")}/stream`)
        socket.binaryType = "arraybuffer"
        const frames: Array<Frame> = []
        socket.addEventListener("message", (event) => {
          const binary = event.data instanceof ArrayBuffer
          const text = binary ? Buffer.from(event.data as ArrayBuffer).toString("utf8") : String(event.data)
          frames.push({ binary, json: JSON.parse(text) as Record<string, unknown> })
          for (const wake of waiting.get(frames)?.splice(0) ?? []) wake()
        })
        const closed = new Promise<number>((done) => socket.addEventListener("close", (event) => done(event.code)))
        socket.addEventListener("open", () => resolve({ socket, frames, closed }))
        socket.addEventListener("error", () => reject(new Error("websocket failed")))
      })
    ),
    ({ socket }) => Effect.sync(() => socket.close())
  )

/** Who waits for more frames of a socket. */
const waiting = new WeakMap<ReadonlyArray<Frame>, Array<() => void>>()

/** The first `count` frames, once they arrived (no deadline but the test's). */
const framesUpTo = (frames: ReadonlyArray<Frame>, count: number) =>
  Effect.promise(() =>
    new Promise<ReadonlyArray<Frame>>((resolve) => {
      const check = () => {
        if (frames.length >= count) return resolve(frames.slice(0, count))
        const list = waiting.get(frames) ?? []
        waiting.set(frames, list)
        list.push(check)
      }
      check()
    })
  )

const authMessage = (keys: Keys) => JSON.stringify({ action: "authenticate", data: { key_id: keys.keyId, secret_key: keys.secret } })
const LISTEN = JSON.stringify({ action: "listen", data: { streams: ["trade_updates"] } })

/** A raw socket to `url`'s `/stream`, authorized with `keys` and listening to trade updates (its two answers in). */
const listeningSocket = (url: string, keys: Keys) =>
  Effect.gen(function*() {
    const connected = yield* rawSocket(url)
    connected.socket.send(authMessage(keys))
    connected.socket.send(LISTEN)
    yield* framesUpTo(connected.frames, 2)
    return connected
  })

layer(serverLayer())("/stream's frames, exactly", (it) => {
  it.effect("auth, listen and events: Alpaca's messages, in binary frames; each event's order is the REST API's order JSON", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const client = yield* clientOf(ACCOUNT)
      const { frames, socket } = yield* rawSocket(server.url)
      socket.send(LISTEN)
      socket.send(authMessage(client.keys))
      socket.send(JSON.stringify({ action: "listen", data: { streams: ["trade_updates", "account_updates"] } }))
      const handshake = yield* framesUpTo(frames, 3)
      assert.deepStrictEqual(handshake.map((f) => f.json), [
        { stream: "authorization", data: { status: "unauthorized", action: "listen" } },
        { stream: "authorization", data: { status: "authorized", action: "authenticate" } },
        { stream: "listening", data: { streams: ["trade_updates"] } }
      ])
      assert.isTrue(handshake.every((f) => f.binary))

      const placed = yield* client.post("/v2/orders", { symbol: "SPY", qty: "5", side: "buy", type: "market", time_in_force: "day", client_order_id: "raw-1" })
      const created = (yield* framesUpTo(frames, 4))[3]!.json
      assert.deepStrictEqual(Object.keys(created).sort(), ["data", "stream"])
      assert.strictEqual(created.stream, "trade_updates")
      const createdData = created.data as Record<string, unknown>
      assert.deepStrictEqual(Object.keys(createdData).sort(), ["event", "order", "timestamp"])
      assert.strictEqual(createdData.event, "new")
      assert.deepStrictEqual(createdData.order, placed.json)
      assert.strictEqual(createdData.timestamp, (placed.json as { readonly submitted_at: string }).submitted_at)

      yield* server.setSession(momentAt(D2, "16:00"))
      const filled = (yield* framesUpTo(frames, 5))[4]!
      assert.isTrue(filled.binary)
      const data = filled.json.data as Record<string, unknown>
      assert.deepStrictEqual(Object.keys(data).sort(), ["event", "execution_id", "order", "position_qty", "price", "qty", "timestamp"])
      const order = (yield* client.get(`/v2/orders/${(placed.json as { readonly id: string }).id}`)).json as Record<string, unknown>
      assert.deepStrictEqual(data.order, order)
      assert.deepStrictEqual([data.event, data.qty, data.position_qty, data.price], ["fill", "5", "5", order.filled_avg_price])
      assert.strictEqual(data.timestamp, order.filled_at)
      assert.match(String(data.execution_id), /^[0-9a-f-]{36}$/)
    }))

  it.effect("a replacement: replaced (the old order, replaced_by the new one), then new (the new one, replaces the old)", () =>
    Effect.gen(function*() {
      const client = yield* clientOf(ACCOUNT)
      const { frames } = yield* listeningSocket(client.url, client.keys)
      const placed = yield* client.post("/v2/orders", { symbol: "QQQ", qty: "3", side: "buy", type: "limit", limit_price: "30", time_in_force: "gtc" })
      const old = (placed.json as { readonly id: string }).id
      yield* framesUpTo(frames, 3)
      const replaced = yield* client.call("PATCH", `/v2/orders/${old}`, { body: JSON.stringify({ limit_price: "31" }) })
      assert.strictEqual(replaced.status, 200)
      const events = (yield* framesUpTo(frames, 5)).slice(2).map((f) => f.json.data as { readonly event: string; readonly order: Record<string, unknown> })
      const fresh = (replaced.json as { readonly id: string }).id
      assert.deepStrictEqual(events.map((e) => [e.event, e.order.id, e.order.status]), [
        ["new", old, "new"],
        ["replaced", old, "replaced"],
        ["new", fresh, "new"]
      ])
      assert.deepStrictEqual([events[1]!.order.replaced_by, events[2]!.order.replaces], [fresh, old])
      assert.deepStrictEqual(events[2]!.order, replaced.json)
    }))

  it.effect("a bracket order: new for the entry (its legs held, no event), fill, then new for each leg it released", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const client = yield* clientOf(ACCOUNT)
      yield* server.setSession(momentAt(D3, "15:45"))
      const { frames } = yield* listeningSocket(client.url, client.keys)
      const placed = yield* client.post("/v2/orders", {
        symbol: "QQQ", qty: "5", side: "buy", type: "market", time_in_force: "gtc", order_class: "bracket",
        take_profit: { limit_price: "50" }, stop_loss: { stop_price: "30" }
      })
      assert.strictEqual(placed.status, 200)
      yield* server.setSession(momentAt(D3, "16:00"))
      const events = (yield* framesUpTo(frames, 6)).slice(2).map((f) => f.json.data as { readonly event: string; readonly order: Record<string, unknown> })
      const entry = placed.json as { readonly id: string; readonly legs: ReadonlyArray<{ readonly id: string }> }
      assert.deepStrictEqual(events.map((e) => [e.event, e.order.id, e.order.status]), [
        ["new", entry.id, "new"],
        ["fill", entry.id, "filled"],
        ["new", entry.legs[0]!.id, "new"],
        ["new", entry.legs[1]!.id, "new"]
      ])
    }))

  it.effect("a wrong secret: unauthorized, then the connection closes (1008); Alpaca's `auth` form works too", () =>
    Effect.gen(function*() {
      const client = yield* clientOf(ACCOUNT)
      const wrong = yield* rawSocket(client.url)
      wrong.socket.send(authMessage({ keyId: client.keys.keyId, secret: "not-the-secret" }))
      const code = yield* Effect.promise(() => wrong.closed)
      assert.strictEqual(code, 1008)
      assert.deepStrictEqual(wrong.frames.map((f) => f.json), [{ stream: "authorization", data: { status: "unauthorized", action: "authenticate" } }])

      const right = yield* rawSocket(client.url)
      right.socket.send(JSON.stringify({ action: "auth", key: client.keys.keyId, secret: client.keys.secret }))
      right.socket.send("not json")
      right.socket.send(JSON.stringify({ action: "listen", data: { streams: [] } }))
      assert.deepStrictEqual((yield* framesUpTo(right.frames, 3)).map((f) => f.json), [
        { stream: "authorization", data: { status: "authorized", action: "authenticate" } },
        { action: "error", data: { error_message: "invalid syntax: expected a JSON object" } },
        { stream: "listening", data: { streams: [] } }
      ])
    }))
})

layer(serverLayer())("/stream and cancel-all", (it) => {
  it.effect("cancel-all: a canceled event for each open order, in the order they were submitted", () =>
    Effect.gen(function*() {
      const client = yield* clientOf(ACCOUNT)
      const { frames } = yield* listeningSocket(client.url, client.keys)
      const ids: Array<string> = []
      for (const limit of ["31", "32", "33"]) {
        const placed = yield* client.post("/v2/orders", { symbol: "QQQ", qty: "1", side: "buy", type: "limit", limit_price: limit, time_in_force: "gtc" })
        ids.push((placed.json as { readonly id: string }).id)
      }
      assert.strictEqual((yield* client.del("/v2/orders")).status, 207)
      const events = (yield* framesUpTo(frames, 8)).slice(2).map((f) => f.json.data as { readonly event: string; readonly order: { readonly id: string } })
      assert.deepStrictEqual(events.map((e) => [e.event, e.order.id]), [
        ...ids.map((id) => ["new", id]),
        ...ids.map((id) => ["canceled", id])
      ])
    }))
})

layer(partialFillServer())("/stream and partial fills", (it) => {
  it.effect("queued after the close, routed at the open, filled 4 + 4 + 2: accepted, new, partial_fill, partial_fill, fill — each with the order and the position as after it", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const keys = yield* keysOf(GEMINI)
      const { frames } = yield* listeningSocket(server.url, keys)
      const { client, orderId } = yield* threeExecutions
      const events = (yield* framesUpTo(frames, 7)).slice(2).map((f) => f.json.data as Record<string, string> & { readonly order: Record<string, unknown> })
      const activities = (yield* client.get("/v2/account/activities/FILL")).json as ReadonlyArray<Record<string, string>>
      assert.deepStrictEqual(events.map((e) => [e.event, e.order.id, e.order.status, e.order.filled_qty]), [
        ["accepted", orderId, "accepted", "0"],
        ["new", orderId, "new", "0"],
        ["partial_fill", orderId, "partially_filled", "4"],
        ["partial_fill", orderId, "partially_filled", "8"],
        ["fill", orderId, "filled", "10"]
      ])
      const fills = events.slice(2)
      // GEMINI held no SPY before: its position after each fill is the order's shares filled so far (`cum_qty`)
      assert.deepStrictEqual(fills.map((e) => [e.qty, e.price, e.position_qty, e.timestamp]), activities.map((a) => [a.qty, a.price, a.cum_qty, a.transaction_time]))
      const final = (yield* client.get(`/v2/orders/${orderId}`)).json as Record<string, unknown>
      assert.deepStrictEqual(fills[2]!.order, final)
    }))
})

it.live("a listener on one server gets the events of orders another process placed and filled in the same database", () =>
  Effect.gen(function*() {
    const filename = tempDatabase()
    const serve = () =>
      Layer.build(
        ExchangeServer.layer({ port: 0, accounts: [ACCOUNT], date: D2, rateLimit: 10_000 }).pipe(
          Layer.provide(Database.layerSqlite(filename)),
          Layer.provide(MarketData.layerTest(bars)),
          Layer.fresh
        )
      )
    const listening = yield* serve()
    const other = yield* serve()
    const keys = yield* keysOf(ACCOUNT).pipe(Effect.provideService(LocalExchange, Context.get(listening, LocalExchange)))
    const { frames } = yield* listeningSocket(Context.get(listening, ExchangeServer).url, keys)
    const elsewhere = Context.get(other, ExchangeServer)
    const placed = yield* send(elsewhere.url, "POST", "/v2/orders", {
      keys,
      body: JSON.stringify({ symbol: "SPY", qty: "2", side: "sell", type: "market", time_in_force: "day", client_order_id: "elsewhere-1" })
    })
    assert.strictEqual(placed.status, 200)
    // the other server's account is brought past the close by a read there
    yield* elsewhere.setSession(momentAt(D2, "16:00"))
    assert.strictEqual((yield* send(elsewhere.url, "GET", "/v2/account", { keys })).status, 200)
    const events = (yield* framesUpTo(frames, 4)).slice(2).map((f) => f.json.data as Record<string, unknown> & { readonly order: Record<string, unknown> })
    assert.deepStrictEqual(events.map((e) => [e.event, e.order.client_order_id, e.position_qty]), [["new", "elsewhere-1", undefined], ["fill", "elsewhere-1", "-2"]])
  }))
