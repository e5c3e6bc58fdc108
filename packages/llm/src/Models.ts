/**
 * The LLM providers Council speaks to, the model a council role uses, and the defaults.
 *
 * **When to use**: configuration (`LlmSettings`) parses `provider:model-id` strings into a `ModelSpec`; the
 * adapters read a provider's wire facts (`PROVIDERS`); prices are keyed by `modelName(spec)`.
 *
 * **Details**
 * - Four providers share OpenAI's Chat Completions wire (OpenAI, Gemini through its OpenAI endpoint, Groq,
 *   DeepSeek); Anthropic has its own Messages wire. `structured` says how each gets JSON: `json_schema` (strict
 *   where the provider guarantees it: OpenAI, Gemini, Groq's gpt-oss models) or `json_object` with the schema in
 *   the prompt (DeepSeek, which has no schema mode). Every answer is validated by our Schema regardless.
 * - A model id may contain `/` (`groq:openai/gpt-oss-120b`): only the first `:` separates the provider.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

export const ProviderId = Schema.Literals(["openai", "gemini", "anthropic", "groq", "deepseek"])
export type ProviderId = typeof ProviderId.Type

export const ReasoningEffort = Schema.Literals(["none", "minimal", "low", "medium", "high", "xhigh", "max"])
export type ReasoningEffort = typeof ReasoningEffort.Type

export interface ProviderInfo {
  readonly id: ProviderId
  readonly wire: "openai-chat" | "anthropic-messages"
  readonly keyVariable: string
  readonly baseUrlVariable: string
  /** For `openai-chat`, the base `/chat/completions` is appended to; for Anthropic, the base of `/v1/messages`. */
  readonly defaultBaseUrl: string
  readonly structured: "json_schema" | "json_object"
  /** The request field capping output tokens. */
  readonly maxTokensField: "max_completion_tokens" | "max_tokens"
  /**
   * Which models take which reasoning effort (`reasoning_effort` on the OpenAI wire, `output_config.effort` on
   * Anthropic's), first match wins. A model no rule covers is one the reference does not document: no effort is
   * sent unless one is configured, and a configured one is sent unchecked (`effortCheck` says so).
   */
  readonly effortRules: ReadonlyArray<EffortRule>
}

/** The reasoning efforts a set of a provider's models takes (any other answers 400), and the one sent by default. */
export interface EffortRule {
  /** The models it covers, e.g. `openai/gpt-oss-` (a prefix of the id); `""` covers every model. */
  readonly prefix: string
  readonly efforts: ReadonlyArray<ReasoningEffort>
  /** Sent unless `COUNCIL_REASONING_EFFORT[_<ROLE>]` says otherwise. */
  readonly defaultEffort: ReasoningEffort | null
}

export const PROVIDERS: Readonly<Record<ProviderId, ProviderInfo>> = {
  openai: {
    id: "openai",
    wire: "openai-chat",
    keyVariable: "OPENAI_API_KEY",
    baseUrlVariable: "OPENAI_BASE_URL",
    defaultBaseUrl: "https://api.openai.com/v1",
    structured: "json_schema",
    maxTokensField: "max_completion_tokens",
    // the Chat Completions `reasoning_effort` enum: no `max`; the same for every model (none per model is documented)
    effortRules: [{ prefix: "", efforts: ["none", "minimal", "low", "medium", "high", "xhigh"], defaultEffort: "low" }]
  },
  gemini: {
    id: "gemini",
    wire: "openai-chat",
    keyVariable: "GEMINI_API_KEY",
    baseUrlVariable: "GEMINI_BASE_URL",
    defaultBaseUrl: "https://generativelanguage.googleapis.com/v1beta/openai",
    structured: "json_schema",
    maxTokensField: "max_tokens",
    // its OpenAI endpoint answers any other value 400 "Invalid reasoning_effort: … Valid values are: high, low, medium, none"
    effortRules: [{ prefix: "", efforts: ["none", "low", "medium", "high"], defaultEffort: "low" }]
  },
  anthropic: {
    id: "anthropic",
    wire: "anthropic-messages",
    keyVariable: "ANTHROPIC_API_KEY",
    baseUrlVariable: "ANTHROPIC_BASE_URL",
    defaultBaseUrl: "https://api.anthropic.com",
    structured: "json_schema",
    maxTokensField: "max_tokens",
    // `OutputConfig.effort` of the Messages API: no `none` or `minimal`; not sent unless configured
    effortRules: [{ prefix: "", efforts: ["low", "medium", "high", "xhigh", "max"], defaultEffort: null }]
  },
  groq: {
    id: "groq",
    wire: "openai-chat",
    keyVariable: "GROQ_API_KEY",
    baseUrlVariable: "GROQ_BASE_URL",
    defaultBaseUrl: "https://api.groq.com/openai/v1",
    structured: "json_schema",
    maxTokensField: "max_completion_tokens",
    // gpt-oss takes `low` … `high` and refuses `none`; what Groq's other models take is not documented here
    effortRules: [{ prefix: "openai/gpt-oss-", efforts: ["low", "medium", "high"], defaultEffort: "low" }]
  },
  deepseek: {
    id: "deepseek",
    wire: "openai-chat",
    keyVariable: "DEEPSEEK_API_KEY",
    baseUrlVariable: "DEEPSEEK_BASE_URL",
    defaultBaseUrl: "https://api.deepseek.com",
    structured: "json_object",
    maxTokensField: "max_tokens",
    // DeepSeek documents thinking on by default and no reasoning effort: none is sent unless configured
    effortRules: []
  }
}

