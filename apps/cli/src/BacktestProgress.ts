/**
 * A backtest's progress on stderr: a bar redrawn in place on a terminal, plain lines (at most one a second, and
 * the last session) when stderr is a file or a pipe. The ETA is the remaining sessions at the rate of the
 * sessions this invocation ran (skipped ones, already done before a resume, do not count).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type { Backtest } from "@council/daily"

const WIDTH = 24

const duration = (ms: number): string => {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
}

/** `[#####·····] 1,234/4,821 25.6 % · 312.4 sessions/s · ETA 11s · 2012-03-05` */
export const describe = (p: Backtest.BacktestProgress): string => {
  const share = p.total === 0 ? 1 : p.done / p.total
  const filled = Math.round(share * WIDTH)
  const rate = p.elapsedMs > 0 ? (p.ran * 1000) / p.elapsedMs : 0
  const eta = rate > 0 ? `ETA ${duration(((p.total - p.done) / rate) * 1000)}` : "ETA —"
  return `[${"#".repeat(filled)}${"·".repeat(WIDTH - filled)}] ${p.done.toLocaleString("en-US")}/${p.total.toLocaleString("en-US")} ` +
    `${(share * 100).toFixed(1)} % · ${rate.toFixed(1)} sessions/s · ${eta} · ${p.day}`
}

/** On a terminal the bar is redrawn on stderr itself; plain lines go through `Console.error`. */
export const progressLine = (tty: boolean) => {
  let shownAt = 0
  let drawn = false
  const update = (p: Backtest.BacktestProgress) =>
    Effect.suspend(() => {
      const now = Date.now()
      if (p.done !== p.total && now - shownAt < (tty ? 100 : 1000)) return Effect.void
      shownAt = now
      if (!tty) return Console.error(describe(p))
      drawn = true
      return Effect.sync(() => void process.stderr.write(`\r${describe(p)}\x1b[K`))
    })
  const done = Effect.suspend(() => {
    if (!drawn) return Effect.void
    drawn = false
    return Effect.sync(() => void process.stderr.write("\n"))
  })
  return { update, done }
}
