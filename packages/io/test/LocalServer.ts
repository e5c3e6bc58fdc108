/**
 * An HTTP server for tests: `createServer` from `node:http`, its idle keep-alive connections kept 30 s (Node's
 * default: 5 s), as `exchange serve` and the real providers keep them.
 *
 * **Why**: a client in the test's process (the CLI run in process, an adapter under test) reuses its kept-alive
 * connections. With Node's 5 s, a connection that sat idle while the loop was busy (a loaded machine: seconds in
 * one callback) was closed by the server just as the next request went out on it, and that request failed with
 * `read ECONNRESET` / "other side closed" (a WARN line and a retry, or a failed request where nothing retries). At
 * 30 s the server advertises `Keep-Alive: timeout=30` and the client, which lets go of an idle connection before the
 * server's advertised time, always lets go first.
 *
 * **When to use**: for every server a test starts on 127.0.0.1, in place of `createServer`. A test that needs a
 * server dropping connections early sets that up itself.
 */
import { createServer, type RequestListener, type Server } from "node:http"

/** How long the test servers keep an idle connection open. */
export const IDLE_CONNECTION_MS = 30_000

/**
 * `server`, its idle connections kept `IDLE_CONNECTION_MS`. Once `close` is called they are not kept: `close` ends
 * the connections idle at that moment, but one busy then would otherwise hold the close for the whole 30 s after
 * its answer (Node sets a connection's idle timer as its answer ends, from `keepAliveTimeout` at that moment).
 */
export const keepIdleConnections = <S extends Server>(server: S): S => {
  server.keepAliveTimeout = IDLE_CONNECTION_MS
  const close = server.close.bind(server)
  server.close = (callback) => {
    server.keepAliveTimeout = 1
    return close(callback)
  }
  return server
}

/** `createServer(listener)` whose idle connections stay open `IDLE_CONNECTION_MS`. */
export const testServer = (listener?: RequestListener): Server => keepIdleConnections(createServer(listener))
