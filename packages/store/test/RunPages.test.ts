/**
 * `listRuns`' page cursor (`before`: the runs after a given one, ties of `startedAt` broken by id) and its range of
 * trading days (`days`), the same on every store: the memory one, SQLite and PostgreSQL. The monitor's `?before=`,
 * `runs --before` and `backtest --pms replay` (only its range's runs) read through them.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type RunRecord, RunStore } from "@council/engine"
import { Database, SqlRunStore } from "@council/store"
import { PgServer } from "./PgServer.ts"
import { day, mkRun, sqliteStore, tempFile } from "./StoreFixture.ts"

const ids = (list: ReadonlyArray<{ readonly id: string }>) => list.map((r) => r.id)

const runs = [
  mkRun("run-a", { startedAt: "2026-08-20T10:00:00.000Z", tradingDay: day("2026-08-20") }),
  mkRun("run-b", { startedAt: "2026-08-21T10:00:00.000Z", tradingDay: day("2026-08-21") }),
  mkRun("run-c", { startedAt: "2026-08-21T10:00:00.000Z", tradingDay: day("2026-08-21") }),
  mkRun("run-d", { startedAt: "2026-08-21T10:00:00.000Z", tradingDay: day("2026-08-24") }),
  mkRun("run-e", { startedAt: "2026-08-25T10:00:00.000Z", tradingDay: day("2026-08-25") })
]

const pages = Effect.gen(function*() {
  const store = yield* RunStore
  yield* Effect.forEach(runs, store.createRun, { discard: true })
  assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10 })), ["run-e", "run-d", "run-c", "run-b", "run-a"])
  const after = (run: RunRecord) => ({ startedAt: run.startedAt, id: run.id })
  assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 2, before: after(runs[4]!) })), ["run-d", "run-c"])
  assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 2, before: after(runs[2]!) })), ["run-b", "run-a"], "a tie of startedAt: by id")
  // surveyRuns pages as listRuns does (the list that names damaged runs in their place)
  assert.deepStrictEqual(ids(yield* store.surveyRuns({ limit: 2, before: after(runs[2]!) })), ["run-b", "run-a"])
  assert.deepStrictEqual(ids(yield* store.surveyRuns({ limit: 10, before: after(runs[0]!) })), [])
  assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10, days: { from: day("2026-08-21"), to: day("2026-08-24") } })), ["run-d", "run-c", "run-b"])
  assert.deepStrictEqual(
    ids(yield* store.listRuns({ limit: 10, days: { from: day("2026-08-21"), to: day("2026-08-24") }, before: after(runs[3]!) })),
    ["run-c", "run-b"]
  )
})

/**
 * Paging one run at a time visits every run once, in the order of the whole list, when ids that tie on `startedAt`
 * differ in case (binary order puts `B` before `a`, a locale's after it).
 */
const walk = Effect.gen(function*() {
  const store = yield* RunStore
  const ties = ["tie-a", "tie-B", "tie-c", "tie-D"].map((id) => mkRun(id, { startedAt: "2026-08-21T10:00:00.000Z", tradingDay: day("2026-08-21") }))
  yield* Effect.forEach(ties, store.createRun, { discard: true })
  const whole = ids(yield* store.listRuns({ limit: 10 }))
  assert.deepStrictEqual(whole, ["tie-c", "tie-a", "tie-D", "tie-B"], "ties of startedAt by id, binary order, newest first")
  const visited: Array<string> = []
  let page = yield* store.listRuns({ limit: 1 })
  while (page.length > 0 && visited.length <= ties.length) {
    visited.push(page[0]!.id)
    page = yield* store.listRuns({ limit: 1, before: { startedAt: page[0]!.startedAt, id: page[0]!.id } })
  }
  assert.deepStrictEqual(visited, whole)
})

describe("listRuns' pages and day range", () => {
  it.effect("memory", () => pages.pipe(Effect.provide(RunStore.layerMemory.pipe(Layer.fresh))))
  it.effect("SQLite", () => pages.pipe(Effect.provide(sqliteStore(tempFile("council.db")))))
  it.effect("memory: one run a page", () => walk.pipe(Effect.provide(RunStore.layerMemory.pipe(Layer.fresh))))
  it.effect("SQLite: one run a page", () => walk.pipe(Effect.provide(sqliteStore(tempFile("council.db")))))
  layer(PgServer.layer, { timeout: 60_000 })("PostgreSQL", (it) => {
    const pg = <A, E>(body: Effect.Effect<A, E, RunStore>) =>
      Effect.flatMap(PgServer, (server) =>
        Effect.flatMap(server.createDatabase, (url) => body.pipe(Effect.provide(SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerPg(url)))))))
    it.effect("PostgreSQL", () => pg(pages))
    it.effect("PostgreSQL: one run a page", () => pg(walk))
  })
})
