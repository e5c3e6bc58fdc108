/**
 * Who sits at the council for a run — each PM's model or offline stand-in, and the chairman's — and the layers
 * that seat them.
 *
 * **When to use**: the composition root turns `LlmSettings` into a `Lineup` with `fromSettings` (a live run),
 * `fromRecord` (a replay: the run's recorded models, no network) or `fromRecord` plus `swap` (a fork asking
 * other models), and seats it with `Seating.layer(lineup, …)` (from `@council/llm/live`).
 *
 * **Start-up checks in live mode** (`LlmConfigError`, one line naming the role and the variable):
 * - a selected role whose provider key is missing — unless `--pms` leaves that PM out, or no traded account needs
 *   it (`--accounts` without COUNCIL: only the traded PMs' pitches are asked), or its model is `offline`; a PM left
 *   out keeps its offline stand-in, and the lineup's `notes` say so;
 * - a model with no price in the price table (`COUNCIL_PRICES` names the file).
 *
 * **Gotchas**: in a fork an unswapped role's key may be missing (its recorded answers are reused); if it is asked
 * anyway its model fails as unauthorized, which makes the PM abstain (or the chairman fall back), never the run
 * fail.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { PM_NAMES } from "@council/domain"
import { OFFLINE_CHAIRMAN_SOURCE } from "./Chairman.ts"
import type { LlmSettings } from "./LlmSettings.ts"
import { modelVariable } from "./LlmSettings.ts"
import {
  CHAIRMAN,
  DEFAULT_MAX_OUTPUT_TOKENS,
  DEFAULT_MODELS,
  defaultEffort,
  effortRefusal,
  effortRule,
  effortUnchecked,
  type ModelSpec,
  modelName,
  parseModelRef,
  PROVIDERS,
  type ProviderId
} from "./Models.ts"
import { OFFLINE_STYLES, offlineSource } from "./OfflineRules.ts"
import type { PriceTable } from "./Prices.ts"

export class LlmConfigError extends Schema.TaggedError<LlmConfigError>()("LlmConfigError", {
  message: Schema.String
}) {}

/** One role's place: a model, or offline (with why, when it is not simply offline mode). */
export interface Place {
  readonly role: string
  readonly model: ModelSpec | "offline"
}

export interface Lineup {
  readonly mode: "offline" | "live"
  /** The five PMs, then the chairman. */
  readonly places: ReadonlyArray<Place>
  /**
   * `false`: the live PMs are not asked for their peer review (no traded account trades the council's decision,
   * the review's only use); absent: they are.
   */
  readonly reviews?: false
  /** Said on start-up, e.g. which PMs keep their offline stand-in. */
  readonly notes: ReadonlyArray<string>
}

/** What a run records about its lineup: each role's model name (`offline:<style>` for stand-ins). */
export const RecordedModel = Schema.Struct({ role: Schema.String, model: Schema.String })
export type RecordedModel = typeof RecordedModel.Type

const offlineName = (role: string) =>
  role === CHAIRMAN ? OFFLINE_CHAIRMAN_SOURCE : offlineSource(OFFLINE_STYLES[role as keyof typeof OFFLINE_STYLES])

export const recordedModels = (lineup: Lineup): ReadonlyArray<RecordedModel> =>
  lineup.places.map((p) => ({ role: p.role, model: p.model === "offline" ? offlineName(p.role) : modelName(p.model) }))

/** A one-line summary, e.g. `live: CHATGPT openai:gpt-5.4, … · chairman anthropic:…`. */
export const describeLineup = (lineup: Lineup): string => {
  if (lineup.mode === "offline") return "offline"
  const name = (p: Place) => (p.model === "offline" ? "offline" : modelName(p.model))
  const pms = lineup.places.filter((p) => p.role !== CHAIRMAN)
  const chairman = lineup.places.find((p) => p.role === CHAIRMAN)
  const reviews = lineup.reviews === false ? " · no peer review asked" : ""
  return `live: ${pms.map((p) => `${p.role} ${name(p)}`).join(", ")} · chairman ${chairman === undefined ? "offline" : name(chairman)}${reviews}`
}

