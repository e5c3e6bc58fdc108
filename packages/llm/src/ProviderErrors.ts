/**
 * Provider failures → `effect/ai` `AiError` reasons → our typed `FailureReason`, and the named retry schedule
 * of each provider.
 *
 * **When to use**: the adapters call `reasonOf` for a non-2xx answer; `ask` classifies what a call failed with
 * (`classify`) and retries with `retrySchedule(RETRY_POLICIES[provider])`.
 *
 * **Mapping** (status, then the body's error code/type, which wins where providers disagree with HTTP):
 * | answer | reason | retried |
 * |---|---|---|
 * | 429 `insufficient_quota`/billing, 402 | QuotaExhausted | never |
 * | 401, 403 | Unauthorized | never |
 * | 429 (also Anthropic's 429 `overloaded_error` → Overloaded) | RateLimited, waiting `retry-after-ms`, `retry-after` or Gemini's `RetryInfo.retryDelay` | yes |
 * | 529, 503, 498 | Overloaded (waiting its `retry-after`, if it gives one) | yes |
 * | 408, 500, 502, 504, other 5xx | ServerError (likewise) | yes |
 * | Groq 400 `json_validate_failed` | InvalidAnswer (its `failed_generation` is the answer) | no: corrected instead |
 * | other 4xx | InvalidRequest | never |
 * | a 2xx whose body is an error (`statedStatus`) | as the status it states (Google's `code`, or its type) | as that status |
 * | transport failure | Network | yes |
 * | our per-call timeout | Timeout | no (a slow provider rarely speeds up; the answer deadline stays bounded) |
 *
 * **Gotchas**: `AiError.InternalProviderError` has no overload flag, so the reason we decided is kept in the
 * error's `metadata.council`; errors from other `LanguageModel`s fall back to their `_tag`. Error messages are
 * built from the provider's own code and message, with the key scrubbed out, on one line (the code cut to 60
 * characters, the message to 200); no header ever goes into one. An HTML page (a proxy's, a load balancer's,
 * Cloudflare's) is said as its status and title (`@council/io/HtmlPage`), never its markup.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as AiError from "effect/ai/AiError"
import { htmlPage } from "@council/io/HtmlPage"
import { type FailureReason, scrub } from "./Exchange.ts"
import type { ProviderId } from "./Models.ts"

export interface HttpFailure {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
}

interface ErrorBody {
  readonly message?: string
  readonly type?: string
  readonly code?: string
  readonly status?: string
  readonly retryDelayMs?: number
  readonly failedGeneration?: string
}

const record = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? u as Record<string, unknown> : undefined

const text = (u: unknown): string | undefined => (typeof u === "string" ? u : typeof u === "number" ? String(u) : undefined)

/** `"22s"` / `"1.5s"` (protobuf Duration JSON) → milliseconds. */
const protoDurationMs = (u: unknown): number | undefined => {
  const match = typeof u === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(u) : null
  return match?.[1] === undefined ? undefined : Math.round(Number(match[1]) * 1000)
}

/** Reads OpenAI-style, Anthropic-style and Google-style error bodies (`[{error}]` too). */
const parseErrorBody = (body: string): ErrorBody => {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return {}
  }
  const root = record(Array.isArray(json) ? json[0] : json)
  const error = record(root?.["error"]) ?? root
  if (error === undefined) return {}
  const details = Array.isArray(error["details"]) ? error["details"] : []
  const retryInfo = details.map(record).find((d) => String(d?.["@type"] ?? "").endsWith("RetryInfo"))
  const failedGeneration = text(error["failed_generation"])
  const retryDelayMs = protoDurationMs(retryInfo?.["retryDelay"])
  const fields: Record<string, string | number | undefined> = {
    message: text(error["message"]),
    type: text(error["type"]),
    code: text(error["code"]),
    status: text(error["status"]),
    retryDelayMs,
    failedGeneration
  }
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as ErrorBody
}

/** `retry-after-ms`, else `retry-after` (seconds or an HTTP date), else the body's retry delay. */
export const retryAfterMs = (failure: HttpFailure, nowMs: number): number | undefined => {
  const ms = Number(failure.headers["retry-after-ms"])
  if (failure.headers["retry-after-ms"] !== undefined && Number.isFinite(ms) && ms >= 0) return ms
  const after = failure.headers["retry-after"]
  if (after !== undefined) {
    const seconds = Number(after)
    if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000)
    const date = Date.parse(after)
    if (Number.isFinite(date)) return Math.max(0, date - nowMs)
  }
  return parseErrorBody(failure.body).retryDelayMs
}

/** `text` on one line (every run of whitespace one space) of at most `max` characters. */
const oneLine = (text: string, max: number): string => text.replace(/\s+/g, " ").trim().slice(0, max)

const councilReason = (reason: FailureReason, status: number, retryAfterMs?: number) => ({
  council: { reason, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }
})

/** A 2xx answer whose body cannot be read (not JSON, not the wire's shape): a `ServerError`, retried as sent. */
export const unreadable = (description: string, status: number): AiError.AiErrorReason =>
  new AiError.InternalProviderError({ description, metadata: councilReason("ServerError", status) })

