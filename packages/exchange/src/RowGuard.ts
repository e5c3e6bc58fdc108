/**
 * A fast `Schema.is` for the ledger's row structs: the same answer, a hundred times cheaper. `Schema.is` over an
 * order row (26 fields) cost ~30 µs a row, more than the query that read it.
 *
 * **When to use**: `Ledger` checks every row it reads with it. It takes a `Schema.Struct` whose fields are plain
 * strings, numbers, literals, `null` and unions of them (checked by `typeof` and set membership); a field of any
 * other kind (a branded string with its pattern, a transformation, an optional key) is checked by `Schema.is` of
 * that field, whose answer for a primitive value is remembered (accounts, tickers and days repeat row after row);
 * `Schema.Finite` is checked by `Number.isFinite`; an array of such structs (all keys required) element by element.
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

/** A guard of a value's fields, `[key, guard]` each: what `Schema.is` of their struct says. */
const struct = (fields: ReadonlyArray<readonly [string, Guard]>): Guard => (value) => {
  if (typeof value !== "object" || value === null) return false
  const row = value as Record<string, unknown>
  for (const [key, guard] of fields) if (!guard(row[key])) return false
  return true
}

/** `ast` as a field's guard: by `plain`, by `arrayOfStructs`, else by `Schema.is` (remembered). */
const fieldGuard = (ast: AST.AST): Guard => plain(ast) ?? arrayOfStructs(ast) ?? remembered(Schema.make<Schema.Top>(ast))

/**
 * A guard for `ast` if it is an array of structs whose fields are all required (a snapshot's positions): each
 * element checked as `make` checks a row. `Schema.is` of such an array cost ~1.5 µs an element.
 */
const arrayOfStructs = (ast: AST.AST): Guard | undefined => {
  if (!AST.isArrays(ast) || ast.checks !== undefined || ast.encoding !== undefined || ast.context !== undefined) return undefined
  if (ast.elements.length !== 0 || ast.rest.length !== 1) return undefined
  const element = ast.rest[0]!
  if (!AST.isObjects(element) || element.checks !== undefined || element.encoding !== undefined || element.context !== undefined) return undefined
  if (element.indexSignatures.length !== 0) return undefined
  const properties = element.propertySignatures
  if (properties.some((p) => typeof p.name !== "string" || p.type.context !== undefined)) return undefined
  const isElement = struct(properties.map((p) => [p.name as string, fieldGuard(p.type)] as const))
  return (u) => {
    if (!Array.isArray(u)) return false
    // by index, as `Schema.is` reads an array (a hole is an `undefined` element)
    for (let i = 0; i < u.length; i++) if (!isElement(u[i])) return false
    return true
  }
}

/** What `Schema.is(schema)` says of a value, for a struct of plain fields (see the module). */
export const make = <S extends Schema.Struct<Schema.Struct.Fields>>(schema: S): (value: unknown) => value is S["Type"] => {
  const guard = struct(Object.entries(schema.fields).map(([key, field]) => [key, plain(field.ast) ?? arrayOfStructs(field.ast) ?? remembered(field)] as const))
  return (value: unknown): value is S["Type"] => guard(value)
}
