import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { waitForSignal } from "../src/Listening.ts"

describe("waitForSignal", () => {
  it.effect("a signal resumes only the innermost wait (the run's own, inside the command's), and a second one finds no listener", () =>
    Effect.gen(function*() {
      const before = process.listenerCount("SIGTERM")
      const outer = yield* Effect.forkChild(waitForSignal)
      yield* Effect.yieldNow
      const inner = yield* Effect.forkChild(waitForSignal)
      yield* Effect.yieldNow
      assert.strictEqual(process.listenerCount("SIGTERM"), before + 1)
      process.emit("SIGTERM", "SIGTERM")
      assert.strictEqual(yield* Fiber.join(inner), "SIGTERM")
      yield* Effect.yieldNow
      assert.isUndefined(outer.pollUnsafe(), "the outer wait was resumed too")
      // as a real process: a second SIGTERM would find no listener of ours and end it
      assert.strictEqual(process.listenerCount("SIGTERM"), before)
      yield* Fiber.interrupt(outer)
      // a later command (tests run many in one process) waits again as the first did
      const again = yield* Effect.forkChild(waitForSignal)
      yield* Effect.yieldNow
      process.emit("SIGINT", "SIGINT")
      assert.strictEqual(yield* Fiber.join(again), "SIGINT")
      assert.strictEqual(process.listenerCount("SIGINT"), before)
    }))
})
