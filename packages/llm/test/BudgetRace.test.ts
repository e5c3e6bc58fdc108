import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { PgServer } from "../../store/test/PgServer.ts"

const ROUNDS = 60

interface Racer {
  readonly child: ChildProcessWithoutNullStreams
  /** Resolves with the racer's answer (`ok` or `refused`) to round `n`. */
  readonly answer: (n: number) => Promise<string>
}

/** A process of its own reserving calls on `target` (fixtures/reserve-race.ts); resolves once its database is open. */
const racer = (target: string, env: Record<string, string> = {}) =>
  new Promise<Racer>((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "fixtures", "reserve-race.ts"), target], { env: { ...process.env, ...env } })
    const answers = new Map<number, string>()
    const waiting = new Map<number, (answer: string) => void>()
    let output = ""
    let errors = ""
    child.stderr.on("data", (chunk: Buffer) => void (errors += chunk.toString()))
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      const lines = output.split("\n")
      output = lines.pop() ?? ""
      for (const line of lines) {
        if (line === "ready") resolve({ child, answer: (n) => new Promise((done) => answers.has(n) ? done(answers.get(n)!) : waiting.set(n, done)) })
        const [n, answer] = line.split(" ")
        if (answer !== undefined) {
          answers.set(Number(n), answer)
          waiting.get(Number(n))?.(answer)
        }
      }
    })
    child.once("exit", (code) => reject(new Error(`reserve-race exited ${code}: ${errors}`)))
  })

/**
 * Two processes reserve the one call each run's limit allows, at the same moment, `ROUNDS` times: each round one of
 * them gets it and the other is refused. Returns what they answered, round by round.
 */
const race = (target: string, env: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const racers = await Promise.all([racer(target, env), racer(target, env)])
    try {
      const rounds: Array<ReadonlyArray<string>> = []
      for (let n = 0; n < ROUNDS; n++) {
        for (const r of racers) r.child.stdin.write(`${n}\n`)
        rounds.push((await Promise.all(racers.map((r) => r.answer(n)))).sort())
      }
      return rounds
    } finally {
      for (const r of racers) r.child.stdin.end()
    }
  })

describe("LlmBudget, two processes on one SQLite file", () => {
  it.effect("racing reservations never take a run past its limit: the check and the reservation are one transaction", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "council-budget-race-"))
      const file = join(dir, "council.db")
      const rounds = yield* race(file)
      const db = new DatabaseSync(file, { readOnly: true })
      const runs = db.prepare("SELECT run_id, COUNT(*) AS calls, SUM(cost_usd) AS usd FROM llm_spend GROUP BY run_id").all() as Array<{ calls: number; usd: number }>
      db.close()
      rmSync(dir, { recursive: true, force: true })
      assert.strictEqual(runs.length, ROUNDS)
      assert.deepStrictEqual(runs.filter((r) => r.calls !== 1 || r.usd > 0.03), [], "a run charged past its $0.03 limit")
      assert.deepStrictEqual(rounds.filter((r) => r.join(" ") !== "ok refused"), [])
    }), { timeout: 60_000 })
})

layer(PgServer.layer, { timeout: 60_000, excludeTestServices: true })("LlmBudget, two processes on one PostgreSQL database", (it) => {
  it.effect("racing reservations never take a run past its limit: the check and the reservation hold an advisory lock", () =>
    Effect.gen(function*() {
      const url = yield* (yield* PgServer).createDatabase
      const rounds = yield* race("pg", { DATABASE_URL: Redacted.value(url) })
      assert.deepStrictEqual(rounds.filter((r) => r.join(" ") !== "ok refused"), [])
    }), { timeout: 60_000 })
})