/**
 * The status a 2xx body that is an error stands for (`{"error": {…}}`, `[{"error": …}]`, Anthropic's
 * `{"type": "error", …}`): Google's numeric `code`, else what its type or code names; `undefined` when the body is
 * no error. Gateways and OpenAI-compatible endpoints answer some failures this way (a rate limit, an upstream
 * overload, a quota) with a 200: they are classified as if sent with that status, and never billed.
 */
export const statedStatus = (json: unknown): number | undefined => {
  const root = record(Array.isArray(json) ? json[0] : json)
  const error = record(root?.["error"])
  if (root === undefined || error === undefined || "choices" in root || "content" in root) return undefined
  const code = error["code"]
  if (typeof code === "number" && Number.isInteger(code) && code >= 400 && code < 600) return code
  const tags = `${text(error["code"]) ?? ""} ${text(error["type"]) ?? ""} ${text(error["status"]) ?? ""}`.toLowerCase()
  if (/insufficient_quota|billing|quota_exceeded/.test(tags)) return 402
  if (/overloaded|unavailable/.test(tags)) return 503
  if (/rate_limit|resource_exhausted|too_many/.test(tags)) return 429
  if (/authentication|invalid_api_key|unauthenticated|unauthorized/.test(tags)) return 401
  if (/permission/.test(tags)) return 403
  if (/not_found|model_not_found/.test(tags)) return 404
  if (/invalid_request|invalid_argument|invalid_value|unsupported/.test(tags)) return 400
  return 500
}

/** Each provider as its name is written: whose JSON an HTML page (a proxy's, a gateway's) stood in for. */
const PROVIDER_NAMES: Readonly<Record<ProviderId, string>> = {
  openai: "OpenAI",
  gemini: "Gemini",
  anthropic: "Anthropic",
  groq: "Groq",
  deepseek: "DeepSeek"
}

/**
 * An HTML page `provider` answered `status` with (a proxy's, a load balancer's, Cloudflare's), said as its status
 * and title, never its markup: `openai answered 502 Bad Gateway (an HTML page, not OpenAI's JSON)`; `undefined`
 * when `body` (scrubbed of the key already) is no page.
 */
export const pageAnswer = (provider: ProviderId, status: number, body: string): string | undefined => {
  const page = htmlPage(status, body, PROVIDER_NAMES[provider])
  return page === undefined ? undefined : `${provider} answered ${page}`
}

/**
 * The reason for a non-2xx answer, or a 2xx whose body is an error (`stated`: the status it stands for, see
 * `statedStatus`); `secret` is scrubbed from the provider's message.
 */
export const reasonOf = (
  provider: ProviderId,
  failure: HttpFailure,
  secret: string,
  nowMs: number,
  stated?: number
): AiError.AiErrorReason => {
  const body = parseErrorBody(failure.body)
  // one line, bounded: a provider's message and code can be any size (the body is read up to 16 MB); the key is
  // already scrubbed from the body, so the cut cannot leave part of it
  const code = oneLine(body.code ?? body.type ?? body.status ?? "", 60)
  const detail = [code, oneLine(body.message ?? failure.body, 200)].filter((s) => s !== "").join(": ")
  const answered = stated === undefined ? `${failure.status}` : `${failure.status} with an error`
  // a proxy's or a gateway's HTML page is said as its status and title: its markup would fill the message
  const page = pageAnswer(provider, failure.status, failure.body)
  const description = scrub(page ?? `${provider} answered ${answered}${detail === "" ? "" : ` (${detail})`}`, secret)
  if (stated !== undefined) failure = { ...failure, status: stated }
  const tags = `${body.code ?? ""} ${body.type ?? ""} ${body.status ?? ""}`.toLowerCase()
  const status = failure.status
  if (status === 402 || (status === 429 && /insufficient_quota|billing|quota_exceeded/.test(tags))) {
    return new AiError.QuotaExhaustedError({ metadata: { ...councilReason("QuotaExhausted", status), description } })
  }
  if (status === 401 || status === 403) {
    return new AiError.AuthenticationError({
      kind: status === 401 ? "InvalidKey" : "InsufficientPermissions",
      description,
      metadata: councilReason("Unauthorized", status)
    })
  }
  if (status === 429 && !tags.includes("overloaded")) {
    const wait = retryAfterMs(failure, nowMs)
    return new AiError.RateLimitError({
      ...(wait === undefined ? {} : { retryAfter: Duration.millis(wait) }),
      metadata: { ...councilReason("RateLimited", status), description }
    })
  }
  // an overload or a 5xx that says when to come back (`retry-after`, Gemini's RetryInfo) is waited for as a rate
  // limit is: `AiError.InternalProviderError` has no `retryAfter`, so the wait rides in the council metadata
  if (status === 429 || status === 529 || status === 503 || status === 498) {
    return new AiError.InternalProviderError({ description, metadata: councilReason("Overloaded", status, retryAfterMs(failure, nowMs)) })
  }
  if (status === 408 || status >= 500) {
    return new AiError.InternalProviderError({ description, metadata: councilReason("ServerError", status, retryAfterMs(failure, nowMs)) })
  }
  if (tags.includes("json_validate_failed")) {
    return new AiError.StructuredOutputError({
      description,
      responseText: scrub(body.failedGeneration ?? "", secret),
      metadata: councilReason("InvalidAnswer", status)
    })
  }
  return new AiError.InvalidRequestError({ description, metadata: councilReason("InvalidRequest", status) })
}

