import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"
import { TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { liveBook, TradeLedger } from "@council/tracking"
import { ledgerHome } from "./fixtures/LedgerHome.ts"
import { ACCOUNTS, simulate } from "./fixtures/SimulatedBook.ts"

describe("a window's traded dollars", () => {
  it.effect("a window at the end of a long book reads only the fills since its accounts' previous snapshots, and counts them as the whole book does", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const sql = yield* SqlClient.SqlClient
      const sim = yield* simulate(yield* MarketData, liveBook, TradingDay.make("2024-01-02"), 30)
      for (const day of sim.days) yield* ledger.record(day)
      const sessions = sim.sessions
      const from = TradingDay.make(sessions[26]!)
      // one account without a snapshot at the session before the window: its fills there count toward the window's first
      const [gap, other] = [ACCOUNTS[0]!, ACCOUNTS[1]!]
      yield* sql`DELETE FROM ledger_equity WHERE book = ${liveBook} AND account = ${gap} AND session = ${sessions[25]!}`
      const whole = yield* ledger.equity({ book: liveBook })
      const window = yield* ledger.equity({ book: liveBook, from })
      assert.deepStrictEqual(window, whole.filter((row) => row.session >= from))
      assert.isAbove(window.find((row) => row.account === gap && row.session === from)!.traded, 0)
      // a fill long before the window that cannot be summed (its dollars overflow): the whole book cannot read it …
      yield* sql`INSERT INTO ledger_fills (book, account, fill_id, order_id, symbol, side, qty, price, commission, session, at)
        VALUES (${liveBook}, ${other}, 'overflow', 'overflow', 'SPY', 'buy', 1e308, 10, 0, ${sessions[2]!}, ${`${sessions[2]!}T20:00:00.000Z`})`
      const failed = yield* Effect.flip(ledger.equity({ book: liveBook }))
      assert.strictEqual(failed._tag, "LedgerError")
      // … and the window, which never reads it, is as it was
      assert.deepStrictEqual(yield* ledger.equity({ book: liveBook, from }), window)
      assert.deepStrictEqual(yield* ledger.equity({ book: liveBook, from: TradingDay.make("2031-01-02") }), [])
    }).pipe(Effect.provide(ledgerHome("council-traded-window-"))))
})
