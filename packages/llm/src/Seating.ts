/**
 * Seats a `Lineup`: the `PortfolioManagers` and `Chairman` layers over the provider adapters, the live budget,
 * and the minimal request `verify` sends (paid for through the budget like any call).
 *
 * **Gotchas**: a live place whose key is missing (possible in a fork) gets a model that fails as unauthorized
 * when asked, so the PM abstains (or the chairman falls back) instead of the run failing. A replay's models
 * (`settings: undefined`) fail every call: its answers all come from recordings.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as AiError from "effect/ai/AiError"
import * as LanguageModel from "effect/ai/LanguageModel"
import type * as HttpClient from "effect/http/HttpClient"
import { AccountId } from "@council/domain"
import * as AnthropicMessages from "./AnthropicMessages.ts"
import type { StoreError } from "@council/engine"
import { chargeOf, type RoleModel, roleModel } from "./Ask.ts"
import { REPLAY_MISS } from "./AuditTrail.ts"
import { LlmBudget, type LlmBudgetExceeded } from "./Budget.ts"
import { type WireAttempt, WireLog } from "./Exchange.ts"
import { Chairman } from "./Chairman.ts"
import type { Lineup } from "./Lineup.ts"
import { layerChairman, layerPms, type Seat } from "./LlmCouncil.ts"
import type { LlmSettings } from "./LlmSettings.ts"
import { CHAIRMAN, type ModelSpec, modelName, PROVIDERS } from "./Models.ts"
import { OFFLINE_STYLES } from "./OfflineRules.ts"
import * as OpenAiChat from "./OpenAiChat.ts"
import type { PortfolioManagers } from "./PortfolioManager.ts"
import { estimateTokens, type PriceTable } from "./Prices.ts"
import { classify } from "./ProviderErrors.ts"
import { SpendLedger } from "./SpendLedger.ts"

/** A model that is never to be called (replays answer from recordings), or whose key is missing. */
const refusingModel = (reason: AiError.AiErrorReason, asked: () => void = () => {}) =>
  LanguageModel.make({
    generateText: () => Effect.suspend(() => (asked(), Effect.fail(AiError.make({ module: "Lineup", method: "generateText", reason })))),
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
  /** A replay's: told the role each time one of its questions has no recorded answer (it abstains or falls back). */
  readonly unrecorded?: ((role: string) => void) | undefined
}

const roleModelOf = (connection: Connection, model: ModelSpec, role: string) =>
  Effect.map(
    connection.settings === undefined
      ? refusingModel(
        new AiError.InvalidRequestError({ description: REPLAY_MISS }),
        () => connection.unrecorded?.(role)
      )
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
        if (place.model !== "offline") chairman = yield* roleModelOf(connection, place.model, place.role)
        continue
      }
      const pm = AccountId.make(place.role)
      seats.push(
        place.model === "offline"
          ? { _tag: "Offline", pm, style: OFFLINE_STYLES[place.role as keyof typeof OFFLINE_STYLES] }
          : { _tag: "Llm", pm, model: yield* roleModelOf(connection, place.model, place.role) }
      )
    }
    return Layer.mergeAll(
      layerPms(seats, { reviews: lineup.reviews !== false }),
      chairman === undefined ? Chairman.layerOffline : layerChairman(chairman)
    )
  }))

/** The budget of a live run: prices and limits, spending recorded in the store's ledger. */
export const budgetLayer = (settings: LlmSettings, prices: PriceTable) =>
  LlmBudget.layer(prices, settings.limits).pipe(Layer.provide(SpendLedger.layerSql))

const PROBE = "Reply with OK."

/**
 * One minimal request to `model` for `verify` (asked for `roles`), within `timeout`: succeeds when the provider
 * answered 2xx. It is paid for like any call: reserved in the `LlmBudget` (refused over a limit, nothing sent)
 * and charged to the spend ledger as purpose `verify` (outside any run, so in no account's P&L).
 */
export const probe = (settings: LlmSettings, model: ModelSpec, roles: string, timeout: Duration.Input) =>
  Effect.uninterruptibleMask((restore) => Effect.gen(function*() {
    const budget = yield* LlmBudget
    const lm = yield* languageModel(settings, model)
    const reservation = yield* budget.reserve({
      actor: roles,
      purpose: "verify",
      model: modelName(model),
      inputTokens: estimateTokens(PROBE),
      maxOutputTokens: model.maxOutputTokens
    })
    const wire: Array<WireAttempt> = []
    // only the request can be interrupted: the reservation is settled whatever happens to it
    const exit = yield* restore(lm.generateText({ prompt: PROBE }).pipe(
      Effect.provideService(WireLog, (attempt) => void wire.push(attempt)),
      Effect.timeout(timeout)
    )).pipe(Effect.exit)
    yield* budget.settle(reservation, chargeOf({ wire, attempts: 1 }))
    return yield* Effect.asVoid(exit)
  }))

/** Why a probe failed, in one line. */
export const probeFailure = (
  cause: Cause.Cause<AiError.AiError | Cause.TimeoutError | LlmBudgetExceeded | StoreError>,
  timeout: Duration.Input
): string => {
  const error = Cause.findErrorOption(cause)
  if (error._tag === "None") return Cause.pretty(cause).split("\n")[0] ?? "failed"
  if (error.value._tag === "LlmBudgetExceeded" || error.value._tag === "StoreError") return error.value.message
  const c = classify(error.value, Duration.fromInputUnsafe(timeout))
  return `${c.reason}: ${c.message}`
}
