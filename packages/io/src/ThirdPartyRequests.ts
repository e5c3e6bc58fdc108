/**
 * Requests to a server Council does not control (a broker, an LLM provider, a market-data feed): they follow no
 * redirect and carry no trace context. Every adapter sending a key to such a server runs its requests under it.
 *
 * **When to use**: pipe each request effect through `toThirdParty` (imported as `@council/io/ThirdPartyRequests`);
 * the answer's 3xx is then the adapter's to refuse, like any other status.
 *
 * **Gotchas**
 * - `fetch` follows redirects by default, to any host, and keeps every header but `Authorization` and cookies
 *   across origins: Alpaca's `APCA-API-*`, Anthropic's `x-api-key` and Gemini's `x-goog-api-key` would reach
 *   whatever host a server (or a proxy in front of it) names — for a broker, a host the LIVE guard never saw. It sets
 *   `FetchHttpClient.RequestInit` (`redirect: "manual"`: Node's fetch answers the 3xx itself); another `HttpClient`
 *   (Node's `http`) follows no redirect anyway.
 * - Effect's `HttpClient` adds `traceparent` and `b3` headers to every request made inside a span (always: Effect's
 *   own tracer makes spans without OpenTelemetry too), telling the provider the ids of our runs' traces. The request
 *   keeps its own client span (a trace still shows the call); only the headers are not sent.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"

const MANUAL: globalThis.RequestInit = { redirect: "manual" }

/** `effect` with its requests following no redirect and carrying no trace context. */
export const toThirdParty = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  effect.pipe(
    Effect.provideService(FetchHttpClient.RequestInit, MANUAL),
    Effect.provideService(HttpClient.TracerPropagationEnabled, false)
  )
