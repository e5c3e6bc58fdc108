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
  /** Sent as `reasoning_effort` (OpenAI wire) or `output_config.effort` (Anthropic) unless configured otherwise. */
  readonly defaultReasoningEffort: ReasoningEffort | null
  /** The efforts the provider's API takes, where it takes fewer than `ReasoningEffort` names (others answer 400). */
  readonly efforts?: ReadonlyArray<ReasoningEffort>
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
    defaultReasoningEffort: "low",
    // the Chat Completions `reasoning_effort` enum: no `max`
    efforts: ["none", "minimal", "low", "medium", "high", "xhigh"]
  },
  gemini: {
    id: "gemini",
    wire: "openai-chat",
    keyVariable: "GEMINI_API_KEY",
    baseUrlVariable: "GEMINI_BASE_URL",
    defaultBaseUrl: "https://generativelanguage.googleapis.com/v1beta/openai",
    structured: "json_schema",
    maxTokensField: "max_tokens",
    defaultReasoningEffort: "low",
    // its OpenAI endpoint answers any other value 400 "Invalid reasoning_effort: … Valid values are: high, low, medium, none"
    efforts: ["none", "low", "medium", "high"]
  },
  anthropic: {
    id: "anthropic",
    wire: "anthropic-messages",
    keyVariable: "ANTHROPIC_API_KEY",
    baseUrlVariable: "ANTHROPIC_BASE_URL",
    defaultBaseUrl: "https://api.anthropic.com",
    structured: "json_schema",
    maxTokensField: "max_tokens",
    defaultReasoningEffort: null,
    // `OutputConfig.effort` of the Messages API: no `none` or `minimal`
    efforts: ["low", "medium", "high", "xhigh", "max"]
  },
  groq: {
    id: "groq",
    wire: "openai-chat",
    keyVariable: "GROQ_API_KEY",
    baseUrlVariable: "GROQ_BASE_URL",
    defaultBaseUrl: "https://api.groq.com/openai/v1",
    structured: "json_schema",
    maxTokensField: "max_completion_tokens",
    defaultReasoningEffort: "low",
    // Groq's `reasoning_effort` (`none` and `default` for Qwen, `low` … `high` for gpt-oss): no `minimal`, `xhigh`, `max`
    efforts: ["none", "low", "medium", "high"]
  },
  deepseek: {
    id: "deepseek",
    wire: "openai-chat",
    keyVariable: "DEEPSEEK_API_KEY",
    baseUrlVariable: "DEEPSEEK_BASE_URL",
    defaultBaseUrl: "https://api.deepseek.com",
    structured: "json_object",
    maxTokensField: "max_tokens",
    defaultReasoningEffort: null
  }
}

/** Why `model`'s reasoning effort cannot be sent to its provider, or `undefined` when it can. */
export const effortRefusal = (model: { readonly provider: ProviderId; readonly reasoningEffort: ReasoningEffort | null }): string | undefined => {
  const efforts = PROVIDERS[model.provider].efforts
  return model.reasoningEffort === null || efforts === undefined || efforts.includes(model.reasoningEffort)
    ? undefined
    : `reasoning effort ${model.reasoningEffort} is not one ${model.provider} takes (${efforts.join(", ")})`
}

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