const fail = (message: string) => Effect.fail(new LlmConfigError({ message }))

/** Checks a live place: its provider key is set and its model has a price. */
const checkLive = (settings: LlmSettings, prices: PriceTable, place: Place, variable: string) =>
  Effect.gen(function*() {
    if (place.model === "offline") return
    const model = place.model
    const keyVariable = PROVIDERS[model.provider].keyVariable
    if (settings.keys[model.provider] === undefined) {
      const escape = place.role === CHAIRMAN
        ? `, or COUNCIL_CHAIRMAN_MODEL=offline for the mechanical vote`
        : `, leave ${place.role} out with --pms, or ${variable}=offline`
      return yield* fail(`${place.role}: ${keyVariable} is not set (${variable}=${modelName(model)}; set the key${escape})`)
    }
    if (prices.models[modelName(model)] === undefined) {
      return yield* fail(
        `${place.role}: ${modelName(model)} has no price in ${settings.pricesFile}; add it there (or in a file named by COUNCIL_PRICES) — live models must be priced`
      )
    }
    const refusal = effortRefusal(model)
    if (refusal !== undefined) {
      return yield* fail(`${place.role}: ${modelName(model)}: ${refusal}; set COUNCIL_REASONING_EFFORT_${place.role} to one of them, or to omit`)
    }
  })

/**
 * Whether trading `accounts` needs the council's decision: an account that is not a PM's (COUNCIL) trades it, and
 * it needs every PM's pitch, the peer review and the chairman. A PM's account trades its PM's own pitch only.
 */
const tradesCouncil = (accounts: ReadonlyArray<string> | undefined) =>
  accounts === undefined || accounts.some((a) => !(PM_NAMES as ReadonlyArray<string>).includes(a))

const listed = (roles: ReadonlyArray<string>) => roles.join(", ")

/**
 * The lineup of a new run. `pms`: the PMs `--pms` selected (the others keep their offline stand-ins). `accounts`:
 * the accounts the run trades (all when absent). When none of them trades the council's decision (no COUNCIL),
 * only what they trade is asked: their own PMs' pitches. The other PMs keep their offline stand-ins, the chairman
 * is the mechanical vote, and no peer review is asked (it only informs the chairman).
 */
