import { assert, describe, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import { encodeFast, UNSURE } from "../src/FastJson.ts"
import { encodeJson, jsonCodec } from "../src/JsonCodec.ts"

/** What the schema's own JSON encoder gives: the JSON text (key order included), or `failure`. */
const byEncoder = (schema: Schema.Codec<unknown, unknown>, value: unknown) => {
  const exit = Schema.encodeUnknownExit(Schema.toCodecJson(schema))(value)
  return Exit.isSuccess(exit) ? JSON.stringify(exit.value) : "failure"
}
const byEncodeJson = (schema: Schema.Codec<unknown, unknown>, value: unknown) => {
  // a copy each time: `encodeJson` remembers what it encoded per object
  const exit = encodeJson(jsonCodec(schema), structuredClone(value))
  return Exit.isSuccess(exit) ? JSON.stringify(exit.value) : "failure"
}
/** Whether the fast path answered alone (no encoder asked). */
const fastAlone = (schema: Schema.Codec<unknown, unknown>, value: unknown) =>
  encodeFast(Schema.toCodecJson(schema).ast, value) !== UNSURE

const Side = Schema.Literals(["buy", "sell"])
const Order = Schema.Struct({
  id: Schema.String,
  side: Side,
  qty: Schema.Finite,
  limit: Schema.NullOr(Schema.Finite),
  count: Schema.Int,
  note: Schema.optionalKey(Schema.String),
  flag: Schema.optional(Schema.Boolean),
  ticker: Schema.String.check(Schema.isPattern(/^[A-Z]+$/)),
  raw: Schema.Number
})
const Event = Schema.Union([
  Schema.Struct({ _tag: Schema.Literal("Placed"), order: Order }),
  Schema.Struct({ _tag: Schema.Literal("Canceled"), id: Schema.String, at: Schema.String })
])
const Book = Schema.Struct({ orders: Schema.Array(Order), prices: Schema.Record(Schema.String, Schema.Finite), events: Schema.Array(Event) })

const order = { id: "o1", side: "buy", qty: 10.5, limit: null, count: 3, ticker: "SPY", raw: 1.25 }

describe("FastJson", () => {
  it("gives the encoder's JSON, key order included, without asking it", () => {
    const cases: ReadonlyArray<readonly [Schema.Codec<unknown, unknown>, unknown]> = [
      [Order, order],
      // keys in the schema's order, excess keys dropped, optional keys kept when given
      [Order, { raw: 2, extra: "x", ticker: "QQQ", count: 1, limit: 99.5, qty: 1, side: "sell", id: "o2", note: "n", flag: false }],
      [Book, { orders: [order, { ...order, id: "o3" }], prices: { SPY: 470.1, AAA: 1, "2": 3 }, events: [{ _tag: "Canceled", id: "o1", at: "t", more: 1 }, { _tag: "Placed", order }] }],
      [Schema.Array(Schema.NullOr(Schema.String)), ["a", null]],
      [Schema.Union([Schema.Struct({ a: Schema.String }), Schema.Struct({ a: Schema.String, b: Schema.String })]), { a: "x", b: "y" }]
    ]
    for (const [schema, value] of cases) {
      assert.strictEqual(byEncodeJson(schema, value), byEncoder(schema, value), JSON.stringify(value))
      assert.isTrue(fastAlone(schema, value), JSON.stringify(value))
    }
  })

  it("leaves to the encoder what it is not sure of, and what does not fit, which then encodes or fails as before", () => {
    const cases: ReadonlyArray<readonly [Schema.Codec<unknown, unknown>, unknown]> = [
      [Order, { ...order, raw: Number.NaN }], // the encoder writes a non-finite number its own way
      [Order, { ...order, flag: undefined }], // an optional key given undefined
      [Order, { ...order, qty: Number.POSITIVE_INFINITY }], // fails a check
      [Order, { ...order, ticker: "spy" }], // fails a pattern
      [Order, { ...order, side: "hold" }],
      [Order, { ...order, count: 1.5 }],
      [Order, { id: "o1" }], // keys missing
      [Order, [1, 2]],
      [Book, { orders: [order], prices: { SPY: "x" }, events: [] }],
      [Book, { orders: [order], prices: {}, events: [{ _tag: "Other" }] }],
      [Schema.Struct({ at: Schema.Date }), { at: new Date(0) }], // a transformation
      [Schema.Struct({ n: Schema.NumberFromString }), { n: 5 }],
      [Schema.Union([Schema.String, Schema.Number], { mode: "oneOf" }), "x"],
      [Schema.Struct({ n: Schema.BigInt }), { n: 5n }]
    ]
    for (const [schema, value] of cases) {
      assert.isFalse(fastAlone(schema, value), String(value))
      const exit = encodeJson(jsonCodec(schema), value)
      const expected = Schema.encodeUnknownExit(Schema.toCodecJson(schema))(value)
      assert.strictEqual(exit._tag, expected._tag)
      if (Exit.isSuccess(exit) && Exit.isSuccess(expected)) assert.strictEqual(JSON.stringify(exit.value), JSON.stringify(expected.value))
    }
  })

  it("a union's first member that accepts the value encodes it, as the encoder's does", () => {
    const Loose = Schema.Struct({ a: Schema.String })
    const Full = Schema.Struct({ a: Schema.String, b: Schema.String })
    for (const schema of [Schema.Union([Loose, Full]), Schema.Union([Full, Loose])]) {
      for (const value of [{ a: "x" }, { a: "x", b: "y" }, { b: "y", a: "x" }]) {
        assert.strictEqual(byEncodeJson(schema, value), byEncoder(schema, value))
      }
    }
  })
})
