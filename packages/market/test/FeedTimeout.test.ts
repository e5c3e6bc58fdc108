import type { IncomingMessage, ServerResponse } from "node:http"
import { testServer } from "../../io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import * as AlpacaBars from "@council/market/AlpacaBars"
import * as PolygonBars from "@council/market/PolygonBars"
import { Ticker } from "@council/domain"
import { FetchHttpClient } from "effect/http"

/**
 * A feed's server that accepts every request and never finishes answering: `silent` sends nothing, `stalled` sends
 * the status and the start of a JSON body. Counts the requests and the connections that were closed by the client.
 */
const hangingServer = (mode: "silent" | "stalled") =>
  Effect.acquireRelease(
    Effect.callback<{ readonly url: string; readonly requests: Array<string>; readonly closed: Array<string>; readonly close: () => void }>((resume) => {
      const requests: Array<string> = []
      const closed: Array<string> = []
      const server = testServer((req: IncomingMessage, res: ServerResponse) => {
        requests.push(req.url ?? "")
        req.socket.on("close", () => closed.push(req.url ?? ""))
        if (mode === "stalled") {
          res.writeHead(200, { "content-type": "application/json" })
          res.write("{\"bars\":{\"SPY\":[")
        }
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          requests,
          closed,
          close: () => {
            server.closeAllConnections()
            server.close()
          }
        })))
    }),
    (server) => Effect.sync(server.close)
  )

const untilClosed = (closed: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    for (let i = 0; i < 200 && closed.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  })

/** The two remote feeds, each asked with a 300 ms request timeout, and what its failure must say. */
const feeds = [
  {
    name: "alpaca",
    make: (baseUrl: string) =>
      AlpacaBars.make({
        keyId: Redacted.make("PKTESTKEYID123"),
        secretKey: Redacted.make("sEcReT-0123456789"),
        baseUrl,
        symbols: [Ticker.make("SPY")],
        requestTimeout: "300 millis"
      }),
    message: /^alpaca: no answer within 300ms for GET \/v2\/stocks\/bars \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d$/,
    secret: "sEcReT-0123456789"
  },
  {
    name: "polygon",
    make: (baseUrl: string) =>
      PolygonBars.make({
        apiKey: Redacted.make("polygon-test-key-0001"),
        baseUrl,
        symbols: [Ticker.make("SPY")],
        requestTimeout: "300 millis"
      }),
    message: /^polygon: no answer within 300ms for GET .*SPY/,
    secret: "polygon-test-key-0001"
  }
] as const

describe("a feed that accepts the connection and never answers", () => {
  for (const mode of ["silent", "stalled"] as const) {
    for (const feed of feeds) {
      it.effect(`${feed.name} (${mode}): the query fails Unavailable within the request timeout, naming the request; the request is aborted`, () =>
        Effect.gen(function*() {
          const server = yield* hangingServer(mode)
          const md = yield* feed.make(server.url).pipe(Effect.provide(FetchHttpClient.layer))
          const error = yield* Effect.flip(md.latestTradingDay)
          assert.strictEqual(error.reason, "Unavailable")
          assert.match(error.message, feed.message)
          assert.notInclude(error.message, feed.secret)
          assert.strictEqual(server.requests.length, 1, "a timeout is not retried as a rate limit is")
          yield* untilClosed(server.closed)
          assert.strictEqual(server.closed.length, 1, "the request was aborted, not left open")
        }).pipe(Effect.scoped), { timeout: 10_000 })
    }
  }
})
