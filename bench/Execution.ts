/**
 * `pnpm bench execution`: 6 accounts × 5 orders against `exchange serve` at 200 ms latency per request.
 *
 * - Fan-out: the 30 orders through `AccountManager.placeMany` (the Alpaca adapter), against the floor of a bare
 *   `fetch` client posting the same 30 orders at once. One round trip each.
 * - The execution stage (`Execution.run`) through the safety broker, as a run trades (its book seeded by the gate's
 *   reads, untimed): per account its placements and nothing else — one round trip (fills reach the ledger through
 *   reconciliation) — against the bare client posting the same 30 orders at once.
 *   Targets: stage ≤ 1.2 × one round trip (the latency) and ≤ 1.1 × the bare client, paired per repetition.
 * - The stage under the `close` schedule: each account's clock and the day's calendar (read together), then its
 *   orders — two round trips — against the bare client sending the same requests in the same order.
 * All are paired per repetition; the latency alone (what the requests wait on the server) is the last floor.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import { AccountId, defaultAccountSettings, DEFAULT_ACCOUNTS, type RunId, TradingDay } from "@council/domain"
import { Recorder, RunContext, RunStore } from "@council/engine"
import { AccountManager, Brokers, SafetyBroker } from "@council/broker"
import { Execution } from "@council/daily"
import { Notifier } from "@council/notify"
import { adapter, bare, ms, order, served, wireOrder, wireWatch, type WireTimes } from "./ExchangeClients.ts"
import { against, line, ratios, show, summarize } from "./Stats.ts"

const SYMBOLS = ["SPY", "QQQ", "IWM", "TLT", "GLD"]
const DAY = TradingDay.make("2026-06-08")

const intents = (round: string) => DEFAULT_ACCOUNTS.flatMap((a) => SYMBOLS.map((s) => order(a, s, `bench-${round}-${a}-${s}`)))

type Phase = "fan-out, bare" | "fan-out" | "stage, bare" | "stage" | "close, bare" | "close"

const PRICES = SafetyBroker.ReferencePrices.layerFixed({ SPY: 600, QQQ: 520, IWM: 220, TLT: 90, GLD: 250 })

/**
 * The brokers a run's execution stage trades through: each account's adapter broker decorated by the safety
 * broker (as `RoutedBrokers` hands them out), its book seeded by the reads the risk gate makes before the stage
 * (the account and its open orders), outside the timed part. The orders earlier repetitions left open are
 * canceled first (they fill only at the close of the served session): a run's book holds the few orders its
 * account has open, not the hundreds a benchmark piles up.
 */
const safeBrokers = Effect.gen(function*() {
  const brokers = yield* Brokers
  const prices = yield* SafetyBroker.ReferencePrices
  const safe = new Map<string, SafetyBroker.SafeBroker>()
  for (const id of brokers.accounts) {
    const config = { id, mode: "PAPER" as const, settings: defaultAccountSettings }
    const inner = yield* Effect.orDie(brokers.get(id))
    yield* Effect.orDie(inner.cancelAllOrders)
    const broker = SafetyBroker.decorate(config, inner, prices)
    yield* Effect.orDie(Effect.all([broker.getAccount, broker.listOrders({ status: "open", limit: 500 })], { concurrency: 2 }))
    safe.set(id, broker)
  }
  const get = (id: AccountId) => Effect.succeed(safe.get(id)!)
  return AccountManager.layer.pipe(Layer.provide(Layer.succeed(Brokers, Brokers.of({ accounts: brokers.accounts, get }))))
}).pipe(Effect.provide(PRICES))

/**
 * The execution stage over the adapter's brokers, as the daily run calls it (recorder on, memory run store).
 * Under `close` it first reads each account's clock and the day's calendar (the market-on-close cutoff check).
 */
const stage = (round: string, schedule?: "close") => {
  const params = {
    accounts: DEFAULT_ACCOUNTS.map((id) => ({ id: AccountId.make(id), mode: "PAPER", settings: defaultAccountSettings })),
    broker: "bench",
    data: "local",
    pms: "none",
    ...(schedule === undefined ? {} : { schedule })
  }
  return Execution.run({ RiskApproval: { asOf: DAY, cancels: [], intents: intents(round), rejections: [], clamps: [] } }).pipe(
    Effect.provide(Layer.mergeAll(
      RunContext.layerTest({ tradingDay: DAY, runId: "bench" as RunId, params }),
      Recorder.Recorder.layerLive,
      Notifier.layerTest,
      RunStore.layerMemory
    ))
  )
}

