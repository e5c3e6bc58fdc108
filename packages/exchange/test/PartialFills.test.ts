import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { wideBracket } from "./BracketOrders.ts"
import { D1, D2, D3, intent, SPY, withExchange } from "./ExchangeFixture.ts"

const bracket = wideBracket()

describe("partial fills (partialFillPct 40: four of ten shares at each open or close a market order meets)", () => {
  it.effect("a queued bracket entry fills four at the open and four at the close, its exits held; canceled, its exits go with it and the eight shares stay unprotected", () =>
    withExchange(({ broker, setDay, setTime }) =>
      Effect.gen(function*() {
        const placed = yield* broker.placeOrder(bracket)
        yield* setDay(D2)
        yield* setTime("10:00")
        const atOpen = yield* broker.getOrder(placed.id)
        assert.deepStrictEqual([atOpen.status, atOpen.filledQty, atOpen.filledAvgPrice], ["partially_filled", 4, 101.05])
        assert.deepStrictEqual(atOpen.legs.map((l) => l.status), ["held", "held"])
        yield* setTime("16:15")
        const atClose = yield* broker.getOrder(placed.id)
        // 4 at the open's 101.05, 4 at the close's 102.05
        assert.deepStrictEqual([atClose.status, atClose.filledQty, atClose.filledAvgPrice], ["partially_filled", 8, 101.55])
        assert.deepStrictEqual(atClose.legs.map((l) => l.status), ["held", "held"])
        yield* setDay(D3)
        yield* setTime("10:00")
        assert.strictEqual((yield* broker.getOrder(placed.id)).filledQty, 8, "the rest of a queued order works at the closes, not at a later open")
        yield* broker.cancelOrder(placed.id)
        const canceled = yield* broker.getOrder(placed.id)
        assert.deepStrictEqual([canceled.status, canceled.filledQty, ...canceled.legs.map((l) => l.status)], ["canceled", 8, "canceled", "canceled"])
        assert.deepStrictEqual((yield* broker.getPositions).map((p) => [p.symbol, p.qty]), [["SPY", 8]])
        assert.deepStrictEqual((yield* broker.listFills({})).map((f) => [f.qty, f.price]), [[4, 101.05], [4, 102.05]])
      }), { start: D1, time: "16:15", exchange: { partialFillPct: 40 } }))

  it.effect("left alone, the entry completes at the next close and only then are its exits active, for all ten shares", () =>
    withExchange(({ broker, setDay, setTime }) =>
      Effect.gen(function*() {
        const placed = yield* broker.placeOrder(bracket)
        yield* setDay(D3)
        yield* setTime("16:15")
        const done = yield* broker.getOrder(placed.id)
        assert.deepStrictEqual([done.status, done.filledQty], ["filled", 10])
        assert.deepStrictEqual(done.legs.map((l) => [l.status, l.qty]), [["new", 10], ["new", 10]])
      }), { start: D1, time: "16:15", exchange: { partialFillPct: 40 } }))

  it.effect("a market order of the session and a market-on-close order fill four at the close; the rest expires there", () =>
    withExchange(({ broker, closeDay }) =>
      Effect.gen(function*() {
        const day = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
        const cls = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10, timeInForce: "cls" }))
        yield* closeDay
        for (const id of [day.id, cls.id]) {
          const order = yield* broker.getOrder(id)
          assert.deepStrictEqual([order.status, order.filledQty], ["expired", 4])
        }
        assert.deepStrictEqual((yield* broker.getPositions).map((p) => p.qty), [8])
      }), { start: D1, exchange: { partialFillPct: 40 } }))

  it.effect("an ioc order's rest is canceled where it filled in part, an opg order's at the open, and a fok order fills whole or not at all", () =>
    withExchange(({ broker, setDay, setTime }) =>
      Effect.gen(function*() {
        const opg = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10, timeInForce: "opg" }))
        yield* setDay(D2)
        const ioc = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10, timeInForce: "ioc" }))
        const fok = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10, timeInForce: "fok" }))
        yield* setDay(D3)
        yield* setTime("16:15")
        const [atOpen, atClose, whole] = yield* Effect.forEach([opg.id, ioc.id, fok.id], (id) => broker.getOrder(id))
        // the opg order met D2's open, the ioc order D2's close: four shares each, nothing at the closes after
        assert.deepStrictEqual([atOpen!.status, atOpen!.filledQty], ["canceled", 4])
        assert.deepStrictEqual([atClose!.status, atClose!.filledQty], ["canceled", 4])
        assert.deepStrictEqual([whole!.status, whole!.filledQty], ["filled", 10])
        assert.deepStrictEqual((yield* broker.listFills({})).map((f) => f.qty), [4, 4, 10])
      }), { start: D1, time: "20:00", exchange: { partialFillPct: 40 } }))
})
