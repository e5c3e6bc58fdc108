import { assert, describe, it } from "@effect/vitest"
import type { IncomingHttpHeaders } from "node:http"
import { testServer } from "./LocalServer.ts"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { toThirdParty } from "../src/ThirdPartyRequests.ts"

/**
 * Two servers on 127.0.0.1: `provider` answers a 307 to `elsewhere`, and each remembers the headers of every
 * request it received.
 */
const providerAndElsewhere = Effect.gen(function*() {
  const seen = { provider: [] as Array<IncomingHttpHeaders>, elsewhere: [] as Array<IncomingHttpHeaders> }
  const listen = (handle: (res: import("node:http").ServerResponse) => void, into: Array<IncomingHttpHeaders>) =>
    Effect.gen(function*() {
      const server = testServer((req, res) => {
        into.push(req.headers)
        handle(res)
      })
      yield* Effect.acquireRelease(
        Effect.callback<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
        () => Effect.sync(() => server.close(() => {}))
      )
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
  const elsewhere = yield* listen((res) => res.end("{}"), seen.elsewhere)
  const provider = yield* listen((res) => {
    res.writeHead(307, { location: `${elsewhere}/v1/chat` })
    res.end()
  }, seen.provider)
  return { provider, seen }
})

/** A request to the provider made inside a span, as every adapter's request is (a run's, a stage's, a PM's). */
const askInsideSpan = (url: string) =>
  HttpClient.post(`${url}/v1/chat`, { headers: { "x-api-key": "sk-test-third-party" } }).pipe(
    Effect.map((response) => response.status),
    Effect.withSpan("a PM's call")
  )

describe("toThirdParty", () => {
  it.effect("without it, a request inside a span tells the server our trace ids and a 307 takes the key elsewhere", () =>
    Effect.gen(function*() {
      const { provider, seen } = yield* providerAndElsewhere
      assert.strictEqual(yield* askInsideSpan(provider), 200)
      assert.match(String(seen.provider[0]?.["traceparent"]), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
      assert.isDefined(seen.provider[0]?.["b3"])
      assert.strictEqual(seen.elsewhere[0]?.["x-api-key"], "sk-test-third-party")
    }).pipe(Effect.provide(FetchHttpClient.layer), Effect.scoped))

  it.effect("with it, the server gets no trace context and the 307 is the adapter's answer: nothing reaches the other host", () =>
    Effect.gen(function*() {
      const { provider, seen } = yield* providerAndElsewhere
      assert.strictEqual(yield* toThirdParty(askInsideSpan(provider)), 307)
      assert.strictEqual(seen.provider.length, 1)
      assert.isUndefined(seen.provider[0]?.["traceparent"])
      assert.isUndefined(seen.provider[0]?.["b3"])
      assert.strictEqual(seen.provider[0]?.["x-api-key"], "sk-test-third-party")
      assert.deepStrictEqual(seen.elsewhere, [])
    }).pipe(Effect.provide(FetchHttpClient.layer), Effect.scoped))
})