export interface Classified {
  readonly reason: FailureReason
  readonly message: string
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
}

const RETRYABLE: ReadonlySet<FailureReason> = new Set(["RateLimited", "Overloaded", "ServerError", "Network"])

const tagReason = (reason: AiError.AiErrorReason): FailureReason => {
  switch (reason._tag) {
    case "RateLimitError":
      return "RateLimited"
    case "QuotaExhaustedError":
      return "QuotaExhausted"
    case "AuthenticationError":
      return "Unauthorized"
    case "InternalProviderError":
      return "ServerError"
    case "NetworkError":
      return reason.reason === "TransportError" ? "Network" : "InvalidRequest"
    case "InvalidOutputError":
    case "StructuredOutputError":
    case "InvalidResponseError":
    case "ContentPolicyError":
      return "InvalidAnswer"
    default:
      return "InvalidRequest"
  }
}

const metadataOf = (reason: AiError.AiErrorReason): Record<string, unknown> | undefined =>
  "metadata" in reason ? record(reason.metadata) : undefined

const decidedReason = (reason: AiError.AiErrorReason): FailureReason | undefined => {
  const council = record(metadataOf(reason)?.["council"])
  const decided = council?.["reason"]
  return typeof decided === "string" ? decided as FailureReason : undefined
}

/** What a call failed with, as our typed reason. */
export const classify = (error: AiError.AiError | Cause.TimeoutError, timeout?: Duration.Duration): Classified => {
  if (Cause.isTimeoutError(error)) {
    const after = timeout === undefined ? "" : ` after ${Duration.format(timeout)}`
    return { reason: "Timeout", message: `no answer${after}`, retryable: false, retryAfterMs: undefined }
  }
  const reason = decidedReason(error.reason) ?? tagReason(error.reason)
  const own = "description" in error.reason ? error.reason.description : undefined
  const description = own ?? metadataOf(error.reason)?.["description"]
  const message = typeof description === "string" ? description : error.reason.message
  const stated = record(metadataOf(error.reason)?.["council"])?.["retryAfterMs"]
  const wait = error.retryAfter ?? (typeof stated === "number" ? Duration.millis(stated) : undefined)
  return {
    reason,
    message,
    retryable: RETRYABLE.has(reason),
    retryAfterMs: wait === undefined ? undefined : Duration.toMillis(wait)
  }
}

/** How one provider's calls are retried: exponential from `base` with jitter, capped, at most `times` retries. */
export interface RetryPolicy {
  readonly times: number
  readonly base: Duration.Input
  readonly cap: Duration.Input
  /** A `retry-after` longer than this is not waited for: the call fails as rate limited. */
  readonly maxRetryAfter: Duration.Input
}

/**
 * Per provider. Anthropic gets one more try (529 overload bursts); Gemini and DeepSeek start slower (their 503s
 * and Gemini's `RetryInfo` ask for seconds, not milliseconds).
 */
export const RETRY_POLICIES: Readonly<Record<ProviderId, RetryPolicy>> = {
  openai: { times: 3, base: "1 second", cap: "20 seconds", maxRetryAfter: "60 seconds" },
  gemini: { times: 3, base: "2 seconds", cap: "30 seconds", maxRetryAfter: "60 seconds" },
  anthropic: { times: 4, base: "1 second", cap: "30 seconds", maxRetryAfter: "60 seconds" },
  groq: { times: 3, base: "1 second", cap: "20 seconds", maxRetryAfter: "60 seconds" },
  deepseek: { times: 3, base: "2 seconds", cap: "20 seconds", maxRetryAfter: "60 seconds" }
}

/**
 * Retries only retryable reasons, never sooner than the provider's `retry-after`, and not at all when that asks
 * for longer than `maxRetryAfter`.
 */
export const retrySchedule = (
  policy: RetryPolicy
): Schedule.Schedule<Duration.Duration, AiError.AiError | Cause.TimeoutError> => {
  const maxWait = Duration.toMillis(Duration.fromInputUnsafe(policy.maxRetryAfter))
  return Schedule.min([
    Schedule.exponential(policy.base).pipe(Schedule.jittered),
    Schedule.spaced(policy.cap)
  ]).pipe(
    Schedule.upTo({ times: Math.max(0, policy.times) }),
    Schedule.setInputType<AiError.AiError | Cause.TimeoutError>(),
    Schedule.while(({ input }) => {
      const c = classify(input)
      return c.retryable && (c.retryAfterMs ?? 0) <= maxWait
    }),
    Schedule.modifyDelay(({ duration, input }) =>
      Effect.succeed(Duration.max(duration, Duration.millis(classify(input).retryAfterMs ?? 0)))
    )
  )
}
