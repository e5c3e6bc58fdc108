import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { tmpdir } from "node:os"

const run = new URL("../../../bench/run.ts", import.meta.url).pathname

/** `pnpm bench …` without pnpm: exit code and stderr, with a bound so a bad input that starts measuring fails fast. */
const bench = (args: ReadonlyArray<string>) => {
  const result = spawnSync(process.execPath, [run, ...args], { encoding: "utf8", timeout: 30_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr.trim() }
}

describe("pnpm bench: a bad invocation is one line and exit 2, nothing measured", () => {
  it("refuses an unknown benchmark, an unknown flag, a missing value and a count that is not a whole number ≥ 1", () => {
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
      [["weekly"], `error: unknown benchmark "weekly"; available: daily, exchange, activities, execution, ratelimit, llm, backtest, instructions, leaderboard`],
      [["daily", "--runs", "abc"], "error: bench daily: --runs abc: expected a whole number ≥ 1"],
      [["backtest", "--sessions", "-5"], "error: bench backtest: --sessions -5: expected a whole number ≥ 1"],
      [["backtest", "--runs", "0"], "error: bench backtest: --runs 0: expected a whole number ≥ 1"],
      [["daily", "--sessions", "5"], "error: bench daily: unknown flag --sessions (it takes --runs)"],
      [["exchange", "--runs"], "error: bench exchange: --runs needs a value"],
      [["instructions", "--sessions", "1"], "error: bench instructions: --sessions must be ≥ 2 (one session is the start-up it subtracts)"],
      [["instructions", "--profile"], "error: bench instructions: unknown flag --profile (it takes --runs, --sessions, --from)"],
      [["instructions", "--sessions", "50", "--from", "50"], "error: bench instructions: --from must be below --sessions"],
      [["leaderboard", "--home", "/nonexistent-council-home"], "error: bench leaderboard: --home /nonexistent-council-home: no such directory"],
      [["leaderboard", "--home", run], `error: bench leaderboard: --home ${run}: not a directory`],
      [["leaderboard", "--home", tmpdir()], `error: bench leaderboard: --home ${tmpdir()}: no council.db in it (a COUNCIL_HOME with a backtest)`]
    ]
    for (const [args, line] of cases) {
      const result = bench(args)
      assert.deepStrictEqual([result.code, result.stderr, result.stdout], [2, line, ""], args.join(" "))
    }
  })

  it("--help lists every benchmark on stdout, exit 0, nothing measured", () => {
    for (const flag of ["--help", "-h"]) {
      const result = bench([flag])
      assert.deepStrictEqual([result.code, result.stderr], [0, ""], flag)
      for (const name of ["daily", "exchange", "activities", "execution", "ratelimit", "llm", "backtest", "instructions", "leaderboard"]) {
        assert.match(result.stdout, new RegExp(`^  pnpm bench ${name} \\[`, "m"), `${flag}: ${name}`)
      }
    }
  })
})
