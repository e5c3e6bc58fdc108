/**
 * LLM configuration, read once from the environment at the composition root.
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `COUNCIL_LLM` | `offline` or `live` | `live` when any provider key is set, else `offline` |
 * | `OPENAI_API_KEY`, `GEMINI_API_KEY`, `ANTHROPIC_API_KEY`, `GROQ_API_KEY`, `DEEPSEEK_API_KEY` | keys (`Redacted`) | — |
 * | `OPENAI_BASE_URL`, `GEMINI_BASE_URL`, `GROQ_BASE_URL`, `DEEPSEEK_BASE_URL` | base of `/chat/completions` | the provider's |
 * | `ANTHROPIC_BASE_URL` | base of `/v1/messages` | `https://api.anthropic.com` |
 * | `COUNCIL_MODEL_<PM>`, `COUNCIL_CHAIRMAN_MODEL` | `provider:model-id`, a bare id (the role's default provider) or `offline` | `Models.DEFAULT_MODELS` |
 * | `COUNCIL_MAX_OUTPUT_TOKENS[_<ROLE>]` | output cap per call (reasoning included) | 3000 |
 * | `COUNCIL_REASONING_EFFORT[_<ROLE>]` | `none`…`max`, or `omit` to send none | the model's (`Models.defaultEffort`: `low` on OpenAI, Gemini, Groq's gpt-oss) |
 * | `COUNCIL_LLM_TIMEOUT_SECONDS` | each HTTP attempt | 90 |
 * | `COUNCIL_PRICES` | a price table file replacing `data/llm-prices.json` | — |
 * | `COUNCIL_LLM_BUDGET_USD`, `COUNCIL_LLM_BUDGET_USD_MONTH` | spend limits per run / calendar month (UTC) | none |
 *
 * `<ROLE>` is a PM (`CHATGPT`, `GEMINI`, `CLAUDE`, `GROQ`, `DEEPSEEK`) or `CHAIRMAN`.
 *
 * **Gotchas**
 * - A malformed value fails with an `LlmSettingsError`: one line naming the variable, what it accepts and, but for
 *   a key or a base URL (which may carry a password), what it holds. `prices` reads the table and fails the same way.
 * - An empty variable counts as unset; one set to blanks only is an error.
 * - A base URL must be http(s) without user info, query or fragment; it is kept as `origin + path`.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { choiceList, PM_NAMES, quotedValue } from "@council/domain"
import * as HeaderKey from "@council/io/HeaderKey"
import type { BudgetLimits } from "./Budget.ts"
import {
  CHAIRMAN,
  DEFAULT_MAX_OUTPUT_TOKENS,
  DEFAULT_MODELS,
  defaultEffort,
  type ModelSpec,
  parseModelRef,
  PROVIDERS,
  ProviderId,
  ReasoningEffort
} from "./Models.ts"
import { defaultPricesFile, load as loadTable, type PriceTable } from "./Prices.ts"

export const ROLES: ReadonlyArray<string> = [...PM_NAMES, CHAIRMAN]

export interface RoleSetting {
  readonly role: string
  /** The variable the model came from (for messages). */
  readonly variable: string
  readonly model: ModelSpec | "offline"
}

export interface LlmSettings {
  readonly mode: "offline" | "live"
  readonly keys: Readonly<Partial<Record<ProviderId, Redacted.Redacted>>>
  readonly baseUrls: Readonly<Record<ProviderId, string>>
  readonly roles: ReadonlyArray<RoleSetting>
  readonly pricesFile: string
  readonly limits: BudgetLimits
  readonly timeoutSeconds: number
}

export const modelVariable = (role: string): string => (role === CHAIRMAN ? "COUNCIL_CHAIRMAN_MODEL" : `COUNCIL_MODEL_${role}`)

/**
 * A malformed LLM variable: one line naming it. Never carries a key or a base URL's value (either may hold a
 * secret).
 */
