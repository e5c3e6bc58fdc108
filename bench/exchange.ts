/**
 * Benchmarks against the Alpaca-compatible local exchange server, through the project's Alpaca adapter.
 *
 *   execution   6 accounts × 5 orders at 200 ms latency: the execution fan-out's wall time / 200 ms
 *   ratelimit   1,200 orders over 6 accounts under 20 requests/s per account: wall / the rate-limit bound, 429s
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Redacted, Ref, Result } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import {
  AccountId,
  type AccountConfig,
  defaultAccountSettings,
  DEFAULT_ACCOUNTS,
  type OrderIntent,
  type RunId,
  Ticker,
  TradingDay
} from "@council/domain"
import { RunContext, Recorder, RunStore } from "@council/engine"
import { AccountManager, AlpacaBroker, type AlpacaBrokerOptions, LiveGuard } from "@council/broker"
import { Execution } from "@council/daily"
import { Notifier } from "@council/notify"
import { serveExchange } from "../apps/cli/test/ExchangeProcess.ts"

const accounts = DEFAULT_ACCOUNTS.map((a) => AccountId.make(a))

const order = (account: AccountId, symbol: string, id: string): OrderIntent => ({
  account,
  symbol: Ticker.make(symbol),
  side: "buy",
  qty: 1,
  type: "market",
  timeInForce: "day",
  orderClass: "simple",
  clientOrderId: id,
  reason: "benchmark"
})

/** `exchange serve` in its own process on a fresh home, and the adapter's brokers for its six accounts. */
const harness = (flags: ReadonlyArray<string>, client: AlpacaBrokerOptions, statuses: Ref.Ref<Record<number, number>>) =>
  Layer.unwrap(Effect.gen(function*() {
    const home = mkdtempSync(join(tmpdir(), "council-bench-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(home, { recursive: true, force: true })))
    const served = yield* Effect.acquireRelease(Effect.promise(() => serveExchange(home, flags)), (s) => Effect.promise(s.stop))
    const configs = yield* LiveGuard.guard(served.keys.map((k): AccountConfig => ({
      id: AccountId.make(k.account),
      mode: "PAPER",
      credentials: { keyId: Redacted.make(k.keyId), secretKey: Redacted.make(k.secretKey) },
      baseUrl: served.url,
      settings: defaultAccountSettings
    }))).pipe(Effect.orDie)
    const counted = Layer.effect(
      HttpClient.HttpClient,
      HttpClient.HttpClient.use((http) =>
        Effect.succeed(HttpClient.tap(http, (response) => Ref.update(statuses, (s) => ({ ...s, [response.status]: (s[response.status] ?? 0) + 1 })))))
    ).pipe(Layer.provide(FetchHttpClient.layer))
    return AccountManager.layer.pipe(Layer.provideMerge(AlpacaBroker.layerBrokers(configs, client)), Layer.provide(counted))
  }))

const ms = (start: number) => performance.now() - start

const execution = Effect.gen(function*() {
  const latency = Number(process.env["BENCH_LATENCY_MS"] ?? 200)
  const statuses = yield* Ref.make<Record<number, number>>({})
  const symbols = ["SPY", "QQQ", "IWM", "TLT", "GLD"]
  yield* Effect.gen(function*() {
    const manager = yield* AccountManager
    const intents = (round: string) => accounts.flatMap((a) => symbols.map((s) => order(a, s, `bench-${round}-${a}-${s}`)))
    yield* manager.placeMany(intents("warmup"))
    const t0 = performance.now()
    const placed = yield* manager.placeMany(intents("fanout"))
    const fanout = ms(t0)
    const failed = placed.filter((p) => Result.isFailure(p.result)).length

    const params = { accounts: accounts.map((id) => ({ id, mode: "PAPER", settings: defaultAccountSettings })), broker: "bench", data: "local", pms: "none" }
    const day = TradingDay.make("2026-06-08")
    const t1 = performance.now()
    const report = yield* Execution.run({ RiskApproval: { asOf: day, cancels: [], intents: intents("stage"), rejections: [], clamps: [] } }).pipe(
      Effect.provide(Layer.mergeAll(
        RunContext.layerTest({ tradingDay: day, runId: "bench" as RunId, params }),
        Recorder.Recorder.layerLive,
        Notifier.layerTest,
        RunStore.layerMemory
      ))
    )
    const stage = ms(t1)
    const stageOrders = report.accounts.reduce((n, a) => n + a.orders.length, 0)
    console.log(`execution: 6 accounts × 5 orders against the local exchange server at ${latency} ms latency (Alpaca adapter over HTTP)`)
    console.log(`  order fan-out (30 orders placed)     ${fanout.toFixed(0)} ms   wall / latency = ${(fanout / latency).toFixed(2)}   (target ≤ 1.2)   failed ${failed}`)
    console.log(`  whole execution stage (${stageOrders} orders)   ${stage.toFixed(0)} ms   wall / latency = ${(stage / latency).toFixed(2)}   (cancel round when needed, placement round, equity read-back)`)
    console.log(`  HTTP statuses seen: ${JSON.stringify(yield* Ref.get(statuses))}`)
  }).pipe(Effect.provide(harness(["--latency-ms", String(latency)], {}, statuses)))
})

const ratelimit = Effect.gen(function*() {
  const perSecond = 20
  const total = 1_200
  const statuses = yield* Ref.make<Record<number, number>>({})
  yield* Effect.gen(function*() {
    const manager = yield* AccountManager
    const intents = Array.from({ length: total }, (_, i) => {
      const account = accounts[i % accounts.length]!
      return order(account, "UUP", `bench-rate-${account}-${i}`)
    })
    const t0 = performance.now()
    const placed = yield* manager.placeMany(intents)
    const wall = ms(t0) / 1000
    const bound = total / accounts.length / perSecond
    const seen = yield* Ref.get(statuses)
    console.log(`ratelimit: ${total} orders over ${accounts.length} accounts, server and client limited to ${perSecond} requests/s per account`)
    console.log(`  wall ${wall.toFixed(2)} s   rate-limit bound ${bound.toFixed(2)} s   wall / bound = ${(wall / bound).toFixed(3)}   (target ≤ 1.05)`)
    console.log(`  429 responses: ${seen[429] ?? 0}   failed orders: ${placed.filter((p) => Result.isFailure(p.result)).length}   statuses ${JSON.stringify(seen)}`)
  }).pipe(Effect.provide(harness(
    ["--rate-limit", String(perSecond * 60)],
    { rateLimit: { limit: perSecond, window: "1 second" } },
    statuses
  )))
})

export const benchmarks = { execution: Effect.scoped(execution), ratelimit: Effect.scoped(ratelimit) } as const
