/**
 * A fast path for `JsonCodec.encodeJson`: for a JSON codec whose encoding of a value is that value's own data
 * (structs, records, arrays and unions of strings, finite numbers, booleans, literals and null, with their checks),
 * the encoded JSON is built by walking the codec's AST once per value, without the schema parser's machinery (which
 * cost a backtest's recorded broker answers and stage outputs several µs per field).
 *
 * **When to use**: `JsonCodec` alone. `fastEncoder(ast)` gives a function that returns the JSON `Schema.encode`
 * would give, or `UNSURE`: the value does not fit the codec (the schema's encoder then says why), or the codec has
 * a part this walk does not know (a transformation, a declaration, a `oneOf` union, a suspended schema, …) on the
 * path the value takes. The caller then runs the schema's encoder: the fast path never decides alone what it is
 * not sure of.
 *
 * **Gotchas**: it must give exactly the encoder's JSON, key order included (stored texts are hashed): struct keys in
 * the schema's order, excess keys dropped, record keys in the value's order, a union's first member that accepts
 * the value. `FastJson.test.ts` compares it with the encoder.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"

/** The fast path cannot give the encoder's JSON: run the encoder. */
export const UNSURE: unique symbol = Symbol("FastJson.UNSURE")
/** The value does not fit this part (a union tries its next member). */
const MISMATCH: unique symbol = Symbol("FastJson.MISMATCH")

type Result = unknown | typeof UNSURE | typeof MISMATCH
type Encode = (value: unknown) => Result

/** The link a JSON codec gives `Schema.Number` (finite numbers as they are, others as strings): shared by all. */
const numberLink = (Schema.toCodecJson(Schema.Number).ast as SchemaAST.AST).encoding?.[0]

const NO_OPTIONS = {}

/** Whether `value` passes `checks` (filters and groups of them), as the parser runs them. */
const passes = (checks: ReadonlyArray<SchemaAST.Check<unknown>>, value: unknown, ast: SchemaAST.AST): boolean => {
  for (const check of checks) {
    if (check._tag === "FilterGroup") {
      if (!passes(check.checks, value, ast)) return false
    } else if (check.run(value, ast, NO_OPTIONS) !== undefined) {
      return false
    }
  }
  return true
}

const unsure: Encode = () => UNSURE

/** The part's own encoder, before its checks. */
const shape = (ast: SchemaAST.AST): Encode => {
  switch (ast._tag) {
    case "String":
      return (v) => (typeof v === "string" ? v : MISMATCH)
    case "Boolean":
      return (v) => (typeof v === "boolean" ? v : MISMATCH)
    case "Null":
      return (v) => (v === null ? v : MISMATCH)
    case "Literal": {
      const literal = ast.literal
      return typeof literal === "bigint" ? unsure : (v) => (v === literal ? v : MISMATCH)
    }
    case "Number":
      // finite numbers are JSON as they are; a non-finite one is the encoder's to write
      return (v) => (typeof v !== "number" ? MISMATCH : Number.isFinite(v) ? v : UNSURE)
    case "Arrays":
      return arrays(ast)
    case "Objects":
      return objects(ast)
    case "Union":
      return union(ast)
    default:
      return unsure
  }
}

const arrays = (ast: SchemaAST.Arrays): Encode => {
  if (ast.encodingChecks !== undefined || ast.elements.length > 0 || ast.rest.length !== 1) return unsure
  const item = fastEncoder(ast.rest[0]!)
  return (v) => {
    if (!Array.isArray(v)) return MISMATCH
    const out: Array<unknown> = new Array(v.length)
    for (let i = 0; i < v.length; i++) {
      const encoded = item(v[i])
      if (encoded === UNSURE || encoded === MISMATCH) return encoded
      out[i] = encoded
    }
    return out
  }
}

const isPlainString = (ast: SchemaAST.AST) => ast._tag === "String" && ast.checks === undefined && ast.encoding === undefined

const objects = (ast: SchemaAST.Objects): Encode => {
  if (ast.encodingChecks !== undefined) return unsure
  const { indexSignatures, propertySignatures } = ast
  if (propertySignatures.length === 0 && indexSignatures.length === 1 && isPlainString(indexSignatures[0]!.parameter)) {
    const item = fastEncoder(indexSignatures[0]!.type)
    return (v) => {
      if (typeof v !== "object" || v === null) return MISMATCH
      if (Array.isArray(v)) return UNSURE
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(v)) {
        const value = (v as Record<string, unknown>)[key]
        if (value === undefined) return UNSURE
        const encoded = item(value)
        if (encoded === UNSURE || encoded === MISMATCH) return encoded
        out[key] = encoded
      }
      return out
    }
  }
  if (indexSignatures.length > 0 || propertySignatures.some((p) => typeof p.name !== "string")) return unsure
  const fields = propertySignatures.map((p) => ({
    name: p.name as string,
    optional: p.type.context?.isOptional === true,
    encode: fastEncoder(p.type)
  }))
  return (v) => {
    if (typeof v !== "object" || v === null) return MISMATCH
    if (Array.isArray(v)) return UNSURE
    const value = v as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const field of fields) {
      if (!Object.hasOwn(value, field.name)) {
        if (field.optional) continue
        return MISMATCH
      }
      const item = value[field.name]
      if (item === undefined) return UNSURE
      const encoded = field.encode(item)
      if (encoded === UNSURE || encoded === MISMATCH) return encoded
      out[field.name] = encoded
    }
    return out
  }
}

const union = (ast: SchemaAST.Union): Encode => {
  if (ast.encodingChecks !== undefined || ast.options?.mode === "oneOf") return unsure
  const members = ast.types.map(fastEncoder)
  return (v) => {
    for (const member of members) {
      const encoded = member(v)
      if (encoded !== MISMATCH) return encoded
    }
    return MISMATCH
  }
}

const compiled = new WeakMap<SchemaAST.AST, Encode>()

/**
 * The fast encoder of a JSON codec's AST (compiled once per AST): the encoder's JSON for `value`, `UNSURE` or a
 * mismatch (both mean: ask the encoder).
 */
export const fastEncoder = (ast: SchemaAST.AST): Encode => {
  const known = compiled.get(ast)
  if (known !== undefined) return known
  // a part that refers to itself (through a suspended schema) is not walked: `shape` gives up on `Suspend`
  let encode: Encode
  const standard = ast._tag === "Number" && ast.encoding?.length === 1 && ast.encoding[0] === numberLink
  if (ast.encoding !== undefined && !standard) {
    encode = unsure
  } else {
    const own = shape(ast)
    const checks = ast.checks
    encode = checks === undefined ? own : (v) => {
      const encoded = own(v)
      if (encoded === UNSURE || encoded === MISMATCH) return encoded
      return passes(checks, v, ast) ? encoded : MISMATCH
    }
  }
  compiled.set(ast, encode)
  return encode
}

/** The encoder's JSON of `value` under the codec of `ast`, or `UNSURE` (a mismatch included). */
export const encodeFast = (ast: SchemaAST.AST, value: unknown): unknown | typeof UNSURE => {
  const encoded = fastEncoder(ast)(value)
  return encoded === MISMATCH ? UNSURE : encoded
}
