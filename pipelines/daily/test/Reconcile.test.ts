import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect, Ref } from "effect"
import { momentAt, TradingDay } from "@council/domain"
import type { Recording } from "@council/engine"
import { LocalExchange } from "@council/exchange"
import { MarketData } from "@council/market"
import { liveBook, Standings, TradeLedger } from "@council/tracking"
import { sessionOf } from "@council/daily"
import { CLAUDE, claudeFillsFailing, COUNCIL, nearBracket, reconcileEnv, runReconcile, SPY } from "./ReconcileRun.ts"

/** What each run recorded (the runner would commit it with the stage's checkpoint). */
const kept = new Map<string, ReadonlyArray<Recording>>()

/** Runs the Reconcile stage as a run of `day` would, recording (or replaying) its calls under `runId`. */
const reconcile = (day: TradingDay, runId: string, mode: "record" | "replay" = "record") =>
  Effect.gen(function*() {
    const run = yield* runReconcile(day, runId, mode, mode === "replay" ? kept.get(runId) ?? [] : [])
    if (mode === "record") kept.set(runId, run.recordings)
    return run.report
  })

const ledgerState = Effect.gen(function*() {
  const ledger = yield* TradeLedger
  return {
    equity: yield* ledger.equity({ book: liveBook }),
    orders: yield* ledger.orders({ book: liveBook, status: "all" }),
    fills: yield* ledger.fills({ book: liveBook })
  }
})

