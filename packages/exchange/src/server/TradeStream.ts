/**
 * Alpaca's trade-updates websocket (`wss://paper-api.alpaca.markets/stream`) at `/stream` of the exchange server:
 * the protocol, over the feeds of `TradeFeeds`.
 *
 * **Protocol** (as Alpaca's paper API speaks it; every server message is JSON in a binary frame, as Alpaca sends
 * the trading stream's — clients decode both kinds):
 * - Auth: `{"action":"authenticate","data":{"key_id":…,"secret_key":…}}` (or Alpaca's newer
 *   `{"action":"auth","key":…,"secret":…}`), the pair checked as the REST API checks it. Answer
 *   `{"stream":"authorization","data":{"status":"authorized","action":"authenticate"}}`; a wrong pair gets
 *   `"status":"unauthorized"` and the connection is closed (1008).
 * - `{"action":"listen","data":{"streams":["trade_updates"]}}` → `{"stream":"listening","data":{"streams":[…]}}`,
 *   the streams served among those asked (`trade_updates` only; `[]` stops the events). Before auth:
 *   `{"stream":"authorization","data":{"status":"unauthorized","action":"listen"}}`.
 * - Events: `{"stream":"trade_updates","data":{"event":…,"timestamp":…,"order":{…}}}` (`TradeEvents`), the
 *   account's only, from the listen's acknowledgement on.
 * - Anything else: `{"action":"error","data":{"error_message":…}}`, the connection kept.
 *
 * **Gotchas**
 * - Messages of a connection are handled one at a time, in order (a `listen` sent right after the auth waits for it).
 * - Secrets are never logged nor echoed; a message that is not JSON is not repeated back.
 * - Loaded by the server when it starts listening (it loads `ws`, through `@effect/platform-node`'s `NodeWS`).
 *
 * @since 0.1.0
 */
import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import * as NodeWS from "@effect/platform-node/NodeWS"
import * as Effect from "effect/Effect"
import type { KeyHolder } from "../Keys.ts"
import { frameOf, type Subscriber, type TradeFeeds } from "./TradeFeeds.ts"

export const STREAM_PATH = "/stream"
export const TRADE_UPDATES = "trade_updates"

/** Largest message a client may send (its auth and listen messages are tiny). */
const MAX_MESSAGE_BYTES = 16_384

export interface TradeStreamDeps {
  readonly feeds: TradeFeeds
  /** The REST API's key check: the account of the pair, `undefined` for a wrong one. */
  readonly authenticate: (keyId: string, secret: string) => Effect.Effect<KeyHolder | undefined, unknown>
  /** Runs a connection's handling of one message (a `FiberSet` runtime of the server's scope). */
  readonly run: (effect: Effect.Effect<void>) => Promise<void>
}

const authorization = (status: "authorized" | "unauthorized", action: "authenticate" | "listen") => ({
  stream: "authorization",
  data: { status, action }
})
const listening = (streams: ReadonlyArray<string>) => ({ stream: "listening", data: { streams } })
const streamError = (message: string) => ({ action: "error", data: { error_message: message } })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const textOf = (data: NodeWS.RawData): string =>
  Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8")

const parse = (text: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(text)
    return isRecord(value) ? value : undefined
  } catch {
    return undefined
  }
}

/** The key pair of an auth message (either of Alpaca's forms), if it is one. */
const credentialsOf = (message: Record<string, unknown>): { readonly keyId: string; readonly secret: string } | undefined => {
  const data = isRecord(message.data) ? message.data : {}
  const keyId = message.action === "auth" ? message.key : data.key_id
  const secret = message.action === "auth" ? message.secret : data.secret_key
  return typeof keyId === "string" && typeof secret === "string" ? { keyId, secret } : undefined
}

/** The streams a listen message asks for that are served. */
const streamsOf = (message: Record<string, unknown>): ReadonlyArray<string> => {
  const streams = isRecord(message.data) ? message.data.streams : undefined
  return Array.isArray(streams) && streams.includes(TRADE_UPDATES) ? [TRADE_UPDATES] : []
}

/** One client's connection: its account once authorized, whether it listens. */
const connect = (deps: TradeStreamDeps, ws: NodeWS.WebSocket) => {
  let holder: KeyHolder | undefined
  let listens = false
  let closed = false
  const subscriber: Subscriber = {
    send: (frame) => {
      if (ws.readyState === NodeWS.WebSocket.OPEN) ws.send(frame)
    }
  }
  const reply = (message: unknown) => subscriber.send(frameOf(message))
  const stopListening = () => {
    if (holder !== undefined && listens) deps.feeds.unsubscribe(holder.account, subscriber)
    listens = false
  }

  const authenticate = (keyId: string, secret: string) =>
    Effect.map(deps.authenticate(keyId, secret), (account) => {
      stopListening()
      holder = account
      if (account !== undefined) return reply(authorization("authorized", "authenticate"))
      reply(authorization("unauthorized", "authenticate"))
      ws.close(1008, "unauthorized")
    })

  const listen = (streams: ReadonlyArray<string>) =>
    Effect.suspend(() => {
      const account = holder
      if (account === undefined) return Effect.sync(() => reply(authorization("unauthorized", "listen")))
      const wanted = streams.includes(TRADE_UPDATES)
      if (!wanted || listens) {
        if (!wanted) stopListening()
        return Effect.sync(() => reply(listening(streams)))
      }
      listens = true
      return Effect.andThen(
        deps.feeds.subscribe(account.account, subscriber, () => reply(listening(streams))),
        // closed while joining: leave at once
        Effect.sync(() => closed && deps.feeds.unsubscribe(account.account, subscriber))
      )
    })

  const handle = (text: string): Effect.Effect<void> => {
    const message = parse(text)
    const effect: Effect.Effect<void, unknown> = message === undefined
      ? Effect.sync(() => reply(streamError("invalid syntax: expected a JSON object")))
      : message.action === "authenticate" || message.action === "auth"
      ? Effect.suspend(() => {
        const credentials = credentialsOf(message)
        return credentials === undefined
          ? Effect.sync(() => reply(streamError("auth needs a key id and a secret key")))
          : authenticate(credentials.keyId, credentials.secret)
      })
      : message.action === "listen"
      ? listen(streamsOf(message))
      : Effect.sync(() => reply(streamError(`unknown action ${JSON.stringify(String(message.action)).slice(0, 40)}`)))
    return Effect.catchCause(effect, (cause) =>
      Effect.logError("exchange stream: a message failed", cause).pipe(
        Effect.andThen(Effect.sync(() => {
          reply(streamError("internal server error"))
          ws.close(1011, "internal error")
        }))
      ))
  }

  let chain = Promise.resolve()
  ws.on("message", (data) => {
    const text = textOf(data)
    // `handle` fails never; its fiber is interrupted when the server stops (nothing is left to answer then)
    chain = chain.then(() => deps.run(handle(text))).catch(() => undefined)
  })
  ws.on("close", () => {
    closed = true
    stopListening()
  })
  ws.on("error", () => ws.terminate())
}

/** The `upgrade` listener of the HTTP server (`/stream`; any other path: 404) and what closes its connections. */
export const make = (deps: TradeStreamDeps) => {
  const server = new NodeWS.WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false })
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname
    if (path !== STREAM_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
      return
    }
    server.handleUpgrade(req, socket, head, (ws) => connect(deps, ws))
  }
  const close = () => {
    for (const client of server.clients) client.terminate()
    server.close()
  }
  return { upgrade, close }
}
