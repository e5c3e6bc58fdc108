import { assert, describe, it } from "@effect/vitest"
import { keyRefusedAdvice, keysFromOf, retryAdvice } from "../src/RunFailures.ts"

describe("where a refused key is to be fixed", () => {
  it("is where the run recorded its keys came from; a run from before that (no keysFrom) keeps the words it recorded", () => {
    // the words runs recorded before `keysFrom` (round 34): their replays must produce them again
    assert.strictEqual(
      keyRefusedAdvice("GROQ", keysFromOf({ accounts: [] })),
      "its key was refused: fix ALPACA_GROQ_KEY_ID / ALPACA_GROQ_SECRET_KEY (or its credentials in TRADING_ACCOUNTS_CONFIG), then run the day again"
    )
    assert.strictEqual(
      keyRefusedAdvice("GROQ", keysFromOf({ keysFrom: "TRADING_ACCOUNTS_CONFIG" })),
      "its key was refused: fix the credentials of GROQ's entry in TRADING_ACCOUNTS_CONFIG, then run the day again"
    )
    assert.strictEqual(keyRefusedAdvice("GROQ", "per-account variables"), "its key was refused: fix ALPACA_GROQ_KEY_ID / ALPACA_GROQ_SECRET_KEY, then run the day again")
    assert.strictEqual(keyRefusedAdvice("DEFAULT_PAPER", "PAPER_ALPACA_*"), "its key was refused: fix PAPER_ALPACA_KEY_ID / PAPER_ALPACA_SECRET_KEY, then run the day again")
    // an unknown recorded value reads as none
    assert.strictEqual(keysFromOf({ keysFrom: "somewhere" }), undefined)
  })

  it("names each refused account's place in the closing line", () => {
    assert.strictEqual(
      retryAdvice(["GROQ", "CLAUDE"], ["GROQ", "CLAUDE"], undefined, "TRADING_ACCOUNTS_CONFIG"),
      "the broker refused the key of GROQ, CLAUDE: fix the credentials of the entries of GROQ, CLAUDE in TRADING_ACCOUNTS_CONFIG, then run the day again; nothing is placed twice"
    )
    assert.strictEqual(
      retryAdvice(["GROQ"], ["GROQ"], undefined, undefined),
      "the broker refused the key of GROQ: fix ALPACA_GROQ_KEY_ID / ALPACA_GROQ_SECRET_KEY (or the credentials in TRADING_ACCOUNTS_CONFIG), then run the day again; nothing is placed twice"
    )
  })
})
