import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Ref, Result } from "effect"
import { AccountId, momentAt, type NewYorkMoment } from "@council/domain"
import { MarketData } from "@council/market"
import { Database } from "@council/store"
import { AccountManager, BrokerError, Brokers } from "@council/broker"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import { bars, D1, D2, intent, SPY, QQQ } from "./ExchangeFixture.ts"

const A = AccountId.make("CHATGPT")
const B = AccountId.make("GEMINI")
const BROKEN = AccountId.make("GROQ")

/** The local exchange's brokers, except that GROQ's broker is down. */
const brokersWithOneDown = Layer.effect(
  Brokers,
  Effect.gen(function*() {
    const exchange = yield* LocalExchange
    const down = new BrokerError({ account: BROKEN, reason: "Unavailable", message: "connection refused", retryable: true })
    return Brokers.of({
      accounts: [A, B, BROKEN],
      get: (account) =>
        account === BROKEN
          ? Effect.succeed({
            ...LocalExchange.broker(exchange, account),
            getAccount: Effect.fail(down),
            getPositions: Effect.fail(down),
            cancelAllOrders: Effect.fail(down)
          })
          : Effect.succeed(LocalExchange.broker(exchange, account))
    })
  })
)

/** The exchange's present, which a test moves along. */
class Present extends Context.Service<Present, Ref.Ref<NewYorkMoment>>()("test/Present") {}

const present = Layer.effect(Present, Ref.make(momentAt(D1, "15:45")))
const moveTo = (day: string, time: string) => Effect.flatMap(Present, (ref) => Ref.set(ref, momentAt(day, time)))

const layer = AccountManager.layer.pipe(
  Layer.provideMerge(brokersWithOneDown),
  Layer.provideMerge(LocalExchange.layer({ slippageBps: 0 })),
  Layer.provide(Layer.mergeAll(
    Database.layerSqlite(":memory:"),
    MarketData.layerTest(bars),
    Layer.unwrap(Effect.map(Present, ExchangeSession.layerRef))
  )),
  Layer.provideMerge(present),
  Layer.fresh
)

describe("AccountManager", () => {
  it.effect("reads every account in parallel; one account's failure never hides the others", () =>
    Effect.gen(function*() {
      const manager = yield* AccountManager
      const results = yield* manager.allAccounts
      assert.deepStrictEqual(results.map((r) => [r.account, Result.isSuccess(r.result)]), [[A, true], [B, true], [BROKEN, false]])
      const failure = results[2]!.result
      assert.strictEqual(Result.isFailure(failure) && failure.failure.message, "connection refused")
      assert.strictEqual(Result.isSuccess(results[0]!.result) && results[0]!.result.success.equity, 100_000)
    }).pipe(Effect.provide(layer)))

  it.effect("places many orders across accounts, in order within each, exactly once", () =>
    Effect.gen(function*() {
      const manager = yield* AccountManager
      const intents = [
        intent({ account: A, symbol: SPY, side: "buy", qty: 10, clientOrderId: "a-1" }),
        intent({ account: B, symbol: QQQ, side: "buy", qty: 5, clientOrderId: "b-1" }),
        intent({ account: A, symbol: SPY, side: "sell", qty: 4, clientOrderId: "a-2" }),
        intent({ account: BROKEN, symbol: SPY, side: "buy", qty: 1_000_000, clientOrderId: "x-1" })
      ]
      const results = yield* manager.placeMany(intents)
      assert.deepStrictEqual(results.map((r) => [r.intent.clientOrderId, Result.isSuccess(r.result)]), [
        ["a-1", true],
        ["b-1", true],
        ["a-2", true],
        ["x-1", false]
      ])
      assert.isTrue(results.slice(0, 3).every((r) => Result.isSuccess(r.result) && !r.result.success.adopted))
      yield* moveTo(D1, "16:00")
      const again = yield* manager.placeMany(intents.slice(0, 3))
      assert.deepStrictEqual(
        again.map((r) => Result.isSuccess(r.result) && r.result.success.order.id),
        results.slice(0, 3).map((r) => Result.isSuccess(r.result) && r.result.success.order.id)
      )
      assert.isTrue(again.every((r) => Result.isSuccess(r.result) && r.result.success.adopted))
      const positions = yield* manager.allPositions([A, B])
      assert.deepStrictEqual(
        positions.map((p) => Result.isSuccess(p.result) ? p.result.success.map((x) => [x.symbol, x.qty]) : []),
        [[["SPY", 6]], [["QQQ", 5]]]
      )
      const orders = yield* manager.allOrders({ status: "all" }, [A])
      assert.strictEqual(Result.isSuccess(orders[0]!.result) && orders[0]!.result.success.length, 2)
    }).pipe(Effect.provide(layer)))

  it.effect("does not send an order of a symbol after an earlier order of that symbol failed (no open after a failed close)", () =>
    Effect.gen(function*() {
      const manager = yield* AccountManager
      yield* manager.placeMany([intent({ account: A, symbol: SPY, side: "buy", qty: 10, clientOrderId: "long-10" })])
      yield* moveTo(D1, "16:00")
      const results = yield* manager.placeMany([
        intent({ account: A, symbol: SPY, side: "sell", qty: 15, clientOrderId: "close-too-much" }),
        intent({ account: A, symbol: SPY, side: "sell", qty: 5, clientOrderId: "open-after" }),
        intent({ account: A, symbol: QQQ, side: "buy", qty: 2, clientOrderId: "other-symbol" })
      ])
      assert.deepStrictEqual(results.map((r) => Result.isSuccess(r.result)), [false, false, true])
      const skipped = results[1]!.result
      assert.strictEqual(Result.isFailure(skipped) && skipped.failure.message, "not sent: the sell 15 SPY before it (close-too-much) failed")
      yield* moveTo(D2, "15:45")
      const positions = yield* manager.allPositions([A])
      assert.deepStrictEqual(
        positions.map((p) => Result.isSuccess(p.result) ? p.result.success.map((x) => [x.symbol, x.qty]) : []),
        [[["QQQ", 2], ["SPY", 10]]]
      )
    }).pipe(Effect.provide(layer)))

  it.effect("the panic button cancels every order and closes every position, per account", () =>
    Effect.gen(function*() {
      const manager = yield* AccountManager
      yield* manager.placeMany([
        intent({ account: A, symbol: SPY, side: "buy", qty: 10 }),
        intent({ account: A, symbol: QQQ, side: "buy", qty: 10, type: "limit", limitPrice: 30, timeInForce: "gtc" }),
        intent({ account: B, symbol: QQQ, side: "buy", qty: 3 })
      ])
      yield* moveTo(D1, "16:00")
      const results = yield* manager.closeAllPositions()
      assert.deepStrictEqual(
        results.map((r) => [r.account, Result.isSuccess(r.result) ? [r.result.success.canceled, r.result.success.closed.map((o): string => o.symbol)] : "failed"]),
        [[A, [1, ["SPY"]]], [B, [0, ["QQQ"]]], [BROKEN, "failed"]]
      )
      yield* moveTo(D2, "15:45")
      const positions = yield* manager.allPositions([A, B])
      assert.isTrue(positions.every((p) => Result.isSuccess(p.result) && p.result.success.length === 0))
    }).pipe(Effect.provide(layer)))
})
