/**
 * Local market data that has fallen behind the clock. `run daily` without `--date` runs the latest session the data
 * holds; with the bundled bars (or a bars directory nobody refreshes) that session stays the same day after day, so a
 * daily timer would "run" the day that already ran forever, exit 0, saying nothing. `staleLine` says so: the data's
 * last session, the session the clock is in, and that there is nothing new to trade.
 *
 * **When to use**: `RunDaily.runDaily` before its plan is acted on, only for a run whose day the data chose (no
 * `--date`) on a simulated clock (no Alpaca account) over the local feed: a remote feed follows the clock itself.
 *
 * **Rules**
 * - The session by the clock is today's New York date, or the Friday before on a weekend; the data's calendar ends
 *   where the data does, so a holiday is not known: on one, the line says the data ends a session before it, which
 *   is true and still nothing new to trade.
 * - Said through the notifier (its console line on stderr, and Slack when configured) as a warning, when that
 *   day already ran (a timer's run after the first): a timer's operator reads Slack — once for each session by
 *   the clock; a cron re-running that day says it on stderr only (`notices_sent`). The first run of the data's
 *   last session (the README's first command on a fresh home) runs as before, saying nothing more.
 * - Its subject names the run's accounts that trade real money (`RunMessages.liveRun`), as every message about a
 *   run with a LIVE account does: a LIVE rehearsal on `exchange serve` runs on a simulated clock too.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as SqlClient from "effect/sql/SqlClient"
import { momentOfEpoch, type TradingDay } from "@council/domain"
import { Notifier } from "@council/notify/Notifier"
import { liveRun } from "@council/notify/RunMessages"
import { AppSettings } from "./AppConfig.ts"

const DAY_MILLIS = 86_400_000

/** The latest weekday on or before `day` (`YYYY-MM-DD`). */
export const weekdayOnOrBefore = (day: string): string => {
  const at = Date.parse(`${day}T00:00:00Z`)
  const weekday = new Date(at).getUTCDay()
  const back = weekday === 0 ? 2 : weekday === 6 ? 1 : 0
  return new Date(at - back * DAY_MILLIS).toISOString().slice(0, 10)
}

/** The session by the clock on New York date `today`, when the data's latest session `latest` is before it. */
export const behindBy = (latest: TradingDay, today: string): string | undefined => {
  const current = weekdayOnOrBefore(today)
  return latest < current ? current : undefined
}

/** The line for data ending `latest` behind the session `current`. */
export const staleLine = (latest: TradingDay, current: string, source: string): string =>
  `${source} end ${latest}, before the session by the clock (${current}): ${latest} already ran, nothing new to trade; newer bars (COUNCIL_BARS_DIR) or a remote feed (COUNCIL_DATA) bring newer sessions`

/**
 * Records that the notice `key` was told, and whether this invocation is the first to tell it (the row is new).
 * A database that cannot record it (read-only, unreachable) counts as first: told again rather than lost.
 */
const firstToTell = (key: string, store: Layer.Layer<SqlClient.SqlClient, unknown, AppSettings>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    const rows = yield* sql`INSERT INTO notices_sent (notice, sent_at_ms) VALUES (${key}, ${now}) ON CONFLICT (notice) DO NOTHING RETURNING notice`
    return rows.length > 0
  }).pipe(Effect.provide(store), Effect.orElseSucceed(() => true))

/**
 * Says that the local data's latest session, `day`, which already ran, is behind the clock; nothing when it is not,
 * when `--date` chose the day, on a real clock or a remote feed. The first invocation of a clock's session to say it
 * tells `everywhere` (stderr and Slack); later ones (a timer's re-runs that day) `consoleOnly` (`notices_sent`).
 * `live`: the run's accounts that trade real money, named after the subject.
 */
export const sayIfBehind = (
  options: { readonly date: Option.Option<string> },
  day: TradingDay,
  realClock: unknown,
  live: ReadonlyArray<string>,
  channels: {
    readonly everywhere: Layer.Layer<Notifier, unknown, AppSettings>
    readonly consoleOnly: Layer.Layer<Notifier, unknown, AppSettings>
    readonly store: Layer.Layer<SqlClient.SqlClient, unknown, AppSettings>
  }
) =>
  Effect.gen(function*() {
    if (Option.isSome(options.date) || realClock !== undefined) return
    const { feed } = yield* AppSettings
    if (feed.source !== "local") return
    const current = behindBy(day, momentOfEpoch(yield* Clock.currentTimeMillis).day)
    if (current === undefined) return
    const source = feed.directory === undefined ? "the bundled bars" : `the bars in ${feed.directory}`
    const first = yield* firstToTell(`stale-data ${day} ${current}`, channels.store)
    yield* Notifier.use((notifier) =>
      notifier.notify(liveRun({ level: "WARN", subject: "Market data behind the clock", body: staleLine(day, current, source) }, live))
    ).pipe(
      Effect.catchTag("NotifierError", (error) => Effect.logWarning(`notification failed: ${error.message}`)),
      Effect.provide(first ? channels.everywhere : channels.consoleOnly),
      Effect.orElseSucceed(() => undefined)
    )
  })
