/**
 * Whether a backtest whose book says `running` is being run: its process holds the lease `backtestLease(id)` while
 * it runs; a book still `running` that no live process holds was left by one that is gone (killed, crashed, its
 * machine restarted), and stays so until `backtest --resume` continues it.
 *
 * **When to use**: wherever backtests are listed (`pnpm pipeline backtests`, the monitor's `/api/backtests`), as
 * `RunActivity` is for daily runs. A module of its own, loading no stage.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { liveHolders } from "@council/store"

/** The lease a backtest's process holds while it runs (`backtest`, `backtest --resume`). */
export const backtestLease = (id: string) => `backtest:${id}`

/** What a `running` backtest is: being run, or stopped by a process that is gone (`next`: the command that continues it). */
export interface BacktestActivity {
  readonly state: "in-progress" | "stopped"
  readonly next: string | null
}

/** The command that continues a stopped backtest. */
export const resumeCommand = (id: string) => `pnpm pipeline backtest --resume ${id}`

/** The activity of each `running` backtest of `books`; the others have none. */
export const backtestActivities = (books: ReadonlyArray<{ readonly id: string; readonly status: string }>) =>
  Effect.gen(function*() {
    const result = new Map<string, BacktestActivity>()
    const running = books.filter((b) => b.status === "running")
    if (running.length === 0) return result
    const held = new Set((yield* liveHolders).map(({ key }) => key))
    for (const book of running) {
      result.set(book.id, held.has(backtestLease(book.id)) ? { state: "in-progress", next: null } : { state: "stopped", next: resumeCommand(book.id) })
    }
    return result
  })
