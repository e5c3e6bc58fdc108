/**
 * An `effect/ai` `LanguageModel` over Anthropic's native Messages wire (`POST {base}/v1/messages`).
 *
 * **When to use**: `make(options)` per Claude model a council role uses.
 *
 * **Details**
 * - Headers `x-api-key` and `anthropic-version: 2023-06-01` (the only documented version; the 2026-10-21
 *   version of the 1.x SDK is undocumented, so it is not used).
 * - Structured output through `output_config.format` (`json_schema`, from `AnthropicStructuredOutput`);
 *   `output_config.effort` when a reasoning effort is set. No `temperature`/`top_*` (refused by newer models).
 * - The system prompt goes in the top-level `system` block with an ephemeral `cache_control` marker, so the
 *   stable instructions can be cached across PMs' days.
 * - Usage: total input = `input_tokens` + `cache_read_input_tokens` + `cache_creation_input_tokens`; thinking
 *   tokens (`output_tokens_details.thinking_tokens`) are part of `output_tokens`.
 *
 * **Gotchas**: a `tool_use` block's input is turned back into JSON text; `stop_reason: refusal` comes back as an
 * answer without text (the `WireLog` says `anthropic refused to answer (refusal)`, which `ask` gives as the
 * reason). Streaming is not implemented.
 *
 * @since 0.1.0
 */
import * as AnthropicStructuredOutput from "effect/ai/AnthropicStructuredOutput"
import type * as LanguageModel from "effect/ai/LanguageModel"
import type * as Response from "effect/ai/Response"
import { type AdapterOptions, count, languageModel, plainMessages, type WireAnswer } from "./ProviderHttp.ts"

export const ANTHROPIC_VERSION = "2023-06-01"

/** `baseUrl` is the base to which `/v1/messages` is appended. */
export type AnthropicOptions = AdapterOptions

const finishOf = (reason: unknown): Response.FinishReason => {
  switch (reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop"
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length"
    case "refusal":
      return "content-filter"
    case "tool_use":
      return "tool-calls"
    case "pause_turn":
      return "pause"
    default:
      return reason === undefined || reason === null ? "unknown" : "other"
  }
}

/** Reads a Messages body. */
export const readMessage = (json: unknown): WireAnswer | string => {
  const body = json as { id?: unknown; model?: unknown; content?: unknown; stop_reason?: unknown; usage?: unknown }
  if (!Array.isArray(body.content)) return "no content"
  const texts = (body.content as ReadonlyArray<{ type?: unknown; text?: unknown; input?: unknown }>).flatMap((block) =>
    block.type === "text" && typeof block.text === "string"
      ? [block.text]
      : block.type === "tool_use"
      ? [JSON.stringify(block.input)]
      : []
  )
  const usage = body.usage
  const read = count(usage, "cache_read_input_tokens")
  const write = count(usage, "cache_creation_input_tokens")
  return {
    id: typeof body.id === "string" ? body.id : undefined,
    model: typeof body.model === "string" ? body.model : undefined,
    text: texts.length === 0 ? null : texts.join(""),
    finish: finishOf(body.stop_reason),
    rawFinish: typeof body.stop_reason === "string" ? body.stop_reason : null,
    usage: usage === undefined || usage === null ? null : {
      input: count(usage, "input_tokens") + read + write,
      cachedInput: read,
      cacheWrite: write,
      output: count(usage, "output_tokens"),
      reasoning: count(usage, "output_tokens_details", "thinking_tokens")
    }
  }
}

const requestOf = (options: AnthropicOptions, providerOptions: LanguageModel.ProviderOptions) => {
  const messages = plainMessages(providerOptions.prompt)
  const system = messages.filter((m) => m.role === "system").map((m) => m.content).join("\n\n")
  const turns = messages.filter((m) => m.role !== "system")
  const format = providerOptions.responseFormat
  const outputConfig = {
    ...(format.type === "json"
      ? { format: { type: "json_schema", schema: AnthropicStructuredOutput.toCodecAnthropic(format.schema).jsonSchema } }
      : {}),
    ...(options.reasoningEffort === null ? {} : { effort: options.reasoningEffort })
  }
  const body = {
    model: options.model,
    max_tokens: options.maxOutputTokens,
    ...(system === "" ? {} : { system: [{ type: "text", text: system, cache_control: { type: "ephemeral" } }] }),
    messages: turns.map((m) => ({ role: m.role, content: m.content })),
    ...(Object.keys(outputConfig).length === 0 ? {} : { output_config: outputConfig })
  }
  return { body, messages }
}

/** A `LanguageModel` for one Claude model. */
export const make = (options: AnthropicOptions) =>
  languageModel({
    provider: "anthropic",
    url: `${options.baseUrl.replace(/\/+$/, "")}/v1/messages`,
    apiKey: options.apiKey,
    headers: (key) => ({ "x-api-key": key, "anthropic-version": ANTHROPIC_VERSION, "content-type": "application/json" }),
    codecTransformer: AnthropicStructuredOutput.toCodecAnthropic,
    request: (providerOptions) => requestOf(options, providerOptions),
    read: readMessage
  })
