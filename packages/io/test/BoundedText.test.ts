import { assert, describe, it } from "@effect/vitest"
import { testServer } from "./LocalServer.ts"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { boundedText } from "../src/BoundedText.ts"
import { floodServer } from "./FloodServer.ts"

/** A server on 127.0.0.1 answering every request with `status` and `body`. */
const answering = (status: number, body: Uint8Array) =>
  Effect.gen(function*() {
    const server = testServer((_, res) => {
      res.writeHead(status)
      res.end(body)
    })
    yield* Effect.acquireRelease(
      Effect.callback<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
      () => Effect.sync(() => server.close(() => {}))
    )
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

const read = (url: string, maxBytes: number) =>
  HttpClient.get(url).pipe(Effect.flatMap((response) => boundedText(response, maxBytes)))

describe("boundedText", () => {
  it.effect("reads an answer as fetch's text() does: UTF-8, its leading byte order mark dropped", () =>
    Effect.gen(function*() {
      const url = yield* answering(200, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("{\"price\":\"344.91 €\"}")]))
      assert.strictEqual(yield* read(url, 1 << 20), "{\"price\":\"344.91 €\"}")
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("an answer without a body (204) is the empty text", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* read(yield* answering(204, new Uint8Array()), 1 << 20), "")
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("an answer past the limit fails the read and drops the connection near the limit", () =>
    Effect.gen(function*() {
      const flood = yield* floodServer
      const error = yield* Effect.flip(read(flood.url, 1 << 20))
      assert.strictEqual(error.reason._tag, "DecodeError")
      assert.include(error.message, "answer larger than 1 MB")
      // the server would send 256 MB; it stopped a few socket buffers past the megabyte read
      assert.isBelow(flood.sent[0]!, 16 << 20)
    }).pipe(Effect.provide(FetchHttpClient.layer)))
})
