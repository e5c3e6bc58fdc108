import { assert, describe, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, Layer, Logger, Redacted, Result, Tracer } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { TestClock, TestConsole } from "effect/testing"
import { AccountId } from "@council/domain"
import type { Notification } from "@council/notify"
import { Notifier, NotifierConfig, SlackWebhook } from "@council/notify"
import type { Reply } from "./slackServer.ts"
import { closedWebhookUrl, drive, SECRET_PATH, setup, slackStandIn } from "./slackServer.ts"

const SECRET_PARTS = [SECRET_PATH, "T0TESTTEAM", "B0TESTHOOK", "XsEcReTwEbHoOkToKeN42"]

const message: Notification = { level: "ERROR", account: AccountId.make("GROQ"), subject: "Account failed", body: "401" }

/** Every way an error can be shown: its message, its string and JSON forms, and a pretty cause. */
const renderings = (error: unknown): ReadonlyArray<string> => [
  error instanceof Error ? error.message : "",
  String(error),
  JSON.stringify(error),
  Cause.pretty(Cause.fail(error))
]

const scenarios: ReadonlyArray<{ readonly name: string; readonly script: ReadonlyArray<Reply>; readonly fallback?: Reply }> = [
  { name: "ok", script: [] },
  { name: "invalid_payload echoing the path", script: [{ status: 400, body: `invalid_payload for ${SECRET_PATH}` }] },
  { name: "500 echoing the URL, then ok", script: [{ status: 500, body: `rollup_error at http://x${SECRET_PATH}` }] },
  { name: "429 short", script: [{ status: 429, body: "rate_limited", headers: { "retry-after": "1" } }] },
  { name: "429 long", script: [{ status: 429, body: "rate_limited", headers: { "retry-after": "900" } }] },
  { name: "404 no_service", script: [{ status: 404, body: "no_service" }] },
  { name: "503 forever", script: [], fallback: { status: 503, body: "down" } },
  { name: "hang", script: [], fallback: "hang" }
]

describe("the webhook URL stays secret", () => {
  it("an answer echoing the token or a team id cut short is scrubbed of the piece too", () => {
    const webhook = SlackWebhook.parseWebhook(Redacted.make(`https://hooks.slack.com${SECRET_PATH}`))
    assert.isTrue(Result.isSuccess(webhook))
    if (Result.isFailure(webhook)) return
    const said = SlackWebhook.scrub(webhook.success, "invalid_token XsEcReTwEbHoOk… for team T0TESTTE at hooks.slack.com")
    assert.strictEqual(said, "invalid_token [REDACTED]… for team [REDACTED] at hooks.slack.com")
  })

  it.effect("no error, log line, console line or span of any outcome contains the webhook's secret path", () => {
    const logs: Array<string> = []
    const spans: Array<Tracer.NativeSpan> = []
    const tracer = Tracer.make({
      span(options) {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    const capture = Logger.map(Logger.formatLogFmt, (line) => {
      logs.push(line)
    })
    return Effect.gen(function*() {
      const outputs: Array<string> = []
      let requestsToSecretPath = 0
      for (const scenario of scenarios) {
        const { notifier, settled, standIn } = yield* setup({
          requestTimeout: "5 seconds",
          deadline: "20 seconds",
          script: scenario.script,
          ...(scenario.fallback === undefined ? {} : { fallback: scenario.fallback })
        })
        for (let i = 0; i < 2; i++) {
          const { exit } = yield* drive(notifier.notify(message), settled, "250 millis")
          if (Exit.isFailure(exit)) outputs.push(...renderings(Cause.squash(exit.cause)), Cause.pretty(exit.cause))
        }
        requestsToSecretPath += standIn.received.filter((r) => r.path === SECRET_PATH).length
        yield* TestClock.adjust("1 hour")
      }

      const unreachable = yield* setup({ attempts: 2, webhookUrl: yield* closedWebhookUrl })
      const { exit } = yield* drive(unreachable.notifier.notify(message), unreachable.settled)
      outputs.push(...renderings(Cause.squash(Exit.isFailure(exit) ? exit.cause : Cause.empty)))

      for (const url of [`ftp://hooks.example${SECRET_PATH}`, `http://hooks.example${SECRET_PATH}`, `not a url ${SECRET_PATH}`]) {
        const parsed = SlackWebhook.parseWebhook(Redacted.make(url))
        assert.isTrue(Result.isFailure(parsed))
        if (Result.isFailure(parsed)) outputs.push(parsed.failure)
      }
      const badConfig = yield* Effect.exit(
        Effect.provide(
          Notifier.use((n) => n.notify(message)),
          NotifierConfig.layerConfigWith({ terminal: { isTTY: false } }).pipe(
            Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { SLACK_WEBHOOK_URL: `http://hooks.example${SECRET_PATH}` } })))
          )
        )
      )
      assert.isTrue(Exit.isFailure(badConfig))
      if (Exit.isFailure(badConfig)) outputs.push(...renderings(Cause.squash(badConfig.cause)))

      const standIn = yield* slackStandIn({ now: () => 0, fallback: { status: 500, body: `boom ${SECRET_PATH}` } })
      const viaConfig = yield* Effect.exit(
        Effect.provide(
          Notifier.use((n) => n.notify(message)),
          NotifierConfig.layerConfigWith({ terminal: { isTTY: false }, slack: { attempts: 1 } }).pipe(
            Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { SLACK_WEBHOOK_URL: Redacted.value(standIn.webhookUrl) } })))
          )
        )
      )
      assert.isTrue(Exit.isFailure(viaConfig))
      if (Exit.isFailure(viaConfig)) outputs.push(...renderings(Cause.squash(viaConfig.cause)))
      const consoleLines = (yield* TestConsole.errorLines).map(String)

      // The capture works: a traced request to the same URL records it, and the notifier's warnings were logged.
      const notifierSpans = spans.length
      const traced = yield* HttpClient.get(Redacted.value(standIn.webhookUrl)).pipe(Effect.provide(FetchHttpClient.layer))
      assert.strictEqual(traced.status, 500)
      const tracedAttributes = spans.slice(notifierSpans).flatMap((span) => [...span.attributes.values()].map(String))
      assert.isTrue(tracedAttributes.some((value) => value.includes(SECRET_PATH)))

      assert.isAtLeast(requestsToSecretPath, 10)
      assert.isAtLeast(outputs.length, 40)
      assert.isAtLeast(logs.length, 5)
      assert.isAtLeast(consoleLines.length, 1)
      const everything = [
        ...outputs,
        ...logs,
        ...consoleLines,
        ...spans.slice(0, notifierSpans).flatMap((span) => [span.name, ...[...span.attributes.values()].map(String)])
      ]
      for (const text of everything) {
        for (const part of SECRET_PARTS) assert.notInclude(text, part)
      }
      assert.isTrue(outputs.some((text) => text.includes("slack (127.0.0.1:")))
      assert.isTrue(outputs.some((text) => text.includes("host is hooks.example")))
    }).pipe(Effect.provide(Logger.layer([capture])), Effect.provideService(Tracer.Tracer, tracer))
  })
})
