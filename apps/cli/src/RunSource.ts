/**
 * Where `runs`, `show`, `export` and `replay` read runs (`--backtest`): the home's run store (no flag, or `live`), or
 * a backtest's own database (`$COUNCIL_HOME/backtests/<id>.db`; its id as `backtests` lists it, or `latest`), whose
 * runs are its sessions. What a run was charged for LLM calls is read from the home's spend ledger either way (a
 * backtest's rows carry its book).
 *
 * **When to use**: provide `layer(flag)` to a command that reads runs; ask `RunSource` for what to say where (the
 * listing command, the flag to repeat).
 *
 * **Gotchas**
 * - Read-only: a missing home is read as an empty one; a backtest whose book the home's ledger does not hold is
 *   refused as `leaderboard --backtest` refuses it, and one whose database is missing is refused too (never created).
 * - A backtest's run ids repeat from one backtest to the next (`<day>-bt`): an id names a run only with its store.
 * - The home's case loads nothing of the ledger; `--backtest` loads `@council/tracking` when it resolves the flag.
 */
import { existsSync } from "node:fs"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { BacktestActivity } from "@council/daily/BacktestActivity"
import { SpendLedger } from "@council/llm/SpendLedger"
import { Database, RunLock, SqlRunStore } from "@council/store"
import { AppSettings } from "./AppConfig.ts"
import { CliFailure } from "./CliFailure.ts"
import { storage } from "./Storage.ts"

/** A backtest whose own database holds the runs read. */
export interface BacktestSource {
  readonly id: string
  readonly file: string
  /** Whether a live process is running it (its book says `running`); `undefined` when its book says otherwise. */
  readonly activity: BacktestActivity | undefined
  /** The command that continues it (`backtest --resume`). */
  readonly resume: string
}

export class RunSource extends Context.Service<RunSource, {
  /** The backtest whose database holds the runs; `undefined`: the home's store. */
  readonly backtest: BacktestSource | undefined
}>()("@council/cli/RunSource") {}

/** The flag that names `source` again in a command line (`""` for the home's store). */
export const flagOf = (source: RunSource["Service"]) => source.backtest === undefined ? "" : ` --backtest ${source.backtest.id}`

/** The command that lists `source`'s runs. */
export const listCommand = (source: RunSource["Service"]) => `pnpm pipeline runs${flagOf(source)}`

/** Whether `--backtest` names a backtest (not absent, not `live`: the home's store). */
export const namesBacktest = (flag: Option.Option<string>): flag is Option.Some<string> => Option.isSome(flag) && flag.value !== "live"

/** The home's run store, read without creating a missing home. */
const home = Layer.mergeAll(Layer.succeed(RunSource, RunSource.of({ backtest: undefined })), SpendLedger.layerSql).pipe(
  Layer.provideMerge(storage("empty"))
)

/** The home's database alone (its ledger and spend), read without creating a missing home. */
const mainDatabase = Layer.unwrap(AppSettings.use((s) => Effect.succeed(Database.layerAt(s.database, "empty"))))

/**
 * The backtest `raw` names (its book in the home's ledger; `latest`: the newest), whether it is being run, and its
 * database, which must exist.
 */
const resolveBacktest = (raw: string) =>
  Effect.gen(function*() {
    if (raw.trim() === "") return yield* CliFailure.usage("--backtest: give a backtest id, latest, or live (list them with: pnpm pipeline backtests)")
    const [{ Standings, TradeLedger }, { backtestActivities, resumeCommand }] = yield* Effect.promise(() =>
      Promise.all([import("@council/tracking"), import("@council/daily/BacktestActivity")])
    )
    const ledgerFailure = (e: { readonly message: string }) => CliFailure.failed(`the ledger could not be read: ${e.message}`)
    const { id, state } = yield* Effect.gen(function*() {
      const id = yield* Standings.bookFor(raw)
      return { id, state: yield* TradeLedger.use((l) => l.bookState(id)) }
    }).pipe(
      Effect.provide(TradeLedger.layer),
      Effect.catchTag("BookNotFound", (e) => Effect.fail(CliFailure.usage(`--backtest: ${e.message}`))),
      Effect.catchTag("LedgerError", (e) => Effect.fail(ledgerFailure(e)))
    )
    const status = Option.match(state, { onNone: () => "completed", onSome: (s) => s.status })
    const activity = (yield* backtestActivities([{ id, status }]).pipe(
      Effect.mapError((e) => CliFailure.failed(`cannot read which backtests are being run: ${e.message}`))
    )).get(id)
    const location = Database.backtestLocation((yield* AppSettings).database, id)
    const { file, home: dir } = location
    if (!existsSync(file)) {
      return yield* CliFailure.usage(
        `--backtest ${id}: its database ${file} is missing (restore ${dir} beside the home's database, or point COUNCIL_HOME at the home that ran it)`
      )
    }
    return { id, file, location, activity, resume: resumeCommand(id) } as const
  })

/** A backtest's runs: its own database (migrated if an older version wrote it, never created), the home's spend. */
const ofBacktest = (raw: string) =>
  Layer.unwrap(Effect.gen(function*() {
    const { activity, file, id, location, resume } = yield* resolveBacktest(raw)
    const spend = yield* SpendLedger
    return Layer.mergeAll(
      Layer.succeed(RunSource, RunSource.of({ backtest: { id, file, activity, resume } })),
      Layer.succeed(SpendLedger, spend),
      // fresh: the home's store is built from the same layer values, and layers are shared by reference
      Layer.mergeAll(Layer.fresh(SqlRunStore.layer), Layer.fresh(RunLock.layer)).pipe(Layer.provideMerge(Database.layerAt(location, "empty")))
    )
  })).pipe(Layer.provide(SpendLedger.layerSql.pipe(Layer.provideMerge(mainDatabase))))

/** The runs `--backtest` names (see the module): the home's store without it, or with `live`. */
export const layer = (backtest: Option.Option<string>) => namesBacktest(backtest) ? ofBacktest(backtest.value) : home
