/**
 * A fast `Schema.is` for the ledger's row structs: the same answer, a hundred times cheaper. `Schema.is` over an
 * order row (26 fields) cost ~30 µs a row, more than the query that read it.
 *
 * **When to use**: `Ledger` checks every row it reads with it. It takes a `Schema.Struct` whose fields are plain
 * strings, numbers, literals, `null` and unions of them (checked by `typeof` and set membership); a field of any
 * other kind (a branded string with its pattern, a transformation, an optional key) is checked by `Schema.is` of
 * that field, whose answer for a primitive value is remembered (accounts, tickers and days repeat row after row);
 * `Schema.Finite` is checked by `Number.isFinite`.
 *
 * **Gotchas**: extra properties are ignored, as `Schema.is` of a struct ignores them.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

type Guard = (value: unknown) => boolean

/**
 * Valid primitive values remembered per field at most; beyond it the field starts over. Twenty years of sessions
 * (~5,000 days) fit: a full-range book's rows, read account after account, check each day once.
 */
const REMEMBERED = 8_192

/** A guard for `ast` by `typeof` and membership alone, if it is such a type. */
const plain = (ast: AST.AST): Guard | undefined => {
  // `Schema.Finite` itself (prices, quantities: values that rarely repeat, so remembering them does not help)
  if (ast === Schema.Finite.ast) return (u) => typeof u === "number" && Number.isFinite(u)
  if (ast.checks !== undefined || ast.encoding !== undefined || ast.context !== undefined) return undefined
  if (AST.isString(ast)) return (u) => typeof u === "string"
  if (AST.isNumber(ast)) return (u) => typeof u === "number"
  if (AST.isNull(ast)) return (u) => u === null
  if (AST.isLiteral(ast)) {
    const literal = ast.literal
    return (u) => u === literal
  }
  if (AST.isUnion(ast)) {
    const members = ast.types.map(plain)
    if (members.some((m) => m === undefined)) return undefined
    const literals = ast.types.every(AST.isLiteral) ? new Set<unknown>(ast.types.map((t) => t.literal)) : undefined
    if (literals !== undefined) return (u) => literals.has(u)
    const guards = members as ReadonlyArray<Guard>
    return (u) => guards.some((g) => g(u))
  }
  return undefined
}

/** `Schema.is` of the field, remembering the primitive values it accepted. */
const remembered = (field: Schema.Constraint): Guard => {
  const is = Schema.is(field) as Guard
  const valid = new Set<unknown>()
  return (u) => {
    if (valid.has(u)) return true
    if (!is(u)) return false
    if (typeof u === "string" || typeof u === "number") {
      if (valid.size >= REMEMBERED) valid.clear()
      valid.add(u)
    }
    return true
  }
}

/** What `Schema.is(schema)` says of a value, for a struct of plain fields (see the module). */
export const make = <S extends Schema.Struct<Schema.Struct.Fields>>(schema: S): (value: unknown) => value is S["Type"] => {
  const fields = Object.entries(schema.fields).map(([key, field]) => [key, plain(field.ast) ?? remembered(field)] as const)
  return (value: unknown): value is S["Type"] => {
    if (typeof value !== "object" || value === null) return false
    const row = value as Record<string, unknown>
    for (const [key, guard] of fields) if (!guard(row[key])) return false
    return true
  }
}