export class LlmSettingsError extends Schema.TaggedError<LlmSettingsError>()("LlmSettingsError", {
  variable: Schema.String,
  message: Schema.String
}) {}

const fail = (variable: string, problem: string) => Effect.fail(new LlmSettingsError({ variable, message: `${variable}: ${problem}` }))

/** A variable, trimmed: unset or empty is `None`; set to blanks only is an error naming it. */
const text = (name: string): Effect.Effect<Option.Option<string>, LlmSettingsError> =>
  Config.option(Config.String(name)).pipe(
    Effect.catch(() => fail(name, "cannot be read")),
    Effect.flatMap((value) => {
      if (Option.isNone(value) || value.value === "") return Effect.succeed(Option.none())
      const trimmed = value.value.trim()
      return trimmed === "" ? fail(name, "is set but blank; unset it or give it a value") : Effect.succeed(Option.some(trimmed))
    })
  )

/**
 * A variable decoded by `schema`, refused as one line: the variable, what it holds (these hold no secret: keys and
 * base URLs are read apart) and what it accepts in words, never the schema's own text.
 */
const parsed = <A>(schema: Schema.Codec<A, string>, name: string, accepts: string) =>
  Effect.flatMap(text(name), (value) =>
    Option.isNone(value)
      ? Effect.succeed(Option.none<A>())
      : Schema.decodeUnknownEffect(schema)(value.value).pipe(
        Effect.map(Option.some),
        Effect.catch(() => fail(name, `expected ${accepts}, got ${quotedValue(value.value)}`))
      ))

const PositiveNumber = Schema.NumberFromString.check(Schema.isFinite(), Schema.isGreaterThan(0))
const POSITIVE_NUMBER = "a number > 0"
const PositiveInt = Schema.NumberFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1))
const POSITIVE_INT = "a whole number ≥ 1"
const EffortSetting = Schema.Literals([...ReasoningEffort.literals, "omit"])
const EFFORT = choiceList(EffortSetting.literals)
const Mode = Schema.Literals(["offline", "live"])
const MODE = choiceList(Mode.literals)

/**
 * A base URL as the adapters use it: `origin + path` without a trailing slash, or why it is refused. Messages
 * never repeat the URL (it may carry a password), and a URL with user info is refused, so none is ever printed.
 */
export const normalizeBaseUrl = (raw: string): { readonly url: string } | { readonly error: string } => {
  const url = URL.parse(raw)
  if (url === null || url.hostname === "") return { error: "is not a URL (expected http(s)://host[:port][/path])" }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { error: "must start with http:// or https://" }
  if (url.username !== "" || url.password !== "") return { error: "must not contain user:password@ (the key goes in its own variable)" }
  if (url.search !== "" || url.hash !== "") return { error: "must not have a query or fragment" }
  return { url: `${url.origin}${url.pathname.replace(/\/+$/, "")}` }
}

const baseUrl = (provider: ProviderId) =>
  Effect.flatMap(text(PROVIDERS[provider].baseUrlVariable), (value) => {
    if (Option.isNone(value)) return Effect.succeed(PROVIDERS[provider].defaultBaseUrl)
    const normalized = normalizeBaseUrl(value.value)
    return "error" in normalized ? fail(PROVIDERS[provider].baseUrlVariable, normalized.error) : Effect.succeed(normalized.url)
  })

/** A key, `Redacted` from the start; only "is set but blank", or where a header could not carry it, is ever said about it. */
const key = (provider: ProviderId) =>
  Effect.flatMap(text(PROVIDERS[provider].keyVariable), (value) => {
    const unsendable = Option.isSome(value) ? HeaderKey.problem(PROVIDERS[provider].keyVariable, value.value) : undefined
    return unsendable === undefined
      ? Effect.succeed(Option.map(value, (k) => Redacted.make(k)))
      : Effect.fail(new LlmSettingsError({ variable: PROVIDERS[provider].keyVariable, message: unsendable }))
  })

