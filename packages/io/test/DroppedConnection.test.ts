import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import type { AddressInfo } from "node:net"
import { isDroppedConnection, retryDropped } from "@council/io/DroppedConnection"
import { earlyClosing, testServer } from "./LocalServer.ts"

const realPause = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** A test server answering 200 `ok`, and how many requests it answered. */
const okServer = Effect.acquireRelease(
  Effect.callback<{ readonly url: string; readonly answered: () => number; readonly close: () => void }>((resume) => {
    let answered = 0
    const server = testServer((_, res) => {
      answered += 1
      res.writeHead(200).end("ok")
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        answered: () => answered,
        close: () => server.close()
      })))
  }),
  (server) => Effect.sync(server.close)
)

describe("DroppedConnection", () => {
  it.live("a request on a connection the server dropped is sent again on a new one; a refused connection is not", () =>
    Effect.gen(function*() {
      const server = yield* okServer
      const proxy = yield* Effect.acquireRelease(Effect.promise(() => earlyClosing(server.url)), (p) => Effect.promise(p.close))
      const http = yield* HttpClient.HttpClient
      yield* http.get(`${proxy.url}/a`)
      yield* realPause(20)
      proxy.closeNextReuse()
      const dropped = yield* Effect.flip(http.get(`${proxy.url}/b`))
      assert.isTrue(isDroppedConnection(dropped))
      yield* http.get(`${proxy.url}/c`)
      yield* realPause(20)
      proxy.closeNextReuse()
      const resent = yield* http.get(`${proxy.url}/d`).pipe(retryDropped())
      assert.strictEqual(resent.status, 200)
      // a, c and d answered; b and d's first request dropped unread
      assert.deepStrictEqual([proxy.closed(), server.answered()], [2, 3])

      const closed = yield* Effect.promise(() => new Promise<string>((resolve) => {
        const probe = testServer()
        probe.listen(0, "127.0.0.1", () => {
          const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`
          probe.close(() => resolve(url))
        })
      }))
      const refused = yield* Effect.flip(http.get(closed).pipe(retryDropped()))
      assert.isFalse(isDroppedConnection(refused))
      assert.isFalse(isDroppedConnection(new Error("ECONNRESET")))
    }).pipe(Effect.provide(FetchHttpClient.layer)))
})
