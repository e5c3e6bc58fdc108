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
 * | `COUNCIL_REASONING_EFFORT[_<ROLE>]` | `none`…`max`, or `omit` to send none | the provider's (`low` on OpenAI, Gemini, Groq) |
 * | `COUNCIL_LLM_TIMEOUT_SECONDS` | each HTTP attempt | 90 |
 * | `COUNCIL_PRICES` | a price table file replacing `data/llm-prices.json` | — |
 * | `COUNCIL_LLM_BUDGET_USD`, `COUNCIL_LLM_BUDGET_USD_MONTH` | spend limits per run / calendar month (UTC) | none |
 *
 * `<ROLE>` is a PM (`CHATGPT`, `GEMINI`, `CLAUDE`, `GROQ`, `DEEPSEEK`) or `CHAIRMAN`. A malformed value fails with
 * a `ConfigError` naming the variable; keys are never part of any message.
 *
 * @since 0.1.0
 */
import { Config, Effect, Option, Redacted, Schema } from "effect"
import { PM_NAMES } from "@council/domain"
import type { BudgetLimits } from "./Budget.ts"
import {
  CHAIRMAN,
  DEFAULT_MAX_OUTPUT_TOKENS,
  DEFAULT_MODELS,
  type ModelSpec,
  parseModelRef,
  PROVIDERS,
  ProviderId,
  ReasoningEffort
} from "./Models.ts"
import { defaultPricesFile } from "./Prices.ts"

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

const nonEmpty = (name: string) =>
  Config.option(Config.String(name)).pipe(
    Config.map((o) => Option.filter(Option.map(o, (s) => s.trim()), (s) => s !== ""))
  )

const PositiveNumber = Schema.NumberFromString.check(Schema.isFinite(), Schema.isGreaterThan(0))
const PositiveInt = Schema.NumberFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1))
const EffortSetting = Schema.Union([ReasoningEffort, Schema.Literal("omit")])
const Mode = Schema.Literals(["offline", "live"])

const optionalOf = <A>(schema: Schema.Codec<A, string>, name: string) => Config.option(Config.schema(schema, name))

const ModelRefText = (role: string) =>
  Schema.String.check(Schema.makeFilter((text: string) => {
    const parsed = parseModelRef(text, DEFAULT_MODELS[role]!.provider)
    return typeof parsed === "object" && "error" in parsed ? parsed.error : true
  }))

const roleSetting = (role: string) =>
  Config.all({
    model: optionalOf(ModelRefText(role), modelVariable(role)),
    maxTokens: optionalOf(PositiveInt, `COUNCIL_MAX_OUTPUT_TOKENS_${role}`),
    effort: optionalOf(EffortSetting, `COUNCIL_REASONING_EFFORT_${role}`)
  })

const keyOf = (provider: ProviderId) =>
  Config.option(Config.Redacted(PROVIDERS[provider].keyVariable)).pipe(
    Config.map((o) => Option.filter(o, (k) => Redacted.value(k).trim() !== ""))
  )

/** The LLM settings of the environment. */
export const config = Config.all({
  mode: optionalOf(Mode, "COUNCIL_LLM"),
  keys: Config.all(Object.fromEntries(ProviderId.literals.map((p) => [p, keyOf(p)])) as Record<ProviderId, ReturnType<typeof keyOf>>),
  baseUrls: Config.all(
    Object.fromEntries(ProviderId.literals.map((p) => [p, nonEmpty(PROVIDERS[p].baseUrlVariable)])) as Record<ProviderId, ReturnType<typeof nonEmpty>>
  ),
  roles: Config.all(Object.fromEntries(ROLES.map((r) => [r, roleSetting(r)])) as Record<string, ReturnType<typeof roleSetting>>),
  maxTokens: optionalOf(PositiveInt, "COUNCIL_MAX_OUTPUT_TOKENS"),
  effort: optionalOf(EffortSetting, "COUNCIL_REASONING_EFFORT"),
  timeout: optionalOf(PositiveNumber, "COUNCIL_LLM_TIMEOUT_SECONDS"),
  prices: nonEmpty("COUNCIL_PRICES"),
  perRun: optionalOf(PositiveNumber, "COUNCIL_LLM_BUDGET_USD"),
  perMonth: optionalOf(PositiveNumber, "COUNCIL_LLM_BUDGET_USD_MONTH")
}).pipe(Config.map((raw): LlmSettings => {
  const keys: Partial<Record<ProviderId, Redacted.Redacted>> = {}
  for (const p of ProviderId.literals) {
    const key = raw.keys[p]
    if (key !== undefined && Option.isSome(key)) keys[p] = key.value
  }
  const roles = ROLES.map((role): RoleSetting => {
    const setting = raw.roles[role]!
    const fallback = DEFAULT_MODELS[role]!
    const ref = Option.match(setting.model, {
      onNone: () => fallback,
      onSome: (text) => parseModelRef(text, fallback.provider) as { readonly provider: ProviderId; readonly id: string } | "offline"
    })
    if (ref === "offline") return { role, variable: modelVariable(role), model: "offline" }
    const effort = Option.getOrUndefined(Option.orElse(setting.effort, () => raw.effort))
    return {
      role,
      variable: modelVariable(role),
      model: {
        provider: ref.provider,
        id: ref.id,
        maxOutputTokens: Option.getOrElse(Option.orElse(setting.maxTokens, () => raw.maxTokens), () => DEFAULT_MAX_OUTPUT_TOKENS),
        reasoningEffort: effort === undefined ? PROVIDERS[ref.provider].defaultReasoningEffort : effort === "omit" ? null : effort
      }
    }
  })
  return {
    mode: Option.getOrElse(raw.mode, () => (Object.keys(keys).length > 0 ? "live" : "offline")),
    keys,
    baseUrls: Object.fromEntries(
      ProviderId.literals.map((p) => [p, Option.getOrElse(raw.baseUrls[p]!, () => PROVIDERS[p].defaultBaseUrl)])
    ) as Record<ProviderId, string>,
    roles,
    pricesFile: Option.getOrElse(raw.prices, () => defaultPricesFile),
    limits: { perRunUsd: Option.getOrNull(raw.perRun), perMonthUsd: Option.getOrNull(raw.perMonth) },
    timeoutSeconds: Option.getOrElse(raw.timeout, () => 90)
  }
}))

/** Reads the settings (a `ConfigError` names the offending variable). */
export const read: Effect.Effect<LlmSettings, Config.ConfigError> = config
