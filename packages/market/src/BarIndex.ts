/**
 * An in-memory, column-oriented index of daily bars shared by every symbol: one calendar, one typed array per
 * field and symbol, binary search by date.
 *
 * **When to use**: feeds (`LocalBars`, `MarketData.layerTest`) build one with `BarIndex.make` and hand it to
 * `MarketData.fromIndex`, which owns the calendar rules and errors. Nothing here knows about Effect.
 *
 * **Gotchas**
 * - Every symbol must have exactly the same dates; `make` refuses anything else (with the offending source named)
 *   rather than forward-filling, so a bar is always a real print.
 * - Dates are ISO `YYYY-MM-DD` strings, so string comparison is date comparison.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import type { Bar, Ticker, TradingDay } from "@council/domain"

/** One symbol's raw rows, before indexing. `source` names them in error messages (a file name, say). `Float64Array`
 * columns are adopted as they are, not copied. */
export interface SeriesInput {
  readonly symbol: string
  readonly source: string
  readonly dates: ReadonlyArray<string>
  readonly open: ArrayLike<number>
  readonly high: ArrayLike<number>
  readonly low: ArrayLike<number>
  readonly close: ArrayLike<number>
  readonly volume: ArrayLike<number>
}

export interface SeriesColumns {
  readonly open: Float64Array
  readonly high: Float64Array
  readonly low: Float64Array
  readonly close: Float64Array
  readonly volume: Float64Array
}

export interface BarIndex {
  /** Sorted: `SPY` first when present, then alphabetical. */
  readonly universe: ReadonlyArray<Ticker>
  /** Ascending, shared by every symbol. */
  readonly sessions: ReadonlyArray<TradingDay>
  readonly columns: ReadonlyMap<string, SeriesColumns>
}

const DATE = /^\d{4}-\d{2}-\d{2}$/
const TICKER = /^[A-Z][A-Z0-9.]{0,9}$/

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** True when `day` is `YYYY-MM-DD` and names a real calendar date (arithmetic: building a `Date` costs more). */
export const isCalendarDate = (day: string): boolean => {
  if (!DATE.test(day)) return false
  const year = Number(day.slice(0, 4))
  const month = Number(day.slice(5, 7))
  const date = Number(day.slice(8, 10))
  if (month < 1 || month > 12 || date < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return date <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)
}

const universeOrder = (a: string, b: string): number =>
  a === b ? 0 : a === "SPY" ? -1 : b === "SPY" ? 1 : a < b ? -1 : 1

const FIELDS = ["open", "high", "low", "close", "volume"] as const

/** Builds the index, or explains (naming the source) why the rows cannot be indexed. */
export const make = (inputs: ReadonlyArray<SeriesInput>): Result.Result<BarIndex, string> => {
  if (inputs.length === 0) return Result.fail("no symbols: the feed has no bar series")
  const sorted = [...inputs].sort((a, b) => universeOrder(a.symbol, b.symbol))
  const first = sorted[0]!
  const columns = new Map<string, SeriesColumns>()
  for (const input of sorted) {
    if (!TICKER.test(input.symbol)) return Result.fail(`${input.source}: "${input.symbol}" is not a ticker symbol`)
    if (columns.has(input.symbol)) return Result.fail(`${input.source}: duplicate symbol ${input.symbol}`)
    const n = input.dates.length
    if (n === 0) return Result.fail(`${input.source}: no bars`)
    for (const field of FIELDS) {
      if (input[field].length !== n) {
        return Result.fail(`${input.source}: ${n} dates but ${input[field].length} ${field} values`)
      }
    }
    if (input === first) {
      for (let i = 0; i < n; i++) {
        const date = input.dates[i]!
        if (!isCalendarDate(date)) return Result.fail(`${input.source}: bar ${i + 1} has an invalid date "${date}"`)
        if (i > 0 && date <= input.dates[i - 1]!) {
          return Result.fail(`${input.source}: dates are not strictly ascending at ${date}`)
        }
      }
    } else {
      if (n !== first.dates.length) {
        return Result.fail(`${input.source}: ${n} bars but ${first.source} has ${first.dates.length}; dates disagree`)
      }
      for (let i = 0; i < n; i++) {
        if (input.dates[i] !== first.dates[i]) {
          return Result.fail(
            `${input.source}: bar ${i + 1} is dated ${input.dates[i]} but ${first.source} has ${first.dates[i]}; dates disagree`
          )
        }
      }
    }
    const cols = {} as Record<(typeof FIELDS)[number], Float64Array>
    for (const field of FIELDS) {
      const values = input[field]
      const col = values instanceof Float64Array ? values : Float64Array.from(values)
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(col[i]!)) {
          return Result.fail(`${input.source}: ${field} on ${input.dates[i]} is not a finite number`)
        }
      }
      cols[field] = col
    }
    columns.set(input.symbol, cols)
  }
  return Result.succeed({
    universe: sorted.map((s) => s.symbol as Ticker),
    sessions: first.dates as ReadonlyArray<TradingDay>,
    columns
  })
}

