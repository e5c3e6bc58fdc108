import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { answerWith, errorWith, type FakeProvider, type FakeRequest, liveEnv, startFake, validAnswer } from "../../../packages/llm/test/FakeProvider.ts"
import { printable } from "../src/TerminalText.ts"
import { cliAsync, runIdOf, tempHome } from "./CliHarness.ts"

const HOSTILE = "\u001b]0;PWNED\u0007\u001b[2J\u001b[8mHIDDEN\u001b[0m\rOVER \u001b]8;;http://evil.example/\u0007link\u001b]8;;\u0007 \u202eLLES\u202c \u009b2J" +
  " \u001b[30;40mBLACK ON BLACK\u001b[0m \u001b[32mAPPROVED\u001b[0m"

const KEYS = {
  OPENAI_API_KEY: "sk-term-openai-0c1d2e3f",
  GEMINI_API_KEY: "gm-term-gemini-4a5b6c7d",
  ANTHROPIC_API_KEY: "ant-term-anthropic-8e9f0a1b",
  GROQ_API_KEY: "gsk-term-groq-2c3d4e5f",
  DEEPSEEK_API_KEY: "ds-term-deepseek-6a7b8c9d"
}

const respond = (r: FakeRequest) => {
  if (r.kind === "pitch" && r.model.startsWith("gpt")) {
    return answerWith(r, JSON.stringify({ ...validAnswer(r), thesis: [`thesis ${HOSTILE}`], invalidation: `invalidation ${HOSTILE}` }))
  }
  if (r.kind === "pitch" && r.wire === "anthropic") return errorWith(r, 400, "invalid_request_error", `refused ${HOSTILE}`)
  // a model writing Windows line endings: its answer's lines end in CR LF
  if (r.kind === "pitch" && r.wire === "openai") {
    return answerWith(r, JSON.stringify({ ...validAnswer(r), horizon: "1M" }, null, 2).replace(/\n/g, "\r\n"))
  }
  if (r.kind === "chairman") return answerWith(r, JSON.stringify({ ...validAnswer(r), rationale: `rationale ${HOSTILE}` }))
  return undefined
}

/** Every control character a terminal would act on: C0 but tab and newline (and CR LF), DEL, C1, bidi marks. */
// oxlint-disable-next-line no-control-regex
const CONTROL = /\r(?!\n)|[\u0000-\u0008\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

/** `text` without the colours `ConsoleColour` writes: a red or yellow line as a whole, a green or red side word. */
const withoutOwnColours = (text: string): string =>
  text.split("\n").map((line) =>
    line
      // oxlint-disable-next-line no-control-regex
      .replace(/^\u001b\[3[13]m(.*)\u001b\[0m$/, "$1")
      // oxlint-disable-next-line no-control-regex
      .replace(/\u001b\[3[12]m(BUY|LONG|SELL|SHORT)\u001b\[0m/g, "$1")
  ).join("\n")

const assertPrintable = (what: string, text: string) => {
  assert.notMatch(text, CONTROL, `${what} carries a control character`)
  assert.notInclude(withoutOwnColours(text), "\u001b", `${what} carries an escape sequence the CLI did not write`)
}

let fake: FakeProvider
beforeAll(async () => {
  fake = await startFake(respond)
})
afterAll(() => fake.close())

describe("text from outside on the terminal", () => {
  const home = tempHome()

  it("an LLM's answer and a provider's error reach stdout and stderr with their control sequences written out, the CLI's colours kept", async () => {
    const run = await cliAsync(home, ["run", "daily", "--date", "2025-06-02"], { ...liveEnv(fake, KEYS), FORCE_COLOR: "1" })
    assert.strictEqual(run.code, 0, run.stderr)
    assertPrintable("run daily's stderr", run.stderr)
    assertPrintable("run daily's stdout", run.stdout)
    assert.include(run.stderr, "thesis \\u001b]0;PWNED\\u0007\\u001b[2J\\u001b[8mHIDDEN")
    assert.include(run.stderr, "rationale \\u001b]0;PWNED")
    assert.include(run.stderr, "refused \\u001b]0;PWNED")
    assert.include(run.stderr, "\u001b[32mBUY\u001b[0m", "the CLI's own colours are kept")
    assert.include(run.stderr, "\\u001b[30;40mBLACK ON BLACK\\u001b[0m \\u001b[32mAPPROVED\\u001b[0m", "an answer's colours are written out")

    const runId = runIdOf(run.stdout)
    const llm = await cliAsync(home, ["show", runId, "--llm"])
    assert.strictEqual(llm.code, 0, llm.stderr)
    assertPrintable("show --llm", llm.stdout)
    assert.include(llm.stdout, "invalidation \\u001b]0;PWNED")
    assert.include(llm.stdout, `\r\n      "horizon": "1M",\r\n`, "a CR LF line ending is kept: it moves to the next line, overwriting nothing")
    assert.notInclude(llm.stdout, "\\u000d\n")

    const full = await cliAsync(home, ["show", runId, "--json", "--full"])
    assert.strictEqual(full.code, 0, full.stderr)
    assertPrintable("show --json --full", full.stdout)
    assert.include(JSON.stringify(JSON.parse(full.stdout)), JSON.stringify(`rationale ${HOSTILE}`))
  })

  it("the help page keeps its own colours", async () => {
    const help = await cliAsync(home, ["runs", "--help"], { FORCE_COLOR: "1" })
    assert.strictEqual(help.code, 0, help.stderr)
    assert.include(help.stdout, "\u001b[1mDESCRIPTION\u001b[0m")
  })

  it("writes out everything but tabs and newlines, colours too, so a JSON string keeps its value", () => {
    assert.strictEqual(printable("a\tb\nc"), "a\tb\nc")
    assert.strictEqual(printable("\u001b[1;31mred\u001b[0m"), "\\u001b[1;31mred\\u001b[0m")
    assert.strictEqual(printable("x\ry\u0007\u009b\u202e"), "x\\u000dy\\u0007\\u009b\\u202e")
    assert.strictEqual(printable("a\r\nb\r\r\nc\r"), "a\r\nb\\u000d\r\nc\\u000d")
    const value = { text: `${HOSTILE} \u202e` }
    assert.deepStrictEqual(JSON.parse(printable(JSON.stringify(value))), value)
  })
})
