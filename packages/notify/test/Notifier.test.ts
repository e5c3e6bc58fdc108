import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { TestConsole } from "effect/testing"
import { AccountId } from "@council/domain"
import { formatLine, Notifier, SentNotifications } from "@council/notify"

describe("Notifier.layerConsole", () => {
  it.effect("writes one line per message to stderr, prefixed with the account when present", () =>
    Effect.gen(function*() {
      const notifier = yield* Notifier
      yield* notifier.notify({
        level: "WARN",
        account: AccountId.make("CHATGPT"),
        subject: "Order rejected",
        body: "insufficient buying power\n  qty 40 SPY\n"
      })
      yield* notifier.notify({ level: "INFO", subject: "Run completed", body: "" })
      assert.deepStrictEqual(yield* TestConsole.errorLines, [
        "[CHATGPT] WARN Order rejected — insufficient buying power | qty 40 SPY",
        "INFO Run completed"
      ])
      assert.deepStrictEqual(yield* TestConsole.logLines, [])
    }).pipe(Effect.provide(Notifier.layerConsole)))
})

describe("Notifier.layerTest", () => {
  it.effect("collects messages for assertions", () =>
    Effect.gen(function*() {
      const notifier = yield* Notifier
      const message = { level: "ERROR", account: AccountId.make("GROQ"), subject: "Account failed", body: "401" } as const
      yield* notifier.notify(message)
      const { messages } = yield* SentNotifications
      assert.deepStrictEqual(yield* Ref.get(messages), [message])
      assert.strictEqual(formatLine(message), "[GROQ] ERROR Account failed — 401")
    }).pipe(Effect.provide(Notifier.layerTest)))

  it.effect("starts empty for every test", () =>
    Effect.gen(function*() {
      const { messages } = yield* SentNotifications
      assert.deepStrictEqual(yield* Ref.get(messages), [])
    }).pipe(Effect.provide(Notifier.layerTest)))
})
