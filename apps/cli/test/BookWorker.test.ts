import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { TradingDay } from "@council/domain"
import { BookId, Standings } from "@council/tracking"
import { BACKTEST, seedDatabase } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"
import { offThread } from "../src/BookWorker.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

describe("the monitor's book worker (a thread of its own)", () => {
  it.effect("answers a book's leaderboard, equity and chart as the CLI computes them in its own thread; a query it cannot answer is None", () =>
    Effect.gen(function*() {
      const home = tempHome()
      yield* Effect.promise(() => seedDatabase(join(home, "council.db"), 3))
      // the worker reads the settings from its environment, as `serve`'s does
      const previous = process.env["COUNCIL_HOME"]
      process.env["COUNCIL_HOME"] = home
      // the next test file may run in this process
      yield* Effect.addFinalizer(() => Effect.sync(() => previous === undefined ? delete process.env["COUNCIL_HOME"] : void (process.env["COUNCIL_HOME"] = previous)))
      const ask = yield* offThread
      const window = { book: BACKTEST, from: TradingDay.make("2023-01-10"), to: undefined }
      const board = yield* ask({ kind: "leaderboard", ...window, riskFree: 0 })
      const cli = yield* Effect.promise(() => cliInProcess(home, ["leaderboard", "--backtest", BACKTEST, "--from", "2023-01-10", "--json"]))
      assert.strictEqual(cli.code, 0, cli.stderr)
      // all of it, the accounts whose LLM cost is an estimate (none: no LLM spend) and the note on sessions without a
      // snapshot (a backtest has none missing) included, is the worker's
      const printed = JSON.parse(cli.stdout) as Record<string, unknown>
      assert.isNull(printed["unrecordedSessions"])
      assert.deepStrictEqual(printed["llmCostEstimated"], [])
      assert.strictEqual(
        JSON.stringify(Schema.encodeSync(Standings.LeaderboardReport)(Option.getOrThrow(board) as Standings.LeaderboardReport), null, 2),
        JSON.stringify(printed, null, 2)
      )
      const equity = Option.getOrThrow(yield* ask({ kind: "equity", ...window })) as Standings.EquityReport
      const csv = yield* Effect.promise(() => cliInProcess(home, ["equity", "--backtest", BACKTEST, "--from", "2023-01-10", "--csv"]))
      assert.strictEqual(csv.stdout.trim().split("\n").length - 1, equity.accounts.reduce((n, a) => n + a.points.length, 0))
      const chart = Option.getOrThrow(yield* ask({ kind: "equity chart", ...window })) as Standings.EquityChart
      assert.deepStrictEqual(chart, Standings.chartOf(equity))
      // no such book: the worker's computation fails, and the server computes it itself (saying why)
      assert.isTrue(Option.isNone(yield* ask({ kind: "report", book: BookId.make("bt-none"), riskFree: 0 })))
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
