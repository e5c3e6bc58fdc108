/**
 * A proxy in front of a `serve` (a real HTTP server on 127.0.0.1, port 0) that passes every request through, except
 * that the answers `stalls` matches are sent with their status and headers (their full `Content-Length`) and the
 * first half of their body, then nothing more until the client lets go: a page reading such an answer is caught
 * between its headers and its end, as a slow network or a loaded machine leaves it, for as long as a test needs.
 */
import { createServer, request } from "node:http"
import type { AddressInfo } from "node:net"

export interface StallingProxy {
  /** The proxy's origin: open the dashboard there (the page asks its API of the same origin). */
  readonly url: string
  /** Resolves with the path and query of each request whose answer stalled, once its first half is sent. */
  readonly stalled: () => Promise<string>
  readonly close: () => Promise<void>
}

/** A proxy to `target` (`http://127.0.0.1:port`) stalling the answers to requests whose path and query `stalls` matches. */
export const stallingProxy = (target: string, stalls: (pathAndQuery: string) => boolean): Promise<StallingProxy> => {
  const upstream = new URL(target)
  const waiting: Array<(path: string) => void> = []
  const sent: Array<string> = []
  const told = (path: string) => {
    const next = waiting.shift()
    if (next === undefined) sent.push(path)
    else next(path)
  }
  const server = createServer((incoming, outgoing) => {
    const path = incoming.url ?? "/"
    // the server checks the Host it is asked as (HostCheck); identity: the half body is a prefix of the JSON text
    const headers = { ...incoming.headers, host: upstream.host, "accept-encoding": "identity" }
    const forwarded = request({ host: upstream.hostname, port: upstream.port, method: incoming.method, path, headers }, (answer) => {
      if (!stalls(path)) {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outgoing)
        return
      }
      const chunks: Array<Buffer> = []
      answer.on("data", (chunk: Buffer) => chunks.push(chunk))
      answer.on("end", () => {
        const body = Buffer.concat(chunks)
        outgoing.writeHead(answer.statusCode ?? 502, { ...answer.headers, "content-length": String(body.length) })
        outgoing.write(body.subarray(0, Math.floor(body.length / 2)), () => told(path))
      })
    })
    forwarded.on("error", () => outgoing.destroy())
    incoming.pipe(forwarded)
  })
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        stalled: () => {
          const path = sent.shift()
          return path === undefined ? new Promise((done) => waiting.push(done)) : Promise.resolve(path)
        },
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    )
  )
}