/** The rule covering `provider`'s model `id`, or `undefined` when its efforts are not documented. */
export const effortRule = (provider: ProviderId, id: string): EffortRule | undefined =>
  PROVIDERS[provider].effortRules.find((r) => id.startsWith(r.prefix))

/** The effort sent to a model when none is configured: its rule's default; none for an undocumented model. */
export const defaultEffort = (provider: ProviderId, id: string): ReasoningEffort | null =>
  effortRule(provider, id)?.defaultEffort ?? null

type EffortModel = { readonly provider: ProviderId; readonly id: string; readonly reasoningEffort: ReasoningEffort | null }

/** Why `model`'s reasoning effort cannot be sent to it, or `undefined` when it can (or is not checked). */
export const effortRefusal = (model: EffortModel): string | undefined => {
  const rule = effortRule(model.provider, model.id)
  if (model.reasoningEffort === null || rule === undefined || rule.efforts.includes(model.reasoningEffort)) return undefined
  const which = rule.prefix === "" ? model.provider : `${model.provider}'s ${rule.prefix}* models`
  return `reasoning effort ${model.reasoningEffort} is not one ${which} take${rule.prefix === "" ? "s" : ""} (${rule.efforts.join(", ")})`
}

/**
 * A configured effort sent to a model whose efforts are not documented (DeepSeek's, Groq's models other than
 * gpt-oss): said once at start-up and by `verify`, since only the provider can refuse it (a 400 on every call).
 */
export const effortUnchecked = (model: EffortModel): string | undefined =>
  model.reasoningEffort === null || effortRule(model.provider, model.id) !== undefined
    ? undefined
    : `reasoning effort ${model.reasoningEffort} is sent unchecked (which efforts ${modelName(model)} takes is not documented; a 400 on every call means it takes none: set it to omit)`

/** Groq guarantees schema-conforming output (strict mode) only on its gpt-oss models. */
export const strictSchema = (provider: ProviderId, model: string): boolean =>
  provider === "groq" ? model.startsWith("openai/gpt-oss") : PROVIDERS[provider].structured === "json_schema"

/** A model a council role calls, with its per-call limits. */
export const ModelSpec = Schema.Struct({
  provider: ProviderId,
  id: Schema.String.check(Schema.isMinLength(1)),
  maxOutputTokens: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  reasoningEffort: Schema.NullOr(ReasoningEffort)
})
export type ModelSpec = typeof ModelSpec.Type

/** `provider:model-id`, the name prices, recordings and the roster use. */
export const modelName = (model: { readonly provider: ProviderId; readonly id: string }): string =>
  `${model.provider}:${model.id}`

/** The roles that call a model: the five PMs and the chairman. */
export const CHAIRMAN = "CHAIRMAN"

/** Defaults per role (current, priced models of the reference table, 2026-11). */
export const DEFAULT_MODELS: Readonly<Record<string, { readonly provider: ProviderId; readonly id: string }>> = {
  CHATGPT: { provider: "openai", id: "gpt-5.4" },
  GEMINI: { provider: "gemini", id: "gemini-3.1-pro-preview" },
  CLAUDE: { provider: "anthropic", id: "claude-sonnet-4-6" },
  GROQ: { provider: "groq", id: "openai/gpt-oss-120b" },
  DEEPSEEK: { provider: "deepseek", id: "deepseek-v4-flash" },
  [CHAIRMAN]: { provider: "anthropic", id: "claude-sonnet-4-6" }
}

export const DEFAULT_MAX_OUTPUT_TOKENS = 3000

/**
 * Parses `provider:model-id`; a bare id keeps `fallback`'s provider. `offline` → `"offline"`.
 * Returns an error message naming the problem.
 */
export const parseModelRef = (
  text: string,
  fallback: ProviderId
): { readonly provider: ProviderId; readonly id: string } | "offline" | { readonly error: string } => {
  const trimmed = text.trim()
  if (trimmed === "offline") return "offline"
  const colon = trimmed.indexOf(":")
  if (colon < 0) return trimmed === "" ? { error: "expected provider:model-id" } : { provider: fallback, id: trimmed }
  const provider = trimmed.slice(0, colon)
  const id = trimmed.slice(colon + 1)
  if (provider === "offline") return { error: `"offline" takes no model id: write offline alone` }
  if (!Schema.is(ProviderId)(provider)) {
    return { error: `unknown provider "${provider}" (expected one of ${ProviderId.literals.join(", ")}, or offline)` }
  }
  return id === "" ? { error: "expected provider:model-id" } : { provider, id }
}
