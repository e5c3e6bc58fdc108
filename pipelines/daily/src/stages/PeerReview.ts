import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type AccountId, type MarketSnapshot, PeerReviewResult, type Pitch, type ReviewBallot } from "@council/domain"
import { Recorder, Stage } from "@council/engine"
import { PeerReview as Review, PortfolioManagers, ReviewAnswer, type RosterEntry } from "@council/llm"
import { FetchData } from "./FetchData.ts"
import { PmCallFailure, PmPitches } from "./PmPitches.ts"
import { withinWindow } from "../AnswerWindow.ts"
import { allAnswers } from "../AllAnswers.ts"
import { reviewInput } from "../InputHash.ts"
import { pitchersReview, reviewSeed } from "../DailyParams.ts"

type Outcome =
  | { readonly _tag: "Ballot"; readonly ballot: ReviewBallot }
  | { readonly _tag: "Abstained"; readonly pm: AccountId; readonly reason: string }

/** Decodes a ranking of labels into PMs; anything but each shown label exactly once is refused. */
const rankingOf = (ballot: Review.Ballot, labels: ReadonlyArray<string>): Option.Option<ReadonlyArray<AccountId>> => {
  const shown = ballot.candidates.map((c) => c.label)
  const exact = labels.length === shown.length && new Set(labels).size === labels.length && labels.every((l) => shown.includes(l))
  return exact ? Option.some(labels.map((l) => ballot.owners.get(l)!)) : Option.none()
}

const review = (
  pms: PortfolioManagers["Service"],
  entry: RosterEntry,
  snapshot: MarketSnapshot,
  ballot: Review.Ballot,
  own: Pitch | null
) =>
  Recorder.call(
    "pm.review",
    { reviewer: entry.pm, model: entry.model, asOf: snapshot.asOf, input: reviewInput(ballot.candidates, own) },
    { success: ReviewAnswer, failure: PmCallFailure },
    pms.review(entry.pm, { snapshot, candidates: ballot.candidates, own })
  ).pipe(
    Effect.map((answer): Outcome => {
      if (answer.ranking === null) return { _tag: "Abstained", pm: entry.pm, reason: answer.abstention ?? "no ranking" }
      return Option.match(rankingOf(ballot, answer.ranking), {
        onNone: () => ({ _tag: "Abstained", pm: entry.pm, reason: `ranking ${answer.ranking!.join(",")} does not name each shown pitch once` }),
        onSome: (ranking) => ({
          _tag: "Ballot",
          ballot: {
            reviewer: entry.pm,
            shown: ballot.candidates.map((c) => ({ label: c.label, pm: ballot.owners.get(c.label)! })),
            ranking,
            rationale: answer.rationale,
            source: entry.model
          }
        })
      })
    }),
    Effect.catchTag("PmError", (error): Effect.Effect<Outcome> => Effect.succeed({ _tag: "Abstained", pm: entry.pm, reason: error.message }))
  )

export const PeerReview = Stage.make({
  name: "PeerReview",
  description: "each PM that pitched ranks the others' pitches under shuffled anonymous labels; Borda count",
  dependsOn: [FetchData, PmPitches],
  output: PeerReviewResult,
  timeout: "5 minutes",
  run: ({ FetchData: snapshot, PmPitches: book }) =>
    Effect.gen(function*() {
      const pms = yield* PortfolioManagers
      const seed = yield* reviewSeed
      const names = pms.roster.flatMap((r) => [r.pm, r.model])
      // runs from before `reviewers: pitched` asked every PM: their replays ask (and find recorded) the same
      const sitOut = (yield* pitchersReview)
        ? new Set<string>(book.abstentions.filter((a) => !book.pitches.some((p) => p.pm === a.pm)).map((a) => a.pm))
        : new Set<string>()
      const outcomes = yield* allAnswers(
        pms.roster,
        (entry) => {
          if (sitOut.has(entry.pm)) {
            return Effect.succeed(Option.some<Outcome>({ _tag: "Abstained", pm: entry.pm, reason: Review.NOT_ASKED_AFTER_ABSTAINING }))
          }
          const ballot = Review.ballotFor(seed, entry.pm, book.pitches, names)
          if (ballot.candidates.length === 0) return Effect.succeed(Option.none<Outcome>())
          const own = book.pitches.find((p) => p.pm === entry.pm) ?? null
          return Effect.map(review(pms, entry, snapshot, ballot, own), Option.some)
        }
      )
      const decided = outcomes.flatMap((o) => Option.toArray(o))
      const ballots = decided.flatMap((o) => (o._tag === "Ballot" ? [o.ballot] : []))
      return {
        asOf: snapshot.asOf,
        ballots,
        abstentions: decided.flatMap((o) => (o._tag === "Abstained" ? [{ pm: o.pm, reason: o.reason }] : [])),
        aggregate: Review.borda(ballots, pms.roster.map((r) => r.pm))
      } satisfies PeerReviewResult
    }).pipe(withinWindow("PeerReview"))
})
