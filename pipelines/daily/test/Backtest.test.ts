import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { AccountId, type Bar, DEFAULT_ACCOUNTS, DEFAULT_SCHEDULE, type NewYorkMoment, type RunId, type TradingDay } from "@council/domain"
import { RunStore, Runner } from "@council/engine"
import { AccountManager } from "@council/broker"
import { Calendar, ExchangeSession, LocalExchange } from "@council/exchange"
import { PortfolioManagers, Chairman, LlmBudget } from "@council/llm"
import { MarketData } from "@council/market"
import { Notifier } from "@council/notify/Notifier"
import { Database, SqlRunStore } from "@council/store"
import { Backtest } from "@council/daily"
import { BookId, TradeLedger } from "@council/tracking"
import { bars, profiles } from "./Fixtures.ts"

/** Three symbols whose trends turn, so the offline PMs trade, over 300 sessions ending 2026-06-08. */
const BARS: Readonly<Record<string, ReadonlyArray<Bar>>> = {
  SPY: bars(300, (i) => 500 + 40 * Math.sin(i / 9) + i * 0.2),
  TLT: bars(300, (i) => 100 - 8 * Math.cos(i / 7)),
  GLD: bars(300, (i) => 300 + 25 * Math.sin(i / 5 + 1))
}
const SESSIONS = BARS["SPY"]!.slice(-8).map((b) => b.date)
const POISON = 1e9

/** What no stage may see yet: a billion for every price (`close`: the day's open stays, the rest of its bar not). */
const poisoned = (bar: Bar, openKnown: boolean): Bar => ({ ...bar, open: openKnown ? bar.open : POISON, high: POISON, low: POISON, close: POISON })

/** 16:00, in seconds: before it, a session's high, low and close are not known yet. */
const CLOSE = 16 * 3600

/**
 * The market as the present in `present` may know it: every bar after its day poisoned, and before the day's close
 * all of the day's bar but its open. A stage (or the exchange) reading past what its moment knows would carry a
 * poisoned price into its output.
 */
const poisonedAfter = (present: Ref.Ref<NewYorkMoment>) =>
  Layer.effect(
    MarketData,
    Effect.gen(function*() {
      const byMoment = new Map<string, MarketData["Service"]>()
      const feedAt = Effect.flatMap(Ref.get(present), (at) =>
        Effect.gen(function*() {
          const key = `${at.day} ${at.seconds >= CLOSE}`
          const known = byMoment.get(key)
          if (known !== undefined) return known
          const bent = Object.fromEntries(Object.entries(BARS).map(([s, rows]) => [s, rows.map((b) =>
            b.date > at.day ? poisoned(b, false) : b.date === at.day && at.seconds < CLOSE ? poisoned(b, true) : b
          )]))
          const feed = yield* MarketData.use(Effect.succeed).pipe(Effect.provide(MarketData.layerTest(bent)), Effect.orDie)
          byMoment.set(key, feed)
          return feed
        }))
      return MarketData.of({
        universe: Effect.flatMap(feedAt, (m) => m.universe),
        latestTradingDay: Effect.flatMap(feedAt, (m) => m.latestTradingDay),
        ensureTradingDay: (day) => Effect.flatMap(feedAt, (m) => m.ensureTradingDay(day)),
        sessions: (from, to) => Effect.flatMap(feedAt, (m) => m.sessions(from, to)),
        bars: (query) => Effect.flatMap(feedAt, (m) => m.bars(query)),
        snapshot: (asOf, lookback) => Effect.flatMap(feedAt, (m) => m.snapshot(asOf, lookback)),
        snapshotDuring: (asOf, at, lookback) => Effect.flatMap(feedAt, (m) => m.snapshotDuring(asOf, at, lookback)),
        corporateActions: (from, to) => Effect.flatMap(feedAt, (m) => m.corporateActions(from, to))
      })
    })
  )

const accounts = DEFAULT_ACCOUNTS.map((a) => AccountId.make(a))
const params = { accounts: profiles, broker: "local-exchange", data: "test", pms: "offline", ledgerBook: "bt-test" }

