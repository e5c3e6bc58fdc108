/**
 * Compressed answers for clients that accept them: a text answer (JSON, HTML, CSS, script) of `MIN_BYTES` or more
 * goes out brotli-compressed when the request's `Accept-Encoding` names `br`, else gzip-compressed when it names
 * `gzip`, with `Content-Encoding` and `Vary: Accept-Encoding`; anything else goes out as it is.
 *
 * **Why**: a full-range backtest's `/api/equity` is ~5.6 MB of JSON and its report page ~0.8 MB of SVG; both
 * shrink several times, and the compression runs on libuv's thread pool, not on the thread that answers requests.
 *
 * **Gotchas**: a router-wide middleware (`global`), so it sees every route's answer, the dashboard's files and the
 * report pages included; a streamed body, or one already encoded, is left alone.
 *
 * @since 0.1.0
 */
import { promisify } from "node:util"
import { brotliCompress, constants, gzip } from "node:zlib"
import * as Effect from "effect/Effect"
import * as HttpBody from "effect/http/HttpBody"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"

/** Smaller answers cost more to compress than they save. */
export const MIN_BYTES = 1024

const brotli = promisify(brotliCompress)
const gzipped = promisify(gzip)

/** Brotli at quality 5: ~8× on the equity JSON in tens of milliseconds (11, its default, takes seconds). */
const compress = (encoding: "br" | "gzip", body: Uint8Array): Promise<Uint8Array> =>
  encoding === "br"
    ? brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
    : gzipped(body, { level: 6 })

/** `br` or `gzip` when `Accept-Encoding` accepts it (a `q=0` refuses it), `br` first; `undefined` otherwise. */
export const chooseEncoding = (accept: string | undefined): "br" | "gzip" | undefined => {
  const accepted = new Set<string>()
  for (const part of (accept ?? "").toLowerCase().split(",")) {
    const [name = "", ...params] = part.split(";").map((p) => p.trim())
    const q = params.find((p) => p.startsWith("q="))
    if (q === undefined || Number(q.slice(2)) > 0) accepted.add(name)
  }
  return accepted.has("br") ? "br" : accepted.has("gzip") ? "gzip" : undefined
}

const isText = (contentType: string): boolean => /^(text\/|application\/(json|javascript)|image\/svg\+xml)/.test(contentType)

/** The router-wide middleware (see the module's rules). */
export const layer = HttpRouter.middleware((app) =>
  Effect.gen(function*() {
    const response = yield* app
    const body = response.body
    if (body._tag !== "Uint8Array" || body.contentLength < MIN_BYTES || !isText(body.contentType)) return response
    if (response.headers["content-encoding"] !== undefined) return response
    const varied = HttpServerResponse.setHeader(response, "vary", "accept-encoding")
    const encoding = chooseEncoding((yield* HttpServerRequest.HttpServerRequest).headers["accept-encoding"])
    if (encoding === undefined) return varied
    const compressed = yield* Effect.promise(() => compress(encoding, body.body))
    return HttpServerResponse.setHeader(
      HttpServerResponse.setBody(varied, HttpBody.uint8Array(compressed, body.contentType)),
      "content-encoding",
      encoding
    )
  }), { global: true })
