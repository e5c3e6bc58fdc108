import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TradingDay } from "@council/domain"
import { LocalBars } from "@council/market"

const HEADER = "date,open,high,low,close,volume"
const GOOD = [HEADER, "2024-01-02,10,11,9,10.5,1000", "2024-01-03,10.5,12,10,11,1200", ""].join("\n")

const withFiles = (files: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = mkdtempSync(join(tmpdir(), "council-bars-"))
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
      return dir
    }),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

const loadError = (files: Record<string, string>) =>
  Effect.gen(function*() {
    const dir = yield* withFiles(files)
    return yield* Effect.flip(LocalBars.load({ directory: dir }))
  })

describe("LocalBars with malformed files", () => {
  it.effect("reads a well-formed directory, CRLF line endings included", () =>
    Effect.gen(function*() {
      const dir = yield* withFiles({ "AAA.csv": GOOD, "bbb.csv": GOOD.replaceAll("\n", "\r\n") })
      const md = yield* LocalBars.load({ directory: dir })
      assert.deepStrictEqual<ReadonlyArray<string>>(yield* md.universe, ["AAA", "BBB"])
      const snapshot = yield* md.snapshot(TradingDay.make("2024-01-03"), 2)
      assert.deepStrictEqual(snapshot.history[1]!.bars.map((b) => b.close), [10.5, 11])
    }))

  it.effect("a non-numeric value is InvalidData naming the file and line", () =>
    Effect.gen(function*() {
      const error = yield* loadError({ "AAA.csv": GOOD, "BBB.csv": GOOD.replace("10.5,1000", "oops,1000") })
      assert.strictEqual(error.reason, "InvalidData")
      assert.match(error.message, /BBB\.csv: line 2 has a non-numeric value "oops"$/)
    }))

  it.effect("a long or control-laden cell is shown cut to 40 characters and escaped, on one line", () =>
    Effect.gen(function*() {
      const long = yield* loadError({ "AAA.csv": GOOD.replace("10.5,1000", `${"9".repeat(30)}x${"z".repeat(100_000)},1000`) })
      assert.isTrue(long.message.endsWith(`AAA.csv: line 2 has a non-numeric value "${"9".repeat(30)}x${"z".repeat(9)}…"`), long.message.slice(0, 300))
      assert.isBelow(long.message.length, 300)
      const escaped = yield* loadError({ "AAA.csv": GOOD.replace("10.5,1000", "1\u001b[31m\u0007,1000") })
      assert.match(escaped.message, /line 2 has a non-numeric value "1\\u001b\[31m\\u0007"$/)
    }))

  it.effect("an empty cell is InvalidData, not zero", () =>
    Effect.gen(function*() {
      const error = yield* loadError({ "AAA.csv": GOOD.replace(",1200", ",") })
      assert.strictEqual(error.reason, "InvalidData")
      assert.match(error.message, /AAA\.csv: line 3 has a non-numeric value ""$/)
    }))

  it.effect("a wrong header or field count is InvalidData", () =>
    Effect.gen(function*() {
      const header = yield* loadError({ "AAA.csv": GOOD.replace(HEADER, "Date,Open,High,Low,Close,Adj Close,Volume") })
      assert.strictEqual(header.reason, "InvalidData")
      assert.include(header.message, "AAA.csv: expected the header")
      const fields = yield* loadError({ "AAA.csv": GOOD.replace("10,11,9,10.5,1000", "10,11,9,10.5") })
      assert.include(fields.message, "AAA.csv: line 2 has 5 fields, expected 6")
    }))

  it.effect("dates that disagree between files are InvalidData naming the file", () =>
    Effect.gen(function*() {
      const error = yield* loadError({ "AAA.csv": GOOD, "BBB.csv": GOOD.replace("2024-01-03", "2024-01-04") })
      assert.strictEqual(error.reason, "InvalidData")
      assert.match(error.message, /BBB\.csv: bar 2 is dated 2024-01-04 but .*AAA\.csv has 2024-01-03; dates disagree$/)
      const short = yield* loadError({ "AAA.csv": GOOD, "BBB.csv": GOOD.split("\n").slice(0, 2).join("\n") })
      assert.include(short.message, "BBB.csv: 1 bars but")
    }))

  it.effect("unordered or invalid dates are InvalidData", () =>
    Effect.gen(function*() {
      const unordered = yield* loadError({ "AAA.csv": GOOD.replace("2024-01-03", "2024-01-01") })
      assert.include(unordered.message, "AAA.csv: dates are not strictly ascending at 2024-01-01")
      const invalid = yield* loadError({ "AAA.csv": GOOD.replace("2024-01-03", "2024-13-03") })
      assert.include(invalid.message, `AAA.csv: bar 2 has an invalid date "2024-13-03"`)
    }))

  it.effect("a bar that is not a real print is InvalidData naming the file, symbol, date and why", () =>
    Effect.gen(function*() {
      const cases = [
        ["10.5,12,10,11,1200", "0,12,10,11,1200", "open 0 is not a price above 0"],
        ["10.5,12,10,11,1200", "10.5,12,10,-11,1200", "close -11 is not a price above 0"],
        ["10.5,12,10,11,1200", "10.5,12,10,11,-5", "volume -5 is not a count of shares"],
        ["10.5,12,10,11,1200", "10.5,9,10,9.5,1200", "high 9 is below low 10"],
        ["10.5,12,10,11,1200", "12.5,12,10,11,1200", "open 12.5 is outside [low 10, high 12]"],
        ["10.5,12,10,11,1200", "10.5,12,10,9.9,1200", "close 9.9 is outside [low 10, high 12]"]
      ] as const
      for (const [good, bad, why] of cases) {
        const error = yield* loadError({ "AAA.csv": GOOD, "BBB.csv": GOOD.replace(good, bad) })
        assert.strictEqual(error.reason, "InvalidData", why)
        assert.match(error.message, new RegExp(`BBB\\.csv: the BBB bar of 2024-01-03 is not a real print: ${why.replace(/[[\]]/g, "\\$&")}$`))
      }
    }))

  it.effect("a missing or empty directory is Unavailable", () =>
    Effect.gen(function*() {
      const empty = yield* withFiles({})
      const none = yield* Effect.flip(LocalBars.load({ directory: empty }))
      assert.strictEqual(none.reason, "Unavailable")
      assert.include(none.message, "no *.csv bar files")
      mkdirSync(join(empty, "sub"))
      const missing = yield* Effect.flip(LocalBars.load({ directory: join(empty, "nope") }))
      assert.strictEqual(missing.reason, "Unavailable")
    }))
})