/** The backtest's world: one SQLite database for its run store and exchange, the offline council. */
const world = (session: Ref.Ref<NewYorkMoment>, market: Layer.Layer<MarketData>) =>
  Layer.mergeAll(
    AccountManager.layer.pipe(
      Layer.provideMerge(LocalExchange.layerBrokers(accounts)),
      Layer.provideMerge(LocalExchange.layer({ slippageBps: 5 })),
      Layer.provide(ExchangeSession.layerRef(session))
    ),
    SqlRunStore.layer,
    Layer.effectDiscard(TradeLedger.use((l) =>
      l.createBook({ id: BookId.make("bt-test"), label: "test", from: SESSIONS[0]!, to: SESSIONS.at(-1)!, params: {} })
    )).pipe(Layer.provideMerge(TradeLedger.layer), Layer.orDie)
  ).pipe(
    Layer.provideMerge(market),
    Layer.provide(Database.layerSqlite(":memory:")),
    Layer.provideMerge(Layer.mergeAll(PortfolioManagers.layerOffline, Chairman.layerOffline, LlmBudget.layerUnlimited)),
    Layer.provideMerge(Layer.succeed(Notifier, Notifier.of({ notify: () => Effect.void })))
  )

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g

/** Every session's stage outputs, the exchange's random order ids masked. */
const outputs = (runs: ReadonlyArray<{ readonly runId: RunId }>) =>
  Effect.gen(function*() {
    const store = yield* RunStore
    const all: Array<string> = []
    for (const { runId } of runs) {
      for (const c of yield* store.getCheckpoints(runId)) all.push(`${runId} ${c.stage} ${JSON.stringify(c.output).replace(UUID, "<id>")}`)
    }
    return all
  })

/** Under `close` (the default schedule): each session's run at 15:45, entries filled at its close. */
const timing = (present: Ref.Ref<NewYorkMoment>) => ({
  schedule: DEFAULT_SCHEDULE,
  moments: (day: TradingDay) => Calendar.sessionMoments(DEFAULT_SCHEDULE, day),
  enterMoment: (at: NewYorkMoment) => Ref.set(present, at)
})

const start = Calendar.sessionMoments(DEFAULT_SCHEDULE, SESSIONS[0]!).run

const backtest = (
  session: Ref.Ref<NewYorkMoment>,
  observer?: (event: Runner.RunEvent) => Effect.Effect<void>,
  pms: Backtest.BacktestPms = "offline"
) =>
  Backtest.runBacktest({ sessions: SESSIONS, params, codeVersion: "test", ...timing(session), pms }).pipe(
    observer === undefined ? (e) => e : Effect.provideService(Runner.RunObserver, observer)
  )

const clean = (session: Ref.Ref<NewYorkMoment>) => world(session, MarketData.layerTest(BARS).pipe(Layer.orDie))

