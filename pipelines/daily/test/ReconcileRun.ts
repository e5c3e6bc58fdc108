import { Effect, Layer, type Ref } from "effect"
import { AccountId, type NewYorkMoment, type OrderIntent, type RunId, Ticker, type TradingDay } from "@council/domain"
import { type Recording, Recorder, RunContext, RunStore } from "@council/engine"
import { BrokerError, Brokers } from "@council/broker"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import { LocalBars } from "@council/market"
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
 * its report, what it recorded, and how many calls it made live.
 */
export const runReconcile = (day: TradingDay, runId: string, mode: "record" | "replay", recordings: ReadonlyArray<Recording> = []) =>
  Effect.gen(function*() {
    const recorder = yield* Recorder.make({ mode, runId: runId as RunId, stage: "Reconcile", recordings })
    const report = yield* Reconcile.run({}).pipe(
      Effect.provideService(Recorder.Recorder, recorder),
      Effect.provide(RunContext.layerTest({ tradingDay: day, runId: runId as RunId, mode, params: { accounts: [], broker: "t", data: "t", pms: "t" } }))
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
