/**
 * The portfolio managers: who they are (the roster), the pitch each makes for a day, and how each ranks the
 * others' pitches in peer review.
 *
 * **When to use**: the pitch stage asks every roster entry for a pitch (`PmAnswer`: a pitch, or an abstention
 * with its reason, plus the LLM exchanges behind it); the peer-review stage asks each for a ranking
 * (`ReviewAnswer`). `layerOffline` is the keyless default: five deterministic rule-based stand-ins (see
 * `OfflineRules`), one style per PM, reviewing with `PeerReview.offlineRanking`. `LlmCouncil.layerPms` provides
 * the same service over LLMs, seat by seat.
 *
 * **Gotchas**
 * - Snapshots should carry `PM_LOOKBACK_SESSIONS` sessions; with less history the offline rules go FLAT.
 * - Asking for a PM that is not on the roster fails with `PmError` reason `UnknownPm`.
 * - A bad answer, a timeout or an outage is an abstention (a `PmAnswer` without a pitch), not an error; only
 *   `LlmBudgetExceeded` (and the spend ledger's `StoreError`) fail, so the run fails closed.
 * - `layerTest` scripts some PMs (a fixed pitch, an error, or a function of the snapshot) and plays the offline
 *   rule for the rest.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { AccountId, PM_NAMES, Pitch } from "@council/domain"
import type { MarketSnapshot } from "@council/domain"
import type { StoreError } from "@council/engine"
import type { LlmBudgetExceeded } from "./Budget.ts"
import { LlmExchange } from "./Exchange.ts"
import { OFFLINE_STYLES, offlinePitch, offlineSource } from "./OfflineRules.ts"
import type { OfflineStyle } from "./OfflineRules.ts"
import { offlineRanking, offlineRationale } from "./PeerReview.ts"
import type { PitchRequest } from "./PitchPrompt.ts"
import type { ReviewRequest } from "./ReviewPrompt.ts"

export { PM_LOOKBACK_SESSIONS } from "./OfflineRules.ts"

export const PmErrorReason = Schema.Literals(["UnknownPm", "Unavailable", "Timeout", "RateLimited", "InvalidResponse"])
export type PmErrorReason = typeof PmErrorReason.Type

export class PmError extends Schema.TaggedError<PmError>()("PmError", {
  pm: AccountId,
  reason: PmErrorReason,
  message: Schema.String
}) {}

export const RosterEntry = Schema.Struct({
  pm: AccountId,
  /** e.g. `offline:momentum` or `openai:gpt-5.4`. */
  model: Schema.String,
  /** True when no LLM is called. */
  offline: Schema.Boolean
})
export type RosterEntry = typeof RosterEntry.Type

/** A PM's answer for the day: a pitch, or why it abstained; and the LLM exchanges behind it. */
export const PmAnswer = Schema.Struct({
  pitch: Schema.NullOr(Pitch),
  abstention: Schema.NullOr(Schema.String),
  exchanges: Schema.Array(LlmExchange)
})
export type PmAnswer = typeof PmAnswer.Type

/** A reviewer's ranking of the labels it was shown (best first), or why it abstained. */
export const ReviewAnswer = Schema.Struct({
  ranking: Schema.NullOr(Schema.Array(Schema.String)),
  rationale: Schema.String,
  abstention: Schema.NullOr(Schema.String),
  exchanges: Schema.Array(LlmExchange)
})
export type ReviewAnswer = typeof ReviewAnswer.Type

export const pitched = (pitch: Pitch, exchanges: PmAnswer["exchanges"] = []): PmAnswer => ({ pitch, abstention: null, exchanges })
export const abstained = (reason: string, exchanges: PmAnswer["exchanges"] = []): PmAnswer => ({ pitch: null, abstention: reason, exchanges })

/** What a reviewer is given: the candidates (never its own pitch) and, for context, its own pitch. */
export interface ReviewerRequest extends ReviewRequest {
  readonly own: Pitch | null
}

/** The offline reviewer's answer. */
export const offlineReview = (request: ReviewerRequest): ReviewAnswer => ({
  ranking: offlineRanking(request.own, request.candidates),
  rationale: offlineRationale(request.own),
  abstention: null,
  exchanges: []
})