/**
 * Why a bar is not a real print, or `undefined` when it is one: a price that is not a finite number above 0, a
 * volume that is negative or not finite, a high below the low, an open or close outside [low, high]. `make` does
 * not check this (look-ahead tests index deliberately impossible bars): where bars enter — `LocalBars` (refuses the
 * file) and `RemoteBars` (drops the bar) — they are checked with it.
 */
export const barProblem = (open: number, high: number, low: number, close: number, volume: number): string | undefined => {
  const prices = [["open", open], ["high", high], ["low", low], ["close", close]] as const
  for (const [name, value] of prices) {
    if (!(Number.isFinite(value) && value > 0)) return `${name} ${value} is not a price above 0`
  }
  if (!(Number.isFinite(volume) && volume >= 0)) return `volume ${volume} is not a count of shares`
  if (high < low) return `high ${high} is below low ${low}`
  if (open < low || open > high) return `open ${open} is outside [low ${low}, high ${high}]`
  if (close < low || close > high) return `close ${close} is outside [low ${low}, high ${high}]`
  return undefined
}

/** The first bar of `inputs` that is not a real print (`barProblem`), as one line naming its source, symbol and date. */
export const firstBadBar = (inputs: ReadonlyArray<SeriesInput>): string | undefined => {
  for (const input of inputs) {
    for (let i = 0; i < input.dates.length; i++) {
      const problem = barProblem(input.open[i]!, input.high[i]!, input.low[i]!, input.close[i]!, input.volume[i]!)
      if (problem !== undefined) return `${input.source}: the ${input.symbol} bar of ${input.dates[i]} is not a real print: ${problem}`
    }
  }
  return undefined
}

/** Index of the last session on or before `day`, or -1 when `day` precedes every session. */
export const lastAtOrBefore = (sessions: ReadonlyArray<string>, day: string): number => {
  let lo = 0
  let hi = sessions.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (sessions[mid]! <= day) {
      found = mid
      lo = mid + 1
    } else {
      hi = mid - 1
    }
  }
  return found
}

/** Every session's bar of one symbol, built on first use and kept as long as the columns are. */
const built = new WeakMap<SeriesColumns, ReadonlyArray<Bar>>()

const barsOf = (index: BarIndex, columns: SeriesColumns): ReadonlyArray<Bar> => {
  let bars = built.get(columns)
  if (bars === undefined) {
    const all: Array<Bar> = []
    for (let i = 0; i < index.sessions.length; i++) {
      all.push(Object.freeze({
        date: index.sessions[i]!,
        open: columns.open[i]!,
        high: columns.high[i]!,
        low: columns.low[i]!,
        close: columns.close[i]!,
        volume: columns.volume[i]!
      }))
    }
    bars = all
    built.set(columns, bars)
  }
  return bars
}

/**
 * Bars `[from, to]` (session indices, inclusive) of one symbol, as domain `Bar`s. The bars are built once per
 * symbol and shared (frozen) by every slice: a backtest's windows, sliding one session a day, allocate only arrays,
 * and a bar is the same object in every snapshot that holds it (what per-bar caches such as a pitch's fingerprint
 * key by).
 */
export const slice = (index: BarIndex, columns: SeriesColumns, from: number, to: number): Array<Bar> => {
  const series = barsOf(index, columns)
  const start = Math.max(0, from)
  const bars = series.slice(start, to + 1)
  windows.set(bars, { series, from: start })
  return bars
}

/** Where a `slice` (or an array `derived` from one) was cut from its series. */
const windows = new WeakMap<ReadonlyArray<Bar>, { readonly series: ReadonlyArray<Bar>; readonly from: number }>()