export const fromSettings = (
  settings: LlmSettings,
  prices: PriceTable,
  pms: ReadonlyArray<string> | undefined,
  accounts?: ReadonlyArray<string>
): Effect.Effect<Lineup, LlmConfigError> =>
  Effect.gen(function*() {
    if (pms !== undefined) {
      const unknown = pms.filter((p) => !(PM_NAMES as ReadonlyArray<string>).includes(p))
      if (unknown.length > 0) return yield* fail(`--pms: unknown PM ${unknown.join(", ")} (the PMs are ${PM_NAMES.join(", ")})`)
      if (settings.mode === "offline") {
        // offline by choice (COUNCIL_LLM=offline beside a key) or for want of a key: say which, and what to set
        if (Object.keys(settings.keys).length > 0) {
          return yield* fail("--pms selects which PMs ask their LLM, but COUNCIL_LLM is offline (unset it, or set it to live)")
        }
        const keys = settings.roles.flatMap((r) =>
          pms.includes(r.role) && r.model !== "offline" ? [`${r.role}'s ${PROVIDERS[r.model.provider].keyVariable}`] : []
        )
        return yield* fail(
          `--pms selects which PMs ask their LLM, but COUNCIL_LLM is offline (no provider key is set${keys.length > 0 ? `: set ${keys.join(", ")}` : ""})`
        )
      }
    }
    if (settings.mode === "offline") {
      return { mode: "offline", places: settings.roles.map((r) => ({ role: r.role, model: "offline" })), notes: [] }
    }
    const left = settings.roles.filter((r) => r.role !== CHAIRMAN && pms !== undefined && !pms.includes(r.role))
    const council = tradesCouncil(accounts)
    const unused = council ? [] : settings.roles.filter((r) => !left.includes(r) && !accounts?.includes(r.role)).map((r) => r.role)
    const asked = settings.roles.filter((r) => r.role !== CHAIRMAN && !left.includes(r) && !unused.includes(r.role)).map((r) => r.role)
    if (pms !== undefined && asked.length === 0) {
      return yield* fail(`--pms ${listed(pms)}: no traded account uses ${pms.length === 1 ? "its" : "their"} pitch (--accounts ${listed(accounts ?? [])}; only COUNCIL trades the council's decision, which uses every PM)`)
    }
    const places = settings.roles.map((r): Place => ({
      role: r.role,
      model: left.includes(r) || unused.includes(r.role) ? "offline" : r.model
    }))
    for (const place of places) yield* checkLive(settings, prices, place, modelVariable(place.role))
    const standIns = unused.filter((r) => r !== CHAIRMAN)
    const unchecked = places.flatMap((p) => {
      const note = p.model === "offline" ? undefined : effortUnchecked(p.model)
      return note === undefined ? [] : [`${p.role}: ${note.replace("set it to omit", `set COUNCIL_REASONING_EFFORT_${p.role}=omit`)}`]
    })
    const notes = [
      ...(left.length === 0 ? [] : [`${listed(left.map((r) => r.role))} keep${left.length === 1 ? "s" : ""} the offline stand-in (not selected with --pms)`]),
      ...(council ? [] : [
        `only ${listed(asked)}'s pitch${asked.length === 1 ? " is" : "es are"} asked: no traded account trades the council's decision (COUNCIL is not in --accounts), so ${
          standIns.length === 0 ? "" : `${listed(standIns)} keep${standIns.length === 1 ? "s" : ""} the offline stand-in, `
        }the chairman is the mechanical vote and no peer review is asked`
      ]),
      ...unchecked
    ]
    return { mode: "live", places, notes, ...(council ? {} : { reviews: false as const }) }
  })

type ModelRef = { readonly provider: ProviderId; readonly id: string }

/**
 * Whether the effort configured for model `a` holds for model `b`: the same model, or one the same documented
 * rule covers (another gpt-oss on Groq, another OpenAI model). Any other model, say Groq's Qwen in place of its
 * gpt-oss, takes its own default: gpt-oss's `low` is not one Qwen takes.
 */
const sameEfforts = (a: ModelRef, b: ModelRef): boolean => {
  const rule = effortRule(a.provider, a.id)
  return (a.provider === b.provider && a.id === b.id) || (rule !== undefined && rule === effortRule(b.provider, b.id))
}

const specOf = (settings: LlmSettings | undefined, role: string, ref: ModelRef): ModelSpec => {
  const configured = settings?.roles.find((r) => r.role === role)?.model
  return {
    provider: ref.provider,
    id: ref.id,
    maxOutputTokens: configured !== undefined && configured !== "offline" ? configured.maxOutputTokens : DEFAULT_MAX_OUTPUT_TOKENS,
    reasoningEffort: configured !== undefined && configured !== "offline" && sameEfforts(configured, ref)
      ? configured.reasoningEffort
      : defaultEffort(ref.provider, ref.id)
  }
}

/**
 * The lineup a run recorded (its `models` parameter); roles it does not name are offline. Limits and effort
 * come from `settings` when given (a fork), else the defaults (a replay asks nothing).
 */
export const fromRecord = (models: ReadonlyArray<RecordedModel>, settings?: LlmSettings): Lineup => {
  const places = [...PM_NAMES, CHAIRMAN].map((role): Place => {
    const recorded = models.find((m) => m.role === role)?.model
    if (recorded === undefined || recorded.startsWith("offline:")) return { role, model: "offline" }
    const ref = parseModelRef(recorded, "openai")
    return { role, model: typeof ref === "object" && "provider" in ref ? specOf(settings, role, ref) : "offline" }
  })
  return { mode: places.some((p) => p.model !== "offline") ? "live" : "offline", places, notes: [] }
}

