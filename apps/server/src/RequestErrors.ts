/**
 * Clear answers where the router would send an empty body. A request the API cannot decode — a query parameter, path parameter or body that fails its schema — answered
 * `400 {"_tag":"BadRequest","message":"query parameter limit: Expected a value between 1 and 1000"}`, the
 * `BadRequest` of `@council/api`, instead of `effect/http-api`'s empty 400 that says nothing about what was wrong;
 * a path no route serves is `404 {"_tag":"NotFound","message":"no route GET /api/x (the API: /openapi.json)"}`; a body
 * past the server's limit (`HttpIncomingMessage.MaxBodySize`, set once by `Server.layer`) is a `413` `PayloadTooLarge`
 * naming that limit, and a body not sent as JSON a `415` `UnsupportedMediaType` saying what to send (both declared by
 * every POST route).
 *
 * **Gotcha**: `effect/http-api` turns a decoding failure into a defect (`HttpApiSchemaError`) before any handler or
 * endpoint middleware runs; only a router-wide middleware sees it, so this is one (`global`).
 *
 * @since 0.1.0
 */
import * as ByteSize from "effect/ByteSize"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { HttpApiSchemaError } from "effect/http-api/HttpApiError"

const PART: Readonly<Record<HttpApiSchemaError["kind"], string>> = {
  Params: "path parameter",
  Query: "query parameter",
  Headers: "header",
  Payload: "request body",
  Body: "response body",
  ResponseHeaders: "response header"
}

/** One `["accounts"]` or `[0]` of a schema issue's path. */
const SEGMENT = /\[("(?:[^"\\]|\\.)*"|-?\d+)\]/y

/**
 * A schema issue's path (`["accounts"][0]`, one bracket per step) as `accounts.0`; the text as written when it is
 * not made of such steps (a key the schema prints otherwise), never an exception.
 */
export const pathText = (at: string): string => {
  const steps: Array<string> = []
  SEGMENT.lastIndex = 0
  for (let match = SEGMENT.exec(at); match !== null; match = SEGMENT.exec(at)) {
    steps.push(match[1]!.startsWith("\"") ? String(JSON.parse(match[1]!)) : match[1]!)
    if (SEGMENT.lastIndex === at.length) return steps.join(".")
  }
  return at
}

/**
 * `Expected an integer\n  at ["limit"]` as `query parameter limit: Expected an integer`, on one line, bounded; a
 * nested path (`at ["accounts"][0]`, an item of a list) as `request body accounts.0: Expected string`.
 */
export const describe = (error: HttpApiSchemaError): string => {
  const [first = "", ...rest] = error.cause.message.split("\n")
  const at = rest.map((line) => /^\s*at (\[.*\])\s*$/.exec(line)?.[1]).find((path) => path !== undefined)
  const path = at === undefined ? "" : ` ${pathText(at)}`
  return `${PART[error.kind]}${path}: ${first}`.slice(0, 300)
}

const answer = (status: number, _tag: string, message: string) => Effect.succeed(HttpServerResponse.jsonUnsafe({ _tag, message }, { status }))

const isRequestDecoding = (defect: unknown): defect is HttpApiSchemaError =>
  HttpApiSchemaError.is(defect) && defect.kind !== "Body" && defect.kind !== "ResponseHeaders"

/** A body past `HttpIncomingMessage.MaxBodySize`, which the API's payload decoding dies with. */
const isBodyTooLarge = (defect: unknown): boolean =>
  HttpServerError.isHttpServerError(defect) && defect.reason._tag === "RequestParseError" && defect.reason.reason === "BodyTooLarge"

/** `65536` as `64 KiB`; a size that is not a whole number of KiB (or MiB) in bytes. */
export const sizeOf = (size: ByteSize.ByteSize): string => {
  const bytes = Number(size)
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${bytes / (1 << 10)} KiB`
  return `${bytes} bytes`
}

/**
 * `effect/http-api`'s plain-text 415 for a body not sent as JSON (`curl -d` sends a form's content type), as JSON
 * saying what to send: `@council/api`'s `UnsupportedMediaType`, as every POST route declares it.
 */
const unsupportedType = (response: HttpServerResponse.HttpServerResponse) =>
  response.status !== 415
    ? Effect.succeed(response)
    : Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
      HttpServerResponse.jsonUnsafe({
        _tag: "UnsupportedMediaType",
        message: `request body: sent as ${(request.headers["content-type"] ?? "").split(";")[0]!.trim().slice(0, 80)}; send it as JSON with Content-Type: application/json (curl: -H 'Content-Type: application/json')`
      }, { status: 415 }))

/**
 * Renders request decoding failures as `BadRequest`, a body not sent as JSON as a JSON 415 and unknown paths as
 * `NotFound`; anything else passes through.
 */
export const layer = HttpRouter.middleware((app) =>
  Effect.catchCause(Effect.flatMap(app, unsupportedType), (cause) => {
    const defect = Cause.findDefect(cause)
    if (Result.isSuccess(defect) && isRequestDecoding(defect.success)) return answer(400, "BadRequest", describe(defect.success))
    if (Result.isSuccess(defect) && isBodyTooLarge(defect.success)) {
      return Effect.gen(function*() {
        const limit = yield* HttpIncomingMessage.MaxBodySize
        return yield* answer(413, "PayloadTooLarge", `request body: larger than the server reads${limit === undefined ? "" : ` (${sizeOf(limit)})`}`)
      })
    }
    const error = Cause.findErrorOption(cause)
    if (Option.isSome(error) && HttpServerError.isHttpServerError(error.value) && error.value.reason._tag === "RouteNotFound") {
      const { method, url } = error.value.reason.request
      return answer(404, "NotFound", `no route ${method} ${(URL.parse(url, "http://localhost")?.pathname ?? "").slice(0, 120)} (the API: /openapi.json)`)
    }
    return Effect.failCause(cause)
  }), { global: true })
