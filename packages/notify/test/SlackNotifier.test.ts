import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { AccountId } from "@council/domain"
import type { Notification } from "@council/notify"
import { floodServer } from "../../io/test/FloodServer.ts"
import { closedWebhookUrl, drive, failureOf, realPause, SECRET_PATH, setup } from "./slackServer.ts"

const warn: Notification = {
  level: "WARN",
  account: AccountId.make("CHATGPT"),
  subject: "Order rejected",
  body: "insufficient buying power\nqty 40 SPY <limit> & more"
}
const info = (subject: string): Notification => ({ level: "INFO", subject, body: "" })

/** Generous per-request timeout and deadline, for tests that measure other waits with the test clock. */
const patient = { requestTimeout: "1 minute", deadline: "10 minutes" } as const

describe("SlackNotifier", () => {
  it.effect("posts {text} as JSON in Slack mrkdwn and succeeds on 200 ok", () =>
    Effect.gen(function*() {
      const { notifier, standIn } = yield* setup()
      yield* notifier.notify(warn)
      assert.strictEqual(standIn.received.length, 1)
      const [request] = standIn.received
      assert.strictEqual(request!.path, SECRET_PATH)
      assert.strictEqual(request!.contentType, "application/json")
      assert.deepStrictEqual(JSON.parse(request!.body), {
        text: "*CHATGPT* · :warning: *WARN* · *Order rejected*\ninsufficient buying power\nqty 40 SPY &lt;limit&gt; &amp; more"
      })
    }))

  it.effect("invalid_payload (400) is Rejected at once, not retried; the next message still goes out", () =>
    Effect.gen(function*() {
      const { notifier, standIn } = yield* setup({ script: [{ status: 400, body: "invalid_payload" }] })
      const error = yield* Effect.flip(notifier.notify(warn))
      assert.strictEqual(error._tag, "NotifierError")
      assert.strictEqual(error.reason, "Rejected")
      assert.strictEqual(error.message, `slack (${new URL(standIn.origin).host}): HTTP 400 invalid_payload (not retried)`)
      assert.strictEqual(standIn.received.length, 1)
      yield* TestClock.adjust("1 second")
      yield* notifier.notify(info("next"))
      assert.strictEqual(standIn.received.length, 2)
    }))

  it.effect("no_text (400), a 200 whose body is not ok, and 403 are final: one request each", () =>
    Effect.gen(function*() {
      const { notifier, standIn } = yield* setup({
        script: [{ status: 400, body: "no_text" }, { status: 200, body: "maybe" }, { status: 403, body: "action_prohibited" }],
        minInterval: "0 millis"
      })
      const errors = [
        yield* Effect.flip(notifier.notify(info("a"))),
        yield* Effect.flip(notifier.notify(info("b"))),
        yield* Effect.flip(notifier.notify(info("c")))
      ]
      assert.deepStrictEqual(errors.map((e) => [e.reason, e.message.split(": ")[1]]), [
        ["Rejected", "HTTP 400 no_text (not retried)"],
        ["Rejected", "HTTP 200 maybe (not retried)"],
        ["Rejected", "HTTP 403 action_prohibited (not retried)"]
      ])
      assert.strictEqual(standIn.received.length, 3)
    }))

  it.effect("a revoked webhook (404 no_service) suspends Slack for good: later messages fail without a request", () =>
    Effect.gen(function*() {
      const { notifier, standIn } = yield* setup({ script: [{ status: 404, body: "no_service" }] })
      assert.strictEqual((yield* Effect.flip(notifier.notify(info("a")))).reason, "Rejected")
      yield* TestClock.adjust("1 day")
      const later = yield* Effect.flip(notifier.notify(info("b")))
      assert.strictEqual(later.reason, "Rejected")
      assert.include(later.message, "not sent, suspended after: HTTP 404 no_service")
      assert.strictEqual(standIn.received.length, 1)
    }))

  it.effect("429 with Retry-After: 1 waits exactly that long, then delivers", () =>
    Effect.gen(function*() {
      const { gaps, notifier, settled, standIn } = yield* setup({
        ...patient,
        minInterval: "0 millis",
        script: [{ status: 429, body: "rate_limited", headers: { "retry-after": "1" } }]
      })
      const { exit } = yield* drive(notifier.notify(info("hello")), settled, "50 millis")
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(standIn.received.length, 2)
      assert.isAtLeast(gaps()[0]!, 1000)
      assert.isBelow(gaps()[0]!, 1100)
    }))

  it.effect("429 with a Retry-After beyond the bound fails as RateLimited at once and suspends until it has passed", () =>
    Effect.gen(function*() {
      const { notifier, standIn } = yield* setup({
        script: [{ status: 429, body: "rate_limited", headers: { "retry-after": "600" } }],
        maxRetryAfter: "30 seconds",
        cooldown: "1 minute"
      })
      const error = yield* Effect.flip(notifier.notify(info("a")))
      assert.strictEqual(error.reason, "RateLimited")
      assert.include(error.message, "rate limited (HTTP 429), Retry-After 600 s is beyond the 30 s bound")
      yield* TestClock.adjust("599 seconds")
      assert.strictEqual((yield* Effect.flip(notifier.notify(info("b")))).reason, "RateLimited")
      assert.strictEqual(standIn.received.length, 1)
      yield* TestClock.adjust("1 second")
      yield* notifier.notify(info("c"))
      assert.strictEqual(standIn.received.length, 2)
    }))

  it.effect("a 500 then ok is retried after a jittered backoff, and delivered", () =>
    Effect.gen(function*() {
      const { gaps, notifier, settled, standIn } = yield* setup({
        ...patient,
        minInterval: "0 millis",
        retryBase: "1 second",
        script: [{ status: 500, body: "rollup_error" }]
      })
      const { exit } = yield* drive(notifier.notify(info("hello")), settled, "20 millis")
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(standIn.received.length, 2)
      assert.isAtLeast(gaps()[0]!, 800)
      assert.isAtMost(gaps()[0]!, 1220)
    }))

  it.effect("a kept-alive connection Slack dropped as the next message went out: the message is sent again, posted once", () =>
    Effect.gen(function*() {
      const { notifier, settled, standIn, proxy } = yield* setup({ ...patient, minInterval: "0 millis", proxied: true })
      yield* notifier.notify(info("first"))
      // a pause: the connection is back in the client's pool, idle
      yield* realPause(20)
      proxy!.closeNextReuse()
      const { exit } = yield* drive(notifier.notify(info("second")), settled, "20 millis")
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(proxy!.closed(), 1)
      assert.deepStrictEqual(standIn.received.map((r) => JSON.parse(r.body).text), ["first", "second"].map((s) => `:information_source: *INFO* · *${s}*`))
    }))

  it.effect("5xx every time: Unavailable after `attempts`, backoff doubling and capped, then a cooldown", () =>
    Effect.gen(function*() {
      const { gaps, notifier, settled, standIn } = yield* setup({
        ...patient,
        minInterval: "0 millis",
        retryBase: "1 second",
        retryCap: "1500 millis",
        attempts: 4,
        cooldown: "5 minutes",
        fallback: { status: 503, body: "service_unavailable" }
      })
      const { exit } = yield* drive(notifier.notify(info("hello")), settled, "20 millis")
      const error = failureOf(exit)
      assert.strictEqual(error.reason, "Unavailable")
      assert.strictEqual(error.message, `slack (${new URL(standIn.origin).host}): HTTP 503 service_unavailable (after 4 attempts)`)
      assert.strictEqual(standIn.received.length, 4)
      const [first, second, third] = gaps()
      assert.isAtLeast(first!, 800)
      assert.isAtMost(first!, 1220)
      assert.isAtLeast(second!, 1500)
      assert.isAtMost(second!, 1520)
      assert.isAtLeast(third!, 1500)
      assert.isAtMost(third!, 1520)

      const suspended = yield* Effect.flip(notifier.notify(info("during the cooldown")))
      assert.strictEqual(suspended.reason, "Unavailable")
      assert.strictEqual(standIn.received.length, 4)
      yield* TestClock.adjust("5 minutes")
      const afterwards = yield* drive(Effect.flip(notifier.notify(info("after"))), settled, "1 second")
      assert.isTrue(Exit.isSuccess(afterwards.exit))
      assert.isAbove(standIn.received.length, 4)
    }))

  it.effect("an HTML page from a proxy in front of Slack (502, 403) is said as its status and title: no markup, no webhook secret", () =>
    Effect.gen(function*() {
      const nginx = `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<!-- upstream: POST ${SECRET_PATH} -->\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
      const forbidden = `<!DOCTYPE html><html><head><title>Access denied to ${SECRET_PATH}</title></head><body><h1>403</h1><p>Cloudflare</p></body></html>`
      const { notifier, settled, standIn } = yield* setup({
        ...patient,
        minInterval: "0 millis",
        retryBase: "1 second",
        retryCap: "1 second",
        attempts: 2,
        cooldown: "0 millis",
        script: [{ status: 502, body: nginx }, { status: 502, body: nginx }, { status: 403, body: forbidden }]
      })
      const host = new URL(standIn.origin).host
      const gateway = failureOf((yield* drive(notifier.notify(info("a")), settled, "20 millis")).exit)
      assert.strictEqual(gateway.reason, "Unavailable")
      assert.strictEqual(gateway.message, `slack (${host}): HTTP 502 Bad Gateway (an HTML page, not Slack's answer) (after 2 attempts)`)
      const denied = yield* Effect.flip(notifier.notify(info("b")))
      assert.strictEqual(denied.reason, "Rejected")
      assert.match(denied.message, new RegExp(`^slack \\(${host}\\): HTTP 403 Access denied to \\S+ \\(an HTML page, not Slack's answer\\) \\(not retried\\)$`))
      for (const said of [gateway.message, denied.message]) {
        assert.notMatch(said, /[<>]|nginx|center|Cloudflare/)
        assert.notInclude(said, "XsEcReTwEbHoOkToKeN42")
        assert.notInclude(said, "B0TESTHOOK")
      }
    }))

  it.effect("a hanging connection times out per request; the call fails within its bound and the run moves on", () =>
    Effect.gen(function*() {
      const { notifier, settled, standIn } = yield* setup({
        requestTimeout: "5 seconds",
        attempts: 3,
        deadline: "20 seconds",
        fallback: "hang"
      })
      const { elapsed, exit } = yield* drive(notifier.notify(info("hello")), settled, "250 millis")
      const error = failureOf(exit)
      assert.strictEqual(error.reason, "Unavailable")
      assert.strictEqual(error.message, `slack (${new URL(standIn.origin).host}): no answer within 5 s (after 3 attempts)`)
      assert.strictEqual(standIn.received.length, 3)
      assert.isAtLeast(elapsed, 15_000)
      assert.isAtMost(elapsed, 20_000)
      const next = yield* Effect.flip(notifier.notify(info("next")))
      assert.strictEqual(next.reason, "Unavailable")
      assert.strictEqual(standIn.received.length, 3)
    }))

  it.effect("the deadline caps a delivery whose request timeout is longer", () =>
    Effect.gen(function*() {
      const { notifier, settled, standIn } = yield* setup({ requestTimeout: "1 minute", deadline: "20 seconds", fallback: "hang" })
      const { elapsed, exit } = yield* drive(notifier.notify(info("hello")), settled, "250 millis")
      assert.strictEqual(failureOf(exit).message, `slack (${new URL(standIn.origin).host}): not delivered within 20 s of the call`)
      assert.isAtLeast(elapsed, 20_000)
      assert.isAtMost(elapsed, 20_250)
      assert.strictEqual(standIn.received.length, 1)
    }))

  it.effect("paces messages at least one second apart, in the order notify was called", () =>
    Effect.gen(function*() {
      const { gaps, notifier, settled, standIn } = yield* setup(patient)
      const subjects = ["one", "two", "three", "four"]
      const fibers = []
      for (const subject of subjects) {
        fibers.push(yield* notifier.notify(info(subject)).pipe(Effect.forkChild({ startImmediately: true })))
      }
      const { elapsed, exit } = yield* drive(Fiber.joinAll(fibers), settled, "50 millis")
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(
        standIn.received.map((r) => JSON.parse(r.body).text),
        subjects.map((s) => `:information_source: *INFO* · *${s}*`)
      )
      assert.strictEqual(gaps().length, 3)
      for (const gap of gaps()) {
        assert.isAtLeast(gap, 1000)
        assert.isBelow(gap, 1100)
      }
      assert.isAtLeast(elapsed, 3000)
    }))

  it.effect("an answer that never ends is cut after 1 MB and the delivery fails as Unavailable, not read whole", () =>
    Effect.gen(function*() {
      const flood = yield* floodServer
      const webhookUrl = Redacted.make(`${flood.url}${SECRET_PATH}`)
      const { notifier, settled } = yield* setup({ ...patient, attempts: 2, minInterval: "0 millis", webhookUrl })
      const { exit } = yield* drive(notifier.notify(info("hello")), settled)
      const error = failureOf(exit)
      assert.strictEqual(error.reason, "Unavailable")
      assert.match(error.message, /^slack \(127\.0\.0\.1:\d+\): DecodeError: answer larger than 1 MB \(after 2 attempts\)$/)
      assert.strictEqual(flood.sent.length, 2)
      // each request stopped near the cap, far from the 256 MB the server would send
      for (const bytes of flood.sent) assert.isBelow(bytes, 16 << 20)
    }))

  it.effect("an unreachable webhook is Unavailable after its attempts", () =>
    Effect.gen(function*() {
      const webhookUrl = yield* closedWebhookUrl
      const { notifier, settled } = yield* setup({ ...patient, attempts: 2, minInterval: "0 millis", webhookUrl })
      const { exit } = yield* drive(notifier.notify(info("hello")), settled)
      const error = failureOf(exit)
      assert.strictEqual(error.reason, "Unavailable")
      assert.match(error.message, /^slack \(127\.0\.0\.1:\d+\): TransportError: .+ \(after 2 attempts\)$/)
    }))
})
