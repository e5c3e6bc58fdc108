/**
 * Reads an HTTP answer's text up to a size: the one bounded reader of every adapter that talks to a server it does
 * not control (a broker, an LLM provider, a market-data feed).
 *
 * **When to use**: instead of `response.text` / `response.json` / `HttpClientResponse.schemaBodyJson` wherever the
 * server may be broken or hostile. Imported as `@council/io/BoundedText`.
 *
 * **Gotchas**
 * - Past `maxBytes` the connection is dropped and the read fails with `HttpClientError` `DecodeError` described as
 *   `answer larger than N MB`: however fast the server sends, the process holds at most about `maxBytes`.
 * - Decoded as fetch's `text()` does (`TextDecoder`: UTF-8, a leading byte order mark dropped). No body (a 204) is
 *   the empty text.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"

const UTF8 = new TextDecoder()

/** `bytes` as megabytes for messages: `16 MB`. */
export const megabytes = (bytes: number): string => `${bytes / 1048576} MB`

/** The answer's text, at most `maxBytes` of it; more fails the read (`DecodeError`) and cuts the connection. */
export const boundedText = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number
): Effect.Effect<string, HttpClientError.HttpClientError> =>
  Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let size = 0
    return Stream.runForEach(response.stream, (chunk) => {
      size += chunk.byteLength
      chunks.push(chunk)
      return size <= maxBytes ? Effect.void : Effect.fail(
        new HttpClientError.HttpClientError({
          reason: new HttpClientError.DecodeError({
            request: response.request,
            response,
            description: `answer larger than ${megabytes(maxBytes)}`
          })
        })
      )
    }).pipe(
      Effect.catchReason("HttpClientError", "EmptyBodyError", () => Effect.void),
      Effect.map(() => UTF8.decode(Buffer.concat(chunks)))
    )
  })
