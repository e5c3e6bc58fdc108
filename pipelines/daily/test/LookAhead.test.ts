import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { type Bar, formatMoment, momentAt, type Order, type RunId, type RunSchedule, TradingDay } from "@council/domain"
import { RunStore, Runner } from "@council/engine"
import { MarketData } from "@council/market"
import { Calendar, LocalExchange } from "@council/exchange"
import { Chairman, LlmBudget, PortfolioManagers } from "@council/llm"
import { Notifier } from "@council/notify"
import { DailyPipeline } from "@council/daily"
import { profiles } from "./Fixtures.ts"
import { DAY, decisionTime, localExchange, NEXT, PREV, poisoned, sessions } from "./PoisonedBars.ts"

const RUN_ID = "2026-06-05-lookahead" as RunId

/**
 * The daily runs of PREV (so that accounts hold positions, filled by then) and DAY under `schedule` on the local
 * exchange, and everything DAY's run recorded.
 */
const runDay = (schedule: RunSchedule, poison: number) => {
  const time = decisionTime(schedule)
  const market = MarketData.layerTest(poisoned(poison, schedule))
  return Effect.gen(function*() {
    const present = yield* Ref.make(momentAt(PREV, time))
    const exchange = localExchange(present, market)
    const run = (day: TradingDay, runId: RunId) => {
      const at = momentAt(day, time)
      const params = { accounts: profiles, broker: "local-exchange", data: "test", pms: "offline", schedule, asOfTime: formatMoment(at) }
      return Effect.andThen(
        Ref.set(present, at),
        Runner.start(DailyPipeline, { tradingDay: day, asOf: day, mode: "record", dryRun: false, codeVersion: "test", params, runId })
      )
    }
    return yield* Effect.gen(function*() {
      yield* run(PREV, "2026-06-04-before" as RunId)
      return yield* inDay(run(DAY, RUN_ID))
    }).pipe(Effect.provide(exchange))
  }).pipe(
    Effect.provide(Layer.mergeAll(
      market,
      PortfolioManagers.layerOffline,
      Chairman.layerOffline,
      LlmBudget.layerUnlimited,
      Notifier.layerTest,
      RunStore.layerMemory
    ))
  )
}

