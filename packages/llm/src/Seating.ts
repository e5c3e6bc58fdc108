/**
 * Seats a `Lineup`: the `PortfolioManagers` and `Chairman` layers over the provider adapters, the live budget,
 * and the question `verify` asks (paid for through the budget like any call).
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
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as AiError from "effect/ai/AiError"
import * as LanguageModel from "effect/ai/LanguageModel"
import * as OpenAiStructuredOutput from "effect/ai/OpenAiStructuredOutput"
import type * as HttpClient from "effect/http/HttpClient"
import { AccountId, type Ticker } from "@council/domain"
import * as AnthropicMessages from "./AnthropicMessages.ts"
import type { StoreError } from "@council/engine"
import { chargeOf, type Question, type RoleModel, roleModel } from "./Ask.ts"
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
import { PITCH_SYSTEM, type PitchAnswer, pitchAnswer } from "./PitchPrompt.ts"
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

/** The one symbol of `verify`'s question: the answer schema is a day's pitch schema over it. */
const PROBE_UNIVERSE = ["SPY" as Ticker]

/**
 * What `verify` asks each model: a pitch in the schema every PM answers (the same structured-output request as a
 * run's, over a one-symbol universe), with no market data, so it is asked to stay FLAT.
 */
const PROBE: Question<PitchAnswer> = {
  purpose: "pitch",
  actor: "verify",
  system: PITCH_SYSTEM,
  user: [
    "This is Council's check that you answer its structured requests. There is no market data today: stay FLAT",
    "(symbol FLAT, direction FLAT, conviction 0), with one thesis point, riskProfile BASE, horizon 1D and an",
    "invalidation. Answer as one JSON object."
  ].join("\n"),
  objectName: "trade_pitch",
  schema: pitchAnswer(PROBE_UNIVERSE)
}

/** What `verify` checks of each model, in one line. */
export const PROBE_CHECKS =
  "each model is asked once for a pitch in the JSON Schema every council role answers to (no market data, no retry, no corrective turn): a refusal, an error or an answer that does not fit the schema is ✗"

/** What `verify`'s question to one model came to: why it failed (`undefined`: a valid answer), and what it cost. */
export interface ProbeResult {
  readonly failure: string | undefined
  readonly costUsd: number
  readonly estimated: boolean
}

/** Why a probe's answer could not be used, in one line (a refusal as the adapter saw it). */
const probeError = (error: AiError.AiError | Cause.TimeoutError, wire: ReadonlyArray<WireAttempt>, model: ModelSpec, timeout: Duration.Input): string => {
  const c = classify(error, Duration.fromInputUnsafe(timeout))
  if (c.reason !== "InvalidAnswer") return `${c.reason}: ${c.message}`
  const last = wire.at(-1)
  const explained = last !== undefined && last.status !== null && last.status < 300 ? last.error : null
  const cut = last?.finishReason === "length" || last?.finishReason === "max_tokens" ? `cut off at the output limit (${model.maxOutputTokens} tokens): ` : ""
  const text = last?.text ?? null
  const answered = explained !== null || text === null || text.trim() === "" ? "" : ` (it answered ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)})`
  return `InvalidAnswer: ${cut}${(explained ?? c.message).replace(/\s*\n\s*/g, " ")}${answered}`
}

/**
 * `verify`'s question (`PROBE`) to `model` (asked for `roles`), within `timeout`, one request: its result says
 * whether the answer validated. It is paid for like any call: reserved in the `LlmBudget` (refused over a limit,
 * nothing sent: it fails with `LlmBudgetExceeded`) and charged to the spend ledger as purpose `verify` (outside
 * any run, so in no account's P&L).
 */
export const probe = (settings: LlmSettings, model: ModelSpec, roles: string, timeout: Duration.Input) =>
  Effect.uninterruptibleMask((restore) => Effect.gen(function*() {
    const budget = yield* LlmBudget
    const lm = yield* languageModel(settings, model)
    const schemaText = JSON.stringify(OpenAiStructuredOutput.toCodecOpenAI(PROBE.schema).jsonSchema)
    const reservation = yield* budget.reserve({
      actor: roles,
      purpose: "verify",
      model: modelName(model),
      inputTokens: estimateTokens(`${PROBE.system}\n${PROBE.user}${schemaText}`),
      maxOutputTokens: model.maxOutputTokens
    })
    const wire: Array<WireAttempt> = []
    // only the request can be interrupted: the reservation is settled whatever happens to it
    const exit = yield* restore(lm.generateObject({
      prompt: [{ role: "system", content: PROBE.system }, { role: "user", content: PROBE.user }],
      schema: PROBE.schema,
      objectName: PROBE.objectName
    }).pipe(
      Effect.provideService(WireLog, (attempt) => void wire.push(attempt)),
      Effect.timeout(timeout)
    )).pipe(Effect.exit)
    const settled = yield* budget.settle(reservation, chargeOf({ wire, attempts: 1 }))
    if (Exit.isSuccess(exit)) return { failure: undefined, ...settled } satisfies ProbeResult
    const error = Cause.findErrorOption(exit.cause)
    if (error._tag === "None") return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
    return { failure: probeError(error.value, wire, model, timeout), ...settled } satisfies ProbeResult
  }))

/** Why a probe was not answered at all (the budget refused it, the spend ledger failed), in one line. */
export const probeFailure = (cause: Cause.Cause<LlmBudgetExceeded | StoreError>): string => {
  const error = Cause.findErrorOption(cause)
  return error._tag === "None" ? Cause.pretty(cause).split("\n")[0] ?? "failed" : error.value.message
}