describe("the backtest loop", () => {
  it.effect("runs the daily pipeline once per session, in order; running it again does nothing", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(start)
      yield* Effect.gen(function*() {
        const progress: Array<Backtest.BacktestProgress> = []
        const first = yield* Backtest.runBacktest({
          sessions: SESSIONS,
          params,
          codeVersion: "test",
          ...timing(session),
          pms: "offline",
          onProgress: (p) => Effect.sync(() => void progress.push(p))
        })
        assert.deepStrictEqual([first.started, first.resumed, first.skipped], [SESSIONS.length, 0, 0])
        assert.deepStrictEqual(progress.map((p) => p.day), SESSIONS)
        assert.deepStrictEqual(progress.map((p) => p.done), SESSIONS.map((_, i) => i + 1))
        const runs = yield* RunStore.use((s) => s.listRuns({ limit: 100 }))
        assert.strictEqual(runs.length, SESSIONS.length)
        assert.isTrue(runs.every((r) => r.status === "completed" && !r.dryRun && r.tradingDay === r.asOf))
        // each session records the choices a new `run daily` records: the backtest runs the same path
        for (const r of runs) {
          assert.deepInclude(r.params, { reviewOrder: "day", reviewers: "pitched", refusedCancels: "group", positionIntent: "sent" })
        }
        const fills = yield* Effect.forEach(accounts, (a) => LocalExchange.use((x) => x.fills(a)))
        assert.isAbove(fills.flat().length, 0, "the offline council traded")
        // the Reconcile stage of each run (and once more after the last) wrote each account's equity of every session
        const equity = yield* TradeLedger.use((l) => l.equity({ book: BookId.make("bt-test") }))
        assert.sameMembers([...new Set(equity.map((e) => e.account))], accounts)
        assert.deepStrictEqual([...new Set(equity.map((e) => e.session))].sort(), [...SESSIONS])
        const again = yield* backtest(session)
        assert.deepStrictEqual([again.started, again.resumed, again.skipped], [0, 0, SESSIONS.length])
      }).pipe(Effect.provide(clean(session)))
    }), 60_000)

  /**
   * Stops the 4th session where `stop` says (an interruption: what a crash leaves, held checkpoints lost), checks
   * which checkpoints its run kept, resumes the backtest, and compares every output and every order with an
   * uninterrupted backtest's.
   */
  const stoppedPartWay = (
    pms: Backtest.BacktestPms,
    stop: (event: Runner.RunEvent) => boolean,
    kept: ReadonlyArray<string> | null
  ) =>
    Effect.gen(function*() {
      const orders = Effect.map(
        Effect.forEach(accounts, (a) => LocalExchange.use((x) => x.listOrders(a, { status: "all", limit: 500, direction: "asc" }))),
        (all) => all.flat().map((o) => `${o.account} ${o.clientOrderId} ${o.status} ${o.filledQty}`)
      )
      const session = yield* Ref.make(start)
      const reference = yield* Effect.gen(function*() {
        const result = yield* backtest(session, undefined, pms)
        return { outputs: yield* outputs(result.runs), orders: yield* orders }
      }).pipe(Effect.provide(clean(session)))

      const crashed = yield* Ref.make(start)
      const resumed = yield* Effect.gen(function*() {
        const victim = SESSIONS[3]!
        const died = yield* Effect.exit(backtest(crashed, (event) =>
          Effect.gen(function*() {
            if (stop(event) && (yield* Ref.get(crashed)).day === victim) return yield* Effect.interrupt
          }), pms))
        assert.isTrue(died._tag === "Failure")
        const half = (yield* RunStore.use((s) => s.listRuns({ limit: 100 }))).find((r) => r.tradingDay === victim)
        if (kept === null) assert.isUndefined(half, "the run's row is written with its first commit")
        else {
          assert.strictEqual(half?.status, "running")
          assert.deepStrictEqual((yield* RunStore.use((s) => s.getCheckpoints(half!.id))).map((c) => c.stage), kept)
        }
        const result = yield* backtest(crashed, undefined, pms)
        assert.deepStrictEqual([result.skipped, result.resumed, result.started], [3, kept === null ? 0 : 1, SESSIONS.length - (kept === null ? 3 : 4)])
        return { outputs: yield* outputs(result.runs), orders: yield* orders }
      }).pipe(Effect.provide(clean(crashed)))
      assert.isAbove(reference.orders.length, 0)
      assert.strictEqual(new Set(resumed.orders.map((o) => o.split(" ")[1])).size, resumed.orders.length, "an order was placed twice")
      assert.deepStrictEqual(resumed, reference)
    })

  const completed = (stage: string) => (event: Runner.RunEvent) => event._tag === "StageCompleted" && event.stage === stage

  it.effect("per stage (live PMs): a session stopped part-way keeps each checkpoint; resumed, the same outputs and orders as an uninterrupted backtest", () =>
    // the offline stand-ins answer here: only the commit policy follows `pms`
    stoppedPartWay("live", completed("PmPitches"), ["Reconcile", "FetchData", "PmPitches"]), 60_000)

  it.effect("batched (offline PMs): stopped before its commit, a session's stages since Reconcile are re-run; the same outputs and orders", () =>
    stoppedPartWay("offline", completed("RiskApproval"), ["Reconcile"]), 60_000)

  it.effect("batched: every checkpoint before Execution is committed before it starts; stopped there, the same outputs and orders", () =>
    stoppedPartWay("offline", (event) => event._tag === "StageStarted" && event.stage === "Execution", ["Reconcile", "FetchData", "PmPitches", "PeerReview", "CouncilSynthesis", "RiskApproval"]), 60_000)

  it.effect("batched: stopped in Reconcile, before the run's first commit, the session is started again; the same outputs and orders", () =>
    stoppedPartWay("offline", (event) => event._tag === "StageStarted" && event.stage === "Reconcile", null), 60_000)

  it.effect("as-of under close: no stage sees the day's high, low or close or a later bar, fills are at real prices (poisoned bars change nothing)", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(start)
      const reference = yield* Effect.flatMap(backtest(session), (r) => outputs(r.runs)).pipe(Effect.provide(clean(session)))
      const bent = yield* Ref.make(start)
      const seen = yield* Effect.gen(function*() {
        const result = yield* backtest(bent)
        const recorded = yield* Effect.forEach(result.runs, (r) => RunStore.use((s) => s.getRecordings(r.runId)))
        const fills = yield* Effect.forEach(accounts, (a) => LocalExchange.use((x) => x.fills(a)))
        return { outputs: yield* outputs(result.runs), recorded: JSON.stringify(recorded), fills: fills.flat() }
      }).pipe(Effect.provide(world(bent, poisonedAfter(bent))))
      assert.isFalse(seen.recorded.includes(String(POISON)), "a recorded call carried a poisoned bar")
      assert.isTrue(seen.fills.length > 0 && seen.fills.every((f) => f.price < POISON / 1000))
      assert.deepStrictEqual(seen.outputs, reference)
    }), 60_000)
})
