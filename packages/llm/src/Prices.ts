/**
 * The dated price table (US$ per million tokens, by `provider:model-id`) and what a call costs.
 *
 * **When to use**: the composition root loads the table once (`load`: the repository's
 * `data/llm-prices.json`, or the file named in `COUNCIL_PRICES`, which replaces it entirely); `Budget` prices
 * each call's worst case before it is made and its usage after.
 *
 * **Details**
 * - Cost = (uncached input · `input` + cached input · `cachedInput` + cache writes · `cacheWrite` (default
 *   `input`) + output, reasoning included, · `output`) / 10⁶.
 * - The worst case of a call prices its estimated input at the dearest of `input`, `cachedInput` and `cacheWrite`
 *   (a cache write costs more than uncached input) plus the full `maxOutputTokens`.
 * - Input tokens are bounded before a call by a ceiling, not an average: one token per UTF-8 byte of the text
 *   (the messages and the answer's schema) plus `FRAMING_TOKENS`. Every token of a byte-level BPE tokenizer
 *   (OpenAI's, Anthropic's, DeepSeek's) or of a SentencePiece one with byte fallback (Gemini's) covers at least one
 *   byte, so no tokenizer makes more tokens of a text than its bytes; what a provider adds around the text (message
 *   framing, the instructions it writes for a structured-output schema) is what `FRAMING_TOKENS` allows for.
 *   Characters ÷ 3 was no ceiling: Council's prompts, market tables of digits, measured 2.2–2.6 characters per
 *   token whole (o200k, cl100k, Claude's legacy tokenizer) and 1.5–1.7 for the table part, one token per digit.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Buffer } from "node:buffer"
import * as fs from "node:fs"
import { issueInWords } from "@council/domain"
import { spendText } from "@council/domain/Figures.js"
import * as FileProblem from "@council/io/FileProblem"
import type { TokenUsage } from "./Exchange.ts"

const Rate = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

export const ModelPrice = Schema.Struct({
  input: Rate,
  cachedInput: Rate,
  output: Rate,
  cacheWrite: Schema.optionalKey(Rate)
})
export type ModelPrice = typeof ModelPrice.Type

export const PriceTable = Schema.Struct({
  /** The day the prices were checked. */
  asOf: Schema.String,
  currency: Schema.Literal("USD"),
  models: Schema.Record(Schema.String, ModelPrice)
})
export type PriceTable = typeof PriceTable.Type

export class PriceTableError extends Schema.TaggedError<PriceTableError>()("PriceTableError", {
  message: Schema.String
}) {}

/** `data/llm-prices.json` of this repository, resolved from this module (independent of the cwd). */
export const defaultPricesFile: string = new URL("../../../data/llm-prices.json", import.meta.url).pathname

const decodeTable = Schema.decodeUnknownEffect(Schema.fromJsonString(PriceTable))

/** What a schema error says was wrong and where, in one line of words, without the value it got: `models.a.input: expected a number`. */
const problemOf = (message: string): string => {
  const lines = message.split("\n").map((l) => l.trim()).filter((l) => l !== "")
  const issue = issueInWords((lines[0] ?? "invalid").replace(/, got [\s\S]*$/, ""))
  const at = lines.find((l) => l.startsWith("at ["))
  const path = at?.slice(3).replace(/^\[/, "").replace(/\]$/, "").split("][").map((k) => k.replace(/^"|"$/g, "")).join(".")
  return path === undefined ? issue : `${path}: ${issue}`
}

/** Why the price table's file cannot be read, in words with the system's code; JSON given in its place is named as such. */
const unreadable = (file: string, e: unknown): string => {
  if (file.trimStart().startsWith("{")) return "expected the path of a price table file, got what looks like JSON: write the table to a file and name that"
  return `cannot read the price table ${file}: ${FileProblem.why(e, "file")}`
}

/** Reads and validates a price table; a missing or malformed file fails naming it (never quoting its content). */
export const load = (file: string): Effect.Effect<PriceTable, PriceTableError> =>
  Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (e) => new PriceTableError({ message: unreadable(file, e) })
  }).pipe(
    Effect.flatMap(decodeTable),
    Effect.mapError((e) =>
      e._tag === "PriceTableError"
        ? e
        : new PriceTableError({ message: `${file} is not a price table: ${problemOf(e.message)}` })
    )
  )

const PER_MILLION = 1_000_000

/** What `usage` cost at `price`. */
export const costOf = (price: ModelPrice, usage: TokenUsage): number => {
  const uncached = Math.max(0, usage.input - usage.cachedInput - usage.cacheWrite)
  return (uncached * price.input + usage.cachedInput * price.cachedInput +
    usage.cacheWrite * (price.cacheWrite ?? price.input) + usage.output * price.output) / PER_MILLION
}

/**
 * The most a call can cost: its input at the dearest rate an input token is billed (a prompt-cache write costs
 * more than plain input: Anthropic's 1.25 ×), plus every allowed output token.
 */
export const worstCaseOf = (price: ModelPrice, inputTokens: number, maxOutputTokens: number): number =>
  (inputTokens * Math.max(price.input, price.cachedInput, price.cacheWrite ?? price.input) + maxOutputTokens * price.output) / PER_MILLION

/**
 * Input tokens a provider may add around a call's text: its message framing (a few per message) and the
 * instructions it writes for a structured-output schema or tools (Anthropic documents about 350 for tools), with
 * room to spare: at the dearest input price in the table ($6.25 per million) it is under a cent a call.
 */
export const FRAMING_TOKENS = 1024

/**
 * A ceiling on the input tokens of a call whose messages and schema are `text`: one token per UTF-8 byte plus
 * `FRAMING_TOKENS` (see the module's notes). What the call is billed for its input never exceeds it.
 */
export const estimateTokens = (text: string): number => Buffer.byteLength(text, "utf8") + FRAMING_TOKENS

/** `$0.0123` with enough digits for sub-cent calls, `$1,234.57` from a dollar up (`Figures.spendText`, the dashboard's too). */
export const formatUsd = (usd: number): string => spendText(usd)
