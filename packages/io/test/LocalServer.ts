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
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from "node:net"

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

/** A proxy in front of a test server that can close a kept-alive connection as a request goes out on it. */
export interface EarlyClosing {
  /** The proxy's base URL: the server's, on another port. */
  readonly url: string
  /**
   * The next request sent on a connection that already carried one is met by the connection closing (a reset),
   * unread and unanswered: what a client meets when the server (Alpaca's, OpenAI's, Slack's) closed the idle
   * connection just as the request went out. Once; requests on new connections pass as before.
   */
  readonly closeNextReuse: () => void
  /** How many requests were met so. */
  readonly closed: () => number
  readonly close: () => Promise<void>
}

/**
 * A TCP proxy on 127.0.0.1 in front of `target` (a base URL), one upstream connection per client connection, so
 * any fake keeps its own wire; `closeNextReuse` makes the server side drop a kept-alive connection early. Every
 * byte passes through unchanged otherwise.
 */
export const earlyClosing = (target: string): Promise<EarlyClosing> => {
  const upstream = new URL(target)
  let armed = false
  let closed = 0
  const sockets = new Set<Socket>()
  const proxy = createNetServer((client) => {
    const server = connect(Number(upstream.port), upstream.hostname)
    let answered = false
    sockets.add(client).add(server)
    server.on("data", (chunk: Buffer) => {
      answered = true
      client.write(chunk)
    })
    client.on("data", (chunk: Buffer) => {
      if (armed && answered) {
        armed = false
        closed += 1
        client.resetAndDestroy()
        server.destroy()
        return
      }
      server.write(chunk)
    })
    const end = () => {
      client.destroy()
      server.destroy()
    }
    for (const socket of [client, server]) {
      socket.on("error", end).on("close", () => {
        sockets.delete(socket)
        end()
      })
    }
  })
  return new Promise((resolve) => {
    proxy.listen(0, "127.0.0.1", () => {
      resolve({
        url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        closeNextReuse: () => {
          armed = true
        },
        closed: () => closed,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy()
            proxy.close(() => done())
          })
      })
    })
  })
}
