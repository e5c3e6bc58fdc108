/**
 * Requests that follow no redirect: the one setting every adapter sending a key to a server it does not control
 * (a broker, an LLM provider, a market-data feed) runs its requests under.
 *
 * **When to use**: pipe each request effect through `noRedirects` (imported as `@council/io/NoRedirects`); the
 * answer's 3xx is then the adapter's to refuse, like any other status.
 *
 * **Gotchas**
 * - `fetch` follows redirects by default, to any host, and keeps every header but `Authorization` and cookies
 *   across origins: Alpaca's `APCA-API-*`, Anthropic's `x-api-key` and Gemini's `x-goog-api-key` would reach
 *   whatever host a server (or a proxy in front of it) names — for a broker, a host the LIVE guard never saw.
 * - It sets `FetchHttpClient.RequestInit` (`redirect: "manual"`: Node's fetch answers the 3xx itself); another
 *   `HttpClient` (Node's `http`) follows no redirect anyway.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"

const MANUAL: globalThis.RequestInit = { redirect: "manual" }

/** `effect` with its requests following no redirect. */
export const noRedirects = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(effect, FetchHttpClient.RequestInit, MANUAL)
