/**
 * What a backtest ran on, kept in its book so a published result names what reproduces it: the code (`code`, the
 * version with its commit, `.dirty` when the checkout differed from it) and the market data (`data`).
 *
 * **When to use**: `backtest` records both when it starts and compares them when it resumes (a line on stderr when
 * they differ: the sessions after the resume ran on other code or data). The report's settings and `backtests --json`
 * show them as the book's params.
 *
 * **Gotchas**: the local feed's fingerprint (`sha256`) covers every `*.csv` file the feed reads (the same filter as
 * `LocalBars`), each file's name and its header and rows dated up to the backtest's last session, line endings
 * aside: rows after that session are never read by it (no look-ahead), so bars appended later leave the fingerprint
 * as it was, while a corrected past bar, a symbol added or removed changes it. A remote feed (`alpaca`, `polygon`)
 * is named without a fingerprint: what it serves cannot be hashed up front.
 */
import { createHash } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { TradingDay } from "@council/domain"
import { defaultBarsDirectory, type MarketFeed } from "@council/market"

/** The market data of a backtest: its feed, and for the local CSV feed which bars and their fingerprint. */
export const BacktestData = Schema.Struct({
  source: Schema.String,
  /** The local feed's files: the repository's `data/bars/daily` or the directory `COUNCIL_BARS_DIR` names. */
  bars: Schema.optionalKey(Schema.Literals(["bundled", "COUNCIL_BARS_DIR"])),
  /** Hex SHA-256 of the files' rows up to `through` (see the module's note); absent when they could not be read. */
  sha256: Schema.optionalKey(Schema.String),
  through: Schema.optionalKey(TradingDay)
})
export type BacktestData = typeof BacktestData.Type

/** The fingerprint of the `*.csv` bars in `directory` through `through` (inclusive), or undefined if unreadable. */
export const barsFingerprint = (directory: string, through: TradingDay): string | undefined => {
  try {
    const hash = createHash("sha256")
    for (const file of readdirSync(directory).filter((f) => f.toLowerCase().endsWith(".csv")).sort()) {
      const lines = readFileSync(join(directory, file), "utf8").split("\n")
      const kept: Array<string> = [file]
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!.endsWith("\r") ? lines[i]!.slice(0, -1) : lines[i]!
        // the header, then the rows dated up to `through` (ISO dates compare as text)
        if (line.trim() !== "" && (i === 0 || line.slice(0, 10) <= through)) kept.push(line)
      }
      // one update a file: one a line made a leaderboard's check cost ~150 ms over the bundled bars
      kept.push("")
      hash.update(kept.join("\n"))
    }
    return hash.digest("hex")
  } catch {
    return undefined
  }
}

/** The data `feed` gives a backtest whose last session is `through`. */
export const backtestData = (feed: MarketFeed.Selection, through: TradingDay): Effect.Effect<BacktestData> =>
  Effect.sync(() => {
    if (feed.source !== "local") return { source: feed.source }
    const directory = feed.directory ?? fileURLToPath(defaultBarsDirectory)
    const sha256 = barsFingerprint(directory, through)
    return {
      source: "local",
      bars: feed.directory === undefined ? "bundled" : "COUNCIL_BARS_DIR",
      ...(sha256 === undefined ? {} : { sha256 }),
      through
    }
  })

/** What differs between what a backtest started with and what resumes it now, in words (none: empty). */
export const differences = (
  started: { readonly code: string | undefined; readonly data: BacktestData | undefined },
  now: { readonly code: string; readonly data: BacktestData }
): ReadonlyArray<string> => [
  ...(started.code !== undefined && started.code !== now.code ? [`code ${started.code} then, ${now.code} now`] : []),
  ...(started.data?.sha256 !== undefined && now.data.sha256 !== undefined && started.data.sha256 !== now.data.sha256
    ? [`market data sha256 ${started.data.sha256.slice(0, 12)}… then, ${now.data.sha256.slice(0, 12)}… now`]
    : []),
  ...(started.data !== undefined && started.data.source !== now.data.source ? [`market data ${started.data.source} then, ${now.data.source} now`] : [])
]

const Recorded = Schema.Struct({ data: BacktestData })

/**
 * Said before a backtest's figures read against the data here (`leaderboard`, `equity`): when the bars it recorded
 * (its `params.data`) no longer read the same through its last session, its SPY closes and its RANDOM and MECHANICAL
 * baselines (worked out from the data at hand, never stored) are not the ones it reported. Undefined when they agree,
 * or when either side has no fingerprint (a remote feed, a book started before it was kept).
 */
export const dataChangedNote = (book: string, params: unknown, feed: MarketFeed.Selection): string | undefined => {
  const recorded = Schema.decodeUnknownOption(Recorded)(params)
  if (recorded._tag === "None" || feed.source !== "local") return undefined
  const { sha256, through } = recorded.value.data
  if (sha256 === undefined || through === undefined) return undefined
  const now = barsFingerprint(feed.directory ?? fileURLToPath(defaultBarsDirectory), through)
  if (now === undefined || now === sha256) return undefined
  return `backtest ${book} ran on market data sha256 ${sha256.slice(0, 12)}… through ${through}, which the data here no longer matches (${
    now.slice(0, 12)}…): its SPY closes and its RANDOM and MECHANICAL baselines are worked out from the data here, not from the data it ran on`
}
