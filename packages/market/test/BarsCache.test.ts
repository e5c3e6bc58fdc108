import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Ticker, TradingDay } from "@council/domain"
import { LocalBars } from "@council/market"

/** Real prints (low 1, high 99) whose closes the test changes without changing the file's size. */
const csv = (close: number) =>
  ["date,open,high,low,close,volume", `2026-06-05,10,99,1,${close},100`, `2026-06-08,10,99,1,${close + 1},200`].join("\n")

const closes = (directory: string) =>
  Effect.flatMap(LocalBars.load({ directory }), (market) =>
    Effect.map(market.bars({ symbol: Ticker.make("SPY"), asOf: TradingDay.make("2026-06-08"), lookback: 2 }), (bars) =>
      bars.map((b) => b.close)))

describe("BarsCache", () => {
  it.effect("parses a file again once it changed, even rewritten at the same size with its modification time kept", () =>
    Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "council-bars-"))
      const file = join(directory, "SPY.csv")
      const time = new Date("2026-06-08T20:00:00Z")
      writeFileSync(file, csv(10))
      utimesSync(file, time, time)
      assert.deepStrictEqual(yield* closes(directory), [10, 11])
      assert.deepStrictEqual(yield* closes(directory), [10, 11], "read again, unchanged (from the cache)")
      // rewritten in place at the same size, its modification time set back (as `cp -p` or `touch -d` leave it)
      writeFileSync(file, csv(30))
      utimesSync(file, time, time)
      assert.deepStrictEqual(yield* closes(directory), [30, 31])
      // replaced by a rename over it, same size and times as the file it replaces
      const replacement = join(directory, "SPY.csv.new")
      writeFileSync(replacement, csv(50))
      utimesSync(replacement, time, time)
      renameSync(replacement, file)
      assert.deepStrictEqual(yield* closes(directory), [50, 51])
      utimesSync(file, time, new Date(time.getTime() + 5_000))
      assert.deepStrictEqual(yield* closes(directory), [50, 51])
      rmSync(directory, { recursive: true, force: true })
    }))

  it("reads no copy from a cache directory others can write (a shared /tmp): the CSV's own bars, not planted ones", () => {
    const directory = mkdtempSync(join(tmpdir(), "council-bars-"))
    const temporary = mkdtempSync(join(tmpdir(), "council-tmpdir-"))
    try {
      const file = join(directory, "SPY.csv")
      writeFileSync(file, csv(10))
      const stat = statSync(file)
      // the copy's name as the cache would give it for this very file (its key: path, device, inode, size, times)
      const key = createHash("sha1")
        .update(`v1\0${file}\0${stat.dev}\0${stat.ino}\0${stat.size}\0${stat.mtimeMs}\0${stat.ctimeMs}`)
        .digest("hex")
      const planted = Buffer.concat([
        Buffer.from(new Float64Array([10, 10, 11, 11, 9, 9, 666, 667, 100, 200]).buffer),
        Buffer.from("2026-06-052026-06-08", "latin1")
      ])
      for (const name of ["council-bars-cache", `council-bars-cache-${process.getuid?.() ?? "user"}`]) {
        mkdirSync(join(temporary, name))
        chmodSync(join(temporary, name), 0o777)
        writeFileSync(join(temporary, name, `${key}.bin`), planted)
      }
      const program = `import * as Effect from "effect/Effect"
        import { Ticker, TradingDay } from "@council/domain"
        import { LocalBars } from "@council/market"
        const bars = await Effect.runPromise(Effect.flatMap(LocalBars.load({ directory: ${JSON.stringify(directory)} }), (m) =>
          m.bars({ symbol: Ticker.make("SPY"), asOf: TradingDay.make("2026-06-08"), lookback: 2 })))
        console.log(JSON.stringify(bars.map((b) => b.close)))`
      const out = execFileSync(process.execPath, ["--input-type=module", "-e", program], {
        cwd: join(import.meta.dirname, ".."),
        env: { ...process.env, TMPDIR: temporary },
        encoding: "utf8"
      })
      assert.deepStrictEqual(JSON.parse(out), [10, 11])
    } finally {
      rmSync(directory, { recursive: true, force: true })
      rmSync(temporary, { recursive: true, force: true })
    }
  })
})
