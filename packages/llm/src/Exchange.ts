/**
 * The audit record of one LLM exchange (what was asked, what came back, what it cost) and the failure reasons.
 *
 * **When to use**: every LLM-backed answer (`PmAnswer`, `ReviewAnswer`, `ChairmanAnswer`) carries the
 * exchanges that produced it; the stages record those answers through the `Recorder`, so the exchanges are
 * stored with the run, exported with it and replayed from it. `show <run> --llm` prints them.
 *
 * **Gotchas**
 * - Nothing here may hold a key or an authorization header: messages are the prompt only, and adapters scrub
 *   their key out of any text a provider sends back (`scrub`).
 * - `costUsd` is computed when the call is made, at that day's prices, so a replay never re-prices.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Schema from "effect/Schema"
import { KEY_FRAGMENT, scrub } from "@council/io/SecretText"

/** Why a call gave no usable answer. Terminal reasons (never retried): Unauthorized, QuotaExhausted, InvalidRequest. */
export const FailureReason = Schema.Literals([
  "RateLimited",
  "Overloaded",
  "ServerError",
  "Network",
  "Timeout",
  "InvalidAnswer",
  "Unauthorized",
  "QuotaExhausted",
  "InvalidRequest"
])
export type FailureReason = typeof FailureReason.Type

export const TokenUsage = Schema.Struct({
  /** Every input token, cached and cache writes included. */
  input: Schema.Int,
  cachedInput: Schema.Int,
  cacheWrite: Schema.Int,
  /** Every output token, reasoning included. */
  output: Schema.Int,
  reasoning: Schema.Int
})
export type TokenUsage = typeof TokenUsage.Type

export const zeroUsage: TokenUsage = { input: 0, cachedInput: 0, cacheWrite: 0, output: 0, reasoning: 0 }

export const addUsage = (a: TokenUsage, b: TokenUsage): TokenUsage => ({
  input: a.input + b.input,
  cachedInput: a.cachedInput + b.cachedInput,
  cacheWrite: a.cacheWrite + b.cacheWrite,
  output: a.output + b.output,
  reasoning: a.reasoning + b.reasoning
})

export const Message = Schema.Struct({
  role: Schema.Literals(["system", "user", "assistant"]),
  content: Schema.String
})
export type Message = typeof Message.Type

export const ExchangeOutcome = Schema.Union([
  Schema.TaggedStruct("Parsed", { value: Schema.Json }),
  /** The answer did not validate against the schema (or was not JSON). */
  Schema.TaggedStruct("Invalid", { error: Schema.String }),
  /** No answer: the provider failed, refused or timed out. */
  Schema.TaggedStruct("Failed", { reason: FailureReason, message: Schema.String })
])
export type ExchangeOutcome = typeof ExchangeOutcome.Type

export const Purpose = Schema.Literals(["pitch", "review", "chairman"])
export type Purpose = typeof Purpose.Type

export const LlmExchange = Schema.Struct({
  purpose: Purpose,
  /** The PM or `CHAIRMAN`. */
  actor: Schema.String,
  /** `provider:model-id`. */
  model: Schema.String,
  /** 1 for the first question, 2 for the corrective retry quoting the validation error. */
  turn: Schema.Int,
  /** As sent (the JSON-mode adapters append the schema to the system message). */
  messages: Schema.Array(Message),
  /** The raw answer text; null when no answer came. */
  answer: Schema.NullOr(Schema.String),
  outcome: ExchangeOutcome,
  /** HTTP requests made (1 + retries). */
  attempts: Schema.Int,
  /** Why each retry happened, e.g. `429 rate limited (retry after 2s)`. */
  retries: Schema.Array(Schema.String),
  usage: Schema.NullOr(TokenUsage),
  costUsd: Schema.Finite,
  /** True when usage was unknown (e.g. a timeout) and the call's worst case was charged instead. */
  costEstimated: Schema.Boolean,
  latencyMs: Schema.Finite,
  finishReason: Schema.NullOr(Schema.String)
})
export type LlmExchange = typeof LlmExchange.Type

/** One HTTP request an adapter made, as it reports it to the current `WireLog`. */
export interface WireAttempt {
  readonly status: number | null
  readonly latencyMs: number
  /** The answer text as received, before any code-fence stripping. */
  readonly text: string | null
  readonly usage: TokenUsage | null
  readonly finishReason: string | null
  /** The messages as put on the wire. */
  readonly messages: ReadonlyArray<Message>
  readonly error: string | null
  /** False when the connection failed before the request went out (refused, unknown host): nothing was billed. */
  readonly sent: boolean
  /** False for a 2xx whose body is an error the provider stated: no answer was made, nothing billed. */
  readonly billable?: boolean
}

/**
 * Where an adapter reports each HTTP request it makes. The default drops them; `ask` installs a collector for
 * the duration of one call, which is how usage survives an answer that fails validation.
 */
export const WireLog = Context.Reference<(attempt: WireAttempt) => void>("@council/llm/WireLog", {
  defaultValue: () => () => {}
})

export { fragmentLength, KEY_FRAGMENT, scrub } from "@council/io/SecretText"

/**
 * `scrub` for a 2xx answer before it is decoded: the key whole and its pieces of `KEY_FRAGMENT` characters (a
 * model never saw the key, so a shorter piece in its answer is its own text, not an echo: scrubbing it would break
 * the JSON or change a number). Error bodies and messages, where providers echo a key cut short, get `scrub`, and
 * so does a 2xx body kept because it could not be read as an answer (a gateway's page is not the model's text).
 */
export const scrubAnswer = (text: string, secret: string): string => scrub(text, secret, KEY_FRAGMENT)
