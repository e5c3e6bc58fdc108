/**
 * Schema-encoding to JSON for checkpoints and recordings, built and done once.
 *
 * **Details**: `Schema.toCodecJson` builds a new schema (and its parser) on every call; `jsonCodec` keeps one per
 * schema, and one per item for `Schema.Array(item)` however many times that schema is built. `encodeJson`
 * remembers, per object, the JSON it encoded to with a codec: the market snapshot a stage recorded is also that
 * stage's output, and is encoded once for both.
 *
 * **Gotchas**: a value must not change once encoded (stage outputs and recorded values are not mutated).
 * `encodedAsItself` skips the schema for a value its producer vouches for: the claim is the producer's to test.
 *
 * @since 0.1.0
 */
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"
import { encodeFast, UNSURE } from "./FastJson.ts"

export type JsonCodec<A> = Schema.Codec<A, Schema.Json>

const codecs = new WeakMap<object, JsonCodec<unknown>>()

/** The codecs of `Schema.Array(item)` schemas, by the item's AST (see `plainArrayItem`). */
const arrayCodecs = new WeakMap<SchemaAST.AST, JsonCodec<unknown>>()

/**
 * The item's AST of a schema that is `Schema.Array(item)` and nothing more (no check, annotation, encoding or
 * optionality): every such schema of one item converts to the same codec.
 */
const plainArrayItem = (ast: SchemaAST.AST): SchemaAST.AST | undefined =>
  ast._tag === "Arrays" && !ast.isMutable && ast.elements.length === 0 && ast.rest.length === 1 && ast.annotations === undefined &&
    ast.checks === undefined && ast.encoding === undefined && ast.context === undefined && ast.encodingChecks === undefined
    ? ast.rest[0]
    : undefined

/**
 * `Schema.toCodecJson(schema)`, one per schema; one per item for the schemas `Schema.Array(item)`, which a call
 * site builds anew on every call (a recorded list of orders): converting one, and compiling its encoder, cost ~60 µs.
 */
export const jsonCodec = <A>(schema: Schema.Codec<A, unknown>): JsonCodec<A> => {
  const known = codecs.get(schema)
  if (known !== undefined) return known as JsonCodec<A>
  const item = plainArrayItem(schema.ast)
  const shared = item === undefined ? undefined : arrayCodecs.get(item)
  const codec = shared ?? Schema.toCodecJson(schema) as unknown as JsonCodec<unknown>
  codecs.set(schema, codec)
  if (item !== undefined && shared === undefined) arrayCodecs.set(item, codec)
  return codec as JsonCodec<A>
}

const encoders = new WeakMap<object, (value: unknown) => Exit.Exit<Schema.Json, Schema.SchemaError>>()
const decoders = new WeakMap<object, (json: unknown) => Exit.Exit<unknown, Schema.SchemaError>>()
const encoded = new WeakMap<object, { readonly codec: object; readonly json: Schema.Json }>()

/** The JSON of `value` under `codec` (an `Exit`, so it yields like an effect); computed once per object and codec. */
export const encodeJson = <A>(codec: JsonCodec<A>, value: A): Exit.Exit<Schema.Json, Schema.SchemaError> => {
  if (value === null || typeof value !== "object") return encodeSlow(codec, value)
  const known = encoded.get(value)
  if (known !== undefined && known.codec === codec) return Exit.succeed(known.json)
  const fast = encodeFast(codec.ast, value)
  const exit = fast === UNSURE ? encodeSlow(codec, value) : Exit.succeed(fast as Schema.Json)
  if (exit._tag === "Success") encoded.set(value, { codec, json: exit.value })
  return exit
}

/** `value` through the codec's own encoder (compiled once per codec). */
const encodeSlow = <A>(codec: JsonCodec<A>, value: A): Exit.Exit<Schema.Json, Schema.SchemaError> => {
  let encode = encoders.get(codec)
  if (encode === undefined) {
    encode = Schema.encodeUnknownExit(codec)
    encoders.set(codec, encode)
  }
  return encode(value)
}

/**
 * Declares that `value` already is its own JSON under `schema`, key for key and in the same order (what
 * `encodeJson(jsonCodec(schema), value)` would give): `encodeJson` then returns `value` itself without walking the
 * schema. For a producer whose values are plain JSON built from parts it validated where they came from (the market
 * data's snapshots of its bar index); its tests should show the claim by encoding a copy. Returns `value`.
 */
export const encodedAsItself = <A extends object>(schema: Schema.Codec<A, unknown>, value: A): A => {
  encoded.set(value, { codec: jsonCodec(schema), json: value as unknown as Schema.Json })
  return value
}

/** Decodes `json` with `codec`, as an `Exit`. */
export const decodeJson = <A>(codec: JsonCodec<A>, json: unknown): Exit.Exit<A, Schema.SchemaError> => {
  let decode = decoders.get(codec)
  if (decode === undefined) {
    decode = Schema.decodeUnknownExit(codec)
    decoders.set(codec, decode)
  }
  return decode(json) as Exit.Exit<A, Schema.SchemaError>
}
