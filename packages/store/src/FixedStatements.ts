/**
 * Statements of fixed text with `?` placeholders over an `effect/sql` client, compiled once.
 *
 * **When to use**: hot statements (a run's checkpoints, the exchange's orders): a template costs microseconds to
 * compile on every call. The statement runs straight on a connection, without `effect/sql`'s per-statement span,
 * compilation and statement object (~100 k instructions a statement): inside a transaction on the transaction's,
 * outside on one reserved for it (`reserve`: on SQLite the connection's lock, which waits for another fiber's
 * transaction to end, as a client statement does).
 *
 * **Gotchas**: the text is used as written (placeholders become `$1`, `$2`, … on PostgreSQL): no identifiers or
 * fragments from input. A statement whose shape varies (an `IN` list) makes one text per shape.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"

/** `?` placeholders as PostgreSQL's `$1`, `$2`, … */
const numbered = (text: string) => {
  let n = 0
  return text.replace(/\?/g, () => `$${++n}`)
}

export type Statement = (...params: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<Record<string, unknown>>, SqlError.SqlError>

/** `prepare(text)` gives a statement of that fixed text; `pg` says which dialect the client speaks. */
export const make = (sql: SqlClient.SqlClient) => {
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  const transaction = Effect.serviceOption(sql.transactionService)
  const prepare = (text: string): Statement => {
    const compiled = pg ? numbered(text) : text
    return (...params) =>
      Effect.flatMap(transaction, (open) =>
        Option.isSome(open)
          ? open.value[0].execute(compiled, params, undefined) as Effect.Effect<ReadonlyArray<Record<string, unknown>>, SqlError.SqlError>
          : Effect.scoped(Effect.flatMap(sql.reserve, (connection) =>
            connection.execute(compiled, params, undefined) as Effect.Effect<ReadonlyArray<Record<string, unknown>>, SqlError.SqlError>)))
  }
  return { pg, prepare }
}
