import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/testing/TestClock"
import { TradingDay } from "@council/domain"
import { Database } from "@council/store"
import { BookId, liveBook, TradeLedger } from "@council/tracking"
import * as CompletedBooks from "../src/CompletedBooks.ts"

const ledger = TradeLedger.layer.pipe(Layer.provideMerge(Database.layerSqlite(":memory:")), Layer.orDie)

/** An answer that counts how often it was computed. */
const counting = () => {
  let runs = 0
  return { compute: Effect.sync(() => ++runs), runs: () => runs }
}

const book = (id: string) =>
  TradeLedger.use((l) =>
    l.createBook({ id: BookId.make(id), label: id, from: TradingDay.make("2024-01-02"), to: TradingDay.make("2024-01-31"), params: {} })
  ).pipe(Effect.as(BookId.make(id)))

describe("CompletedBooks", () => {
  it.effect("computes a completed book's answer once per kind and window, and the live book or a running one every time", () =>
    Effect.gen(function*() {
      const memo = CompletedBooks.make()
      const done = yield* book("bt-done")
      const running = yield* book("bt-running")
      yield* TradeLedger.use((l) => l.setBookStatus(done, "completed"))
      const answer = counting()
      for (let i = 0; i < 3; i++) assert.strictEqual(yield* memo.through("leaderboard", done, {}, answer.compute), 1)
      assert.strictEqual(answer.runs(), 1)
      yield* memo.through("leaderboard", done, { from: "2024-01-10" }, answer.compute)
      yield* memo.through("report", done, {}, answer.compute)
      assert.strictEqual(answer.runs(), 3, "another window and another kind are other answers")
      const live = counting()
      const partial = counting()
      for (let i = 0; i < 3; i++) {
        yield* memo.through("leaderboard", liveBook, {}, live.compute)
        yield* memo.through("leaderboard", running, {}, partial.compute)
      }
      assert.deepStrictEqual([live.runs(), partial.runs()], [3, 3])
    }).pipe(Effect.provide(ledger)))

  it.effect("computes again once the book is written again, keeps no failure, and drops the least recently used past its capacity", () =>
    Effect.gen(function*() {
      const memo = CompletedBooks.make(2)
      const id = yield* book("bt-resumed")
      yield* TradeLedger.use((l) => l.setBookStatus(id, "completed"))
      const answer = counting()
      yield* memo.through("report", id, {}, answer.compute)
      yield* TestClock.adjust("1 second")
      yield* TradeLedger.use((l) => l.setBookStatus(id, "interrupted"))
      yield* TradeLedger.use((l) => l.setBookStatus(id, "completed"))
      yield* memo.through("report", id, {}, answer.compute)
      assert.strictEqual(answer.runs(), 2, "the book's updatedAt changed")

      let attempts = 0
      const flaky = Effect.suspend(() => ++attempts === 1 ? Effect.fail("store busy" as const) : Effect.succeed(attempts))
      assert.strictEqual(yield* Effect.flip(memo.through("leaderboard", id, {}, flaky)), "store busy")
      assert.strictEqual(yield* memo.through("leaderboard", id, {}, flaky), 2)
      assert.strictEqual(yield* memo.through("leaderboard", id, {}, flaky), 2)

      const windows = counting()
      for (const from of ["2024-01-03", "2024-01-04", "2024-01-05"]) yield* memo.through("w", id, { from }, windows.compute)
      yield* memo.through("w", id, { from: "2024-01-05" }, windows.compute)
      assert.strictEqual(windows.runs(), 3)
      yield* memo.through("w", id, { from: "2024-01-03" }, windows.compute)
      assert.strictEqual(windows.runs(), 4, "the oldest was dropped")
    }).pipe(Effect.provide(ledger)))

  it.effect("computes a completed book's answer once for requests asking at once, and finishes it for the next when they go away", () =>
    Effect.gen(function*() {
      const memo = CompletedBooks.make()
      const id = yield* book("bt-slow")
      yield* TradeLedger.use((l) => l.setBookStatus(id, "completed"))
      let runs = 0
      const slow = Effect.sleep("10 seconds").pipe(Effect.andThen(Effect.sync(() => ++runs)))
      const first = yield* Effect.forkChild(memo.through("leaderboard", id, {}, slow))
      const second = yield* Effect.forkChild(memo.through("leaderboard", id, {}, slow))
      yield* TestClock.adjust("10 seconds")
      assert.deepStrictEqual([yield* Fiber.join(first), yield* Fiber.join(second), runs], [1, 1, 1])

      const leaving = yield* Effect.forkChild(memo.through("report", id, {}, slow))
      yield* TestClock.adjust("4 seconds")
      yield* Fiber.interrupt(leaving)
      yield* TestClock.adjust("6 seconds")
      assert.strictEqual(runs, 2, "the computation went on without the request")
      assert.strictEqual(yield* memo.through("report", id, {}, slow), 2)
      assert.strictEqual(runs, 2)
    }).pipe(Effect.provide(ledger)))
})
