import { testServer } from "../../../packages/io/test/LocalServer.ts"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { assert, describe, it } from "@effect/vitest"
import * as ByteSize from "effect/ByteSize"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as RequestErrors from "../src/RequestErrors.ts"

/** A route that reads its JSON body as the API's payload decoding does (a body past the limit is a defect). */
const echo = HttpRouter.add(
  "POST",
  "/echo",
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const body = yield* Effect.orDie(request.json)
    return HttpServerResponse.jsonUnsafe(body)
  })
)

const served = (limit: ByteSize.ByteSize) =>
  HttpRouter.serve(Layer.merge(echo, RequestErrors.layer), { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(() => testServer(), { port: 0, host: "127.0.0.1" })),
    Layer.provide(Layer.succeed(HttpIncomingMessage.MaxBodySize)(limit))
  )

const post = (size: number) =>
  Effect.gen(function*() {
    const url = HttpServer.formatAddress((yield* HttpServer.HttpServer).address).replace(/\/$/, "")
    return yield* Effect.promise(async () => {
      const res = await fetch(`${url}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ pad: "x".repeat(size) }) })
      return { status: res.status, body: await res.json() }
    })
  })

describe("a request body past the server's limit", () => {
  for (const [limit, said] of [[ByteSize.kibibytes(1), "1 KiB"], [ByteSize.mebibytes(2), "2 MiB"], [ByteSize.bytes(1000), "1000 bytes"]] as const) {
    it.effect(`is a 413 naming the limit the server was given (${said}), read from the one place it is set`, () =>
      Effect.gen(function*() {
        const over = yield* post(Number(limit) + 10)
        assert.deepStrictEqual(over, { status: 413, body: { _tag: "PayloadTooLarge", message: `request body: larger than the server reads (${said})` } })
        const under = yield* post(Number(limit) - 100)
        assert.strictEqual(under.status, 200)
      }).pipe(Effect.provide(served(limit)), Effect.scoped))
  }
})
