/**
 * The statements the ledger's reads run, caught from their spans (effect/sql names each statement's text in its
 * span's `db.query.text`), and their plans on SQLite: for tests that a read searches by a key rather than walking
 * the book. (A reconciliation's writes run on the transaction's connection, without spans: they are not caught.)
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as SqlClient from "effect/sql/SqlClient"
import * as Tracer from "effect/Tracer"

/** A statement run inside the `TradeLedger.<operation>` span nearest above it. */
export interface LedgerStatement {
  readonly operation: string
  readonly text: string
}

/** The name of the nearest `TradeLedger.…` span from `span` up, if any. */
const operationOf = (span: Tracer.AnySpan): string | undefined => {
  for (let s: Option.Option<Tracer.AnySpan> = Option.some(span); Option.isSome(s); s = s.value._tag === "Span" ? s.value.parent : Option.none()) {
    if (s.value._tag === "Span" && s.value.name.startsWith("TradeLedger.")) return s.value.name.slice("TradeLedger.".length)
  }
  return undefined
}

/** `effect`'s result and the statements the ledger's operations ran for it, in order. */
export const ledgerStatements = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    // native spans keep their attributes once a tracer other than the native one is installed
    const spans: Array<Tracer.Span> = []
    const tracer = Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    const result = yield* Effect.provideService(effect, Tracer.Tracer, tracer)
    const statements = spans.flatMap((span): Array<LedgerStatement> => {
      const text = span.attributes.get("db.query.text")
      const operation = operationOf(span)
      return typeof text === "string" && operation !== undefined ? [{ operation, text }] : []
    })
    return { result, statements }
  })

/** SQLite's plan of `text` (its parameters unbound: a plan does not depend on them), one row a line. */
export const planOf = (text: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(sql.unsafe<{ detail: string }>(`EXPLAIN QUERY PLAN ${text}`), (rows) => rows.map((r) => r.detail)))

/**
 * Whether a row of a plan reads stored rows other than one by one by their whole key: a scan of a table (the list of
 * keys `heldOrders`/`heldFills` look up, `held_keys`, is not one), or a search of a ledger table by less than its
 * three key columns (book, account, id).
 */
export const walks = (detail: string) => {
  // the list of keys: a list of values or, of one row, a co-routine
  if (detail.startsWith("SCAN ")) return !/^SCAN (\d+-ROW VALUES CLAUSE|CONSTANT ROW|held_keys)$/.test(detail)
  if (!detail.startsWith("SEARCH ")) return false
  if (/ USING INDEX sqlite_autoindex_ledger_books_1 \(id=\?\)$/.test(detail)) return false
  const key = / USING PRIMARY KEY \(([^)]*)\)$/.exec(detail)
  return key === null || !/^\w+=\? AND \w+=\? AND \w+=\?$/.test(key[1]!)
}
