/**
 * The embedded default feed: daily bars from CSV files on disk, one `SYMBOL.csv` per symbol with the columns
 * `date,open,high,low,close,volume` (the repository ships ten ETFs in `data/bars/daily/`).
 *
 * **When to use**: the offline default `MarketData`. `layer()` reads `defaultBarsDirectory`;
 * `layer({ directory })` reads another directory (tests use temporary ones).
 *
 * **Gotchas**
 * - All files are read and indexed once, when the layer is built. Rows are parsed with plain string splitting
 *   (no schema decode per row), ~90 ms for 10 × 4,821 rows; what parsed is kept in `BarsCache`, so later starts
 *   read the parsed copy instead (a few milliseconds) until a file changes.
 * - Any malformed file, or files whose dates disagree, fail the layer with `MarketDataError` reason
 *   `InvalidData` naming the file; an unreadable directory fails with `Unavailable`.
 * - The universe is the set of file names (upper-case, without `.csv`), `SPY` first then alphabetical.
 *
 * @since 0.1.0
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as FileProblem from "@council/io/FileProblem"
import * as BarIndex from "./BarIndex.ts"
import * as BarsCache from "./BarsCache.ts"
import { MarketData, MarketDataError } from "./MarketData.ts"

/** `data/bars/daily/` of this repository, resolved from this module's location (independent of the cwd). */
export const defaultBarsDirectory: URL = new URL("../../../data/bars/daily/", import.meta.url)

export const CSV_HEADER = "date,open,high,low,close,volume"

/** Parses one bars CSV; `source` names the file in error messages. */
export const parseBarsCsv = (
  symbol: string,
  text: string,
  source: string
): Result.Result<BarIndex.SeriesInput, string> => {
  const lines = text.split("\n")
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop()
  const header = lines[0]?.trim()
  if (header !== CSV_HEADER) {
    return Result.fail(`${source}: expected the header "${CSV_HEADER}", found "${header ?? ""}"`)
  }
  const n = lines.length - 1
  const dates = new Array<string>(n)
  const open = new Float64Array(n)
  const high = new Float64Array(n)
  const low = new Float64Array(n)
  const close = new Float64Array(n)
  const volume = new Float64Array(n)
  const columns = [open, high, low, close, volume]
  for (let i = 0; i < n; i++) {
    const line = lines[i + 1]!
    const cells = (line.endsWith("\r") ? line.slice(0, -1) : line).split(",")
    if (cells.length !== 6) {
      return Result.fail(`${source}: line ${i + 2} has ${cells.length} fields, expected 6`)
    }
    dates[i] = cells[0]!
    for (let c = 0; c < 5; c++) {
      const cell = cells[c + 1]!
      const value = cell === "" ? Number.NaN : Number(cell)
      if (!Number.isFinite(value)) {
        return Result.fail(`${source}: line ${i + 2} has a non-numeric value ${cellText(cell)}`)
      }
      columns[c]![i] = value
    }
  }
  return Result.succeed({ symbol, source, dates, open, high, low, close, volume })
}

/** A bad cell as an error shows it: quoted, control characters escaped, and at most 40 characters of a long one. */
const cellText = (cell: string) => JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell)

const readDirectory = Effect.fnUntraced(function*(directory: string | URL) {
  const dir = typeof directory === "string" ? directory : fileURLToPath(directory)
  const files = yield* Effect.try({
    try: () => readdirSync(dir).filter((f) => f.toLowerCase().endsWith(".csv")).sort(),
    catch: (cause) =>
      new MarketDataError({ reason: "Unavailable", message: `cannot read the bars directory ${dir}: ${FileProblem.why(cause, "directory")}` })
  })
  if (files.length === 0) {
    return yield* new MarketDataError({ reason: "Unavailable", message: `no *.csv bar files in ${dir}` })
  }
  const inputs: Array<BarIndex.SeriesInput> = []
  for (const file of files) {
    const path = join(dir, file)
    const symbol = file.slice(0, -4).toUpperCase()
    const cached = BarsCache.read(symbol, path)
    if (cached !== undefined) {
      inputs.push(cached)
      continue
    }
    const text = yield* Effect.try({
      try: () => readFileSync(path, "utf8"),
      catch: (cause) => new MarketDataError({ reason: "Unavailable", message: `cannot read ${path}: ${String(cause)}` })
    })
    const parsed = parseBarsCsv(symbol, text, path)
    if (Result.isFailure(parsed)) {
      return yield* new MarketDataError({ reason: "InvalidData", message: parsed.failure })
    }
    BarsCache.write(path, parsed.success)
    inputs.push(parsed.success)
  }
  const bad = BarIndex.firstBadBar(inputs)
  if (bad !== undefined) return yield* new MarketDataError({ reason: "InvalidData", message: bad })
  const index = BarIndex.make(inputs)
  if (Result.isFailure(index)) {
    return yield* new MarketDataError({ reason: "InvalidData", message: index.failure })
  }
  return index.success
})

/** Reads and indexes every `*.csv` in the directory (default: `defaultBarsDirectory`). */
export const load: (
  options?: { readonly directory?: string | URL }
) => Effect.Effect<MarketData["Service"], MarketDataError> = Effect.fn("LocalBars.load")(function*(options?: {
  readonly directory?: string | URL
}) {
  const index = yield* readDirectory(options?.directory ?? defaultBarsDirectory)
  return MarketData.fromIndex(index)
})

/** `MarketData` over the CSV files in `directory` (default: the repository's `data/bars/daily/`). */
export const layer = (options?: { readonly directory?: string | URL }): Layer.Layer<MarketData, MarketDataError> =>
  Layer.effect(MarketData, load(options))