/**
 * `lineup` (a run's recorded one) asking again for a run trading `accounts` (a fork, a backtest's replay): without
 * an account that trades the council's decision only what the traded accounts need is asked, as `fromSettings`
 * decides for a new run — their own PMs' pitches; the other PMs keep their offline stand-ins, the chairman is the
 * mechanical vote and no peer review is asked. A run recorded before that rule (every role live) asks no more.
 */
export const forAccounts = (lineup: Lineup, accounts: ReadonlyArray<string>): Lineup => {
  if (tradesCouncil(accounts)) return lineup
  const places = lineup.places.map((p): Place => (accounts.includes(p.role) ? p : { role: p.role, model: "offline" }))
  return { mode: places.some((p) => p.model !== "offline") ? "live" : "offline", places, notes: lineup.notes, reviews: false }
}

/**
 * `lineup` with `swaps` (`ROLE=provider:model-id`) applied, checked for prices; for forks. Fails naming a bad
 * swap, or a swapped model whose provider key is not set (it is the one model sure to be asked).
 */
export const swap = (
  lineup: Lineup,
  swaps: ReadonlyArray<string>,
  settings: LlmSettings,
  prices: PriceTable
): Effect.Effect<{ readonly lineup: Lineup; readonly swapped: ReadonlyArray<{ readonly role: string; readonly from: string; readonly to: string }> }, LlmConfigError> =>
  Effect.gen(function*() {
    let places = [...lineup.places]
    const swapped: Array<{ role: string; from: string; to: string }> = []
    for (const text of swaps) {
      const [roleText, modelText] = [text.slice(0, text.indexOf("=")), text.slice(text.indexOf("=") + 1)]
      const role = roleText.trim().toUpperCase()
      if (text.indexOf("=") < 0 || !places.some((p) => p.role === role)) {
        return yield* fail(`--model ${text}: expected ROLE=provider:model-id with ROLE one of ${places.map((p) => p.role).join(", ")}`)
      }
      const before = places.find((p) => p.role === role)!
      // a bare id keeps the role's provider: the parent's, else the role's default (as COUNCIL_MODEL_<ROLE> reads it)
      const ref = parseModelRef(modelText, before.model === "offline" ? DEFAULT_MODELS[role]!.provider : before.model.provider)
      if (typeof ref === "object" && "error" in ref) return yield* fail(`--model ${text}: ${ref.error}`)
      if (ref !== "offline" && settings.keys[ref.provider] === undefined) {
        return yield* fail(`--model ${text}: ${PROVIDERS[ref.provider].keyVariable} is not set (the swapped model is asked live)`)
      }
      const place: Place = { role, model: ref === "offline" ? "offline" : specOf(settings, role, ref) }
      const name = (p: Place) => (p.model === "offline" ? offlineName(p.role) : modelName(p.model))
      swapped.push({ role, from: name(before), to: name(place) })
      places = places.map((p) => (p.role === role ? place : p))
    }
    for (const place of places) {
      if (place.model === "offline") continue
      if (prices.models[modelName(place.model)] === undefined) {
        return yield* fail(`${place.role}: ${modelName(place.model)} has no price in ${settings.pricesFile}; live models must be priced`)
      }
      const refusal = effortRefusal(place.model)
      if (refusal !== undefined) {
        return yield* fail(`${place.role}: ${modelName(place.model)}: ${refusal}; set COUNCIL_REASONING_EFFORT_${place.role} to one of them, or to omit`)
      }
    }
    const mode = places.some((p) => p.model !== "offline") ? "live" : "offline"
    return { lineup: { mode, places, notes: [], ...(lineup.reviews === false ? { reviews: false as const } : {}) }, swapped }
  })
