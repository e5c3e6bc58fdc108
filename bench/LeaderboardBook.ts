/**
 * `pnpm bench leaderboard --home DIR`: a full-range backtest's leaderboard as the CLI and the monitor compute it,
 * in this process, over the newest backtest of the home in `DIR` (`COUNCIL_HOME`; without `--home`, a temporary
 * home where `pipeline backtest` first runs over the bundled data's whole range: minutes). Each repetition opens
 * the home afresh (settings, database, market data: cold, as a CLI run or the server's first request), then
 * measures, one after the other:
 * - the floor: the book's equity series read from the ledger (`TradeLedger.series`), nothing computed;
 * - the equity report (`Standings.equityReport`: the series, SPY, the marks);
 * - the mechanical votes read back from the backtest's run store (`MechanicalVotes`);
 * - the leaderboard from that report (`Standings.leaderboardOf`: fills, bootstrap, baselines, attribution, votes);
 * and prints min / median / max of each and of the whole (report + leaderboard) against the floor. Asserts nothing.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { Standings, TradeLedger } from "@council/tracking"
import { votesByBook } from "../apps/cli/src/BacktestFiles.ts"
import { market } from "../apps/cli/src/Market.ts"
import { configured, storage } from "../apps/cli/src/Storage.ts"
import { bin, root } from "./Processes.ts"
import { line, ratios, show } from "./Stats.ts"

/** A temporary home with a full-range backtest in it (the bundled data's range). */
const backtestHome = (): string => {
  const home = mkdtempSync(join(tmpdir(), "council-bench-book-"))
  console.log(`leaderboard (book): running a full-range backtest in ${home} first (minutes)…`)
  const done = spawnSync(process.execPath, [bin, "backtest", "--from", "2007-01-01", "--to", "2026-12-31"], {
    cwd: root,
    env: { ...process.env, COUNCIL_HOME: home },
    stdio: ["ignore", "ignore", "inherit"]
  })
  if (done.status !== 0) throw new Error(`the backtest exited with ${done.status}`)
  return home
}

const ms = (start: number) => performance.now() - start

/** One cold repetition: each phase's milliseconds. */
const repetition = async () => {
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(TradeLedger.layer, votesByBook).pipe(Layer.provideMerge(storage("empty")), Layer.provideMerge(market), Layer.provideMerge(configured))
  )
  try {
    return await runtime.runPromise(Effect.gen(function*() {
      const book = yield* Standings.bookFor("latest")
      const ledger = yield* TradeLedger
      let start = performance.now()
      const series = yield* ledger.series({ book })
      const floor = ms(start)
      start = performance.now()
      const report = yield* Standings.equityReport({ book })
      const equity = ms(start)
      start = performance.now()
      const votes = yield* Effect.flatMap(Effect.serviceOption(Standings.MechanicalVotes), Option.match({
        onNone: () => Effect.succeed(undefined),
        onSome: (source) => source.between(book, report.from!, report.to!)
      }))
      const voting = ms(start)
      start = performance.now()
      const board = yield* Standings.leaderboardOf({ book }, report)
      const leaderboard = ms(start)
      if (series.length === 0 || votes === undefined || board.contest?.baselines === null) throw new Error(`book ${book} has no full leaderboard`)
      return { floor, equity, votes: voting, leaderboard, total: equity + leaderboard, sessions: board.leaderboard?.sessions ?? 0 }
    }))
  } finally {
    await runtime.dispose()
  }
}

export const leaderboardBook = async (runs: number, home: string | undefined) => {
  const dir = home ?? backtestHome()
  const before = process.env["COUNCIL_HOME"]
  process.env["COUNCIL_HOME"] = dir
  try {
    await repetition() // the first read of the files (the OS's cache), not counted
    const measured: Array<Awaited<ReturnType<typeof repetition>>> = []
    for (let i = 0; i < runs; i++) measured.push(await repetition())
    const of = (key: "floor" | "equity" | "votes" | "leaderboard" | "total") => measured.map((m) => m[key])
    console.log(`leaderboard (book): the newest backtest of ${dir}, ${measured[0]!.sessions} sessions; ${runs} cold repetition(s)`)
    line("floor: the equity series (ms)", show(of("floor"), "", 0))
    line("equity report (ms)", show(of("equity"), "", 0))
    line("mechanical votes (ms)", show(of("votes"), "", 0))
    line("leaderboard, votes included (ms)", show(of("leaderboard"), "", 0))
    line("report + leaderboard (ms)", show(of("total"), "", 0))
    line("report + leaderboard / floor", show(ratios(of("total"), of("floor")), "×", 1))
  } finally {
    if (before === undefined) delete process.env["COUNCIL_HOME"]
    else process.env["COUNCIL_HOME"] = before
    if (home === undefined) rmSync(dir, { recursive: true, force: true })
  }
}
