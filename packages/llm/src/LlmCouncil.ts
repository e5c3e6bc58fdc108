/**
 * The council on LLMs: `PortfolioManagers` whose seats are LLMs (or offline stand-ins), and an LLM `Chairman`.
 *
 * **When to use**: the composition root builds one `Seat` per PM from configuration (`LlmSettings`) and provides
 * `layerPms(seats)` and `layerChairman(model)` with an `LlmBudget`. Tests build seats over `LanguageModel` test
 * layers.
 *
 * **Details**
 * - A seat's pitch and review go through `ask`: budget, retries, timeout, validation, one corrective turn,
 *   audit. When `ask` gets no valid answer, the PM abstains (pitch) or does not rank (review), saying why.
 * - A review with one candidate needs no model: the ranking is that candidate. With `reviews: false` (see
 *   `Lineup.fromSettings`) an LLM seat's review is not asked at all.
 * - The chairman is not asked when nobody pitched: the vote (flat) is the decision.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AccountId } from "@council/domain"
import { type Answer, ask, type RoleModel } from "./Ask.ts"
import { LlmBudget } from "./Budget.ts"
import { Chairman, type ChairmanAnswer, convictionVote, validatePitches, votesOf } from "./Chairman.ts"
import { chairmanQuestion, type ChairmanRequest, toDecision } from "./ChairmanPrompt.ts"
import { modelName } from "./Models.ts"
import { type OfflineStyle, offlinePitch, offlineSource } from "./OfflineRules.ts"
import { pitchQuestion, type PitchRequest, toPitch } from "./PitchPrompt.ts"
import {
  abstained,
  offlineReview,
  PmError,
  pitched,
  PortfolioManagers,
  type ReviewAnswer,
  type ReviewerRequest,
  type RosterEntry
} from "./PortfolioManager.ts"
import { reviewQuestion } from "./ReviewPrompt.ts"

/** A PM's seat at the council: an LLM, or its offline stand-in. */
export type Seat =
  | { readonly _tag: "Llm"; readonly pm: AccountId; readonly model: RoleModel }
  | { readonly _tag: "Offline"; readonly pm: AccountId; readonly style: OfflineStyle }

export const rosterOf = (seats: ReadonlyArray<Seat>): ReadonlyArray<RosterEntry> =>
  seats.map((seat) =>
    seat._tag === "Llm"
      ? { pm: seat.pm, model: modelName(seat.model.spec), offline: false }
      : { pm: seat.pm, model: offlineSource(seat.style), offline: true }
  )

const why = (answer: Answer<unknown>): string =>
  answer.failure === undefined ? "no answer" : `${answer.failure.reason}: ${answer.failure.message}`

/** Why an LLM seat's review is not asked when `layerPms` is told `reviews: false`. */
export const REVIEW_NOT_ASKED = "not asked: no traded account trades the council's decision, the peer review's only use"

/**
 * `PortfolioManagers` over `seats`. `reviews: false` (no traded account trades the council's decision): an LLM
 * seat's review is not asked; it answers an abstention saying so (`REVIEW_NOT_ASKED`).
 */
export const layerPms = (
  seats: ReadonlyArray<Seat>,
  options: { readonly reviews: boolean } = { reviews: true }
): Layer.Layer<PortfolioManagers, never, LlmBudget> =>
  Layer.effect(
    PortfolioManagers,
    Effect.gen(function*() {
      const budget = yield* LlmBudget
      const roster = rosterOf(seats)
      const seatOf = (pm: AccountId) =>
        Effect.fromNullishOr(seats.find((s) => s.pm === pm)).pipe(
          Effect.mapError(() =>
            new PmError({ pm, reason: "UnknownPm", message: `${pm} is not on the roster (${roster.map((r) => r.pm).join(", ")})` })
          )
        )

      const pitch = Effect.fn("PortfolioManagers.pitch")(function*(pm: AccountId, request: PitchRequest) {
        const seat = yield* seatOf(pm)
        if (seat._tag === "Offline") return pitched(offlinePitch(pm, seat.style, request.snapshot))
        const answer = yield* ask(seat.model, pitchQuestion(pm, request)).pipe(Effect.provideService(LlmBudget, budget))
        return answer.value === undefined
          ? abstained(why(answer), answer.exchanges)
          : pitched(toPitch(pm, request.snapshot, answer.value, modelName(seat.model.spec)), answer.exchanges)
      })

      const review = Effect.fn("PortfolioManagers.review")(function*(reviewer: AccountId, request: ReviewerRequest) {
        const seat = yield* seatOf(reviewer)
        if (seat._tag === "Offline" || request.candidates.length < 2) return offlineReview(request)
        if (!options.reviews) return { ranking: null, rationale: "", abstention: REVIEW_NOT_ASKED, exchanges: [] } satisfies ReviewAnswer
        const answer = yield* ask(seat.model, reviewQuestion(reviewer, request)).pipe(Effect.provideService(LlmBudget, budget))
        return answer.value === undefined
          ? { ranking: null, rationale: "", abstention: why(answer), exchanges: answer.exchanges } satisfies ReviewAnswer
          : { ranking: answer.value.ranking, rationale: answer.value.rationale, abstention: null, exchanges: answer.exchanges } satisfies ReviewAnswer
      })

      return PortfolioManagers.of({ roster, pitch, review })
    })
  )

/** A `Chairman` asking `model`; its `ChairmanAnswer` has no decision when no valid answer came. */
export const layerChairman = (model: RoleModel): Layer.Layer<Chairman, never, LlmBudget> =>
  Layer.effect(
    Chairman,
    Effect.gen(function*() {
      const budget = yield* LlmBudget
      const name = modelName(model.spec)
      const synthesize = Effect.fn("Chairman.synthesize")(function*(request: ChairmanRequest) {
        const invalid = validatePitches(request.snapshot, request.pitches)
        if (invalid) return yield* invalid
        if (request.pitches.length === 0) {
          return { decision: convictionVote(request.snapshot, [], request.abstentions), failure: null, exchanges: [] } satisfies ChairmanAnswer
        }
        const answer = yield* ask(model, chairmanQuestion(request)).pipe(Effect.provideService(LlmBudget, budget))
        return {
          decision: answer.value === undefined ? null : toDecision(request.snapshot, answer.value, votesOf(request.pitches), name),
          failure: answer.value === undefined ? why(answer) : null,
          exchanges: answer.exchanges
        } satisfies ChairmanAnswer
      })
      return Chairman.of({ model: name, synthesize })
    })
  )
