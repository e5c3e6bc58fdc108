import { assert, describe, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import { encodedAsItself } from "@council/engine"
import { encodeJson, jsonCodec } from "../src/JsonCodec.ts"

const Point = Schema.Struct({ at: Schema.Date, x: Schema.Finite })

describe("encodeJson", () => {
  it("walks the schema for a value nobody vouched for, and returns a vouched value itself", () => {
    const Plain = Schema.Struct({ x: Schema.Finite, tags: Schema.Array(Schema.String) })
    const codec = jsonCodec(Plain)
    const value = { x: 1, tags: ["a"] }
    const walked = encodeJson(codec, value)
    assert.isTrue(Exit.isSuccess(walked) && walked.value !== value)
    assert.deepStrictEqual(walked, Exit.succeed(value))
    const vouched = encodedAsItself(Plain, { x: 2, tags: ["b"] })
    const encoded = encodeJson(codec, vouched)
    assert.isTrue(Exit.isSuccess(encoded) && encoded.value === vouched)
  })

  it("a vouched value is its own JSON under its schema only, not under another one", () => {
    const date = new Date("2026-01-02T00:00:00.000Z")
    const Wrapper = Schema.Struct({ point: Point })
    const value = encodedAsItself(Wrapper, { point: { at: date, x: 1 } })
    const other = encodeJson(jsonCodec(Schema.Struct({ point: Schema.Struct({ at: Schema.Date }) })), value)
    assert.deepStrictEqual(other, Exit.succeed({ point: { at: "2026-01-02T00:00:00.000Z" } }))
  })
})

describe("jsonCodec", () => {
  const Item = Schema.Struct({ id: Schema.String, qty: Schema.Finite })

  it("converts Schema.Array(item), built anew on every call, once per item", () => {
    const first = jsonCodec(Schema.Array(Item))
    assert.strictEqual(jsonCodec(Schema.Array(Item)), first)
    assert.notStrictEqual(jsonCodec(Schema.Array(Schema.Struct({ id: Schema.String }))), first)
    const items = [{ id: "a", qty: 1 }]
    const encoded = encodeJson(first, items)
    assert.deepStrictEqual(encodeJson(jsonCodec(Schema.Array(Item)), items), encoded)
  })

  it("an array schema with more than its item (a check, an annotation) keeps a codec of its own", () => {
    const plain = jsonCodec(Schema.Array(Item))
    const nonEmpty = jsonCodec(Schema.Array(Item).check(Schema.isMinLength(1)))
    assert.notStrictEqual(nonEmpty, plain)
    assert.notStrictEqual(jsonCodec(Schema.Array(Item).annotate({ title: "items" })), plain)
    assert.isTrue(Exit.isSuccess(encodeJson(plain, [])))
    assert.isTrue(Exit.isFailure(encodeJson(nonEmpty, [])))
    // a date inside converts as the JSON codec says, shared or not
    const Dated = Schema.Struct({ at: Schema.Date })
    const at = new Date("2026-01-02T00:00:00.000Z")
    assert.deepStrictEqual(encodeJson(jsonCodec(Schema.Array(Dated)), [{ at }]), Exit.succeed([{ at: "2026-01-02T00:00:00.000Z" }]))
    assert.deepStrictEqual(encodeJson(jsonCodec(Schema.Array(Dated)), [{ at }]), Exit.succeed([{ at: "2026-01-02T00:00:00.000Z" }]))
  })
})
