/**
 * Parsed bar files kept on disk, so a start-up reads ten small binary files instead of parsing 48,000 CSV rows
 * (~90 ms of a daily run that takes a few hundred).
 *
 * **When to use**: `LocalBars` asks `read` before parsing a CSV and `write`s what it parsed.
 *
 * **Gotchas**
 * - A cached copy is keyed by the CSV's path, device and inode, size, and modification and change times: editing a
 *   file, replacing it (a rename over it: another inode) or the directory parses it again. The change time is the
 *   one a same-size rewrite cannot keep: `cp -p`, `touch -d` and `utimes` set the modification time back, but the
 *   change time becomes the moment they ran. The copies live in `$TMPDIR/council-bars-cache-<uid>` (beside Node's compile cache);
 *   `COUNCIL_BARS_CACHE=off` turns the cache off.
 * - The directory is used only when it is this user's alone (made here with mode 0700, or found owned by this user
 *   and writable by nobody else): in a shared `/tmp` another user could make it first, then feed every run its own
 *   bars, or plant a symbolic link where a copy is about to be written. Otherwise the CSVs are parsed every time.
 * - Only what parsed cleanly is cached, and the index still validates every series as it does for a parsed file.
 *   A cached copy that is unreadable or the wrong length is ignored; failing to write one is not an error.
 * - Format (version 1): 5 × n float64 (open, high, low, close, volume), then n dates of 10 ASCII characters.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { privateTempDirectory } from "@council/io/PrivateDirectory"
import type { SeriesInput } from "./BarIndex.ts"

const enabled = process.env["COUNCIL_BARS_CACHE"]?.trim() !== "off"

/** The cache's directory if it is this user's alone (`privateTempDirectory`), asked once per process. */
let directory: string | undefined | null = null
const ours = (): string | undefined => {
  if (directory === null) directory = privateTempDirectory("council-bars-cache")
  return directory
}

const DATE_LENGTH = 10
const FIELDS = ["open", "high", "low", "close", "volume"] as const

/**
 * The cache file of the CSV at `path` as it is now, or `undefined` when the cache is off, its directory is not this
 * user's alone, or the CSV cannot be stat'ed.
 */
const fileOf = (path: string): string | undefined => {
  const directory = enabled ? ours() : undefined
  if (directory === undefined) return undefined
  try {
    const stat = statSync(path)
    const key = createHash("sha1")
      .update(`v1\0${path}\0${stat.dev}\0${stat.ino}\0${stat.size}\0${stat.mtimeMs}\0${stat.ctimeMs}`)
      .digest("hex")
    return join(directory, `${key}.bin`)
  } catch {
    return undefined
  }
}

/** The series parsed earlier from the CSV at `path`, if it is cached and unchanged since. */
export const read = (symbol: string, path: string): SeriesInput | undefined => {
  const file = fileOf(path)
  if (file === undefined) return undefined
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch {
    return undefined
  }
  const n = bytes.length / (FIELDS.length * 8 + DATE_LENGTH)
  if (!Number.isInteger(n) || n === 0) return undefined
  const numbers = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + FIELDS.length * 8 * n))
  const text = bytes.toString("latin1", FIELDS.length * 8 * n)
  const dates = new Array<string>(n)
  for (let i = 0; i < n; i++) dates[i] = text.slice(i * DATE_LENGTH, (i + 1) * DATE_LENGTH)
  const column = (c: number) => numbers.subarray(c * n, (c + 1) * n)
  return { symbol, source: path, dates, open: column(0), high: column(1), low: column(2), close: column(3), volume: column(4) }
}

/** Keeps a cleanly parsed series of the CSV at `path` for the next start. */
export const write = (path: string, series: SeriesInput) => {
  const file = fileOf(path)
  const n = series.dates.length
  if (file === undefined || n === 0 || series.dates.some((d) => d.length !== DATE_LENGTH)) return
  const numbers = new Float64Array(FIELDS.length * n)
  FIELDS.forEach((field, c) => numbers.set(Array.from(series[field]), c * n))
  const bytes = Buffer.concat([Buffer.from(numbers.buffer), Buffer.from(series.dates.join(""), "latin1")])
  try {
    const temporary = `${file}.${process.pid}.tmp`
    writeFileSync(temporary, bytes)
    renameSync(temporary, file)
  } catch {
    // a read-only or full temporary directory only costs the next start its parse
  }
}
