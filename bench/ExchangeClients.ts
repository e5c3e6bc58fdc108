/**
 * Clients of `exchange serve` for the benchmarks: the project's Alpaca adapter (through `AccountManager`), with
 * every HTTP status it sees counted, and a bare `fetch` client that sends the same requests with nothing around
 * them (no limiter, no retries, no decoding) — the floor a real client is measured against.
 */
import diagnostics from "node:diagnostics_channel"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import { type AccountConfig, AccountId, defaultAccountSettings, type OrderIntent, Ticker } from "@council/domain"
import { AccountManager, LiveGuard } from "@council/broker"
import { AlpacaBroker, type AlpacaBrokerOptions, AlpacaWire } from "@council/broker/Alpaca"
import { bin, exchangeKeys, type KeyPair, type Served, startServer } from "./Processes.ts"

export const order = (account: string, symbol: string, clientOrderId: string): OrderIntent => ({
  account: AccountId.make(account),
  symbol: Ticker.make(symbol),
  side: "buy",
  qty: 1,
  type: "market",
  timeInForce: "day",
  orderClass: "simple",
  clientOrderId,
  reason: "benchmark"
})

/** `exchange serve` with `flags` in its own process on a fresh home, with its accounts' key pairs. */
export const served = (flags: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const home = mkdtempSync(join(tmpdir(), "council-bench-"))
      const server = await startServer([bin, "exchange", "serve", "--port", "0", ...flags], { COUNCIL_HOME: home })
      return { server, home, keys: exchangeKeys(home) }
    }),
    ({ home, server }) => Effect.promise(() => server.stop().then(() => rmSync(home, { recursive: true, force: true })))
  )

/** HTTP statuses seen by the adapter, by status. */
export type Statuses = Ref.Ref<Record<number, number>>

/** `AccountManager` over the Alpaca adapter for every served account, counting the statuses it sees. */
export const adapter = (server: Served, keys: ReadonlyArray<KeyPair>, client: AlpacaBrokerOptions, statuses: Statuses) => {
  const configs = LiveGuard.guard(keys.map((k): AccountConfig => ({
    id: AccountId.make(k.account),
    mode: "PAPER",
    credentials: { keyId: Redacted.make(k.keyId), secretKey: Redacted.make(k.secretKey) },
    baseUrl: server.url,
    settings: defaultAccountSettings
  }))).pipe(Effect.orDie)
  const counted = Layer.effect(
    HttpClient.HttpClient,
    HttpClient.HttpClient.use((http) =>
      Effect.succeed(HttpClient.tap(http, (response) =>
        Ref.update(statuses, (s) => ({ ...s, [response.status]: (s[response.status] ?? 0) + 1 }))))
    )
  ).pipe(Layer.provide(FetchHttpClient.layer))
  const brokers = Layer.unwrap(Effect.map(configs, (guarded) => AlpacaBroker.layerBrokers(guarded, client)))
  return AccountManager.layer.pipe(Layer.provideMerge(brokers), Layer.provide(counted))
}

/** The bare client: one request with the account's keys; resolves with the status. */
export const bare = (server: Served, keys: KeyPair) => (method: "GET" | "POST", path: string, body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: {
      "APCA-API-KEY-ID": keys.keyId,
      "APCA-API-SECRET-KEY": keys.secretKey,
      ...(body === undefined ? {} : { "Content-Type": "application/json" })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  }).then(async (res) => {
    await res.arrayBuffer()
    return res.status
  })

/** An order intent as the body the adapter sends. */
export const wireOrder = (intent: OrderIntent) => AlpacaWire.toWireOrderRequest(intent)

export const ms = (start: number) => performance.now() - start

/** When one phase's requests left and its answers came back, ms after the phase started, and the sockets it opened. */
export interface WireTimes {
  /** The first and the last request's headers written to their sockets. */
  readonly firstSent: number
  readonly lastSent: number
  /** The first and the last answer fully received. */
  readonly firstAnswer: number
  readonly lastAnswer: number
  /** The phase's end after its last answer: what the client did with the answers after the last arrived. */
  readonly tail: number
  readonly connections: number
  /** CPU time (user + system) of this process during the phase. */
  readonly cpu: number
  /** Garbage collection pauses of this process during the phase (read after the phase: GC entries arrive late). */
  readonly gc: () => number
}

/**
 * Watches every `fetch` of this process (Node's undici diagnostics channels) during a phase: `start` before it,
 * `stop` right after it.
 */
export const wireWatch = () => {
  let sent: Array<number> = []
  let answered: Array<number> = []
  let connections = 0
  let t0 = 0
  let cpu0 = process.cpuUsage()
  const pauses: Array<{ readonly start: number; readonly duration: number }> = []
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push({ start: entry.startTime, duration: entry.duration })
  }).observe({ entryTypes: ["gc"] })
  diagnostics.subscribe("undici:client:sendHeaders", () => void sent.push(performance.now()))
  diagnostics.subscribe("undici:request:trailers", () => void answered.push(performance.now()))
  diagnostics.subscribe("undici:client:connected", () => void (connections += 1))
  return {
    start: () => {
      sent = []
      answered = []
      connections = 0
      cpu0 = process.cpuUsage()
      t0 = performance.now()
    },
    stop: (): WireTimes => {
      const end = performance.now()
      const used = process.cpuUsage(cpu0)
      const start = t0
      return {
        firstSent: Math.min(...sent) - t0,
        lastSent: Math.max(...sent) - t0,
        firstAnswer: Math.min(...answered) - t0,
        lastAnswer: Math.max(...answered) - t0,
        tail: end - Math.max(...answered),
        connections,
        cpu: (used.user + used.system) / 1000,
        gc: () => pauses.filter((p) => p.start >= start && p.start <= end).reduce((total, p) => total + p.duration, 0)
      }
    }
  }
}