describe("Reconcile", () => {
  it.effect("bracket legs that fill sessions later reach the ledger with their fills; a second reconciliation changes nothing; a replay is exact", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(momentAt("2024-03-01", "16:30"))
      return yield* Effect.gen(function*() {
        const days = yield* MarketData.use((m) => m.sessions(TradingDay.make("2024-03-01"), TradingDay.make("2024-03-28")))
        const exchange = yield* LocalExchange
        const first = yield* reconcile(days[0]!, "r0")
        assert.deepStrictEqual(first.accounts.map((a) => [a.account, a.status, a.orders, a.fills]), [["COUNCIL", "recorded", 0, 0], ["CLAUDE", "recorded", 0, 0]])
        const close = (yield* MarketData.use((m) => m.bars({ symbol: SPY, asOf: days[0]!, lookback: 1 })))[0]!.close
        const placed = yield* exchange.placeOrder(COUNCIL, nearBracket(COUNCIL, "council-test-1", close))
        let exitDay: TradingDay | undefined
        const fresh: Array<ReadonlyArray<unknown>> = []
        for (const [i, day] of days.slice(1).entries()) {
          yield* Ref.set(session, momentAt(day, "16:30"))
          const report = yield* reconcile(day, `r${i + 1}`)
          fresh.push(report.accounts.map((a) => [a.account, a.newOrders, a.newFills]))
          const fills = yield* exchange.fills(COUNCIL)
          if (fills.length === 2) {
            exitDay = day
            break
          }
        }
        assert.isDefined(exitDay, "a leg filled within the month")
        // the bracket (its two legs counted) and its entry's fill are new on the first session, the exit's fill on the
        // last; every session between reads the order again and its fill (the cursor's overlap): nothing new
        assert.deepStrictEqual(fresh[0], [["COUNCIL", 3, 1], ["CLAUDE", 0, 0]])
        assert.deepStrictEqual(fresh.at(-1), [["COUNCIL", 0, 1], ["CLAUDE", 0, 0]])
        for (const between of fresh.slice(1, -1)) assert.deepStrictEqual(between, [["COUNCIL", 0, 0], ["CLAUDE", 0, 0]])
        const state = yield* ledgerState
        // every fill the exchange made, with its price, quantity, time and session
        const exchangeFills = yield* exchange.fills(COUNCIL)
        assert.deepStrictEqual(
          state.fills.filter((f) => f.account === COUNCIL).map((f) => [f.id, f.orderId, f.qty, f.price, f.at, f.session]),
          exchangeFills.map((f) => [f.id, f.orderId, f.qty, f.price, f.at, f.at.slice(0, 10)])
        )
        assert.strictEqual(state.fills.at(-1)!.session, exitDay)
        // the order with both legs: one filled, the other canceled with it, each with its history
        const [order] = state.orders.filter((o) => o.account === COUNCIL)
        assert.strictEqual(order!.id, placed.id)
        assert.deepStrictEqual(order!.history.map((h) => h.status), ["filled"])
        assert.sameMembers(order!.legs.map((l) => l.status), ["filled", "canceled"])
        const filledLeg = order!.legs.find((l) => l.status === "filled")!
        assert.deepStrictEqual(filledLeg.history.map((h) => h.status), ["new", "filled"])
        assert.strictEqual(filledLeg.filledAvgPrice, exchangeFills[1]!.price)
        // one snapshot per account per session, the last one what the exchange says now
        const councilEquity = state.equity.filter((e) => e.account === COUNCIL)
        assert.deepStrictEqual(councilEquity.map((e) => e.session), days.slice(0, councilEquity.length))
        assert.strictEqual(councilEquity.at(-1)!.equity, (yield* exchange.snapshot(COUNCIL)).equity)
        assert.strictEqual(state.equity.filter((e) => e.account === CLAUDE).length, councilEquity.length)

        // running it again (same session, a new run) changes nothing
        const again = yield* reconcile(exitDay!, "again")
        assert.isTrue(again.accounts.every((a) => a.status === "recorded"))
        const council = again.accounts.find((a) => a.account === COUNCIL)!
        // it reads the bracket with its two legs and the exit's fill again (the cursor's overlap), and nothing is new
        assert.deepStrictEqual([council.orders, council.fills, council.newOrders, council.newFills], [3, 1, 0, 0])
        assert.strictEqual(council.message, "read 3 orders, 1 fill; new: 0 orders, 0 fills")
        const after = yield* ledgerState
        assert.deepStrictEqual(after.fills, state.fills)
        assert.deepStrictEqual(after.orders, state.orders)
        assert.deepStrictEqual(after.equity.map(({ takenAt: _, ...rest }) => rest), state.equity.map(({ takenAt: _, ...rest }) => rest))

        // a replay answers every call from the recordings: same output, nothing live
        const recorded = yield* reconcile(exitDay!, "again", "replay")
        assert.deepStrictEqual(recorded, again)
      }).pipe(Effect.provide(reconcileEnv(session)))
    }))

  it.effect("a run recorded before the new counts replays as it ran: its output, message and all, unchanged", () =>
    Effect.gen(function*() {
      const older = JSON.parse(readFileSync(new URL("./fixtures/reconcile-recorded-before-new-counts.json", import.meta.url), "utf8")) as {
        readonly day: TradingDay
        readonly runId: string
        readonly report: unknown
        readonly recordings: ReadonlyArray<Recording>
      }
      kept.set(older.runId, older.recordings)
      const session = yield* Ref.make(momentAt(older.day, "16:30"))
      const replayed = yield* reconcile(older.day, older.runId, "replay").pipe(Effect.provide(reconcileEnv(session)))
      assert.deepStrictEqual(replayed, older.report)
      assert.include(replayed.accounts.map((a) => a.message), "3 orders, 1 fills recorded")
    }))

  it.effect("an account whose broker cannot be read is reported failed, nothing of it written; the others are recorded", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(momentAt("2024-03-01", "16:30"))
      return yield* Effect.gen(function*() {
        const report = yield* reconcile(TradingDay.make("2024-03-01"), "r").pipe(Effect.provide(claudeFillsFailing({ on: true })))
        assert.deepStrictEqual(report.accounts.map((a) => [a.account, a.status]), [["COUNCIL", "recorded"], ["CLAUDE", "failed"]])
        assert.match(report.accounts[1]!.message, /503 service unavailable/)
        const state = yield* ledgerState
        assert.deepStrictEqual(state.equity.map((e) => e.account), [COUNCIL])
      }).pipe(Effect.provide(reconcileEnv(session)))
    }))

  it("a fill's session is its New York date, whatever the time of day, the season or the timestamp's form", () => {
    const newYork = new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York", year: "numeric", month: "2-digit", day: "2-digit" })
    // every 20 minutes over the days around the switches of daylight time (both rules) and ordinary days
    const days = ["1995-04-01", "1995-10-28", "2006-12-31", "2007-03-10", "2007-11-03", "2026-03-07", "2026-06-15", "2026-10-31", "2026-12-31"]
    for (const day of days) {
      for (let minutes = 0; minutes < 3 * 24 * 60; minutes += 20) {
        const epoch = Date.parse(`${day}T00:00:00Z`) + minutes * 60_000
        const expected = newYork.format(new Date(epoch))
        const iso = new Date(epoch).toISOString()
        assert.strictEqual(sessionOf(iso), expected, iso)
        assert.strictEqual(sessionOf(iso.replace(".000Z", "Z")), expected, iso)
        assert.strictEqual(sessionOf(iso.replace(".000Z", ".123456Z")), expected, iso)
        assert.strictEqual(sessionOf(iso.replace(".000Z", "+00:00")), expected, iso)
      }
    }
    assert.strictEqual(sessionOf("2026-08-03T20:00:00-04:00"), "2026-08-03")
    assert.strictEqual(sessionOf("2026-08-03T23:30:00-04:00"), "2026-08-03")
    assert.throws(() => sessionOf("yesterday"))
  })

  it.effect("an account holding exactly SPY has SPY's daily return, session by session: runs at 15:45 marked at the open, the last after the close", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(momentAt("2024-03-01", "15:45"))
      return yield* Effect.gen(function*() {
        const days = ["2024-03-01", "2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08"].map((d) => TradingDay.make(d))
        const exchange = yield* LocalExchange
        yield* reconcile(days[0]!, "spy0")
        // the day's execution under `close`: all the cash in SPY, filled at the close (499.114563 + 5 bp)
        yield* exchange.placeOrder(COUNCIL, { account: COUNCIL, clientOrderId: "council-spy", symbol: SPY, side: "buy", qty: 199, type: "market", timeInForce: "day", orderClass: "simple", reason: "test" })
        for (const [i, day] of days.slice(1).entries()) {
          yield* Ref.set(session, momentAt(day, "15:45"))
          yield* reconcile(day, `spy${i + 1}`)
        }
        // a backtest's last snapshot: Reconcile again after the last session's close
        yield* Ref.set(session, momentAt(days.at(-1)!, "16:30"))
        yield* reconcile(days.at(-1)!, "spy-after-close")

        const report = yield* Standings.equityReport({ book: liveBook })
        // by hand from data/bars/daily/SPY.csv: the opens of the sessions (the runs at 15:45), the last one's close
        const expected: ReadonlyArray<readonly [string, string, number]> = [
          ["2024-03-01", "2024-03-01T14:30:00.000Z", 495.348246],
          ["2024-03-04", "2024-03-04T14:30:00.000Z", 498.316495],
          ["2024-03-05", "2024-03-05T14:30:00.000Z", 496.574479],
          ["2024-03-06", "2024-03-06T14:30:00.000Z", 496.876157],
          ["2024-03-07", "2024-03-07T14:30:00.000Z", 499.396777],
          ["2024-03-08", "2024-03-08T21:00:00.000Z", 498.014832]
        ]
        assert.deepStrictEqual(report.benchmark!.points.map((p) => [p.date, p.markedAt, p.mark]), expected.map((e) => [...e]))
        assert.deepStrictEqual(Standings.chartOf(report).benchmark!.closes, expected.map((e) => e[2]))
        const council = report.accounts.find((a) => a.account === COUNCIL)!.points
        assert.deepStrictEqual(council.map((p) => [p.markedAt, p.spyMark]), expected.map((e) => [e[1], e[2]]))
        // from 03-04 on it holds the 199 shares and ~$670 of cash (0.7 % of its equity): its daily return is SPY's
        // times the share of SPY in it, within 0.7 % of SPY's (cents of rounding aside)
        const spyReturn = (t: number) => expected[t]![2] / expected[t - 1]![2] - 1
        for (let t = 2; t < days.length; t++) {
          const mine = council[t]!.equity / council[t - 1]!.equity - 1
          assert.isAtMost(Math.abs(mine - spyReturn(t)), 0.007 * Math.abs(spyReturn(t)) + 1e-7, `${days[t]}: ${mine} against SPY's ${spyReturn(t)}`)
          assert.closeTo(council[t]!.equity, council[t]!.cash + 199 * expected[t]![2], 0.01)
        }
        // the account that held cash stays flat
        assert.isTrue(report.accounts.find((a) => a.account === CLAUDE)!.points.every((p) => p.equity === 100_000))

        // a replay answers the marks from its recording; a run recorded before marks existed replays without them
        const replayed = yield* reconcile(days.at(-1)!, "spy-after-close", "replay")
        assert.deepStrictEqual(replayed.accounts.map((a) => a.status), ["recorded", "recorded"])
        kept.set("spy-old", kept.get("spy-after-close")!.filter((r) => !r.key.includes("broker.getMarks")))
        assert.isBelow(kept.get("spy-old")!.length, kept.get("spy-after-close")!.length)
        const old = yield* reconcile(days.at(-1)!, "spy-old", "replay")
        assert.deepStrictEqual(old, replayed)
      }).pipe(Effect.provide(reconcileEnv(session)))
    }))
})
