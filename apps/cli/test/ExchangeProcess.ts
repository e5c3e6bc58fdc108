import { type ChildProcess, spawn } from "node:child_process"
import { request } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { bin } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

export interface ServedExchange {
  readonly url: string
  /** What the server printed on stdout as it started (its banner). */
  readonly banner: string
  /** Everything it printed so far, stdout and stderr. */
  readonly output: () => string
  readonly keys: ReadonlyArray<{ readonly account: string; readonly keyId: string; readonly secretKey: string }>
  readonly process: ChildProcess
  readonly stop: () => Promise<void>
}

/**
 * Starts `pnpm pipeline exchange serve --port 0 …` in its own process on `home` and reads its URL and keys (`exchange
 * keys`, run in this process: the served process is what tests stop, signal or restart).
 */
export const serveExchange = (home: string, flags: ReadonlyArray<string> = []): Promise<ServedExchange> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "exchange", "serve", "--port", "0", ...flags], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d))
    let later = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (url === undefined || !out.includes("stop with Ctrl-C")) return
      child.stdout.removeAllListeners("data")
      child.stdout.on("data", (more: string) => (later += more))
      void cliInProcess(home, ["exchange", "keys", "--json"]).then((keys) => {
        if (keys.code !== 0) return reject(new Error(`exchange keys failed: ${keys.stderr}`))
        resolve({
          url,
          banner: out,
          output: () => out + later + err,
          keys: JSON.parse(keys.stdout),
          process: child,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done()
              child.once("exit", () => done())
              child.kill("SIGTERM")
            })
        })
      }, reject)
    })
    child.once("exit", (code) => reject(new Error(`exchange serve exited with ${code}: ${err}`)))
  })

/** A TRADING_ACCOUNTS_CONFIG pointing every served account at the server. */
export const accountsConfig = (served: ServedExchange, accounts?: ReadonlyArray<string>): string =>
  JSON.stringify(
    served.keys
      .filter((k) => accounts === undefined || accounts.includes(k.account))
      .map((k) => ({
        id: k.account,
        mode: "PAPER",
        credentials: { keyId: k.keyId, secretKey: k.secretKey },
        baseUrl: served.url
      }))
  )

/**
 * `accountsConfig` of every served account with `refused`'s secret replaced by one the exchange never gave it (it
 * answers that account 401: a revoked key), and `urls` pointing some accounts elsewhere.
 */
export const configWithRefusedKey = (served: ServedExchange, refused: string, urls: Readonly<Record<string, string>> = {}): string =>
  JSON.stringify(served.keys.map((k) => ({
    id: k.account,
    mode: "PAPER",
    credentials: { keyId: k.keyId, secretKey: k.account === refused ? "revokedRevokedRevokedRevokedRevoked0000" : k.secretKey },
    baseUrl: urls[k.account] ?? served.url
  })))

export interface HeldOrder {
  /** The URL to give the accounts in place of the exchange's. */
  readonly url: string
  /** Resolves once the first order sent is at the exchange, its answer withheld from the sender. */
  readonly held: Promise<void>
  /** Gives the sender the withheld answer after all (never called: it never gets one). */
  readonly release: () => void
  readonly close: () => Promise<void>
}

/**
 * A 127.0.0.1 proxy in front of `target` that passes every request through, except that the answer to the first
 * `POST /v2/orders` is withheld until `release` (or for good): the sender is mid-send, its order at the exchange, for
 * as long as the test wants (a signal sent once `held` resolves lands there, whatever the machine's load). Later
 * requests pass through.
 */
export const holdFirstOrder = (target: string): Promise<HeldOrder> =>
  new Promise((resolve) => {
    let hold: () => void = () => undefined
    const held = new Promise<void>((r) => (hold = r))
    let release: () => void = () => undefined
    const released = new Promise<void>((r) => (release = r))
    let holding = true
    const upstream = new URL(target)
    const server = testServer((req, res) => {
      const body: Array<Buffer> = []
      req.on("data", (c: Buffer) => body.push(c)).on("end", () => {
        const sent = request(new URL(req.url ?? "/", upstream), { method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
          const chunks: Array<Buffer> = []
          answer.on("data", (c: Buffer) => chunks.push(c)).on("end", async () => {
            if (holding && req.method === "POST" && (req.url ?? "").split("?")[0] === "/v2/orders") {
              holding = false
              hold()
              await released
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            res.end(Buffer.concat(chunks))
          })
        })
        sent.on("error", (e) => res.destroy(e))
        sent.end(Buffer.concat(body))
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        held,
        release: () => release(),
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })

export interface ReadFault {
  readonly url: string
  /** Whether `account`'s fills are refused (403) now. */
  failing: boolean
  /** Set: `account`'s next fills request is never answered, and this is called (a process to kill there). */
  hold: (() => void) | undefined
  /** Set: the orders sent with this key id are answered 503 (that account's broker down for orders alone). */
  ordersDownFor: string | undefined
  /** Set: `account`'s clock answers this moment (Alpaca's clock tells its present, whatever day a run is of). */
  clockAt: string | undefined
  /** `METHOD path` of every request `account`'s key sent through, in order. */
  readonly seen: Array<string>
  readonly close: () => Promise<void>
}

/**
 * A 127.0.0.1 proxy in front of `target` passing every request through, except that while `failing`, the account
 * whose key id is `keyId` is answered 403 to its fills (`GET /v2/account/activities/FILL`): a read only the day's
 * reconciliation makes, so its risk gate and execution go as usual.
 */
export const readFault = (target: string, keyId: string): Promise<ReadFault> =>
  new Promise((resolve) => {
    const upstream = new URL(target)
    const fault: { failing: boolean; hold: (() => void) | undefined; clockAt: string | undefined; ordersDownFor: string | undefined } = {
      failing: true,
      ordersDownFor: undefined,
      hold: undefined,
      clockAt: undefined
    }
    const seen: Array<string> = []
    const server = testServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0]!
      const mine = req.headers["apca-api-key-id"] === keyId
      if (mine) seen.push(`${req.method} ${path}`)
      if (mine && fault.clockAt !== undefined && req.method === "GET" && path === "/v2/clock") {
        res.writeHead(200, { "content-type": "application/json" })
        return res.end(JSON.stringify({ timestamp: fault.clockAt, is_open: true, next_open: "2026-06-08T09:30:00-04:00", next_close: "2026-06-05T16:00:00-04:00" }))
      }
      if (fault.ordersDownFor !== undefined && req.headers["apca-api-key-id"] === fault.ordersDownFor && req.method === "POST" && path === "/v2/orders") {
        res.writeHead(503, { "content-type": "application/json" })
        return res.end(JSON.stringify({ message: "service unavailable" }))
      }
      const fills = mine && req.method === "GET" && path === "/v2/account/activities/FILL"
      if (fills && fault.hold !== undefined) {
        const held = fault.hold
        fault.hold = undefined
        return held()
      }
      if (fills && fault.failing) {
        res.writeHead(403, { "content-type": "application/json" })
        return res.end(JSON.stringify({ code: 40310000, message: "fills are not available right now" }))
      }
      const body: Array<Buffer> = []
      req.on("data", (c: Buffer) => body.push(c)).on("end", () => {
        const sent = request(new URL(req.url ?? "/", upstream), { method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        })
        sent.on("error", (e) => res.destroy(e))
        sent.end(Buffer.concat(body))
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve(Object.assign(fault, {
        url: `http://127.0.0.1:${port}`,
        seen,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      }))
    })
  })
