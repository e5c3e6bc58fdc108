import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { Abstention, Pitch } from "@council/domain"
import { Recorder, Stage } from "@council/engine"
import { PmError, PortfolioManagers } from "@council/llm"
import { FetchData } from "./FetchData.ts"

export const PitchBook = Schema.Struct({
  pitches: Schema.Array(Pitch),
  abstentions: Schema.Array(Abstention)
})
export type PitchBook = typeof PitchBook.Type

export const PmPitches = Stage.make({
  name: "PmPitches",
  description: "one pitch per PM, concurrently; abstentions recorded",
  dependsOn: [FetchData],
  output: PitchBook,
  timeout: "5 minutes",
  run: ({ FetchData: snapshot }) =>
    Effect.gen(function*() {
      const pms = yield* PortfolioManagers
      const outcomes = yield* Effect.forEach(
        pms.roster,
        ({ pm }) =>
          Recorder.call(
            "pm.pitch",
            { pm, asOf: snapshot.asOf },
            { success: Pitch, failure: PmError },
            pms.pitch(pm, snapshot)
          ).pipe(
            Effect.map((pitch): Result.Result<Pitch, Abstention> => Result.succeed(pitch)),
            Effect.catchTag("PmError", (error) => Effect.succeed(Result.fail({ pm, reason: error.message })))
          ),
        { concurrency: "unbounded" }
      )
      return {
        pitches: outcomes.filter(Result.isSuccess).map((r) => r.success),
        abstentions: outcomes.filter(Result.isFailure).map((r) => r.failure)
      }
    })
})
