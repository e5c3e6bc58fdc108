/**
 * `pnpm bench activities`: what `exchange serve` spends on one page of FILL account activities
 * (`GET /v2/account/activities/FILL?page_size=100`) for an account with 1,000 fills of 1,000 orders, the page's 100
 * fills each of its own order. The server runs in this process over a SQLite file (as `exchange serve` does), the
 * requests go over HTTP on one keep-alive connection; the floor is `GET /v2/account` (one account read) on the same
 * connection in the same repetition. Each repetition asks each path `PER_RUN` times (the first page, then the tenth,
 * read after the first nine's last fill as Alpaca's `page_token` says) and takes the mean.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { Agent, request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { AccountId, momentAt, Ticker, TradingDay } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { ExchangeServer } from "@council/exchange/server"
import { LocalBars, MarketData } from "@council/market"
import { Database } from "@council/store"
import { line, show, summarize } from "./Stats.ts"

const ACCOUNT = AccountId.make("COUNCIL")
const SPY = Ticker.make("SPY")
const SESSIONS = 11
const ORDERS_A_SESSION = 100
const PER_RUN = 20

const get = (agent: Agent, base: URL, path: string, keys: { readonly keyId: string; readonly secret: string }) =>
  new Promise<{ readonly status: number; readonly body: string }>((resolve, reject) => {
    const req = request({
      host: base.hostname,
      port: base.port,
      path,
      agent,
      headers: { "APCA-API-KEY-ID": keys.keyId, "APCA-API-SECRET-KEY": keys.secret }
    }, (res) => {
      let body = ""
      res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on("error", reject)
    req.end()
  })

/** Mean milliseconds of `times` requests of `path`, each answered 200. */
const timed = async (agent: Agent, base: URL, path: string, keys: { readonly keyId: string; readonly secret: string }, times: number) => {
  const start = process.hrtime.bigint()
  for (let i = 0; i < times; i++) {
    const { body, status } = await get(agent, base, path, keys)
    if (status !== 200) throw new Error(`${path}: ${status} ${body.slice(0, 200)}`)
  }
  return Number(process.hrtime.bigint() - start) / 1e6 / times
}

const book = Effect.gen(function*() {
  const server = yield* ExchangeServer
  const exchange = yield* LocalExchange
  const days = (yield* MarketData.use((m) => m.sessions(TradingDay.make("2025-03-03"), TradingDay.make("2025-04-30")))).slice(0, SESSIONS)
  for (const [i, day] of days.slice(0, -1).entries()) {
    yield* server.setSession(momentAt(day, "16:30"))
    for (let k = 0; k < ORDERS_A_SESSION; k++) {
      yield* exchange.placeOrder(ACCOUNT, {
        account: ACCOUNT,
        symbol: SPY,
        side: "buy",
        qty: 1,
        type: "market",
        timeInForce: "gtc",
        orderClass: "simple",
        clientOrderId: `bench-${i}-${k}`,
        reason: "bench"
      })
    }
  }
  yield* server.setSession(momentAt(days.at(-1)!, "16:30"))
  const fills = yield* exchange.fills(ACCOUNT)
  const found = (yield* exchange.keys).find((k) => k.account === ACCOUNT)!
  return { url: new URL(server.url), fills, keys: { keyId: found.keyId, secret: Redacted.value(found.secretKey) } }
})

export const activities = async (runs: number) => {
  const dir = mkdtempSync(join(tmpdir(), "council-bench-activities-"))
  const layer = ExchangeServer.layer({ port: 0, accounts: [ACCOUNT], rateLimit: 1_000_000, exchange: { initialCash: 1_000_000_000 } }).pipe(
    Layer.provideMerge(Layer.mergeAll(Database.layerSqlite(join(dir, "exchange.db")), LocalBars.layer()))
  )
  try {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const { fills, keys, url } = yield* Effect.provide(book, yield* Layer.build(layer))
      if (fills.length !== (SESSIONS - 1) * ORDERS_A_SESSION) throw new Error(`expected ${(SESSIONS - 1) * ORDERS_A_SESSION} fills, got ${fills.length}`)
      const tenth = `/v2/account/activities/FILL?page_size=100&page_token=${fills[899]!.id}`
      const first = "/v2/account/activities/FILL?page_size=100"
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      const page: Array<number> = []
      const account: Array<number> = []
      yield* Effect.promise(async () => {
        await timed(agent, url, first, keys, 5) // warm-up
        await timed(agent, url, "/v2/account", keys, 5)
        for (let r = 0; r < runs; r++) {
          page.push((await timed(agent, url, first, keys, PER_RUN / 2) + await timed(agent, url, tenth, keys, PER_RUN / 2)) / 2)
          account.push(await timed(agent, url, "/v2/account", keys, PER_RUN))
        }
        agent.destroy()
      })
      console.log(`exchange activities: ${fills.length} fills of as many orders; a page of 100, ${runs} repetitions of ${PER_RUN} requests (min / median / max)`)
      line("FILL activities, a page of 100", show(page, "ms", 2))
      line("GET /v2/account (the floor)", show(account, "ms", 2))
      line("page − floor (medians)", `${(summarize(page).median - summarize(account).median).toFixed(2)} ms`)
    })))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
