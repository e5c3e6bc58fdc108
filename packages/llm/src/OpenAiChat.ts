/**
 * An `effect/ai` `LanguageModel` over OpenAI's Chat Completions wire (`POST {base}/chat/completions`), serving
 * OpenAI, Gemini (its OpenAI endpoint), Groq and DeepSeek.
 *
 * **When to use**: `make(options)` per model a council role uses; `generateObject` gets structured output.
 *
 * **Details**
 * - Structured output: `response_format: json_schema` with the schema from `OpenAiStructuredOutput` (`strict`
 *   where the provider guarantees conformance), or for `json_object` providers (DeepSeek) JSON mode with the
 *   schema appended to the system message. `LanguageModel` decodes the answer with the same transformer's codec.
 * - `Authorization: Bearer <key>`; `max_completion_tokens` or `max_tokens` per provider; `reasoning_effort`
 *   when set. Usage maps `prompt_tokens_details.cached_tokens` (DeepSeek: `prompt_cache_hit_tokens`) and
 *   `completion_tokens_details.reasoning_tokens`; tokens `total_tokens` counts beyond `prompt_tokens` +
 *   `completion_tokens` are output the answer did not report as such (Gemini's thinking), billed as output.
 * - No retries, no timeout here: `ask` owns both, so every `LanguageModel` gets the same policy.
 *
 * **Gotchas**: streaming is not implemented (`streamText` fails); a refusal comes back as an answer without
 * text, which `generateObject` reports as a structured output error; the `WireLog` says it refused, and what it
 * said (`openai refused to answer (…)`), which `ask` gives as the reason.
 *
 * @since 0.1.0
 */
import type * as LanguageModel from "effect/ai/LanguageModel"
import * as OpenAiStructuredOutput from "effect/ai/OpenAiStructuredOutput"
import type * as Response from "effect/ai/Response"
import type { Message } from "./Exchange.ts"
import { PROVIDERS, type ProviderId, strictSchema } from "./Models.ts"
import { type AdapterOptions, count, languageModel, plainMessages, type WireAnswer } from "./ProviderHttp.ts"

/** `baseUrl` is the base to which `/chat/completions` is appended. */
export interface OpenAiChatOptions extends AdapterOptions {
  readonly provider: ProviderId
}

const finishOf = (reason: unknown): Response.FinishReason => {
  switch (reason) {
    case "stop":
      return "stop"
    case "length":
      return "length"
    case "content_filter":
      return "content-filter"
    case "tool_calls":
    case "function_call":
      return "tool-calls"
    default:
      return reason === undefined || reason === null ? "unknown" : "other"
  }
}

/** Reads a Chat Completions body. */
export const readChatCompletion = (json: unknown): WireAnswer | string => {
  const body = json as { id?: unknown; model?: unknown; choices?: unknown; usage?: unknown }
  const choice = Array.isArray(body.choices) ? body.choices[0] as { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown } | undefined : undefined
  if (choice === undefined) return "no choices"
  const content = choice.message?.content
  const refusal = choice.message?.refusal
  const usage = body.usage
  const cached = count(usage, "prompt_tokens_details", "cached_tokens") || count(usage, "prompt_cache_hit_tokens")
  const completion = count(usage, "completion_tokens")
  // output the total counts beyond the prompt and the completion: Gemini's thinking, which its OpenAI endpoint
  // leaves out of completion_tokens (9 in + 1 out = 103 total) though it bills it as output
  const unreported = Math.max(0, count(usage, "total_tokens") - count(usage, "prompt_tokens") - completion)
  return {
    id: typeof body.id === "string" ? body.id : undefined,
    model: typeof body.model === "string" ? body.model : undefined,
    text: typeof content === "string" ? content : typeof refusal === "string" ? null : null,
    finish: typeof refusal === "string" && typeof content !== "string" ? "content-filter" : finishOf(choice.finish_reason),
    rawFinish: typeof choice.finish_reason === "string" ? choice.finish_reason : null,
    ...(typeof refusal === "string" ? { refusal } : {}),
    usage: usage === undefined || usage === null ? null : {
      input: count(usage, "prompt_tokens"),
      cachedInput: cached,
      cacheWrite: count(usage, "prompt_tokens_details", "cache_write_tokens"),
      output: completion + unreported,
      reasoning: count(usage, "completion_tokens_details", "reasoning_tokens") + unreported
    }
  }
}

const jsonModeInstruction = (schema: unknown) =>
  `\n\nAnswer with one JSON object (json) and nothing else. It must match this JSON Schema:\n${JSON.stringify(schema)}`

/** The request body for `prompt`, and the messages as sent. */
const requestOf = (options: OpenAiChatOptions, providerOptions: LanguageModel.ProviderOptions) => {
  const info = PROVIDERS[options.provider]
  const messages: Array<Message> = plainMessages(providerOptions.prompt)
  const format = providerOptions.responseFormat
  let responseFormat: unknown = undefined
  if (format.type === "json") {
    const { jsonSchema } = OpenAiStructuredOutput.toCodecOpenAI(format.schema)
    if (info.structured === "json_object") {
      const system = messages.findIndex((m) => m.role === "system")
      if (system >= 0) messages[system] = { role: "system", content: messages[system]!.content + jsonModeInstruction(jsonSchema) }
      else messages.unshift({ role: "system", content: jsonModeInstruction(jsonSchema).trimStart() })
      responseFormat = { type: "json_object" }
    } else {
      responseFormat = {
        type: "json_schema",
        json_schema: { name: format.objectName, schema: jsonSchema, strict: strictSchema(options.provider, options.model) }
      }
    }
  }
  const body = {
    model: options.model,
    messages,
    [info.maxTokensField]: options.maxOutputTokens,
    ...(options.reasoningEffort === null ? {} : { reasoning_effort: options.reasoningEffort }),
    ...(responseFormat === undefined ? {} : { response_format: responseFormat })
  }
  return { body, messages }
}

/** A `LanguageModel` for one model behind an OpenAI-compatible endpoint. */
export const make = (options: OpenAiChatOptions) =>
  languageModel({
    provider: options.provider,
    url: `${options.baseUrl.replace(/\/+$/, "")}/chat/completions`,
    apiKey: options.apiKey,
    headers: (key) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" }),
    codecTransformer: OpenAiStructuredOutput.toCodecOpenAI,
    request: (providerOptions) => requestOf(options, providerOptions),
    read: readChatCompletion
  })
