/**
 * A hostile server on 127.0.0.1 for tests: it answers every request 200 with a body of spaces that goes on until
 * 256 MB or until the client hangs up, and counts what it wrote per request (`sent`), so a test can tell a client
 * that stopped reading from one that read everything.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"

const LIMIT = 256 << 20

/** The server for the test's scope: its base URL, and the bytes written to each request so far. */
export const floodServer = Effect.gen(function*() {
  const sent: Array<number> = []
  const server = createServer((_, res) => {
    const chunk = Buffer.alloc(1 << 20, 0x20)
    const at = sent.push(0) - 1
    res.writeHead(200, { "content-type": "application/json" })
    res.on("error", () => {})
    const pump = () => {
      while (sent[at]! < LIMIT && !res.destroyed) {
        sent[at]! += chunk.length
        if (!res.write(chunk)) return void res.once("drain", pump)
      }
      res.end()
    }
    pump()
  })
  yield* Effect.acquireRelease(
    Effect.callback<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
    () => Effect.sync(() => server.close(() => {}))
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent }
})
