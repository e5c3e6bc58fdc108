/**
 * Asking real models: the provider adapters (`effect/ai` `LanguageModel` over `effect/http`), `ask`, the LLM
 * seats and chairman with their prompts, and the seating of a `Lineup`. Imported lazily by the CLI, so offline runs skip it.
 *
 * @since 0.1.0
 */
export * as AnthropicMessages from "./AnthropicMessages.ts"
export * as Ask from "./Ask.ts"
export * as ChairmanPrompt from "./ChairmanPrompt.ts"
export * as LlmCouncil from "./LlmCouncil.ts"
export * as MarketBrief from "./MarketBrief.ts"
export * as OpenAiChat from "./OpenAiChat.ts"
export * as PitchPrompt from "./PitchPrompt.ts"
export * as ProviderErrors from "./ProviderErrors.ts"
export * as ReviewPrompt from "./ReviewPrompt.ts"
export * as Seating from "./Seating.ts"
