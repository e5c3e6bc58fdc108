import { Effect, Layer, Ref } from "effect"
import { AccountId, momentAt, type NewYorkMoment, type OrderIntent, type RunId, Ticker, TradingDay } from "@council/domain"
import { type Recording, Recorder, RunContext, RunStore } from "@council/engine"
import { BrokerError, Brokers } from "@council/broker"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import { LocalBars, MarketData } from "@council/market"
import { Database } from "@council/store"
import { TradeLedger } from "@council/tracking"
import { Reconcile } from "@council/daily"
import { bracketBuy } from "../../../packages/exchange/test/BracketOrders.ts"

export const COUNCIL = AccountId.make("COUNCIL")
export const CLAUDE = AccountId.make("CLAUDE")
export const SPY = Ticker.make("SPY")

/** The exchange's brokers for COUNCIL and CLAUDE, but CLAUDE's fills answer 503 while `failing.on`. */
export const claudeFillsFailing = (failing: { readonly on: boolean }): Layer.Layer<Brokers, never, LocalExchange> =>
  Layer.effect(
    Brokers,
    Effect.gen(function*() {
      const exchange = yield* LocalExchange
      const broker = (account: AccountId) => {
        const local = LocalExchange.broker(exchange, account)
        const unavailable = new BrokerError({ account, reason: "Unavailable", message: "503 service unavailable", retryable: true })
        return account === CLAUDE ? { ...local, listFills: (q: Parameters<typeof local.listFills>[0]) => (failing.on ? Effect.fail(unavailable) : local.listFills(q)) } : local
      }
      return Brokers.of({ accounts: [COUNCIL, CLAUDE], get: (account) => Effect.succeed(broker(account)) })
    })
  )

/**
 * The exchange and the ledger on one in-memory database, the session in `session`, real bars; `brokers` (built on
 * the exchange) default to the exchange's own for COUNCIL and CLAUDE.
 */
export const reconcileEnv = (
  session: Ref.Ref<NewYorkMoment>,
  brokers: Layer.Layer<Brokers, never, LocalExchange> = LocalExchange.layerBrokers([COUNCIL, CLAUDE])
) =>
  Layer.mergeAll(TradeLedger.layer, brokers.pipe(Layer.provideMerge(LocalExchange.layer({ slippageBps: 5 })))).pipe(
    Layer.provideMerge(Layer.mergeAll(Database.layerSqlite(":memory:"), ExchangeSession.layerRef(session))),
    Layer.provideMerge(LocalBars.layer()),
    Layer.provideMerge(RunStore.layerMemory),
    Layer.orDie
  )

/**
 * Runs the Reconcile stage as a run of `day` would, recording (or replaying `recordings`) its calls under `runId`:
 * its report, what it recorded, and how many calls it made live. `choices`: parameters beside the run's bare ones
 * (`openOrders: every`, say); none: a run recorded before them.
 */
export const runReconcile = (
  day: TradingDay,
  runId: string,
  mode: "record" | "replay",
  recordings: ReadonlyArray<Recording> = [],
  choices: { readonly openOrders?: "every" } = {}
) =>
  Effect.gen(function*() {
    const recorder = yield* Recorder.make({ mode, runId: runId as RunId, stage: "Reconcile", recordings })
    const report = yield* Reconcile.run({}).pipe(
      Effect.provideService(Recorder.Recorder, recorder),
      Effect.provide(RunContext.layerTest({ tradingDay: day, runId: runId as RunId, mode, params: { accounts: [], broker: "t", data: "t", pms: "t", ...choices } }))
    )
    return { report, recordings: yield* recorder.recordings, live: yield* recorder.liveCalls }
  })

/**
 * The day's execution after the close: a bracket buy of 10 SPY on `account` whose entry fills at the next open and
 * whose exits sit 0.4 % from `close`, so one fills on a later session.
 */
export const nearBracket = (account: AccountId, clientOrderId: string, close: number): OrderIntent =>
  bracketBuy(
    { takeProfit: Math.round(close * 1.004 * 100) / 100, stopLoss: Math.round(close * 0.996 * 100) / 100 },
    { account, clientOrderId }
  )

/**
 * The month of one book the recorded-call tests walk (2024-03-01 … 2024-03-28): `first` runs on the first session;
 * then COUNCIL's `nearBracket` and a simple day order of CLAUDE's are placed, and each later session is moved to
 * 16:30 (a QQQ order of COUNCIL's placed on the second) before `later(day, i)` runs; `later` answering `true` ends
 * the walk. Answers whether a `later` ended it.
 */
export const walkMonth = <E, R>(
  session: Ref.Ref<NewYorkMoment>,
  first: (day: TradingDay) => Effect.Effect<void, E, R>,
  later: (day: TradingDay, i: number) => Effect.Effect<boolean, E, R>
) =>
  Effect.gen(function*() {
    const days = yield* MarketData.use((m) => m.sessions(TradingDay.make("2024-03-01"), TradingDay.make("2024-03-28")))
    const exchange = yield* LocalExchange
    yield* first(days[0]!)
    const close = (yield* MarketData.use((m) => m.bars({ symbol: SPY, asOf: days[0]!, lookback: 1 })))[0]!.close
    const bracket = nearBracket(COUNCIL, "council-old-1", close)
    const { stopLoss: _stop, takeProfit: _take, ...entry } = bracket
    const simple = { ...entry, orderClass: "simple", timeInForce: "day" } as const
    yield* exchange.placeOrder(COUNCIL, bracket)
    yield* exchange.placeOrder(CLAUDE, { ...simple, account: CLAUDE, clientOrderId: "claude-old-1" })
    for (const [i, day] of days.slice(1).entries()) {
      yield* Ref.set(session, momentAt(day, "16:30"))
      if (i === 0) yield* exchange.placeOrder(COUNCIL, { ...simple, clientOrderId: "council-old-2", symbol: Ticker.make("QQQ"), qty: 1 })
      if (yield* later(day, i)) return true
    }
    return false
  })

/** A recording's key and outcome, its order ids (random) replaced by their first appearance's number in `ids`. */
export const keyShapes = (ids: Map<string, string> = new Map()) => {
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g
  const plain = (text: string) => text.replace(uuid, (id) => ids.get(id) ?? (ids.set(id, `#${ids.size}`), ids.get(id)!))
  return (r: Recording) => `${plain(r.key)} ${(r.value as { readonly _tag: string })._tag}`
}
