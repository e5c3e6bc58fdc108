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

  it("leaves text without a piece of the key as it is", () => {
    const text = "sk-proj- keys start like this; Ab3dE5gH7jK is eleven"
    assert.strictEqual(scrub(text, KEY), text)
  })

  // a piece of a short key leaving half of it or less unknown gives it away: the rest is guessed
  const shortest: ReadonlyArray<readonly [string, number]> = [
    ["k3Yq", 4], // whole only
    ["k3Yq9", 4],
    ["k3Yq9Zx2", 4],
    ["k3Yq9Zx2Lm", 5],
    ["k3Yq9Zx2LmP7", 6],
    ["k3Yq9Zx2LmP7wR4t", 8],
    ["k3Yq9Zx2LmP7wR4tUv8bN1c", 12]
  ]
  for (const [key, least] of shortest) {
    it(`a key of ${key.length} characters: every piece of ${least} or more is scrubbed, wherever it starts; shorter pieces stay`, () => {
      for (let from = 0; from < key.length; from++) {
        for (let to = from + 1; to <= key.length; to++) {
          const piece = key.slice(from, to)
          const text = `Incorrect API key provided: ${piece}. Check it`
          assert.strictEqual(scrub(text, key), piece.length >= least ? "Incorrect API key provided: [REDACTED]. Check it" : text, piece)
        }
      }
    })
  }

  it("scrubs an 8-character key's tail the way a provider masks it, and leaves a key of under 4 characters (not told from text)", () => {
    assert.strictEqual(scrub("key abcdefgh and abcdefg, ****efgh", "abcdefgh"), "key [REDACTED] and [REDACTED], ****[REDACTED]")
    assert.strictEqual(scrub("Incorrect API key provided: k1", "k1"), "Incorrect API key provided: k1")
  })
})
