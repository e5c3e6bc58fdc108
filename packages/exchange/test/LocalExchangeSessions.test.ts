import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { AccountId, TradingDay } from "@council/domain"
import type { Broker } from "@council/broker"
import { ExchangeSession } from "@council/exchange"
import { MarketData } from "@council/market"
import { ACCOUNT, bars, D1, D2, D3, D6, expectError, intent, SPY, tempDatabase, withExchange } from "./ExchangeFixture.ts"

describe("LocalExchange", () => {
  describe("sessions and persistence", () => {
    it.effect("keeps the ledger across rebuilds on the same file: positions and resting orders carry over", () =>
      Effect.gen(function*() {
        const filename = tempDatabase()
        const keyId = yield* withExchange(({ broker, exchange }) =>
          Effect.gen(function*() {
            yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
            yield* broker.placeOrder(
              intent({ symbol: SPY, side: "buy", qty: 5, type: "limit", limitPrice: 101, timeInForce: "gtc" })
            )
            return (yield* exchange.account(ACCOUNT)).keyId
          }), { filename })
        const atD2 = { filename, start: D2, time: "16:00" }
        yield* withExchange(({ broker, exchange }) =>
          Effect.gen(function*() {
            const position = yield* broker.getPosition(SPY)
            assert.deepStrictEqual(Option.map(position, (p) => [p.qty, p.avgEntryPrice]), Option.some([15, 100.366667]))
            assert.strictEqual((yield* exchange.account(ACCOUNT)).keyId, keyId)
            assert.strictEqual((yield* broker.getAccount).cash, 100000 - 1000.5 - 505)
          }), atD2)
        const rewind = yield* Effect.flip(withExchange(({ broker }) => broker.getAccount, { filename, start: D1 }))
        assert.strictEqual(rewind._tag, "BrokerError")
        if (rewind._tag === "BrokerError") {
          expectError(
            rewind,
            "InvalidRequest",
            "the local exchange is at 2026-08-04 (after the close); cannot trade 2026-08-03 (during the session)"
          )
        }
      }))

    it.effect("two exchanges on one file see each other's writes, though each keeps what it read in memory", () =>
      Effect.gen(function*() {
        const filename = tempDatabase()
        const other = <A, E>(body: (broker: Broker) => Effect.Effect<A, E>) =>
          withExchange(({ broker }) => body(broker), { filename })
        yield* withExchange(({ broker }) =>
          Effect.gen(function*() {
            const before = yield* broker.getAccount
            assert.deepStrictEqual(yield* broker.listOrders({ status: "open" }), [])
            const placed = yield* other((b) => b.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 })))
            assert.deepStrictEqual((yield* broker.listOrders({ status: "open" })).map((o) => o.id), [placed.id])
            assert.isBelow((yield* broker.getAccount).buyingPower, before.buyingPower)
            yield* other((b) => b.cancelOrder(placed.id))
            assert.deepStrictEqual(yield* broker.listOrders({ status: "open" }), [])
            assert.strictEqual((yield* broker.getAccount).buyingPower, before.buyingPower)
            // and what this one writes, the other sees
            const mine = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 3 }))
            assert.deepStrictEqual((yield* other((b) => b.listOrders({ status: "open" }))).map((o) => o.id), [mine.id])
          }), { filename })
      }))

    it.effect("reads arriving together at a new moment bring the account there once and all see the same state", () =>
      withExchange(({ broker, closeDay }) =>
        Effect.gen(function*() {
          yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
          yield* closeDay
          const reads = yield* Effect.all(
            Array.from({ length: 8 }, (_, i) =>
              i % 2 === 0
                ? Effect.map(broker.getAccount, (a) => a.positions.map((p) => [p.symbol, p.qty]))
                : Effect.map(broker.listFills({}), (fills) => fills.map((f) => [f.symbol, f.qty]))),
            { concurrency: "unbounded" }
          )
          assert.deepStrictEqual(reads, Array.from({ length: 8 }, () => [[SPY, 10]]))
          assert.strictEqual((yield* broker.listFills({})).length, 1)
        })))

    it.effect("rejects a moment before the account's; on a day without a session the market is closed and orders queue", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          // an account holds its moment once it has had an order (one only looked at holds none)
          yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1 }))
          yield* closeDay
          yield* broker.getAccount
          yield* setDay(D3)
          expectError(
            yield* Effect.flip(broker.getAccount),
            "InvalidRequest",
            "the local exchange is at 2026-08-05 (after the close); cannot trade 2026-08-05 (during the session)"
          )
          yield* setDay(TradingDay.make("2026-08-08"))
          const saturday = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1 }))
          assert.strictEqual(saturday.status, "accepted")
          assert.isFalse((yield* broker.getClock).isOpen)
          yield* setDay(D6)
          assert.strictEqual((yield* broker.getOrder(saturday.id)).filledAvgPrice, 91.05)
        }), { start: D3 }))

    it.effect("an account only looked at holds no moment: an earlier one may trade it, and then it holds its own", () =>
      withExchange(({ broker, closeDay, exchange, setDay }) =>
        Effect.gen(function*() {
          yield* setDay(D3)
          yield* closeDay
          assert.strictEqual((yield* broker.getAccount).cash, 100000)
          assert.isFalse((yield* exchange.account(ACCOUNT)).traded)
          yield* setDay(D1)
          const placed = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
          assert.strictEqual(placed.status, "new")
          const held = yield* exchange.account(ACCOUNT)
          assert.deepStrictEqual([held.traded, held.point], [true, { session: D1, phase: "open" }])
          yield* setDay(D3)
          yield* closeDay
          yield* broker.getAccount
          yield* setDay(D1)
          expectError(
            yield* Effect.flip(broker.getAccount),
            "InvalidRequest",
            "the local exchange is at 2026-08-05 (after the close); cannot trade 2026-08-03 (during the session)"
          )
        })))

    it.effect("layerLatest puts the exchange after the close of the feed's last session", () =>
      Effect.gen(function*() {
        const session = yield* ExchangeSession
        assert.deepStrictEqual(yield* session.current, { day: D6, seconds: 16 * 3600 })
      }).pipe(Effect.provide(ExchangeSession.layerLatest.pipe(Layer.provide(MarketData.layerTest(bars))))))

    it.effect("creates accounts lazily with a generated key pair that can be looked up", () =>
      withExchange(({ exchange }) =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* exchange.keys, [])
          const claude = yield* exchange.account(ACCOUNT)
          const gemini = yield* exchange.account(AccountId.make("GEMINI"))
          assert.match(claude.keyId, /^PK[A-Z0-9]{18}$/)
          assert.match(Redacted.value(claude.secretKey), /^[A-Za-z0-9]{40}$/)
          assert.notStrictEqual(claude.keyId, gemini.keyId)
          assert.strictEqual(claude.lastSession, D1)
          assert.deepStrictEqual((yield* exchange.keys).map((k) => k.account), ["CLAUDE", "GEMINI"])
          const found = yield* exchange.accountByKeyId(gemini.keyId)
          assert.deepStrictEqual(Option.map(found, (a) => a.account), Option.some(AccountId.make("GEMINI")))
          assert.isTrue(Option.isNone(yield* exchange.accountByKeyId("PKNOTAKEY")))
          assert.strictEqual((yield* exchange.snapshot(AccountId.make("GEMINI"))).cash, 100000)
        })))
  })
  // The exchange keeps the last clock and calendar it answered (every account of a run asks for the same ones), but
  // not an answer that had to guess the next session: the data may grow, and the next session then found is used.
  it.effect("the clock and the calendar take the next session once the data has it, after answering without it", () =>
    Effect.gen(function*() {
      // D2 is a holiday here: D1's next session is D3, not the next weekday
      const withoutD2 = Object.fromEntries(Object.entries(bars).map(([symbol, series]) => [symbol, series.filter((b) => b.date !== D2)]))
      let through: string = D1
      const market = Layer.effect(
        MarketData,
        Effect.map(Effect.service(MarketData), (inner) =>
          MarketData.of({ ...inner, sessions: (from, to) => Effect.map(inner.sessions(from, to), (days) => days.filter((d) => d <= through)) }))
      ).pipe(Layer.provide(MarketData.layerTest(withoutD2)))
      yield* withExchange(({ broker }) =>
        Effect.gen(function*() {
          const ask = Effect.all([broker.getClock, broker.getCalendar({ start: D1, end: D1 })])
          const [guessed, guessedDays] = yield* ask
          assert.deepStrictEqual([guessed.nextOpen, guessedDays[0]!.settlementDate], ["2026-08-04T09:30:00-04:00", D2])
          through = D3
          const [clock, days] = yield* ask
          assert.deepStrictEqual([clock.nextOpen, days[0]!.settlementDate], ["2026-08-05T09:30:00-04:00", D3])
          // asked again: the same answer
          assert.deepStrictEqual(yield* ask, [clock, days])
        }), { market, start: D1, time: "17:00" })
    }))
})