const modelRef = (role: string) =>
  Effect.flatMap(text(modelVariable(role)), (value) => {
    if (Option.isNone(value)) return Effect.succeed(DEFAULT_MODELS[role]!)
    const ref = parseModelRef(value.value, DEFAULT_MODELS[role]!.provider)
    return typeof ref === "object" && "error" in ref ? fail(modelVariable(role), ref.error) : Effect.succeed(ref)
  })

const byKey = <K extends string, A, E>(keys: ReadonlyArray<K>, f: (key: K) => Effect.Effect<A, E>) =>
  Effect.map(Effect.forEach(keys, f), (values) => Object.fromEntries(keys.map((k, i) => [k, values[i]!])) as Record<K, A>)

/** The LLM settings of the environment; the first malformed variable fails, named. */
export const read: Effect.Effect<LlmSettings, LlmSettingsError> = Effect.gen(function*() {
  const mode = yield* parsed(Mode, "COUNCIL_LLM", MODE)
  const keys = yield* byKey(ProviderId.literals, key)
  const baseUrls = yield* byKey(ProviderId.literals, baseUrl)
  const maxTokens = yield* parsed(PositiveInt, "COUNCIL_MAX_OUTPUT_TOKENS", POSITIVE_INT)
  const effort = yield* parsed(EffortSetting, "COUNCIL_REASONING_EFFORT", EFFORT)
  const roles = yield* Effect.forEach(ROLES, (role) =>
    Effect.gen(function*() {
      const ref = yield* modelRef(role)
      const roleTokens = Option.orElse(yield* parsed(PositiveInt, `COUNCIL_MAX_OUTPUT_TOKENS_${role}`, POSITIVE_INT), () => maxTokens)
      const roleEffort = Option.getOrUndefined(Option.orElse(yield* parsed(EffortSetting, `COUNCIL_REASONING_EFFORT_${role}`, EFFORT), () => effort))
      if (ref === "offline") return { role, variable: modelVariable(role), model: "offline" } satisfies RoleSetting
      return {
        role,
        variable: modelVariable(role),
        model: {
          provider: ref.provider,
          id: ref.id,
          maxOutputTokens: Option.getOrElse(roleTokens, () => DEFAULT_MAX_OUTPUT_TOKENS),
          reasoningEffort: roleEffort === undefined ? defaultEffort(ref.provider, ref.id) : roleEffort === "omit" ? null : roleEffort
        }
      } satisfies RoleSetting
    }))
  const present: Partial<Record<ProviderId, Redacted.Redacted>> = {}
  for (const p of ProviderId.literals) if (Option.isSome(keys[p])) present[p] = keys[p].value
  const perRun = yield* parsed(PositiveNumber, "COUNCIL_LLM_BUDGET_USD", POSITIVE_NUMBER)
  const perMonth = yield* parsed(PositiveNumber, "COUNCIL_LLM_BUDGET_USD_MONTH", POSITIVE_NUMBER)
  return {
    mode: Option.getOrElse(mode, () => (Object.keys(present).length > 0 ? "live" : "offline")),
    keys: present,
    baseUrls,
    roles,
    pricesFile: Option.getOrElse(yield* text("COUNCIL_PRICES"), () => defaultPricesFile),
    limits: { perRunUsd: Option.getOrNull(perRun), perMonthUsd: Option.getOrNull(perMonth) },
    timeoutSeconds: Option.getOrElse(yield* parsed(PositiveNumber, "COUNCIL_LLM_TIMEOUT_SECONDS", POSITIVE_NUMBER), () => 90)
  }
})

/** The price table the settings name (`COUNCIL_PRICES`, else the repository's); a bad file fails naming the variable. */
export const prices = (settings: LlmSettings): Effect.Effect<PriceTable, LlmSettingsError> =>
  loadTable(settings.pricesFile).pipe(
    Effect.mapError((e) => new LlmSettingsError({ variable: "COUNCIL_PRICES", message: `COUNCIL_PRICES: ${e.message}` }))
  )
