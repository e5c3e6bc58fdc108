import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { CouncilDecision } from "@council/domain"
import { Recorder, Stage, StoreError } from "@council/engine"
import { Chairman, ChairmanAnswer, ChairmanError, convictionVote, LlmBudgetExceeded, validatePitches } from "@council/llm"
import { MechanicalVotes } from "@council/tracking"
import { FetchData } from "./FetchData.ts"
import { PeerReview } from "./PeerReview.ts"
import { PmPitches } from "./PmPitches.ts"
import { withinWindow } from "../AnswerWindow.ts"
import { chairmanInput } from "../InputHash.ts"

const ChairmanCallFailure = Schema.Union([ChairmanError, LlmBudgetExceeded, StoreError])

export const CouncilSynthesis = Stage.make({
  name: "CouncilSynthesis",
  description: "the chairman's council decision, with the mechanical vote beside it",
  dependsOn: [FetchData, PmPitches, PeerReview],
  output: CouncilDecision,
  timeout: "5 minutes",
  // what the leaderboard's mechanical-vote baseline reads of each run, without decoding the whole decision
  digest: MechanicalVotes.digestOf,
  run: ({ FetchData: snapshot, PmPitches: book, PeerReview: review }) =>
    Effect.gen(function*() {
      const chairman = yield* Chairman
      const invalid = validatePitches(snapshot, book.pitches)
      if (invalid) return yield* invalid
      const mechanical = convictionVote(snapshot, book.pitches, book.abstentions)
      const answer = yield* Recorder.call(
        "chairman.synthesize",
        { model: chairman.model, asOf: snapshot.asOf, input: chairmanInput(book.pitches, book.abstentions, review) },
        { success: ChairmanAnswer, failure: ChairmanCallFailure },
        chairman.synthesize({ snapshot, pitches: book.pitches, abstentions: book.abstentions, review })
      ).pipe(
        Effect.catchTag("ChairmanError", (error) => Effect.succeed({ decision: null, failure: error.message, exchanges: [] }))
      )
      const decision: CouncilDecision = answer.decision ?? {
        ...mechanical,
        fallback: `the chairman (${chairman.model}) gave no usable decision (${answer.failure ?? "no answer"}); the mechanical vote decides`
      }
      return {
        ...decision,
        mechanical: { trades: mechanical.trades, rationale: mechanical.rationale, dissent: mechanical.dissent }
      }
    }).pipe(withinWindow("CouncilSynthesis"))
})
