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
