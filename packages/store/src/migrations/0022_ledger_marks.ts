/**
 * The moment a ledger snapshot is marked at, and the prices of that moment.
 * - `ledger_equity.marked_at`: the moment the snapshot's prices are of (RFC 3339), as the broker said with its marks;
 *   NULL on snapshots written before this migration and where the broker gave none (they read as before: the
 *   benchmark and the baselines at the session's close).
 * - `ledger_marks`: per book, session and moment, the prices the broker marked at then (SPY and the universe, a JSON
 *   object by symbol): the benchmark and the paper baselines are marked at the same moment as the accounts.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const key = sql.onDialectOrElse({ pg: () => `TEXT COLLATE "C"`, orElse: () => "TEXT" })
  yield* sql.unsafe(`ALTER TABLE ledger_equity ADD COLUMN marked_at TEXT`)
  yield* sql.unsafe(`CREATE TABLE ledger_marks (
    book ${key} NOT NULL REFERENCES ledger_books (id) ON DELETE CASCADE,
    session ${key} NOT NULL,
    marked_at ${key} NOT NULL,
    prices TEXT NOT NULL,
    PRIMARY KEY (book, session, marked_at)
  )`)
})
