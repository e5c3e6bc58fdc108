/**
 * Who sits at the council for a run — each PM's model or offline stand-in, and the chairman's — and the layers
 * that seat them.
 *
 * **When to use**: the composition root turns `LlmSettings` into a `Lineup` with `fromSettings` (a live run),
 * `fromRecord` (a replay: the run's recorded models, no network) or `fromRecord` plus `swap` (a fork asking
 * other models), and provides `layer(lineup, …)`.
 *
 * **Start-up checks in live mode** (`LlmConfigError`, one line naming the role and the variable):
 * - a selected role whose provider key is missing — unless `--pms` leaves that PM out (it keeps its offline
 *   stand-in, and the lineup's `notes` say so) or its model is `offline`;
 * - a model with no price in the price table (`COUNCIL_PRICES` names the file).
 *
 * **Gotchas**: in a fork a role's key may be missing (its recorded answers are reused); if it is asked anyway its
 * model fails as unauthorized, which makes the PM abstain (or the chairman fall back), never the run fail.
 *
 * @since 0.1.0
 */
import { Cause, Duration, Effect, Layer, Schema, Stream } from "effect"
import * as AiError from "effect/ai/AiError"
import * as LanguageModel from "effect/ai/LanguageModel"
import type { HttpClient } from "effect/http"
import { AccountId, PM_NAMES } from "@council/domain"
import * as AnthropicMessages from "./AnthropicMessages.ts"
import { type RoleModel, roleModel } from "./Ask.ts"
import { LlmBudget } from "./Budget.ts"
import { Chairman, OFFLINE_CHAIRMAN_SOURCE } from "./Chairman.ts"
import { layerChairman, layerPms, type Seat } from "./LlmCouncil.ts"
import type { LlmSettings } from "./LlmSettings.ts"
import { modelVariable } from "./LlmSettings.ts"
import {
  CHAIRMAN,
  DEFAULT_MAX_OUTPUT_TOKENS,
  type ModelSpec,
  modelName,
  parseModelRef,
  PROVIDERS,
  type ProviderId
} from "./Models.ts"
import { OFFLINE_STYLES, offlineSource } from "./OfflineRules.ts"
import { classify } from "./ProviderErrors.ts"
import * as OpenAiChat from "./OpenAiChat.ts"
import type { PortfolioManagers } from "./PortfolioManager.ts"
import type { PriceTable } from "./Prices.ts"
import { SpendLedger } from "./SpendLedger.ts"

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
  return `live: ${pms.map((p) => `${p.role} ${name(p)}`).join(", ")} · chairman ${chairman === undefined ? "offline" : name(chairman)}`
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
  })

/** The lineup of a new run. `pms`: the PMs `--pms` selected (the others keep their offline stand-ins). */
export const fromSettings = (
  settings: LlmSettings,
  prices: PriceTable,
  pms: ReadonlyArray<string> | undefined
): Effect.Effect<Lineup, LlmConfigError> =>
  Effect.gen(function*() {
    if (pms !== undefined) {
      const unknown = pms.filter((p) => !(PM_NAMES as ReadonlyArray<string>).includes(p))
      if (unknown.length > 0) return yield* fail(`--pms: unknown PM ${unknown.join(", ")} (the PMs are ${PM_NAMES.join(", ")})`)
      if (settings.mode === "offline") {
        return yield* fail("--pms selects which PMs ask their LLM, but COUNCIL_LLM is offline (no provider key is set)")
      }
    }
    if (settings.mode === "offline") {
      return { mode: "offline", places: settings.roles.map((r) => ({ role: r.role, model: "offline" })), notes: [] }
    }
    const left = settings.roles.filter((r) => r.role !== CHAIRMAN && pms !== undefined && !pms.includes(r.role))
    const places = settings.roles.map((r): Place => ({ role: r.role, model: left.includes(r) ? "offline" : r.model }))
    for (const place of places) yield* checkLive(settings, prices, place, modelVariable(place.role))
    const notes = left.length === 0
      ? []
      : [`${left.map((r) => r.role).join(", ")} keep${left.length === 1 ? "s" : ""} the offline stand-in (not selected with --pms)`]
    return { mode: "live", places, notes }
  })

