/**
 * Blob bodies as binary (`Blobs`): a `data` column holds a text compressed with zstd (no more base64 of deflate).
 * On SQLite the table is rebuilt with its hashes (`hash`, `base`) as 16 bytes instead of 32 hex characters, in
 * the row and in the primary key's index. (`WITHOUT ROWID` would store the key once, but measured larger: rows
 * past ~1 KB spill to overflow pages there, and random inserts leave its pages a third empty.) PostgreSQL keeps
 * its hex keys. Existing rows keep their bodies (plain, deflated or `TextDelta` deltas) and read back as before.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.onDialectOrElse({
    pg: () =>
      sql.unsafe(`ALTER TABLE blobs ADD COLUMN data BYTEA, ALTER COLUMN body DROP NOT NULL`),
    orElse: () =>
      Effect.gen(function*() {
        yield* sql.unsafe(`CREATE TABLE blobs_binary (
          hash BLOB PRIMARY KEY,
          base BLOB,
          z INTEGER NOT NULL,
          body TEXT,
          data BLOB
        )`)
        yield* sql.unsafe(`INSERT INTO blobs_binary (hash, base, z, body) SELECT unhex(hash), unhex(base), z, body FROM blobs`)
        yield* sql.unsafe(`DROP TABLE blobs`)
        yield* sql.unsafe(`ALTER TABLE blobs_binary RENAME TO blobs`)
      })
  })
})
