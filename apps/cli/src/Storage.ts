/**
 * The checked settings and the run store: all that `runs`, `show`, `export` and `import` need (a module of its own
 * so those commands load nothing else of the composition root — no brokers, feeds or exchange).
 *
 * Order matters for "nothing written on a refusal": `configured` reads and checks every variable first; the
 * database is opened only by `storage`, which a command provides after its own checks; `storage("empty")` never
 * creates a home.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { TradingAccounts } from "@council/broker/TradingAccounts"
import { Database, RunLock, SqlRunStore } from "@council/store"
import { AppSettings, load } from "./AppConfig.ts"
import * as EnvFile from "./EnvFile.ts"

/**
 * The checked settings and the configured accounts (through the LIVE guard); nothing opened, nothing written. A `.env`
 * Council does not read is said first (`EnvFile`).
 */
export const configured = Layer.unwrap(AppSettings.use((s) => Effect.succeed(TradingAccounts.layer(s.accounts.accounts, s.accounts.source)))).pipe(
  Layer.provideMerge(Layer.effect(AppSettings, Effect.andThen(EnvFile.notice, load)))
)

/**
 * The run store, the run lock and their database. `"create"` creates a missing home; `"empty"` reads a missing one
 * as an empty store, in memory, so a command that only reads (or is refused) leaves no trace.
 */
export const storage = (missing: "create" | "empty") =>
  Layer.mergeAll(SqlRunStore.layer, RunLock.layer).pipe(
    Layer.provideMerge(Layer.unwrap(AppSettings.use((s) => Effect.succeed(Database.layerAt(s.database, missing)))))
  )