const specOf = (settings: LlmSettings | undefined, role: string, ref: { readonly provider: ProviderId; readonly id: string }): ModelSpec => {
  const configured = settings?.roles.find((r) => r.role === role)?.model
  return {
    provider: ref.provider,
    id: ref.id,
    maxOutputTokens: configured !== undefined && configured !== "offline" ? configured.maxOutputTokens : DEFAULT_MAX_OUTPUT_TOKENS,
    reasoningEffort: configured !== undefined && configured !== "offline" && configured.provider === ref.provider
      ? configured.reasoningEffort
      : PROVIDERS[ref.provider].defaultReasoningEffort
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
 * `lineup` with `swaps` (`ROLE=provider:model-id`) applied, checked for prices; for forks. Fails naming a bad
 * swap.
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
      const ref = parseModelRef(modelText, before.model === "offline" ? "openai" : before.model.provider)
      if (typeof ref === "object" && "error" in ref) return yield* fail(`--model ${text}: ${ref.error}`)
      const place: Place = { role, model: ref === "offline" ? "offline" : specOf(settings, role, ref) }
      const name = (p: Place) => (p.model === "offline" ? offlineName(p.role) : modelName(p.model))
      swapped.push({ role, from: name(before), to: name(place) })
      places = places.map((p) => (p.role === role ? place : p))
    }
    for (const place of places) {
      if (place.model !== "offline" && prices.models[modelName(place.model)] === undefined) {
        return yield* fail(`${place.role}: ${modelName(place.model)} has no price in ${settings.pricesFile}; live models must be priced`)
      }
    }
    return { lineup: { mode: places.some((p) => p.model !== "offline") ? "live" : "offline", places, notes: [] }, swapped }
  })

/** A model that is never to be called (replays answer from recordings), or whose key is missing. */
const refusingModel = (reason: AiError.AiErrorReason) =>
  LanguageModel.make({
    generateText: () => Effect.fail(AiError.make({ module: "Lineup", method: "generateText", reason })),
    streamText: () => Stream.fail(AiError.make({ module: "Lineup", method: "streamText", reason }))
  })

/** How a live place reaches its provider. */
const languageModel = (settings: LlmSettings, model: ModelSpec) => {
  const apiKey = settings.keys[model.provider]
  if (apiKey === undefined) {
    const keyVariable = PROVIDERS[model.provider].keyVariable
    return refusingModel(new AiError.AuthenticationError({ kind: "MissingKey", description: `${keyVariable} is not set` }))
  }
  const options = {
    baseUrl: settings.baseUrls[model.provider],
    apiKey,
    model: model.id,
    maxOutputTokens: model.maxOutputTokens,
    reasoningEffort: model.reasoningEffort
  }
  return PROVIDERS[model.provider].wire === "anthropic-messages"
    ? AnthropicMessages.make(options)
    : OpenAiChat.make({ ...options, provider: model.provider })
}

export interface Connection {
  /** How live places reach providers; absent for a replay (models are never called). */
  readonly settings: LlmSettings | undefined
}

const roleModelOf = (connection: Connection, model: ModelSpec) =>
  Effect.map(
    connection.settings === undefined
      ? refusingModel(new AiError.InvalidRequestError({ description: "a replay asks no model: this call has no recording" }))
      : languageModel(connection.settings, model),
    (lm): RoleModel =>
      roleModel(model, lm, connection.settings === undefined ? {} : { timeout: `${connection.settings.timeoutSeconds} seconds` })
  )

/** `PortfolioManagers` and `Chairman` for `lineup`. Needs an `HttpClient` and an `LlmBudget`. */
export const layer = (
  lineup: Lineup,
  connection: Connection
): Layer.Layer<PortfolioManagers | Chairman, never, HttpClient.HttpClient | LlmBudget> =>
  Layer.unwrap(Effect.gen(function*() {
    const seats: Array<Seat> = []
    let chairman: RoleModel | undefined
    for (const place of lineup.places) {
      if (place.role === CHAIRMAN) {
        if (place.model !== "offline") chairman = yield* roleModelOf(connection, place.model)
        continue
      }
      const pm = AccountId.make(place.role)
      seats.push(
        place.model === "offline"
          ? { _tag: "Offline", pm, style: OFFLINE_STYLES[place.role as keyof typeof OFFLINE_STYLES] }
          : { _tag: "Llm", pm, model: yield* roleModelOf(connection, place.model) }
      )
    }
    return Layer.mergeAll(layerPms(seats), chairman === undefined ? Chairman.layerOffline : layerChairman(chairman))
  }))

/** The budget of a live run: prices and limits, spending recorded in the store's ledger. */
export const budgetLayer = (settings: LlmSettings, prices: PriceTable) =>
  LlmBudget.layer(prices, settings.limits).pipe(Layer.provide(SpendLedger.layerSql))

/** One minimal request to `model` (for `verify`): succeeds when the provider answered 2xx. */
export const probe = (settings: LlmSettings, model: ModelSpec) =>
  Effect.flatMap(languageModel(settings, model), (lm) => lm.generateText({ prompt: "Reply with OK." })).pipe(Effect.asVoid)

/** Why a probe failed, in one line. */
export const probeFailure = (cause: Cause.Cause<AiError.AiError | Cause.TimeoutError>, timeout: Duration.Input): string => {
  const error = Cause.findErrorOption(cause)
  if (error._tag === "None") return Cause.pretty(cause).split("\n")[0] ?? "failed"
  const c = classify(error.value, Duration.fromInputUnsafe(timeout))
  return `${c.reason}: ${c.message}`
}
