import { assert, describe, it } from "@effect/vitest"
import { testServer } from "../../../io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { Cause, Effect, Exit, Redacted } from "effect"
import { AccountId, defaultAccountSettings } from "@council/domain"
import type { BrokerError, BrokerErrorReason } from "../../src/Broker.ts"
import * as AlpacaClient from "../../src/alpaca/AlpacaClient.ts"
import { toWireOrderRequest } from "../../src/alpaca/AlpacaWire.ts"
import { floodServer } from "../../../io/test/FloodServer.ts"
import { type FaultKind, startFakeAlpaca } from "./FakeAlpaca.ts"
import { captureLogs, clientFor, intent } from "./fixtures.ts"

const noRetry = { retry: { times: 0 } }

describe("AlpacaClient", () => {
  it("uses Alpaca's paper or live host by mode unless the account overrides it", () => {
    const base = { id: AccountId.make("GROQ"), settings: defaultAccountSettings }
    assert.strictEqual(AlpacaClient.baseUrlFor({ ...base, mode: "PAPER" }), "https://paper-api.alpaca.markets")
    assert.strictEqual(AlpacaClient.baseUrlFor({ ...base, mode: "LIVE" }), "https://api.alpaca.markets")
    assert.strictEqual(AlpacaClient.baseUrlFor({ ...base, mode: "LIVE", baseUrl: "http://127.0.0.1:9/" }), "http://127.0.0.1:9")
  })

  it.live("sends the key headers and a JSON body", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const client = yield* clientFor(fake)
      const order = yield* client.submitOrder(toWireOrderRequest(intent(1)))
      assert.strictEqual(order.client_order_id, intent(1).clientOrderId)
      const post = fake.requests.find((r) => r.method === "POST")!
      assert.strictEqual(post.headers["apca-api-key-id"], fake.keyId)
      assert.strictEqual(post.headers["apca-api-secret-key"], fake.secretKey)
      assert.include(post.headers["content-type"] ?? "", "application/json")
      assert.strictEqual(post.headers["accept"], "application/json")
    }))

  it.live("maps each Alpaca error to its BrokerError reason", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const client = yield* clientFor(fake, { ...noRetry, timeout: "300 millis" })
      const json = (code: number, message: string) => JSON.stringify({ code, message })
      const cases: ReadonlyArray<readonly [FaultKind, BrokerErrorReason, boolean]> = [
        [{ _tag: "Status", status: 403, body: json(40310000, "insufficient buying power") }, "InsufficientBuyingPower", false],
        [{ _tag: "Status", status: 403, body: json(40310000, "insufficient qty available for order (requested: 5, available: 0)") }, "InsufficientQty", false],
        [{ _tag: "Status", status: 403, body: json(40310000, "account is not allowed to short") }, "ShortingNotAllowed", false],
        [{ _tag: "Status", status: 422, body: json(40010001, "qty is required") }, "InvalidRequest", false],
        [{ _tag: "Status", status: 400, body: json(40010000, "request body format is invalid") }, "InvalidRequest", false],
        [{ _tag: "Status", status: 422, body: json(40010001, "client_order_id must be unique") }, "DuplicateClientOrderId", false],
        [{ _tag: "Status", status: 404, body: json(40410000, "order not found") }, "NotFound", false],
        [{ _tag: "Status", status: 401, body: json(40110000, "request is not authorized") }, "Unauthorized", false],
        [{ _tag: "Status", status: 403, body: `{"message":"forbidden."}` }, "Unauthorized", false],
        [{ _tag: "Status", status: 429, body: "rate limit exceeded", headers: { "X-Ratelimit-Reset": "1" } }, "RateLimited", true],
        [{ _tag: "Status", status: 500, body: json(50010000, "internal server error") }, "ServerError", true],
        [{ _tag: "Status", status: 502, body: "<html><body>Bad Gateway</body></html>" }, "ServerError", true],
        [{ _tag: "Status", status: 503, body: "" }, "ServerError", true],
        [{ _tag: "Drop", afterAccept: false }, "Unavailable", true],
        [{ _tag: "Delay", ms: 1000 }, "Unavailable", true]
      ]
      for (const [fault, reason, retryable] of cases) {
        fake.inject("GET", "/v2/clock", fault)
        const error = yield* Effect.flip(client.getClock)
        assert.strictEqual(error.reason, reason, `${JSON.stringify(fault)} → ${error.message}`)
        assert.strictEqual(error.retryable, retryable, reason)
        assert.strictEqual(error.account, "CLAUDE")
      }
      fake.inject("GET", "/v2/clock", { _tag: "Status", status: 502, body: "<html><body>Bad Gateway</body></html>" })
      assert.strictEqual((yield* Effect.flip(client.getClock)).message, "GET /v2/clock: 502 Bad Gateway (an HTML page, not Alpaca's JSON)")
      fake.inject("GET", "/v2/clock", { _tag: "Status", status: 429, body: "{}", headers: { "X-Ratelimit-Reset": "1700000000" } })
      assert.strictEqual((yield* Effect.flip(client.getClock)).resetAt, 1_700_000_000)
      fake.inject("GET", "/v2/clock", { _tag: "Status", status: 200, body: "{\"is_open\":" })
      const garbled = yield* Effect.flip(client.getClock)
      assert.deepStrictEqual([garbled.reason, garbled.retryable], ["ServerError", false])
    }))

  it.live("never follows a redirect: a 127.0.0.1 server's 307 to another host reaches nobody, keys included", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const elsewhere = testServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end("{}"))
      const connections: Array<string> = []
      elsewhere.on("connection", (socket) => connections.push(String(socket.remotePort)))
      yield* Effect.acquireRelease(
        Effect.callback<void>((resume) => void elsewhere.listen(0, "127.0.0.1", () => resume(Effect.void))),
        () => Effect.sync(() => elsewhere.close())
      )
      const target = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`
      const client = yield* clientFor(fake)
      for (const status of [301, 302, 307, 308]) {
        fake.inject("GET", "/v2/account", { _tag: "Status", status, headers: { Location: `${target}/v2/account` } })
        const error = yield* Effect.flip(client.getAccount)
        assert.deepStrictEqual([error.reason, error.retryable], ["InvalidRequest", false], error.message)
        assert.include(error.message, `GET /v2/account: ${status} a redirect, not followed`)
      }
      fake.inject("POST", "/v2/orders", { _tag: "Status", status: 307, headers: { Location: `${target}/v2/orders` } })
      assert.strictEqual((yield* Effect.flip(client.submitOrder(toWireOrderRequest(intent(1))))).reason, "InvalidRequest")
      assert.deepStrictEqual(connections, [])
    }).pipe(Effect.scoped))

  it.live("scrubs the key id and secret an answer echoes cut short, not only whole", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const client = yield* clientFor(fake, noRetry)
      const echo = `denied: key ${fake.keyId.slice(0, Math.ceil(fake.keyId.length / 2))}…, secret starts ${fake.secretKey.slice(0, 12)} ends ${fake.secretKey.slice(-12)}`
      fake.inject("GET", "/v2/account", { _tag: "Status", status: 403, body: JSON.stringify({ code: 40310000, message: echo }) })
      const error = yield* Effect.flip(client.getAccount)
      assert.strictEqual(error.message, "GET /v2/account: 403 denied: key [REDACTED]…, secret starts [REDACTED] ends [REDACTED]")
    }))

  it.live("keeps secrets out of logs, error messages and serialised errors", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const good = yield* clientFor(fake, { timeout: "200 millis" })
      const wrongSecret = "wrong-secret-value-also-secret"
      const bad = yield* clientFor(fake, noRetry, wrongSecret)
      fake.inject("GET", "/v2/account", { _tag: "Status", status: 503, body: "busy" }, 2)
      fake.inject("GET", "/v2/positions", { _tag: "Delay", ms: 1000 }, 10)
      fake.inject("GET", "/v2/clock", { _tag: "Drop", afterAccept: false }, 10)
      const { lines, value: errors } = yield* captureLogs(Effect.gen(function*() {
        yield* good.getAccount
        const exits: ReadonlyArray<Exit.Exit<unknown, BrokerError>> = [
          yield* Effect.exit(good.getPositions),
          yield* Effect.exit(good.getClock),
          yield* Effect.exit(bad.getAccount)
        ]
        for (const exit of exits) if (Exit.isFailure(exit)) yield* Effect.logError("request failed", exit.cause)
        return exits
      }))
      assert.isAbove(lines.length, 3)
      const unauthorized = errors[2]!
      assert.isTrue(Exit.isFailure(unauthorized))
      const texts = [
        ...lines,
        ...errors.flatMap((exit) =>
          Exit.isFailure(exit) ? [Cause.pretty(exit.cause), JSON.stringify(Cause.squash(exit.cause))] : []
        ),
        String(Redacted.make(fake.secretKey))
      ]
      for (const text of texts) {
        assert.notInclude(text, fake.secretKey)
        assert.notInclude(text, wrongSecret)
        assert.notInclude(text, fake.keyId)
      }
      assert.isTrue(lines.some((line) => line.includes("503")))
    }))

  it.live("scrubs the key id and secret from an error body that echoes them (a proxy, a gateway, an error page)", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const client = yield* clientFor(fake, noRetry)
      const echoed = `key ${fake.keyId} with secret ${fake.secretKey} is not allowed`
      fake.inject("GET", "/v2/account", { _tag: "Status", status: 403, body: JSON.stringify({ code: 40310000, message: echoed }) })
      fake.inject("GET", "/v2/clock", { _tag: "Status", status: 502, body: `<html>upstream refused APCA-API-SECRET-KEY: ${fake.secretKey}</html>` })
      const { lines, value: errors } = yield* captureLogs(Effect.all([Effect.flip(client.getAccount), Effect.flip(client.getClock)]))
      const [forbidden, gateway] = errors
      assert.include(forbidden.message, "GET /v2/account: 403 key [REDACTED] with secret [REDACTED] is not allowed")
      assert.strictEqual(gateway.message, "GET /v2/clock: 502 Bad Gateway (an HTML page, not Alpaca's JSON)")
      for (const text of [...lines, ...errors.map((e) => `${e.message} ${JSON.stringify(e)}`)]) {
        assert.notInclude(text, fake.secretKey)
        assert.notInclude(text, fake.keyId)
      }
    }))

  it.live("an HTML error page (a load balancer's, Cloudflare's) is said as its status and title, never as markup", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const client = yield* clientFor(fake, noRetry)
      const html = { "content-type": "text/html" }
      const nginx = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
      const cloudflare = `<!DOCTYPE html>\n<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->\n<html lang="en-US">\n<head>\n<title>paper-api.alpaca.markets | 522: Connection timed out</title>\n<meta charset="UTF-8" />\n<style>body{margin:0}</style></head><body><div id="cf-error-details"><h1>Connection timed out</h1><span>Error code 522</span></div></body></html>`
      const headingOnly = "<!doctype html><html><body><h2 class=\"x\">Service   Temporarily\n Unavailable &amp; under <em>maintenance</em></h2><p>try later</p></body></html>"
      const echoing = `<html><head><title>Denied for ${fake.keyId}</title></head><body>secret ${fake.secretKey}</body></html>`
      const cases: ReadonlyArray<readonly [string, number, string, string]> = [
        ["/v2/account", 502, nginx, "GET /v2/account: 502 Bad Gateway (an HTML page, not Alpaca's JSON)"],
        ["/v2/clock", 522, cloudflare, "GET /v2/clock: 522 paper-api.alpaca.markets | 522: Connection timed out (an HTML page, not Alpaca's JSON)"],
        ["/v2/positions", 503, headingOnly, "GET /v2/positions: 503 Service Temporarily Unavailable & under maintenance (an HTML page, not Alpaca's JSON)"],
        ["/v2/orders", 504, "<html><body><p>upstream</p></body></html>", "GET /v2/orders: 504 Gateway Timeout (an HTML page, not Alpaca's JSON)"],
        ["/v2/account", 403, echoing, "GET /v2/account: 403 Denied for [REDACTED] (an HTML page, not Alpaca's JSON)"]
      ]
      for (const [path, status, body, message] of cases) {
        fake.inject("GET", path, { _tag: "Status", status, body, headers: html })
        const call: Effect.Effect<unknown, BrokerError> = path === "/v2/account"
          ? client.getAccount
          : path === "/v2/clock"
          ? client.getClock
          : path === "/v2/positions"
          ? client.getPositions
          : client.listOrders({ status: "open" })
        const error = yield* Effect.flip(call)
        assert.strictEqual(error.message, message)
        assert.notMatch(error.message, /[<>]/)
        assert.notInclude(error.message, fake.keyId)
        assert.notInclude(error.message, fake.secretKey)
      }
      // a page answered 403 is the edge refusing the keys, as before: Unauthorized
      fake.inject("GET", "/v2/clock", { _tag: "Status", status: 403, body: "<html><head><title>403 Forbidden</title></head></html>" })
      const forbidden = yield* Effect.flip(client.getClock)
      assert.deepStrictEqual([forbidden.reason, forbidden.message], ["Unauthorized", "GET /v2/clock: 403 Forbidden (an HTML page, not Alpaca's JSON)"])
      // a captive portal's or proxy's page answered 200 where JSON was due: said the same way, not a JSON parser's quote
      fake.inject("GET", "/v2/clock", { _tag: "Status", status: 200, body: "<html><head><title>Sign in to the network</title></head><body><form></form></body></html>" })
      const portal = yield* Effect.flip(client.getClock)
      assert.deepStrictEqual([portal.reason, portal.message], ["ServerError", "GET /v2/clock: unexpected response: 200 Sign in to the network (an HTML page, not Alpaca's JSON)"])
      // Alpaca's JSON and plain words are quoted as they are
      fake.inject("GET", "/v2/clock", { _tag: "Status", status: 500, body: "upstream <b>busy</b>" })
      assert.strictEqual((yield* Effect.flip(client.getClock)).message, "GET /v2/clock: 500 upstream <b>busy</b>")
    }))

  it.live("an error answer's message is one line of at most 200 characters, and no secret is cut in two by it", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const client = yield* clientFor(fake, noRetry)
      fake.inject("GET", "/v2/account", { _tag: "Status", status: 502, body: `${"x".repeat(190)} ${fake.secretKey} rest` })
      fake.inject("GET", "/v2/clock", { _tag: "Status", status: 403, body: JSON.stringify({ code: 40310000, message: `refused\n${"y".repeat(1 << 20)}` }) })
      const [cut, long] = yield* Effect.all([Effect.flip(client.getAccount), Effect.flip(client.getClock)])
      assert.strictEqual(cut.message, `GET /v2/account: 502 ${"x".repeat(190)} [REDACTED…`)
      assert.notInclude(cut.message, fake.secretKey.slice(0, 4))
      assert.strictEqual(long.message, `GET /v2/clock: 403 refused ${"y".repeat(192)}…`)
    }))

  it.live("reads an answer's text as fetch does: a leading byte order mark is not part of the JSON", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const client = yield* clientFor(fake, noRetry)
      const clock = { timestamp: "2026-08-03T10:00:00-04:00", is_open: false, next_open: "2026-08-04T09:30:00-04:00", next_close: "2026-08-04T16:00:00-04:00" }
      fake.inject("GET", "/v2/clock", { _tag: "Status", status: 200, body: `\uFEFF${JSON.stringify(clock)}` })
      const read = yield* client.getClock
      assert.strictEqual(read.is_open, false)
    }))

  it.live("stops reading an answer past 16 MB: the request fails naming the size, the server's stream is cut off", () =>
    Effect.gen(function*() {
      const { sent, url } = yield* floodServer
      const client = yield* clientFor({ url, keyId: "PKHUGEANSWER00000000", secretKey: "huge-answer-secret-0000000000000000000000" }, {
        ...noRetry,
        timeout: "20 seconds"
      })
      const error = yield* Effect.flip(client.getAccount)
      assert.include(error.message, "GET /v2/account: DecodeError (answer larger than 16 MB)")
      assert.strictEqual(sent.length, 1)
      assert.isBelow(sent[0]!, 64 << 20, "the server was cut off long before its 256 MB")
    }).pipe(Effect.scoped))

  it.live("waits until X-Ratelimit-Reset after a 429, then succeeds", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const client = yield* clientFor(fake)
      const reset = Math.ceil(Date.now() / 1000) + 1
      fake.inject("GET", "/v2/account", {
        _tag: "Status",
        status: 429,
        body: JSON.stringify({ code: 42910000, message: "rate limit exceeded" }),
        headers: { "X-Ratelimit-Limit": "200", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": String(reset) }
      })
      const account = yield* client.getAccount
      assert.strictEqual(account.status, "ACTIVE")
      const calls = fake.requests.filter((r) => r.path === "/v2/account")
      assert.strictEqual(calls.length, 2)
      assert.isAtLeast(calls[1]!.at, reset * 1000 - 5)
    }))

  it.live("a 429 with Retry-After but no X-Ratelimit-Reset (a proxy, a gateway) waits that long before the retry", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const client = yield* clientFor(fake)
      fake.inject("GET", "/v2/account", { _tag: "Status", status: 429, body: "Too Many Requests", headers: { "Retry-After": "1" } })
      const account = yield* client.getAccount
      assert.strictEqual(account.status, "ACTIVE")
      const calls = fake.requests.filter((r) => r.path === "/v2/account")
      assert.strictEqual(calls.length, 2)
      assert.isAtLeast(calls[1]!.at - calls[0]!.at, 950)
    }))

  it.live("asked for twice the server's rate, spaces the requests and gets no 429", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ rateLimit: { limit: 5, windowMs: 500, headers: false } })
      const client = yield* clientFor(fake, { ...noRetry, rateLimit: { limit: 5, window: "500 millis" } })
      const started = Date.now()
      yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => i), () => client.getClock, { concurrency: "unbounded" })
      assert.strictEqual(fake.rateLimited(), 0)
      assert.isAtLeast(Date.now() - started, 500)
      const unlimited = yield* clientFor(fake, { ...noRetry, rateLimit: { limit: 1000, window: "500 millis" } })
      const exits = yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => i), () => Effect.exit(unlimited.getClock), {
        concurrency: "unbounded"
      })
      assert.isAbove(fake.rateLimited(), 0)
      assert.isTrue(exits.some(Exit.isFailure))
    }))

  it.live("pauses when X-Ratelimit-Remaining reaches 0 instead of running into 429s", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ rateLimit: { limit: 3, windowMs: 1000 } })
      const client = yield* clientFor(fake, noRetry)
      for (let i = 0; i < 5; i++) yield* client.getClock
      assert.strictEqual(fake.rateLimited(), 0)
    }))

  it.live("sends a position close once, whatever fails (the broker's Liquidation decides what to resend)", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      fake.positions.set("AAPL", { symbol: "AAPL" as never, qty: 10, side: "long", avgEntryPrice: 100, marketValue: 1000, currentPrice: 100, unrealizedPl: 0 })
      const client = yield* clientFor(fake)
      fake.inject("DELETE", "/v2/positions/AAPL", { _tag: "Drop", afterAccept: true })
      const error = yield* Effect.flip(client.closePosition("AAPL", { qty: 4 }))
      assert.strictEqual(error.reason, "Unavailable")
      assert.strictEqual(fake.requests.filter((r) => r.method === "DELETE").length, 1)
      fake.inject("DELETE", "/v2/positions/AAPL", { _tag: "Status", status: 429, body: "{}" })
      const limited = yield* Effect.flip(client.closePosition("AAPL", { qty: 4 }))
      assert.strictEqual(limited.reason, "RateLimited")
      assert.strictEqual(fake.requests.filter((r) => r.method === "DELETE").length, 2)
    }))
})
