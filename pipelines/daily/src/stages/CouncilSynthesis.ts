import * as Effect from "effect/Effect"
import { CouncilDecision } from "@council/domain"
import { Recorder, Stage } from "@council/engine"
import { Chairman, ChairmanError } from "@council/llm"
import { FetchData } from "./FetchData.ts"
import { PmPitches } from "./PmPitches.ts"

export const CouncilSynthesis = Stage.make({
  name: "CouncilSynthesis",
  description: "the chairman's council decision from the pitches",
  dependsOn: [FetchData, PmPitches],
  output: CouncilDecision,
  timeout: "5 minutes",
  run: ({ FetchData: snapshot, PmPitches: book }) =>
    Effect.gen(function*() {
      const chairman = yield* Chairman
      return yield* Recorder.call(
        "chairman.synthesize",
        { asOf: snapshot.asOf, pitches: book.pitches.map((p) => `${p.pm}:${p.symbol}:${p.conviction}`) },
        { success: CouncilDecision, failure: ChairmanError },
        chairman.synthesize(snapshot, book.pitches, book.abstentions)
      )
    })
})
