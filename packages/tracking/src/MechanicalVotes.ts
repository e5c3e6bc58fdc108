/**
 * The mechanical votes a book's sessions recorded: each daily run's council synthesis keeps the mechanical
 * conviction-weighted vote beside the chairman's decision; this reads them back from the run store, one per
 * session, for the mechanical-vote shadow account (`Contest`).
 *
 * **When to use**: provide `layerFromRuns` over the run store that holds the book's runs — the home's for the
 * live book, a backtest's own database for its book — wherever a leaderboard is computed (CLI, API, report).
 *
 * **Rules**: per session the latest completed local run of the daily pipeline (a non-dry run first); its
 * `CouncilSynthesis` checkpoint's `mechanical` vote, or its decision when the mechanical vote decided (runs from
 * before the shadow vote was kept). No vote in the window, or a store that cannot be read: `undefined` ("—").
 * The daily pipeline keeps that vote as the checkpoint's digest (`digestOf`, migration `0030_stage_digests`): read
 * instead of decoding each output (~0.1 ms each: 0.5 s over twenty years); a run without one is read from its output.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { CouncilTrade, Direction, MechanicalVote, Ticker, TradingDay } from "@council/domain"
import { RunStore, type StageOutput } from "@council/engine"
import type { MechanicalVoteDay } from "./Contest.ts"
import { MechanicalVotes } from "./Standings.ts"

const Synthesis = Schema.Struct({
  trades: Schema.Array(CouncilTrade),
  source: Schema.String,
  mechanical: Schema.optionalKey(MechanicalVote)
})
const decodeSynthesis = Schema.decodeUnknownOption(Schema.toCodecJson(Synthesis))

/** A session's vote as kept: its trades' symbols and directions, or `null` when the synthesis recorded none. */
const VoteDigest = Schema.NullOr(Schema.Array(Schema.Struct({ symbol: Ticker, direction: Direction })))
const decodeDigest = Schema.decodeUnknownOption(VoteDigest)

/**
 * The mechanical vote a `CouncilSynthesis` output (encoded) recorded, as the checkpoint's digest keeps it: its
 * `mechanical` vote's trades, else its trades when the mechanical vote decided; `null` when neither (or when the
 * output does not decode).
 */
export const digestOf = (output: unknown): Schema.Json => {
  const synthesis = decodeSynthesis(output)
  if (Option.isNone(synthesis)) return null
  const { mechanical, source, trades } = synthesis.value
  const vote = mechanical?.trades ?? (source.includes("mechanical") || source.includes("conviction") ? trades : undefined)
  return vote === undefined ? null : vote.map((t) => ({ symbol: t.symbol, direction: t.direction }))
}

/** A run's vote: from its digest when it has one that reads, else from its output. */
const voteOf = (run: StageOutput): ReadonlyArray<{ readonly symbol: Ticker; readonly direction: Direction }> | null => {
  const kept = run.digest === undefined ? Option.none() : decodeDigest(run.digest)
  return Option.getOrElse(kept, () => Option.getOrNull(decodeDigest(digestOf(run.output))))
}

/**
 * The runs to read, one per session: completed, local, a non-dry run preferred, then the latest start (among
 * equal starts, the greatest id). `runs` come as `RunStore.stageOutputs` gives them.
 */
const runsPerSession = (runs: ReadonlyArray<StageOutput>): Array<StageOutput> => {
  const chosen = new Map<string, StageOutput>()
  const better = (a: StageOutput, b: StageOutput) => (a.dryRun !== b.dryRun ? !a.dryRun : a.startedAt > b.startedAt)
  // newest first, as `listRuns` lists them, so that of two runs started at once the greater id stays chosen
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i]!
    const current = chosen.get(run.tradingDay)
    if (current === undefined || better(run, current)) chosen.set(run.tradingDay, run)
  }
  return [...chosen.values()].sort((a, b) => (a.tradingDay < b.tradingDay ? -1 : 1))
}

/** [from, to] cut at each year's end, in order (a long window read a year at a time). */
const yearsOf = (from: TradingDay, to: TradingDay): Array<{ readonly from: TradingDay; readonly to: TradingDay }> => {
  const years: Array<{ readonly from: TradingDay; readonly to: TradingDay }> = []
  for (let start = from; start <= to;) {
    const end = TradingDay.make(`${start.slice(0, 4)}-12-31`)
    years.push({ from: start, to: end < to ? end : to })
    start = TradingDay.make(`${String(Number(start.slice(0, 4)) + 1).padStart(4, "0")}-01-01`)
  }
  return years
}

/**
 * The mechanical votes `store`'s runs recorded between `from` and `to`; `undefined` when none (or unreadable).
 * One read of each year's `CouncilSynthesis` outputs (`RunStore.stageOutputs`), not one per run; between years it
 * lets other fibers run (a server's other requests), as reading twenty years takes a second or so.
 */
export const votesIn = (store: RunStore["Service"], from: TradingDay, to: TradingDay): Effect.Effect<ReadonlyArray<MechanicalVoteDay> | undefined> =>
  Effect.gen(function*() {
    const read: Array<StageOutput> = []
    for (const year of yearsOf(from, to)) {
      read.push(...yield* store.stageOutputs({ pipeline: "daily", stage: "CouncilSynthesis", origin: "local", digests: true, ...year }))
      yield* Effect.yieldNow
    }
    const runs = runsPerSession(read)
    const votes: Array<MechanicalVoteDay> = []
    for (const run of runs) {
      const vote = voteOf(run)
      if (vote !== null) votes.push({ date: run.tradingDay, trades: vote.map((t) => ({ symbol: t.symbol, direction: t.direction })) })
    }
    return votes.length === 0 ? undefined : votes
  }).pipe(Effect.orElseSucceed(() => undefined))

/** Every book's votes from the one run store provided (the home's: right for the live book). */
export const layerFromRuns: Layer.Layer<MechanicalVotes, never, RunStore> = Layer.effect(
  MechanicalVotes,
  Effect.gen(function*() {
    const store = yield* RunStore
    return MechanicalVotes.of({ between: (_book, from, to) => votesIn(store, from, to) })
  })
)