/**
 * Says that `derived` holds the bars of `source` (a `slice`) at the same positions, except some at its end (a
 * session's bar replaced by what was known during it): `joinedText` then reuses the series' text for the bars it
 * shares. Returns `derived`.
 */
export const derivedWindow = (source: ReadonlyArray<Bar>, derived: Array<Bar>): Array<Bar> => {
  const window = windows.get(source)
  if (window !== undefined) windows.set(derived, window)
  return derived
}

/** Bars per block of a series' joined text: a window (a lookback of ~200 sessions) spans one block or two. */
const BLOCK = 256
/** How far (in blocks) from the last one built the blocks kept are. */
const KEPT_BLOCKS = 2

interface JoinedBlock {
  readonly text: string
  /** Where each bar's text starts in `text` (the last: past its end, separator included). */
  readonly starts: Int32Array
}

/** Per formatter and series: its blocks' joined texts, built when first needed. */
const joinedTexts = new Map<(bar: Bar) => string, WeakMap<ReadonlyArray<Bar>, Array<JoinedBlock | undefined>>>()

const blockOf = (series: ReadonlyArray<Bar>, format: (bar: Bar) => string, separator: string, b: number): JoinedBlock => {
  let bySeries = joinedTexts.get(format)
  if (bySeries === undefined) joinedTexts.set(format, bySeries = new WeakMap())
  let blocks = bySeries.get(series)
  if (blocks === undefined) bySeries.set(series, blocks = [])
  let block = blocks[b]
  if (block === undefined) {
    const texts = series.slice(b * BLOCK, (b + 1) * BLOCK).map(format)
    const starts = new Int32Array(texts.length + 1)
    for (let i = 0; i < texts.length; i++) starts[i + 1] = starts[i]! + texts[i]!.length + separator.length
    // a window needs two blocks at most, and moves on: blocks far from this one are dropped (built again if asked)
    blocks.forEach((_, kept) => {
      if (Math.abs(kept - b) > KEPT_BLOCKS) blocks[kept] = undefined
    })
    blocks[b] = block = { text: texts.join(separator), starts }
  }
  return block
}

/** The texts of `series[from, to)` joined, as substrings of the blocks they fall in (and separators), pushed on `into`. */
const windowPieces = (
  series: ReadonlyArray<Bar>,
  format: (bar: Bar) => string,
  separator: string,
  from: number,
  to: number,
  into: Array<string>
): void => {
  for (let i = from; i < to;) {
    const b = Math.floor(i / BLOCK)
    const { starts, text } = blockOf(series, format, separator, b)
    const next = Math.min(to, (b + 1) * BLOCK)
    if (i > from) into.push(separator)
    into.push(text.slice(starts[i - b * BLOCK]!, starts[next - b * BLOCK]! - separator.length))
    i = next
  }
}

/**
 * `joinedText` as pieces whose concatenation it is — substrings of the series' text, separators, the texts of bars
 * not shared — pushed on `into`: a caller that only writes them out (a snapshot's UTF-8 bytes) copies no text.
 */
export const joinedPieces = (bars: ReadonlyArray<Bar>, format: (bar: Bar) => string, separator: string, into: Array<string>): void => {
  const window = windows.get(bars)
  let shared = 0
  if (window !== undefined) {
    const { from, series } = window
    while (shared < bars.length && bars[shared] === series[from + shared]) shared++
    if (shared > 0) windowPieces(series, format, separator, from, from + shared, into)
  }
  for (let i = shared; i < bars.length; i++) {
    if (i > 0) into.push(separator)
    into.push(format(bars[i]!))
  }
}

/**
 * `bars.map(format).join(separator)`, where the bars `bars` shares with the series it was cut from (`slice`,
 * `derivedWindow`) cost substrings of that series' text, formatted once per series and formatter (by blocks of
 * `BLOCK` bars, when first asked): a backtest's window, sliding a session a day, is not formatted 200 times over.
 * `format` must be a pure function kept for good (it keys the cache) and `separator` the same at every call with it.
 */
export const joinedText = (bars: ReadonlyArray<Bar>, format: (bar: Bar) => string, separator: string): string => {
  const pieces: Array<string> = []
  joinedPieces(bars, format, separator, pieces)
  return pieces.join("")
}
