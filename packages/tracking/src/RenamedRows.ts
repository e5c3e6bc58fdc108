/**
 * Row structs stored under other column names, encoded fast: see `renamedRows`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as RowGuard from "@council/exchange/RowGuard"

/**
 * A row struct stored under other column names (`Schema.encodeKeys`), with an encoder of arrays of it that skips the
 * schema's encoder when it can: items that pass the struct's guard (`RowGuard`) get their keys renamed by hand, in
 * the order the encoder gives them; any other array goes through the encoder, for its error. (The encoder cost a
 * reconciliation ~0.5 ms a session, more than its inserts took to run.)
 */
export const renamedRows = <S extends Schema.Struct<Schema.Struct.Fields>, const R extends { readonly [K in keyof S["fields"]]?: string }>(
  schema: S,
  renames: R
) => {
  const row = schema.pipe(Schema.encodeKeys(renames))
  const encode = Schema.encodeEffect(Schema.Array(row))
  const isValid = RowGuard.make(schema)
  const columns = Object.keys(schema.fields).map((key) => [key, (renames as Record<string, string | undefined>)[key] ?? key] as const)
  // the same columns as the encoder's, in its order (the ledger's read-back tests check what is stored): a row of
  // `row`'s encoded type
  const rename = (item: S["Type"]) => {
    const out: Record<string, unknown> = {}
    for (const [key, column] of columns) out[column] = (item as Record<string, unknown>)[key]
    return out as typeof row.Encoded
  }
  return {
    row,
    encode: (items: ReadonlyArray<S["Type"]>) =>
      items.every(isValid) ? Effect.succeed<ReadonlyArray<typeof row.Encoded>>(items.map(rename)) : encode(items)
  }
}

