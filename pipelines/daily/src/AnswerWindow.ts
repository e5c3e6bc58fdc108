/**
 * How long the council's LLM questions may take under the `close` schedule: from the run's moment to the
 * market-on-close cutoff, less a reserve for the risk gate and execution, shared between the three stages that
 * ask (pitches 45 %, reviews 20 %, the chairman 35 %). At the scheduled 15:45 that is 4 minutes: 1m 48s, 48s and
 * 1m 24s. A question that outlasts its stage's share ends as a timeout (the PM abstains, a review is left out, the
 * chairman's fallback, the mechanical vote, decides), so one slow provider cannot make every account miss the day.
 *
 * **When to use**: `withinWindow(stage)` around a stage's LLM calls.
 *
 * **Gotchas**
 * - The cutoff is taken as the first of 12:50 and 15:50 after the run's moment (12:50 is an early close's cutoff):
 *   a `close` run before 12:50 on a regular day gets the early close's window, the cautious side.
 * - Only live questions of a run that sends orders are cut: a replay answers from its recordings, whatever the
 *   window, and a dry run (a what-if fork included) has no cutoff to meet.
 * - Inside the reserve (15:49) the window is zero: every live question times out at once. At or after the cutoff
 *   nothing is sent (only a dry run gets that far), so the questions' own deadlines decide, as they do under
 *   `after-close` and for a run without a recorded moment.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { CLOSE_CUTOFF_LEAD_MINUTES, EARLY_CLOSE, parseMoment, REGULAR_CLOSE, secondsOf } from "@council/domain"
import { RunContext } from "@council/engine"
import { AnswerWithin } from "@council/llm"
import { recordedTiming, type RunTiming } from "./DailyParams.ts"

/** Seconds kept after the council for the risk gate and execution. */
export const RESERVE_SECONDS = 60

/** Each asking stage's share of the window. */
export const SHARES = { PmPitches: 0.45, PeerReview: 0.2, CouncilSynthesis: 0.35 } as const

export type AskingStage = keyof typeof SHARES

const CUTOFFS = [EARLY_CLOSE, REGULAR_CLOSE].map((close) => secondsOf(close)! - CLOSE_CUTOFF_LEAD_MINUTES * 60)

/** The most `stage`'s questions may take in a run of `timing`; `undefined` when no cutoff bounds them. */
export const answerWindow = (timing: RunTiming, stage: AskingStage): Duration.Duration | undefined => {
  if (timing.schedule !== "close" || timing.at === undefined) return undefined
  const moment = parseMoment(timing.at)
  const cutoff = moment === undefined ? undefined : CUTOFFS.find((c) => c > moment.seconds)
  if (moment === undefined || cutoff === undefined) return undefined
  const seconds = Math.max(0, cutoff - moment.seconds - RESERVE_SECONDS)
  return Duration.millis(Math.floor(seconds * SHARES[stage] * 1000))
}

/**
 * Runs `effect` (a stage's questions) within the stage's share of the run's window. A dry run sends nothing, so no
 * cutoff bounds it (a what-if fork asks another model about a past day at any hour): its questions keep their own
 * deadlines.
 */
export const withinWindow = (stage: AskingStage) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | RunContext> =>
  Effect.flatMap(RunContext, (run) => {
    const window = run.dryRun ? undefined : answerWindow(recordedTiming(run.params), stage)
    return window === undefined ? effect : Effect.provideService(effect, AnswerWithin, window)
  })
