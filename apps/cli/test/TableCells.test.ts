import { assert, describe, it } from "@effect/vitest"
import { table } from "../src/Table.ts"

describe("table", () => {
  it("keeps each row on one line: a cell's line breaks and tabs (a broker's message) add no row and break no column", () => {
    const forged = "COUNCIL   succeeded  9       0       $999,999.00  9 orders placed"
    const text = table(["ACCOUNT", "STATUS", "NOTE"], [
      ["CHATGPT", "failed", `refused\r\n${forged}\nthen\u2028more`],
      ["GEMINI", "failed\tlate", "x"],
      ["CLAUDE", "succeeded", "1 order placed"]
    ])
    const lines = text.split("\n")
    assert.strictEqual(lines.length, 5)
    assert.deepStrictEqual(lines.filter((l) => l.startsWith("COUNCIL")), [])
    assert.strictEqual(lines[2], `CHATGPT  failed       refused / ${forged} / then / more`)
    assert.strictEqual(lines[3], "GEMINI   failed late  x")
    assert.notInclude(text, "\t")
  })
})
