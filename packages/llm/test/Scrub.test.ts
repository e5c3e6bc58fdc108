import { assert, describe, it } from "@effect/vitest"
import { KEY_FRAGMENT, scrub } from "@council/llm"

const KEY = "sk-proj-Ab3dE5gH7jK9mN1pQ3rS5tU7vW9x"

describe("scrub", () => {
  it("replaces every piece of the key of KEY_FRAGMENT characters or more, wherever it starts; shorter pieces stay", () => {
    for (let from = 0; from < KEY.length; from++) {
      for (let to = from + 1; to <= KEY.length; to++) {
        const piece = KEY.slice(from, to)
        const text = `provided: ${piece}. Check it`
        assert.strictEqual(scrub(text, KEY), piece.length >= KEY_FRAGMENT ? "provided: [REDACTED]. Check it" : text, piece)
      }
    }
  })

  it("replaces the whole run of the key's characters a piece sits in, and every such run", () => {
    const text = `a ${KEY.slice(0, -2)}Ab and ${KEY.slice(10)} b "${KEY}"`
    assert.strictEqual(scrub(text, KEY), `a [REDACTED] and [REDACTED] b "[REDACTED]"`)
  })

  it("leaves text without a piece of the key as it is, and scrubs a short key only whole", () => {
    const text = "sk-proj- keys start like this; Ab3dE5gH7jK is eleven"
    assert.strictEqual(scrub(text, KEY), text)
    assert.strictEqual(scrub("key abcdefgh and abcdefg", "abcdefgh"), "key [REDACTED] and abcdefg")
  })
})
