/**
 * Where each run came from: `local` (run, resumed or forked in this store) or `imported` (from a bundle another
 * home exported). An imported run is never the local day's run: `run daily` looks only at local runs.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE runs ADD COLUMN origin TEXT NOT NULL DEFAULT 'local'`)
})