export type PmFailure = PmError | LlmBudgetExceeded | StoreError

/** What `layerTest` answers for a scripted PM. */
export type ScriptedPitch =
  | Pitch
  | PmError
  | ((snapshot: MarketSnapshot) => Effect.Effect<Pitch, PmError>)

const offlineEntries: ReadonlyArray<{ readonly entry: RosterEntry; readonly style: OfflineStyle }> = PM_NAMES.map(
  (name) => {
    const style = OFFLINE_STYLES[name]
    return { entry: { pm: AccountId.make(name), model: offlineSource(style), offline: true }, style }
  }
)

const unknownPm = (pm: AccountId, roster: ReadonlyArray<RosterEntry>) =>
  new PmError({
    pm,
    reason: "UnknownPm",
    message: `${pm} is not on the roster (${roster.map((r) => r.pm).join(", ")})`
  })

/**
 * The offline stand-ins answer without a span: they are pure computations, and a traced function's span and call
 * stack capture cost ~15-20 us a call, several times the rule itself (eleven calls a session of a backtest).
 */
const offlineReviewer = (roster: ReadonlyArray<RosterEntry>) =>
  Effect.fnUntraced(function*(reviewer: AccountId, request: ReviewerRequest) {
    if (!roster.some((r) => r.pm === reviewer)) return yield* unknownPm(reviewer, roster)
    return offlineReview(request)
  })

export class PortfolioManagers extends Context.Service<PortfolioManagers, {
  readonly roster: ReadonlyArray<RosterEntry>
  readonly pitch: (pm: AccountId, request: PitchRequest) => Effect.Effect<PmAnswer, PmFailure>
  readonly review: (reviewer: AccountId, request: ReviewerRequest) => Effect.Effect<ReviewAnswer, PmFailure>
}>()("@council/llm/PortfolioManagers") {
  /** The five default PMs, each a deterministic rule (`offline:<style>`). */
  static readonly layerOffline: Layer.Layer<PortfolioManagers> = Layer.succeed(
    PortfolioManagers,
    PortfolioManagers.of({
      roster: offlineEntries.map((e) => e.entry),
      pitch: Effect.fnUntraced(function*(pm: AccountId, request: PitchRequest) {
        const found = offlineEntries.find((e) => e.entry.pm === pm)
        if (found === undefined) return yield* unknownPm(pm, offlineEntries.map((e) => e.entry))
        return pitched(offlinePitch(pm, found.style, request.snapshot))
      }),
      review: offlineReviewer(offlineEntries.map((e) => e.entry))
    })
  )

  /**
   * The default roster with some PMs scripted: `script[pm]` is returned (a pitch), failed with (a `PmError`) or
   * called (a function). Unscripted PMs play their offline rule. Scripted entries have model `test:scripted` and
   * `offline: false`; scripted names outside the default five are appended to the roster.
   */
  static readonly layerTest = (script: Readonly<Record<string, ScriptedPitch>> = {}): Layer.Layer<PortfolioManagers> => {
    const defaults: ReadonlyArray<string> = offlineEntries.map((e) => e.entry.pm)
    const roster: ReadonlyArray<RosterEntry> = [
      ...offlineEntries.map(({ entry }) =>
        script[entry.pm] === undefined ? entry : { pm: entry.pm, model: "test:scripted", offline: false }
      ),
      ...Object.keys(script).filter((pm) => !defaults.includes(pm)).map((pm) => ({
        pm: AccountId.make(pm),
        model: "test:scripted",
        offline: false
      }))
    ]
    return Layer.succeed(
      PortfolioManagers,
      PortfolioManagers.of({
        roster,
        pitch: Effect.fn("PortfolioManagers.pitch")(function*(pm: AccountId, request: PitchRequest) {
          const scripted = script[pm]
          if (scripted === undefined) {
            const found = offlineEntries.find((e) => e.entry.pm === pm)
            if (found === undefined) return yield* unknownPm(pm, roster)
            return pitched(offlinePitch(pm, found.style, request.snapshot))
          }
          if (typeof scripted === "function") return pitched(yield* scripted(request.snapshot))
          if (scripted instanceof PmError) return yield* scripted
          return pitched(scripted)
        }),
        review: offlineReviewer(roster)
      })
    )
  }
}
