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
}

/**
 * Where an adapter reports each HTTP request it makes. The default drops them; `ask` installs a collector for
 * the duration of one call, which is how usage survives an answer that fails validation.
 */
export const WireLog = Context.Reference<(attempt: WireAttempt) => void>("@council/llm/WireLog", {
  defaultValue: () => () => {}
})

/**
 * The longest piece of a key that must count as the key: a provider echoing this many of its characters in a row
 * (a key cut short, a prefix, a tail) gives most of it away.
 */
export const KEY_FRAGMENT = 12

/**
 * The shortest piece of `secret` that counts as `secret`: half of it (a piece leaving no more than half unknown
 * gives it away: the rest of a 10-character key is 5 characters to guess), at least 4 characters (a shorter piece
 * cannot be told from ordinary text) and at most `KEY_FRAGMENT`.
 */
export const fragmentLength = (secret: string): number => Math.min(KEY_FRAGMENT, Math.max(4, Math.ceil(secret.length / 2)))

/** A polynomial hash of `text[from, from + n)`, 32 bits. */
const windowHash = (text: string, from: number, n: number): number => {
  let h = 0
  for (let k = from; k < from + n; k++) h = (Math.imul(h, 31) + text.charCodeAt(k)) | 0
  return h
}

/**
 * Every run of `secret`'s characters in `text` that holds `n` of them in a row as `secret` has them. Windows are
 * compared by a rolling hash first, so a 16 MB answer is scanned in one pass.
 */
const fragmentRuns = (text: string, secret: string, n: number): Array<readonly [number, number]> => {
  // 31^(n - 1) mod 2³², to roll a window's hash one character on
  const lead = Array.from({ length: n - 1 }).reduce<number>((p) => Math.imul(p, 31), 1)
  const inSecret = new Uint8Array(65536)
  for (let k = 0; k < secret.length; k++) inSecret[secret.charCodeAt(k)] = 1
  const windows = new Map<number, Array<string>>()
  for (let i = 0; i + n <= secret.length; i++) {
    const h = windowHash(secret, i, n)
    windows.set(h, [...(windows.get(h) ?? []), secret.slice(i, i + n)])
  }
  const runs: Array<readonly [number, number]> = []
  let i = 0
  while (i < text.length) {
    if (inSecret[text.charCodeAt(i)] === 0) {
      i++
      continue
    }
    let end = i
    while (end < text.length && inSecret[text.charCodeAt(end)] === 1) end++
    if (end - i >= n) {
      let h = windowHash(text, i, n)
      for (let j = i; j + n <= end; j++) {
        if (j > i) h = (Math.imul(h - Math.imul(text.charCodeAt(j - 1), lead), 31) + text.charCodeAt(j + n - 1)) | 0
        if (windows.get(h)?.includes(text.slice(j, j + n)) === true) {
          runs.push([i, end])
          break
        }
      }
    }
    i = end
  }
  return runs
}

/**
 * Replaces every occurrence of `secret` in `text`, and every run of its characters holding `shortest` or more of
 * them in a row (a provider echoing a key back, whole or cut, must not get it stored or logged). `shortest` is
 * `fragmentLength(secret)` unless given: 12 for a key of 23 characters or more, half of a shorter one (a
 * 10-character key's 5), never fewer than 4.
 *
 * **Gotchas**
 * - A "key" of fewer than 4 characters is left in the text: it cannot be told from ordinary text (every `a` of a
 *   message would go for a key `a`), and it hides nothing (three characters are guessed outright).
 * - A short key's short pieces are ordinary text too (`sk-1234`'s `1234` is in `51234` tokens): an answer about to
 *   be decoded is scrubbed with `KEY_FRAGMENT` (`scrubAnswer`), so its JSON and numbers stay as the provider sent them.
 */
export const scrub = (text: string, secret: string, shortest: number = fragmentLength(secret)): string => {
  if (secret.length < 4) return text
  const whole = text.split(secret).join("[REDACTED]")
  if (secret.length <= shortest) return whole
  const runs = fragmentRuns(whole, secret, shortest)
  if (runs.length === 0) return whole
  let out = ""
  let last = 0
  for (const [start, end] of runs) {
    out += `${whole.slice(last, start)}[REDACTED]`
    last = end
  }
  return out + whole.slice(last)
}

/**
 * `scrub` for a 2xx answer before it is decoded: the key whole and its pieces of `KEY_FRAGMENT` characters (a
 * model never saw the key, so a shorter piece in its answer is its own text, not an echo: scrubbing it would break
 * the JSON or change a number). Error bodies and messages, where providers echo a key cut short, get `scrub`, and
 * so does a 2xx body kept because it could not be read as an answer (a gateway's page is not the model's text).
 */
export const scrubAnswer = (text: string, secret: string): string => scrub(text, secret, KEY_FRAGMENT)
