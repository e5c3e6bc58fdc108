/**
 * Preloaded into a CLI process (`node --import ./ConnectionWatch.ts …`): records every outgoing TCP connection
 * (`host:port`, one a line) in `$COUNCIL_TEST_CONNECTIONS`, and sends any connection to an `*.alpaca.markets`
 * host to `127.0.0.1:$COUNCIL_TEST_LIVE_SINK` instead — so a test sees every attempt and nothing reaches Alpaca.
 */
import { appendFileSync } from "node:fs"
import { Socket } from "node:net"

interface Target {
  host?: string
  port?: number | string
}

const log = process.env["COUNCIL_TEST_CONNECTIONS"]
const sink = Number(process.env["COUNCIL_TEST_LIVE_SINK"])
const connect = Socket.prototype.connect

const targetOf = (args: ReadonlyArray<unknown>): Target | undefined => {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  return typeof first === "object" && first !== null ? (first as Target) : undefined
}

Socket.prototype.connect = function(this: Socket, ...args: Array<unknown>) {
  const target = targetOf(args)
  if (target !== undefined && target.port !== undefined) {
    const host = target.host ?? "localhost"
    if (log !== undefined) appendFileSync(log, `${host}:${target.port}\n`)
    if (/(^|\.)alpaca\.markets\.?$/i.test(host)) {
      target.host = "127.0.0.1"
      target.port = sink
    }
  }
  return Reflect.apply(connect, this, args) as Socket
} as typeof Socket.prototype.connect