/** The day's run and what it recorded. */
const inDay = <E, R>(started: Effect.Effect<Runner.RunResult, E, R>) =>
  Effect.gen(function*() {
    const result = yield* started
    const store = yield* RunStore
    return {
      result,
      checkpoints: yield* store.getCheckpoints(RUN_ID),
      recordings: yield* store.getRecordings(RUN_ID)
    }
  })

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Order ids (and legs' client order ids) are random: everything else of a run's outputs is a function of what it knew. */
const withoutIds = (json: unknown): string =>
  JSON.stringify(json, (key, value) => (key === "id" || (typeof value === "string" && UUID.test(value)) ? undefined : value))

const outputs = (run: Effect.Success<ReturnType<typeof runDay>>) => run.checkpoints.map((c) => [c.stage, withoutIds(c.output)])

describe("no look-ahead: what a run may not know is nowhere in what it did", () => {
  it.effect("under close, no stage output or recorded call holds the day's high, low or close, or anything of the next day; outputs do not depend on them", () =>
    Effect.gen(function*() {
      const first = yield* runDay("close", 31337)
      const second = yield* runDay("close", 27182)
      assert.strictEqual(first.result.run.status, "completed")
      const everything = JSON.stringify([first.checkpoints, first.recordings])
      assert.notInclude(everything, "31337")
      const snapshot = first.checkpoints.find((c) => c.stage === "FetchData")!.output as { history: ReadonlyArray<{ bars: ReadonlyArray<Bar> }>; intraday: unknown }
      assert.deepStrictEqual(snapshot.intraday, { at: "2026-06-05T15:45:00-04:00", through: "open" })
      const last = snapshot.history[0]!.bars.at(-1)!
      assert.deepStrictEqual([last.date, last.high, last.low, last.close, last.volume], [DAY, last.open, last.open, last.open, 0])
      const intents = (first.checkpoints.find((c) => c.stage === "RiskApproval")!.output as {
        intents: ReadonlyArray<{ timeInForce: string; orderClass: string; type: string }>
      }).intents
      // entries, closes and reductions are market-on-close; the others are the protective OCO exits of the
      // positions held since the day before, placed by this run now that their entries filled
      const [exits, market] = [intents.filter((i) => i.orderClass === "oco"), intents.filter((i) => i.orderClass !== "oco")]
      assert.isTrue(market.every((i) => i.type === "market" && i.timeInForce === "cls" && i.orderClass === "simple"))
      assert.deepStrictEqual(exits.map((i) => i.timeInForce), ["gtc", "gtc", "gtc", "gtc", "gtc"])
      const accounts = first.recordings.filter((r) => r.key.startsWith("broker.getAccount"))
      assert.isTrue(accounts.some((r) => JSON.stringify(r.value).includes('"positions":[{')), "accounts hold positions on the day")
      assert.deepStrictEqual(outputs(first), outputs(second))
    }))

  it.effect("under after-close, nothing of the next day is known and the outputs do not depend on it", () =>
    Effect.gen(function*() {
      const first = yield* runDay("after-close", 31337)
      const second = yield* runDay("after-close", 27182)
      assert.notInclude(JSON.stringify([first.checkpoints, first.recordings]), "31337")
      const snapshot = first.checkpoints.find((c) => c.stage === "FetchData")!.output as { history: ReadonlyArray<{ bars: ReadonlyArray<Bar> }> }
      assert.deepStrictEqual(snapshot.history.map((h) => h.bars.at(-1)!.date), [DAY, DAY, DAY])
      assert.deepStrictEqual(outputs(first), outputs(second))
    }))
})

/** Every order (legs included) the accounts hold after daily runs of `days` under `schedule` on unpoisoned bars. */
const backtest = (schedule: RunSchedule, days: ReadonlyArray<TradingDay>) => {
  const time = decisionTime(schedule)
  const market = MarketData.layerTest(poisoned(0, "after-close"))
  return Effect.gen(function*() {
    const present = yield* Ref.make(momentAt(days[0]!, time))
    const exchange = localExchange(present, market)
    return yield* Effect.gen(function*() {
      for (const day of days) {
        const at = momentAt(day, time)
        const params = { accounts: profiles, broker: "local-exchange", data: "test", pms: "offline", schedule, asOfTime: formatMoment(at) }
        yield* Ref.set(present, at)
        const { run } = yield* Runner.start(DailyPipeline, { tradingDay: day, asOf: day, mode: "record", dryRun: false, codeVersion: "test", params })
        assert.strictEqual(run.status, "completed")
      }
      // the last day's queued orders meet the next session
      yield* Ref.set(present, momentAt(NEXT, "16:15"))
      const orders = yield* Effect.forEach(profiles, (p) =>
        Effect.flatMap(LocalExchange.use((x) => Effect.succeed(LocalExchange.broker(x, p.id))), (b) => b.listOrders({ status: "all", limit: 500 })))
      return orders.flat().flatMap((o): ReadonlyArray<Order | Order["legs"][number]> => [o, ...(o.legs ?? [])])
    }).pipe(Effect.provide(exchange))
  }).pipe(Effect.provide(Layer.mergeAll(market, PortfolioManagers.layerOffline, Chairman.layerOffline, LlmBudget.layerUnlimited, Notifier.layerTest, RunStore.layerMemory)))
}

/**
 * Checks every fill of a backtest: it happened strictly after its order was sent, at its session's open or close,
 * and at a price of that session's bar (a market fill: that very open or close, moved by at most the slippage).
 */
const assertFillsAfterSending = (orders: ReadonlyArray<Order | Order["legs"][number]>) => {
  const bars = poisoned(0, "after-close")
  const filled = orders.filter((o) => o.filledAt !== null)
  for (const o of filled) {
    const session = TradingDay.make(o.filledAt!.slice(0, 10))
    const bar = bars[o.symbol]!.find((b) => b.date === session)!
    const what = `${o.clientOrderId} (${o.type}/${o.timeInForce}) sent ${o.submittedAt}, filled ${o.filledAt} at ${o.filledAvgPrice}`
    assert.isTrue(Date.parse(o.filledAt!) > Date.parse(o.submittedAt), `filled before it was sent: ${what}`)
    const atOpen = o.filledAt === Calendar.openTimestamp(session)
    assert.isTrue(atOpen || o.filledAt === Calendar.closeTimestamp(session), `not at an open or a close: ${what}`)
    const price = o.filledAvgPrice!
    const slack = (ref: number) => ref * 0.0005 + 0.01
    assert.isTrue(price >= bar.low - slack(bar.low) && price <= bar.high + slack(bar.high), `outside ${session}'s bar: ${what}`)
    if (o.type === "market") {
      const ref = atOpen ? bar.open : bar.close
      assert.isAtMost(Math.abs(price - ref), slack(ref), `not ${session}'s ${atOpen ? "open" : "close"}: ${what}`)
    }
  }
  return filled
}

describe("a backtest-style loop over past days: every fill is at a price that existed after its order was sent", () => {
  const days = sessions.slice(-8, -1)
  for (const schedule of ["close", "after-close"] as const) {
    it.effect(`under ${schedule}`, () =>
      Effect.gen(function*() {
        const orders = yield* backtest(schedule, days)
        const filled = assertFillsAfterSending(orders)
        assert.isAbove(filled.length, 5)
        if (schedule === "close") {
          assert.isTrue(filled.some((o) => o.timeInForce === "cls" && o.filledAt === Calendar.closeTimestamp(TradingDay.make(o.submittedAt.slice(0, 10)))))
        } else {
          assert.isTrue(filled.every((o) => o.type !== "market" || o.filledAt === Calendar.openTimestamp(TradingDay.make(o.filledAt!.slice(0, 10)))))
        }
      }))
  }
})