export const execution = (runs: number, latency: number) =>
  Effect.scoped(Effect.gen(function*() {
    // Rate limits far above the bench's ~35 requests per account and repetition, so `--runs N` never waits on them.
    const { keys, server } = yield* served(["--latency-ms", String(latency), "--date", DAY, "--at", "15:45", "--rate-limit", "100000"])
    const statuses = yield* Ref.make<Record<number, number>>({})
    const client = (account: string) => bare(server, keys.find((k) => k.account === account)!)
    const bareFanout = (round: string) =>
      Promise.all(intents(round).map((intent) => client(intent.account)("POST", "/v2/orders", wireOrder(intent))))
    const bareStage = bareFanout
    /** What the stage sends under `close`: each account's clock and the day's calendar together, then its orders. */
    const bareClose = (round: string) =>
      Promise.all(DEFAULT_ACCOUNTS.map(async (account) => {
        const times = await Promise.all([
          client(account)("GET", "/v2/clock"),
          client(account)("GET", `/v2/calendar?start=${DAY}&end=${DAY}`)
        ])
        const orders = intents(round).filter((intent) => intent.account === account)
        return [...times, ...await Promise.all(orders.map((intent) => client(account)("POST", "/v2/orders", wireOrder(intent))))]
      })).then((statuses) => statuses.flat())

    const watch = wireWatch()
    const wire: Record<Phase, Array<WireTimes>> = { "fan-out, bare": [], "fan-out": [], "stage, bare": [], stage: [], "close, bare": [], close: [] }
    const walls: Record<Phase, Array<number>> = { "fan-out, bare": [], "fan-out": [], "stage, bare": [], stage: [], "close, bare": [], close: [] }
    /** Runs one timed phase: its wall time and what went over the wire. */
    const timed = <A, E, R>(phase: Phase, effect: Effect.Effect<A, E, R>) =>
      Effect.suspend(() => {
        watch.start()
        const t = performance.now()
        return Effect.tap(effect, () =>
          Effect.sync(() => {
            walls[phase].push(ms(t))
            wire[phase].push(watch.stop())
          }))
      })
    let failed = 0
    let bareFailed = 0
    yield* Effect.gen(function*() {
      const manager = yield* AccountManager
      yield* manager.placeMany(intents("warmup"))
      yield* Effect.promise(() => bareFanout("warmup-bare"))
      for (let r = 0; r < runs; r++) {
        bareFailed += (yield* timed("fan-out, bare", Effect.promise(() => bareFanout(`fanout-bare-${r}`)))).filter((s) => s !== 200).length
        failed += (yield* timed("fan-out", manager.placeMany(intents(`fanout-${r}`)))).filter((p) => Result.isFailure(p.result)).length
        bareFailed += (yield* timed("stage, bare", Effect.promise(() => bareStage(`stage-bare-${r}`)))).filter((s) => s !== 200).length
        let safe = yield* safeBrokers
        const report = yield* timed("stage", Effect.provide(stage(`stage-${r}`), safe))
        failed += report.accounts.filter((a) => a.status !== "succeeded").length
        bareFailed += (yield* timed("close, bare", Effect.promise(() => bareClose(`close-bare-${r}`)))).filter((s) => s !== 200).length
        safe = yield* safeBrokers
        const closeReport = yield* timed("close", Effect.provide(stage(`close-${r}`, "close"), safe))
        failed += closeReport.accounts.filter((a) => a.status !== "succeeded").length
      }
    }).pipe(Effect.provide(adapter(server, keys, { rateLimit: { limit: 100000 } }, statuses)))
    const fanout = walls["fan-out"]
    const fanoutFloor = walls["fan-out, bare"]
    const stageWall = walls.stage
    const stageFloor = walls["stage, bare"]
    const closeWall = walls.close
    const closeFloor = walls["close, bare"]

    const fanoutRatio = ratios(fanout, fanoutFloor)
    console.log(`execution: ${DEFAULT_ACCOUNTS.length} accounts × ${SYMBOLS.length} orders against exchange serve at ${latency} ms latency, ${runs} runs`)
    line("fan-out, adapter (1 round trip)", show(fanout, "ms"))
    line("fan-out, bare fetch (floor)", show(fanoutFloor, "ms"))
    line("fan-out / bare (paired)", show(fanoutRatio, "×", 2))
    const perLatency = fanout.map((w) => w / latency)
    line("fan-out / latency", `${show(perLatency, "×", 2)}   ${against(summarize(perLatency).median, 1.2, "≤", "×")}`)
    line("bare fan-out / latency", show(fanoutFloor.map((w) => w / latency), "×", 2))
    const stageRatio = ratios(stageWall, stageFloor)
    const stagePerLatency = stageWall.map((w) => w / latency)
    line("stage, adapter (1 round trip)", show(stageWall, "ms"))
    line("stage, bare fetch (floor)", show(stageFloor, "ms"))
    line("stage / bare (paired)", `${show(stageRatio, "×", 2)}   ${against(summarize(stageRatio).median, 1.1, "≤", "×")}`)
    line("stage / latency", `${show(stagePerLatency, "×", 2)}   ${against(summarize(stagePerLatency).median, 1.2, "≤", "×")}`)
    line("stage under close (2 round trips)", show(closeWall, "ms"))
    line("close, bare fetch (floor)", show(closeFloor, "ms"))
    line("close / bare (paired)", `${show(ratios(closeWall, closeFloor), "×", 2)}   ${against(summarize(ratios(closeWall, closeFloor)).median, 1.1, "≤", "×")}`)
    const closePerLatency = closeWall.map((w) => w / (2 * latency))
    line("close / 2 × latency", `${show(closePerLatency, "×", 2)}   ${against(summarize(closePerLatency).median, 1.2, "≤", "×")}`)
    console.log("  where the time goes (medians, ms after the phase started; cpu, gc: this process's during the phase;")
    console.log("  new connections: sockets opened over all runs)")
    for (const phase of Object.keys(wire) as Array<Phase>) {
      const median = (f: (w: WireTimes) => number) => summarize(wire[phase].map(f)).median.toFixed(0)
      line(
        `  ${phase}`,
        `sent ${median((w) => w.firstSent)}–${median((w) => w.lastSent)} · answered ${median((w) => w.firstAnswer)}–${median((w) => w.lastAnswer)} · ` +
          `done +${median((w) => w.tail)} · cpu ${median((w) => w.cpu)} · gc ${median((w) => w.gc())} · new connections ${wire[phase].reduce((n, w) => n + w.connections, 0)}`
      )
    }
    line("failed (adapter / bare)", `${failed} / ${bareFailed}`)
    line("HTTP statuses (adapter)", JSON.stringify(yield* Ref.get(statuses)))
  }))
