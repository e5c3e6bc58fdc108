import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { TestConsole } from "effect/testing"
import { AccountId } from "@council/domain"
import type { Notification } from "@council/notify"
import { ConsoleColour, Notifier, NotifierConfig } from "@council/notify"
import { slackStandIn } from "./slackServer.ts"

type Terminal = ConsoleColour.Terminal

const ESC = "\u001b["
const tty: Terminal = { isTTY: true, hasColors: () => true }
const pipe: Terminal = { isTTY: false }

const buy: Notification = {
  level: "INFO",
  account: AccountId.make("COUNCIL"),
  subject: "Decision LONG SPY · 1 order",
  body: "BUY 10 SPY market day\nSELL 5 TLT market day"
}

const withEnv = (env: Record<string, string>, terminal: Terminal) =>
  NotifierConfig.layerConfigWith({ terminal, slack: { attempts: 1 } }).pipe(
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
  )

const consoleLine = (env: Record<string, string>, terminal: Terminal, message: Notification = buy) =>
  Effect.gen(function*() {
    yield* Notifier.use((n) => n.notify(message)).pipe(Effect.provide(withEnv(env, terminal)))
    const lines = yield* TestConsole.errorLines
    assert.strictEqual(lines.length, 1)
    return String(lines[0])
  })

describe("ConsoleColour.colourEnabled", () => {
  const cases: ReadonlyArray<[string, Partial<ConsoleColour.ColourEnv>, Terminal, boolean]> = [
    ["a colour TTY", {}, tty, true],
    ["a pipe", {}, pipe, false],
    ["a TTY without colours", {}, { isTTY: true, hasColors: () => false }, false],
    ["NO_COLOR=1 on a TTY", { noColor: "1" }, tty, false],
    ["NO_COLOR empty on a TTY", { noColor: "" }, tty, true],
    ["NO_COLOR=1 beats FORCE_COLOR=1", { noColor: "1", forceColor: "1" }, tty, false],
    ["FORCE_COLOR=1 on a pipe", { forceColor: "1" }, pipe, true],
    ["FORCE_COLOR empty on a pipe", { forceColor: "" }, pipe, true],
    ["FORCE_COLOR=0 on a TTY", { forceColor: "0" }, tty, false],
    ["FORCE_COLOR=false on a TTY", { forceColor: "false" }, tty, false],
    ["TERM=dumb on a TTY", { term: "dumb" }, tty, false]
  ]
  for (const [name, env, terminal, expected] of cases) {
    it(name, () => {
      const full = { noColor: undefined, forceColor: undefined, term: "xterm-256color", ...env }
      assert.strictEqual(ConsoleColour.colourEnabled(full, terminal), expected)
    })
  }
})

describe("NotifierConfig.layerConfig: the console", () => {
  it.effect("on a colour terminal, buys and longs are green and sells red", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        yield* consoleLine({}, tty),
        `[COUNCIL] INFO Decision ${ESC}32mLONG${ESC}0m SPY · 1 order — ${ESC}32mBUY${ESC}0m 10 SPY market day | ${ESC}31mSELL${ESC}0m 5 TLT market day`
      )
    }))

  it.effect("errors are red as a whole line", () =>
    Effect.gen(function*() {
      const error = yield* consoleLine({}, tty, { level: "ERROR", subject: "Failed: Execution", body: "SELL refused" })
      assert.strictEqual(error, `${ESC}31mERROR Failed: Execution — SELL refused${ESC}0m`)
    }))

  it.effect("warnings are yellow as a whole line", () =>
    Effect.gen(function*() {
      const warning = yield* consoleLine({}, tty, { level: "WARN", account: AccountId.make("GROQ"), subject: "Abstained", body: "" })
      assert.strictEqual(warning, `${ESC}33m[GROQ] WARN Abstained${ESC}0m`)
    }))

  it.effect("NO_COLOR=1 turns colour off on a colour terminal", () =>
    Effect.gen(function*() {
      const line = yield* consoleLine({ NO_COLOR: "1" }, tty)
      assert.notInclude(line, "\u001b")
      assert.strictEqual(line, "[COUNCIL] INFO Decision LONG SPY · 1 order — BUY 10 SPY market day | SELL 5 TLT market day")
    }))

  it.effect("an empty NO_COLOR does not", () =>
    Effect.gen(function*() {
      assert.include(yield* consoleLine({ NO_COLOR: "" }, tty), ESC)
    }))

  it.effect("a terminal that is not a TTY gets no escape sequences", () =>
    Effect.gen(function*() {
      assert.notInclude(yield* consoleLine({}, pipe, { level: "ERROR", subject: "x", body: "SELL" }), "\u001b")
    }))

  it.effect("FORCE_COLOR=1 colours a pipe", () =>
    Effect.gen(function*() {
      assert.include(yield* consoleLine({ FORCE_COLOR: "1" }, pipe), ESC)
    }))
})

describe("NotifierConfig.layerConfig: Slack", () => {
  it.effect("without SLACK_WEBHOOK_URL (or blank) the console alone receives messages", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* consoleLine({ SLACK_WEBHOOK_URL: "  " }, pipe), "[COUNCIL] INFO Decision LONG SPY · 1 order — BUY 10 SPY market day | SELL 5 TLT market day")
    }))

  it.effect("with SLACK_WEBHOOK_URL both the console and Slack receive every message", () =>
    Effect.gen(function*() {
      const standIn = yield* slackStandIn({ now: () => 0 })
      const line = yield* consoleLine({ SLACK_WEBHOOK_URL: Redacted.value(standIn.webhookUrl) }, pipe)
      assert.strictEqual(line, "[COUNCIL] INFO Decision LONG SPY · 1 order — BUY 10 SPY market day | SELL 5 TLT market day")
      assert.strictEqual(standIn.received.length, 1)
      assert.strictEqual(
        JSON.parse(standIn.received[0]!.body).text,
        "*COUNCIL* · :information_source: *INFO* · *Decision LONG SPY · 1 order*\nBUY 10 SPY market day\nSELL 5 TLT market day"
      )
    }))

  it.effect("a failing Slack fails notify with NotifierError only, after the console line is written", () =>
    Effect.gen(function*() {
      const standIn = yield* slackStandIn({ now: () => 0, fallback: { status: 400, body: "invalid_payload" } })
      const error = yield* Effect.flip(
        Notifier.use((n) => n.notify(buy)).pipe(Effect.provide(withEnv({ SLACK_WEBHOOK_URL: Redacted.value(standIn.webhookUrl) }, pipe)))
      )
      assert.strictEqual(error._tag === "NotifierError" ? error.reason : error._tag, "Rejected")
      assert.strictEqual((yield* TestConsole.errorLines).length, 1)
      assert.strictEqual(standIn.received.length, 1)
    }))

  it.effect("an unusable SLACK_WEBHOOK_URL is a NotifierConfigError naming the variable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Notifier.use((n) => n.notify(buy)).pipe(Effect.provide(withEnv({ SLACK_WEBHOOK_URL: "http://hooks.slack.com/services/T1/B2/secret" }, pipe)))
      )
      assert.strictEqual(error._tag, "NotifierConfigError")
      assert.strictEqual(
        error.message,
        "SLACK_WEBHOOK_URL must be an https URL (http only for 127.0.0.1/localhost); its host is hooks.slack.com"
      )
    }))
})
