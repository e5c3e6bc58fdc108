import { assert, describe, it } from "@effect/vitest"
import { stat } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { testServer } from "./LocalServer.ts"

const listen = async (server: Server) => {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

const answer = (_: unknown, res: import("node:http").ServerResponse) => res.writeHead(200).end("ok")

/** What a request answered, or how it failed. */
const outcome = (request: Promise<Response>) => request.then((res) => res.text(), (error: Error) => `failed: ${String(error.cause ?? error.message)}`)

describe("testServer", () => {
  // The race a loaded machine meets: a request, the loop busy > 5 s in one I/O callback, then the next request on the
  // connection the first one left idle. Node's server has closed it as the request went out; a test server has not.
  // Node's default server is the control: without it, a test server passing would prove nothing.
  it("answers a request on a connection reused after the loop was busy 6.5 s", async () => {
    const servers = [createServer(answer), testServer(answer)]
    try {
      const [plain, kept] = await Promise.all(servers.map(listen))
      assert.deepStrictEqual(await Promise.all([plain!, kept!].map((url) => outcome(fetch(url)))), ["ok", "ok"])
      const second = await new Promise<{ readonly requests: ReadonlyArray<Promise<string>> }>((resolve) =>
        stat(".", () => {
          const until = Date.now() + 6_500
          while (Date.now() < until) {
            // the loop held busy in an I/O callback, as a worker's CPU-bound stage holds it on a loaded machine
          }
          resolve({ requests: [plain!, kept!].map((url) => outcome(fetch(url))) })
        })
      )
      const [onPlain, onKept] = await Promise.all(second.requests)
      assert.match(onPlain!, /^failed: .*(ECONNRESET|other side closed)/)
      assert.strictEqual(onKept, "ok")
    } finally {
      await Promise.all(servers.map((server) => new Promise((done) => server.close(done))))
    }
  }, 30_000)
})
