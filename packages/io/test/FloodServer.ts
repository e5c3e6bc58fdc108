/**
 * A hostile server on 127.0.0.1 for tests: it answers every request 200 (or `status`) with `head` and then `unit` over and over
 * (by default, spaces) until 256 MB or until the client hangs up, and counts what it wrote per request (`sent`), so
 * a test can tell a client that stopped reading from one that read everything. With a provider's JSON opening as
 * `head` and one record as `unit`, it is that provider's answer that never ends.
 */
import { testServer } from "./LocalServer.ts"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"

const LIMIT = 256 << 20

/** The server for the test's scope: its base URL, and the bytes written to each request so far. */
export const floodServerOf = (options: { readonly head: string; readonly unit: string; readonly status?: number }) =>
  Effect.gen(function*() {
    const sent: Array<number> = []
    const head = Buffer.from(options.head)
    const unit = Buffer.from(options.unit)
    const chunk = Buffer.concat(Array.from({ length: Math.ceil((1 << 20) / unit.length) }, () => unit))
    const server = testServer((_, res) => {
      const at = sent.push(head.length) - 1
      res.writeHead(options.status ?? 200, { "content-type": "application/json" })
      res.on("error", () => {})
      res.write(head)
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

/** `floodServerOf` sending spaces. */
export const floodServer = floodServerOf({ head: "", unit: " " })
