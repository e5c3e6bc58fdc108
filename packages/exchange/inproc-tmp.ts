import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AccountId, Ticker, TradingDay } from "@council/domain"
import { Database } from "@council/store"
import { LocalBars } from "@council/market"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
const dir = mkdtempSync(join(tmpdir(), "inproc-"))
const SYMBOLS = ["SPY", "QQQ", "IWM", "TLT", "GLD"]
const accounts = ["A", "B", "C", "D", "E", "F"].map((a) => AccountId.make(a))
const program = Effect.gen(function*() {
  const ex = yield* LocalExchange
  let n = 0
  const one = (tag: string) => {
    const i = n++
    return ex.placeOrder(accounts[i % 6]!, { account: accounts[i % 6]!, symbol: Ticker.make(SYMBOLS[i % 5]!), side: (i >> 1) % 2 === 0 ? "buy" : "sell", qty: 1, type: "market", timeInForce: "day", orderClass: "simple", clientOrderId: `${tag}-${i}`, reason: "x" })
  }
  const batch = (tag: string, count: number) => Effect.forEach(Array.from({ length: count }), () => one(tag), { concurrency: 32, discard: true })
  yield* batch("warm", 1000)
  for (let r = 0; r < 4; r++) {
    const c0 = process.cpuUsage(); const t0 = performance.now()
    yield* batch(`r${r}`, 4000)
    const c = process.cpuUsage(c0)
    console.log(`in-process: cpu/order ${((c.user + c.system) / 1000 / 4000).toFixed(3)} ms, ${(4000 / (performance.now() - t0) * 1000).toFixed(0)}/s`)
  }
})
await Effect.runPromise(program.pipe(Effect.provide(LocalExchange.layer({}).pipe(
  Layer.provide(Layer.mergeAll(Database.layerSqlite(join(dir, "x.db")), LocalBars.layer(), ExchangeSession.layer(TradingDay.make("2026-06-08"))))
))))
